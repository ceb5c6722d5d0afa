/* liburcu's read-side lock and unlock inlined rather than called: a load
 * and a store each instead of two calls per datagram batch (the library's
 * documented way for callers on a hot path; it is LGPL-2.1, whose section 5
 * allows small inline functions and macros). */
#define _LGPL_SOURCE
#include "sb_net_udp.h"

#include "sb_log.h"
#include "sb_net_counters.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

/* Set up every receive header for a socket of this kind; done again only
 * when the worker reads from a socket of the other kind. */
static void prepare_rx(worker_t *w, bool wildcard)
{
    uint8_t want = wildcard ? 2 : 1;
    if (w->rx_prepared == want)
        return;
    w->rx_prepared = want;
    for (int i = 0; i < UDP_BATCH; i++) {
        struct msghdr *h = &w->rx[i].msg_hdr;
        w->rx_iov[i].iov_base = w->rx_buf[i];
        w->rx_iov[i].iov_len = UDP_RX_SIZE;
        h->msg_name = &w->peers[i];
        h->msg_namelen = sizeof(w->peers[i]);
        h->msg_iov = &w->rx_iov[i];
        h->msg_iovlen = 1;
        h->msg_control = wildcard ? w->rx_ctl[i].buf : NULL;
        h->msg_controllen = wildcard ? sizeof(w->rx_ctl[i].buf) : 0;
        h->msg_flags = 0;
    }
}

/* recvmmsg() wrote into the first `received` headers: give them back their
 * room, leaving what it did not touch as it is (setting up all UDP_BATCH
 * headers for a batch of one was a fifth of a query's instructions). */
static void rearm_rx(worker_t *w, int received, bool wildcard)
{
    for (int i = 0; i < received; i++) {
        struct msghdr *h = &w->rx[i].msg_hdr;
        h->msg_namelen = sizeof(w->peers[i]);
        h->msg_controllen = wildcard ? sizeof(w->rx_ctl[i].buf) : 0;
        h->msg_flags = 0;
    }
}

/* Copy the destination address of a received datagram into the reply's
 * control data, so that the reply leaves from that address. */
static void reply_source(const struct msghdr *rx, struct msghdr *tx, pktinfo_ctl_t *ctl)
{
    tx->msg_control = NULL;
    tx->msg_controllen = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(rx); c != NULL;
         c = CMSG_NXTHDR((struct msghdr *)rx, c)) {
        struct cmsghdr *out = (struct cmsghdr *)ctl->buf;
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            pi.ipi_spec_dst = pi.ipi_addr;
            pi.ipi_ifindex = 0;
            out->cmsg_level = IPPROTO_IP;
            out->cmsg_type = IP_PKTINFO;
            out->cmsg_len = CMSG_LEN(sizeof(pi));
            memcpy(CMSG_DATA(out), &pi, sizeof(pi));
            tx->msg_controllen = CMSG_SPACE(sizeof(pi));
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            out->cmsg_level = IPPROTO_IPV6;
            out->cmsg_type = IPV6_PKTINFO;
            out->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
            memcpy(CMSG_DATA(out), CMSG_DATA(c), sizeof(struct in6_pktinfo));
            tx->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
        } else {
            continue;
        }
        tx->msg_control = ctl->buf;
        return;
    }
}

static void log_rrl(worker_t *w, const sb_client_t *client, const sb_answer_info_t *info);

/* Response rate limiting (sb_rrl): the response as it goes out — whole, a
 * slip, or nothing (0). */
static size_t rate_limit(worker_t *w, const sb_client_t *client, uint8_t *out, size_t len,
                         sb_answer_info_t *info)
{
    sb_rrl_verdict_t v = sb_rrl_judge(w->net->rrl, &w->rrl, client, info);
    if (v == SB_RRL_SEND)
        return len;
    counters_t *c = &w->counters;
    if (v == SB_RRL_EXEMPT) {
        sb_net_worker_bump(&c->rrl[info->kind][RRL_EXEMPT]);
        return len;
    }
    log_rrl(w, client, info);
    if (v == SB_RRL_SLIP) {
        sb_net_worker_bump(&c->rrl[info->kind][RRL_SLIPPED]);
        return sb_answer_slip(out, len, info);
    }
    sb_net_worker_bump(&c->rrl[info->kind][RRL_DROPPED]);
    return 0;
}

