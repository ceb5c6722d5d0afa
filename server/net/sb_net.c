#include "sb_net.h"

#include "sb_dns.h"
#include "sb_log.h"
#include "sb_net_worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

/* ---- sockets ------------------------------------------------------------ */

static int set_int(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* Create a bound socket. `shared`: SO_REUSEPORT, so each worker can bind the
 * same address. Returns the fd or a negative errno. */
static int open_socket(const sb_listen_addr_t *a, int type, bool shared)
{
    int family = a->addr.ss_family;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (type == SOCK_STREAM)
        rc = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (rc == 0 && shared)
        rc = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    if (rc == 0 && family == AF_INET6)
        rc = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    if (rc == 0 && type == SOCK_DGRAM && sb_listen_addr_is_wildcard(a))
        rc = family == AF_INET ? set_int(fd, IPPROTO_IP, IP_PKTINFO, 1)
                               : set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    if (rc == 0 && type == SOCK_DGRAM)
        (void)set_int(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20); /* best effort */
    if (rc == 0 && bind(fd, (const struct sockaddr *)&a->addr, a->len) < 0)
        rc = -errno;
    if (rc == 0 && type == SOCK_STREAM && listen(fd, TCP_BACKLOG) < 0)
        rc = -errno;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* Check that nobody else holds the UDP and TCP port, and pick one for port 0.
 * The check binds without SO_REUSEPORT: that fails if any other socket has
 * the port, even one that would share it. */
static int reserve_port(sb_listen_addr_t *a)
{
    for (int attempt = 0; attempt < 64; attempt++) {
        sb_listen_addr_t probe = *a;
        int ufd = open_socket(&probe, SOCK_DGRAM, false);
        if (ufd < 0)
            return ufd;
        struct sockaddr_storage got;
        socklen_t len = sizeof(got);
        getsockname(ufd, (struct sockaddr *)&got, &len);
        memcpy(&probe.addr, &got, len);
        int tfd = open_socket(&probe, SOCK_STREAM, false);
        close(ufd);
        if (tfd >= 0) {
            close(tfd);
            *a = probe;
            return 0;
        }
        if (tfd != -EADDRINUSE || sb_listen_addr_port(a) != 0)
            return tfd;
    }
    return -EADDRINUSE;
}

static int bind_all(sb_net_t *net, char *err, size_t errlen)
{
    for (size_t i = 0; i < net->cfg.addr_count; i++) {
        char text[80];
        sb_listen_addr_t *a = &net->bound[i];
        int rc = reserve_port(a);
        for (unsigned t = 0; rc == 0 && t < net->cfg.threads; t++) {
            worker_t *w = &net->workers[t];
            if ((w->udp_fds[i] = open_socket(a, SOCK_DGRAM, true)) < 0)
                rc = w->udp_fds[i];
            else if ((w->tcp_fds[i] = open_socket(a, SOCK_STREAM, true)) < 0)
                rc = w->tcp_fds[i];
        }
        if (rc < 0) {
            sb_listen_addr_format(&net->cfg.addrs[i], text, sizeof(text));
            snprintf(err, errlen, "cannot listen on %s: %s%s", text, strerror(-rc),
                     rc == -EADDRINUSE ? " (is another server running?)" : "");
            return rc;
        }
    }
    return 0;
}

/* ---- UDP ---------------------------------------------------------------- */

static void prepare_rx(worker_t *w, bool wildcard)
{
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

/* The client's address as DNS Cookies hash it: 4 bytes for IPv4, also when
 * it reached an IPv6 socket as a mapped address; 16 for IPv6. */
void sb_net_client_address(const struct sockaddr *sa, sb_client_t *c)
{
    c->addr_len = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        memcpy(c->addr, &v4->sin_addr, 4);
        c->addr_len = 4;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            memcpy(c->addr, v6->sin6_addr.s6_addr + 12, 4);
            c->addr_len = 4;
        } else {
            memcpy(c->addr, &v6->sin6_addr, 16);
            c->addr_len = 16;
        }
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
        sb_net_bump(&c->rrl[info->kind][RRL_EXEMPT]);
        return len;
    }
    log_rrl(w, client, info);
    if (v == SB_RRL_SLIP) {
        sb_net_bump(&c->rrl[info->kind][RRL_SLIPPED]);
        return sb_answer_slip(out, len, info);
    }
    sb_net_bump(&c->rrl[info->kind][RRL_DROPPED]);
    return 0;
}

/* Answer one received batch; returns the number of replies prepared. */
static int answer_batch(worker_t *w, int received)
{
    const sb_gen_t *gen = sb_net_current_gen(w);
    size_t cap = w->net->cfg.answer.udp_max;
    int replies = 0;
    sb_client_t client = {.transport = SB_TRANSPORT_UDP, .now = (uint32_t)time(NULL)};
    for (int i = 0; i < received; i++) {
        struct msghdr *rh = &w->rx[i].msg_hdr;
        if (rh->msg_flags & MSG_TRUNC) {
            sb_net_count_query(w, SB_TRANSPORT_UDP, NULL, &sb_net_unparsed, 0);
            continue;
        }
        uint8_t *out = w->tx_buf + (size_t)replies * cap;
        sb_answer_info_t info;
        sb_net_client_address(rh->msg_name, &client);
        size_t len = sb_answer(gen, &w->net->cfg.answer, &client, w->rx_buf[i], w->rx[i].msg_len,
                               out, cap, &info);
        if (len > 0 && w->net->rrl != NULL)
            len = rate_limit(w, &client, out, len, &info);
        sb_net_count_query(w, SB_TRANSPORT_UDP, gen, &info, len);
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

/* Errors of this host on the answering path, at most one line a minute per
 * worker: a flood of them must not turn into a flood of log writes. */
void sb_net_log_local_error(worker_t *w, const char *what, int err)
{
    uint64_t now = uv_now(&w->loop);
    if (w->last_error_log != 0 && now - w->last_error_log < 60000)
        return;
    w->last_error_log = now;
    char q1[SB_LOG_QUOTE_MAX], q2[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_ERROR, "net-error", "worker=%u what=%s reason=%s", w->index,
           sb_log_quote(q1, sizeof(q1), what, true),
           sb_log_quote(q2, sizeof(q2), uv_strerror(err), true));
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
           w->index, addr, sb_net_response_kinds[info->kind],
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
    sb_net_log_local_error(s->w, "udp socket error", status);
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
        if (n < UDP_BATCH)
            return;
    }
}

void sb_net_maybe_finish_drain(worker_t *w)
{
    if (w->stopping && w->conns == NULL && !uv_is_closing((uv_handle_t *)&w->drain))
        uv_close((uv_handle_t *)&w->drain, NULL);
}

/* ---- worker lifecycle ---------------------------------------------------- */

static void on_udp_closed(uv_handle_t *h)
{
    udp_sock_t *s = h->data;
    close(s->fd);
    s->fd = -1;
}

static void on_drain_timeout(uv_timer_t *t)
{
    worker_t *w = t->data;
    sb_net_tcp_close_all(w, true);
    sb_net_maybe_finish_drain(w);
}

static void on_stop(uv_async_t *a)
{
    worker_t *w = a->data;
    w->stopping = true;
    uv_close((uv_handle_t *)&w->stop, NULL);
    for (size_t i = 0; i < w->net->cfg.addr_count; i++) {
        uv_close((uv_handle_t *)&w->udp[i].poll, on_udp_closed);
        uv_close((uv_handle_t *)&w->tcp[i].tcp, NULL);
    }
    /* Arm the drain timer first: closing the last connection closes it. */
    uv_timer_start(&w->drain, on_drain_timeout, w->net->drain_ms, 0);
    sb_net_tcp_close_all(w, false); /* one still writing finishes first */
    sb_net_maybe_finish_drain(w);
}

static int worker_open(worker_t *w)
{
    sb_net_t *net = w->net;
    int rc = uv_async_init(&w->loop, &w->stop, on_stop);
    if (rc < 0)
        return rc;
    w->stop.data = w;
    uv_timer_init(&w->loop, &w->drain);
    w->drain.data = w;
    /* Each fd passes to its handle as soon as the handle exists; the handle's
     * close then releases it (see close_handle). */
    for (size_t i = 0; i < net->cfg.addr_count; i++) {
        udp_sock_t *s = &w->udp[i];
        s->fd = w->udp_fds[i];
        s->w = w;
        s->wildcard = sb_listen_addr_is_wildcard(&net->bound[i]);
        s->poll.data = s;
        if ((rc = uv_poll_init_socket(&w->loop, &s->poll, s->fd)) < 0)
            return rc;
        w->udp_fds[i] = -1;
        if ((rc = uv_poll_start(&s->poll, UV_READABLE, on_udp_readable)) < 0)
            return rc;
        tcp_listener_t *l = &w->tcp[i];
        l->w = w;
        if ((rc = uv_tcp_init(&w->loop, &l->tcp)) < 0)
            return rc;
        l->tcp.data = l;
        if ((rc = uv_tcp_open(&l->tcp, w->tcp_fds[i])) < 0)
            return rc;
        w->tcp_fds[i] = -1;
        if ((rc = uv_listen((uv_stream_t *)&l->tcp, TCP_BACKLOG, sb_net_tcp_accept)) < 0)
            return rc;
    }
    return 0;
}

static void worker_main(void *arg)
{
    worker_t *w = arg;
    urcu_memb_register_thread();
    w->init_status = worker_open(w);
    uv_sem_post(&w->ready);
    if (w->init_status == 0)
        uv_run(&w->loop, UV_RUN_DEFAULT);
    urcu_memb_unregister_thread();
}

/* ---- public ------------------------------------------------------------- */

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, h->type == UV_POLL ? on_udp_closed : NULL);
}