/* Answer one received batch; returns the number of replies prepared. */
static int answer_batch(worker_t *w, int received)
{
    const sb_gen_t *gen = sb_net_worker_gen(w);
    size_t cap = w->net->cfg.answer.udp_max;
    int replies = 0;
    sb_client_t client = {.transport = SB_TRANSPORT_UDP, .now = (uint32_t)time(NULL)};
    for (int i = 0; i < received; i++) {
        struct msghdr *rh = &w->rx[i].msg_hdr;
        if (rh->msg_flags & MSG_TRUNC) {
            sb_net_counters_query(w, SB_TRANSPORT_UDP, NULL, &sb_net_counters_unparsed, 0);
            continue;
        }
        uint8_t *out = w->tx_buf + (size_t)replies * cap;
        sb_answer_info_t info;
        sb_net_worker_client_address(rh->msg_name, &client);
        size_t len = sb_answer(gen, &w->net->cfg.answer, &client, w->rx_buf[i], w->rx[i].msg_len,
                               out, cap, &info);
        if (len > 0 && w->net->rrl != NULL)
            len = rate_limit(w, &client, out, len, &info);
        sb_net_counters_query(w, SB_TRANSPORT_UDP, gen, &info, len);
        if (len == 0)
            continue;
        struct msghdr *th = &w->tx[replies].msg_hdr;
        w->tx_iov[replies].iov_base = out;
        w->tx_iov[replies].iov_len = len;
        th->msg_name = rh->msg_name;
        th->msg_namelen = rh->msg_namelen;
        th->msg_iov = &w->tx_iov[replies];
        th->msg_iovlen = 1;
        th->msg_flags = 0;
        reply_source(rh, th, &w->tx_ctl[replies]);
        replies++;
    }
    return replies;
}

static void send_batch(int fd, struct mmsghdr *msgs, int count)
{
    int sent = 0;
    while (sent < count) {
        int r = sendmmsg(fd, msgs + sent, (unsigned)(count - sent), MSG_DONTWAIT);
        if (r > 0) {
            sent += r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            sent++; /* skip the datagram that failed (say, an unreachable peer) */
            continue;
        }
        return; /* the socket buffer is full: drop the rest, as UDP may */
    }
}

/* Rate limiting began to bite, at most one line a minute per worker: which
 * client and which kind of response, so that an operator can tell a flood
 * (and whom it aims at) from a misbehaving resolver. The metrics count
 * every limited response. */
static void log_rrl(worker_t *w, const sb_client_t *client, const sb_answer_info_t *info)
{
    uint64_t now = uv_now(&w->loop);
    if (w->last_rrl_log != 0 && now - w->last_rrl_log < 60000)
        return;
    w->last_rrl_log = now;
    char addr[INET6_ADDRSTRLEN] = "?", name[SB_NAME_TEXT_MAX] = "-";
    inet_ntop(client->addr_len == 4 ? AF_INET : AF_INET6, client->addr, addr, sizeof(addr));
    if (info->kind_name != NULL)
        sb_name_to_text(info->kind_name, name, sizeof(name));
    char q[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_WARNING, "rrl-limiting",
           "worker=%u client=%s kind=%s name=%s reason=\"over its rate: dropped, or slipped to "
           "TC (more limited responses from this worker are not logged for a minute)\"",
           w->index, addr, sb_net_counters_kinds[info->kind],
           sb_log_quote(q, sizeof(q), name, false));
}

static void on_udp_readable(uv_poll_t *handle, int status, int events);

/* libuv stops a poll handle after reporting an error on its socket: clear
 * the socket's pending error and start watching again, so that one ICMP
 * error cannot silence a worker's UDP socket for good. */
static void udp_recover(udp_sock_t *s, int status)
{
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    sb_net_worker_log_error(s->w, "udp socket error", status);
    uv_poll_start(&s->poll, UV_READABLE, on_udp_readable);
}

static void on_udp_readable(uv_poll_t *handle, int status, int events)
{
    (void)events;
    udp_sock_t *s = handle->data;
    worker_t *w = s->w;
    if (status < 0) {
        udp_recover(s, status);
        return;
    }
    for (int round = 0; round < UDP_ROUNDS; round++) {
        prepare_rx(w, s->wildcard);
        int n = recvmmsg(s->fd, w->rx, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        /* The generation is used inside an RCU read-side section: a reload
         * frees the old one only after every section that saw it ended. */
        urcu_memb_read_lock();
        int replies = answer_batch(w, n);
        urcu_memb_read_unlock();
        send_batch(s->fd, w->tx, replies);
        rearm_rx(w, n, s->wildcard);
        if (n < UDP_BATCH)
            return;
    }
}

static void on_udp_closed(uv_handle_t *h)
{
    udp_sock_t *s = h->data;
    close(s->fd);
    s->fd = -1;
}

int sb_net_udp_open(worker_t *w, udp_sock_t *s, int fd, bool wildcard)
{
    s->fd = fd;
    s->w = w;
    s->wildcard = wildcard;
    s->poll.data = s;
    int rc = uv_poll_init_socket(&w->loop, &s->poll, fd);
    if (rc < 0) {
        close(fd);
        s->fd = -1;
        return rc;
    }
    return uv_poll_start(&s->poll, UV_READABLE, on_udp_readable);
}

void sb_net_udp_close(uv_poll_t *poll)
{
    if (!uv_is_closing((uv_handle_t *)poll))
        uv_close((uv_handle_t *)poll, on_udp_closed);
}