static void free_net(sb_net_t *net)
{
    sb_clients_free(net->clients);
    sb_rrl_free(net->rrl);
    free(atomic_load_explicit(&net->answers, memory_order_relaxed));
    free(net->retired);
    if (net->answers_lock_ready)
        uv_mutex_destroy(&net->answers_lock);
    for (unsigned t = 0; net->workers != NULL && t < net->cfg.threads; t++) {
        worker_t *w = &net->workers[t];
        for (size_t i = 0; w->udp_fds && w->tcp_fds && i < net->cfg.addr_count; i++) {
            if (w->udp_fds[i] >= 0)
                close(w->udp_fds[i]);
            if (w->tcp_fds[i] >= 0)
                close(w->tcp_fds[i]);
        }
        free(w->udp_fds);
        free(w->tcp_fds);
        free(w->udp);
        free(w->tcp);
        free(w->tx_buf);
    }
    free(net->workers);
    free(net->bound);
    free(net);
}

static int alloc_workers(sb_net_t *net)
{
    size_t n = net->cfg.addr_count;
    net->workers = calloc(net->cfg.threads, sizeof(worker_t));
    if (net->workers == NULL)
        return -ENOMEM;
    for (unsigned t = 0; t < net->cfg.threads; t++) {
        worker_t *w = &net->workers[t];
        w->net = net;
        w->index = t;
        w->udp_fds = malloc(n * sizeof(int));
        w->tcp_fds = malloc(n * sizeof(int));
        w->udp = calloc(n, sizeof(udp_sock_t));
        w->tcp = calloc(n, sizeof(tcp_listener_t));
        w->tx_buf = malloc((size_t)UDP_BATCH * net->cfg.answer.udp_max);
        if (!w->udp_fds || !w->tcp_fds || !w->udp || !w->tcp || !w->tx_buf)
            return -ENOMEM;
        for (size_t i = 0; i < n; i++)
            w->udp_fds[i] = w->tcp_fds[i] = -1;
    }
    return 0;
}

int sb_net_bind(sb_net_t **out, const sb_net_config_t *cfg, char *err, size_t errlen)
{
    *out = NULL;
    sb_net_t *net = calloc(1, sizeof(*net));
    if (net == NULL)
        return -ENOMEM;
    net->cfg = *cfg;
    if (net->cfg.threads == 0)
        net->cfg.threads = 1;
    net->answers_lock_ready = uv_mutex_init(&net->answers_lock) == 0;
    net->bound = malloc(cfg->addr_count * sizeof(sb_listen_addr_t));
    /* A connection is counted for its client before the server's total is
     * checked: room for one more per worker than the total allows. */
    unsigned per_client =
        cfg->tcp_per_client < cfg->tcp_max_clients ? cfg->tcp_per_client : cfg->tcp_max_clients;
    int rc = net->bound == NULL || !net->answers_lock_ready ||
                     sb_clients_new(&net->clients, cfg->tcp_max_clients + net->cfg.threads,
                                    per_client) < 0 ||
                     sb_rrl_new(&net->rrl, &cfg->rrl) < 0
                 ? -ENOMEM
                 : alloc_workers(net);
    if (rc == 0) {
        memcpy(net->bound, cfg->addrs, cfg->addr_count * sizeof(sb_listen_addr_t));
        rc = bind_all(net, err, errlen);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    if (rc < 0) {
        free_net(net);
        return rc;
    }
    *out = net;
    return 0;
}

const sb_listen_addr_t *sb_net_bound(const sb_net_t *net, size_t i)
{
    return &net->bound[i];
}

int sb_net_start(sb_net_t *net, const sb_gen_t *_Atomic const *current)
{
    net->current = current;
    for (unsigned t = 0; t < net->cfg.threads; t++) {
        worker_t *w = &net->workers[t];
        int rc = uv_loop_init(&w->loop);
        if (rc == 0)
            rc = uv_sem_init(&w->ready, 0);
        if (rc == 0)
            rc = uv_thread_create(&w->thread, worker_main, w);
        if (rc == 0) {
            uv_sem_wait(&w->ready);
            uv_sem_destroy(&w->ready);
            rc = w->init_status;
            net->started++;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

void sb_net_stop(sb_net_t *net, uint32_t drain_ms)
{
    if (net == NULL)
        return;
    net->drain_ms = drain_ms;
    for (unsigned t = 0; t < net->started; t++) {
        worker_t *w = &net->workers[t];
        if (w->init_status == 0)
            uv_async_send(&w->stop);
        else
            uv_stop(&w->loop);
    }
    for (unsigned t = 0; t < net->started; t++) {
        worker_t *w = &net->workers[t];
        uv_thread_join(&w->thread);
        /* A worker that failed to start never ran its loop: close what it
         * opened so the loop can be closed. */
        uv_walk(&w->loop, close_handle, NULL);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        uv_loop_close(&w->loop);
    }
    free_net(net);
}
