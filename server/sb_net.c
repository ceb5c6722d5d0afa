#include "sb_net.h"

#include "sb_clients.h"
#include "sb_dns.h"
#include "sb_log.h"
#include "sb_metrics.h"
#include "sb_rrl.h"

#include <stdatomic.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>
#include <uv.h>

#define UDP_BATCH       32
#define UDP_RX_SIZE     4096 /* larger queries are dropped (none is legitimate) */
#define UDP_ROUNDS      8    /* batches per readiness event, for fairness */
#define TCP_INITIAL_BUF 1024
#define TCP_MAX_FRAME   (2 + SB_DNS_TCP_MAX)
#define TCP_BACKLOG     256

typedef union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
} pktinfo_ctl_t;

/* Counter slots: response codes ("dropped": nothing sent) and QTYPEs. */
enum {
    RC_NOERROR,
    RC_FORMERR,
    RC_SERVFAIL,
    RC_NXDOMAIN,
    RC_NOTIMP,
    RC_REFUSED,
    RC_YXDOMAIN,
    RC_BADVERS,
    RC_OTHER,
    RC_DROPPED,
    RC_SLOTS
};

static const char *const rcode_names[RC_SLOTS] = {
    "noerror", "formerr",  "servfail", "nxdomain", "notimp",
    "refused", "yxdomain", "badvers",  "other",    "dropped",
};

static const struct {
    uint16_t type;
    const char *name;
} qtype_slots[] = {
    {1, "A"},    {28, "AAAA"},   {5, "CNAME"}, {15, "MX"},    {2, "NS"},     {6, "SOA"},
    {16, "TXT"}, {33, "SRV"},    {12, "PTR"},  {257, "CAA"},  {65, "HTTPS"}, {64, "SVCB"},
    {43, "DS"},  {48, "DNSKEY"}, {255, "ANY"}, {252, "AXFR"}, {251, "IXFR"},
};

#define QT_NAMED    (sizeof(qtype_slots) / sizeof(qtype_slots[0]))
#define TCP_RESULTS 4              /* accepted, rejected, rejected_per_client, evicted */
#define QT_SLOTS    (QT_NAMED + 1) /* the last: "other" */

/* What rate limiting did with a UDP response over its rate. */
enum { RRL_DROPPED, RRL_SLIPPED, RRL_EXEMPT, RRL_ACTIONS };

/* One worker's counters. Only that worker writes them; the metrics thread
 * reads them. */
typedef struct {
    _Atomic uint64_t queries[2][RC_SLOTS]; /* [transport][rcode slot] */
    _Atomic uint64_t qtypes[QT_SLOTS];
    _Atomic uint64_t truncated[2];
    _Atomic uint64_t tcp_accepted, tcp_rejected, tcp_rejected_per_client, tcp_evicted;
    _Atomic uint64_t rrl[SB_RESPONSE_KINDS][RRL_ACTIONS]; /* UDP responses over their rate */
} counters_t;

/* Answers per profile endpoint of one generation: a row per worker, each
 * written by its worker only and starting on its own cache line, so that
 * workers never share a line they write. Indexed by sb_endpoint_t.id. */
typedef struct {
    const sb_gen_t *gen; /* the generation counted; workers skip any other */
    size_t stride;       /* counters per row: the endpoints, rounded up to a line */
    _Alignas(64) _Atomic uint64_t counts[];
} answer_counts_t;

#define COUNTS_PER_LINE (64 / sizeof(uint64_t))

struct worker;

typedef struct {
    uv_poll_t poll;
    int fd;
    bool wildcard; /* bound to 0.0.0.0 or ::, so replies need IP_PKTINFO */
    struct worker *w;
} udp_sock_t;

typedef struct {
    uv_tcp_t tcp;
    struct worker *w;
    bool waiting; /* holds a connection to reject once the reject handle is free */
} tcp_listener_t;

typedef struct conn {
    uv_tcp_t tcp;
    uv_timer_t idle;
    struct worker *w;
    struct conn *prev, *next; /* the worker's connections, least recently active first */
    bool counted_client;      /* in net->clients */
    bool counted_total;       /* in net->tcp_clients */
    uint8_t *in;
    size_t in_len, in_cap;
    uint8_t *out; /* the rest of a partial write; allocated on the first, kept */
    size_t out_cap;
    uv_write_t wreq;
    bool reading, writing, eof, closing;
    int open_handles;
    sb_client_t client;
} conn_t;

typedef struct worker {
    struct sb_net *net;
    unsigned index;
    uint64_t last_error_log; /* uv_now() of the last rate-limited error line */
    uint64_t last_rrl_log;   /* uv_now() of the last rrl-limiting line */
    sb_rrl_worker_t rrl;
    uv_tcp_t reject;    /* accepts and closes a connection we cannot take */
    bool reject_busy;   /* closing; listeners with another one wait for it */
    size_t reject_turn; /* the listener whose waiting connection goes next */
    counters_t counters;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t stop;
    uv_timer_t drain;
    bool stopping;
    int init_status;
    uv_sem_t ready;
    udp_sock_t *udp;
    tcp_listener_t *tcp;
    int *udp_fds, *tcp_fds;
    conn_t *conns, *conns_tail; /* idlest first: the head goes when the table is full */
    /* UDP batch buffers, reused for every batch. */
    struct mmsghdr rx[UDP_BATCH], tx[UDP_BATCH];
    struct iovec rx_iov[UDP_BATCH], tx_iov[UDP_BATCH];
    struct sockaddr_storage peers[UDP_BATCH];
    pktinfo_ctl_t rx_ctl[UDP_BATCH], tx_ctl[UDP_BATCH];
    uint8_t rx_buf[UDP_BATCH][UDP_RX_SIZE];
    uint8_t *tx_buf; /* UDP_BATCH responses of cfg.answer.udp_max bytes */
    uint8_t tcp_out[TCP_MAX_FRAME];
} worker_t;

struct sb_net {
    sb_net_config_t cfg;
    atomic_uint tcp_clients; /* open connections, all workers together */
    sb_clients_t *clients;   /* open connections per client, all workers together */
    sb_rrl_t *rrl;           /* response rate limiting; NULL: off */
    /* The answer counters workers write, and the previous generation's until
     * sb_net_retire_counts(). The pointers change, and the old set is freed,
     * under `answers_lock`, which a scrape holds while it reads; workers
     * only load `answers`, inside their RCU read-side sections. */
    answer_counts_t *_Atomic answers;
    answer_counts_t *retired;
    uv_mutex_t answers_lock;
    bool answers_lock_ready;
    sb_listen_addr_t *bound;
    worker_t *workers;
    unsigned started;
    const sb_gen_t *_Atomic const *current;
    uint32_t drain_ms;
};

/* ---- addresses ---------------------------------------------------------- */

static int parse_port(const char *text, uint16_t *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || *text == '\0' || *end != '\0' || v > 65535)
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int sb_listen_addr_parse(const char *text, sb_listen_addr_t *out)
{
    char host[64];
    uint16_t port = 53;
    const char *port_text = NULL;
    memset(out, 0, sizeof(*out));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || (size_t)(close - text - 1) >= sizeof(host))
            return -EINVAL;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        if (close[1] == ':')
            port_text = close + 2;
        else if (close[1] != '\0')
            return -EINVAL;
    } else {
        const char *colon = strchr(text, ':');
        size_t n = colon ? (size_t)(colon - text) : strlen(text);
        if (n >= sizeof(host) || (colon && strchr(colon + 1, ':')))
            return -EINVAL;
        memcpy(host, text, n);
        host[n] = '\0';
        if (colon)
            port_text = colon + 1;
    }
    if (port_text != NULL && parse_port(port_text, &port) < 0)
        return -EINVAL;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        out->len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        out->len = sizeof(*v6);
    } else {
        return -EINVAL;
    }
    return 0;
}

void sb_listen_addr_format(const sb_listen_addr_t *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    if (a->addr.ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->addr;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
        snprintf(buf, cap, "%s:%u", host, ntohs(v4->sin_port));
    } else {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->addr;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
        snprintf(buf, cap, "[%s]:%u", host, ntohs(v6->sin6_port));
    }
}

uint16_t sb_listen_addr_port(const sb_listen_addr_t *a)
{
    if (a->addr.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&a->addr)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)&a->addr)->sin6_port);
}

static bool is_wildcard(const sb_listen_addr_t *a)
{
    if (a->addr.ss_family == AF_INET)
        return ((const struct sockaddr_in *)&a->addr)->sin_addr.s_addr == htonl(INADDR_ANY);
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->addr;
    return memcmp(&v6->sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0;
}

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
    if (rc == 0 && type == SOCK_DGRAM && is_wildcard(a))
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

/* ---- counters ----------------------------------------------------------- */

/* Add one to a counter only this thread writes: a relaxed load and store,
 * which compile to plain moves (no locked read-modify-write), and which the
 * metrics thread may read concurrently without a torn value or a data race. */
static inline void bump(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static unsigned rcode_slot(uint16_t rcode)
{
    switch (rcode) {
    case SB_RCODE_NOERROR:
        return RC_NOERROR;
    case SB_RCODE_FORMERR:
        return RC_FORMERR;
    case SB_RCODE_SERVFAIL:
        return RC_SERVFAIL;
    case SB_RCODE_NXDOMAIN:
        return RC_NXDOMAIN;
    case SB_RCODE_NOTIMP:
        return RC_NOTIMP;
    case SB_RCODE_REFUSED:
        return RC_REFUSED;
    case SB_RCODE_YXDOMAIN:
        return RC_YXDOMAIN;
    case SB_RCODE_BADVERS:
        return RC_BADVERS;
    default:
        return RC_OTHER;
    }
}

static unsigned qtype_slot(uint16_t qtype)
{
    for (unsigned i = 0; i < QT_NAMED; i++) {
        if (qtype_slots[i].type == qtype)
            return i;
    }
    return QT_NAMED;
}

/* Count the profile answers of a response from `gen`, in this worker's row.
 * Inside the RCU read-side section that answered: the counters cannot be
 * freed meanwhile. During a reload the counters are for the new generation
 * a moment before it is published; the old one's last answers go uncounted
 * then (its counts are dropped with it anyway). */
static void count_answers(worker_t *w, const sb_gen_t *gen, const sb_answer_info_t *info)
{
    if (info->endpoint_count == 0)
        return;
    answer_counts_t *a = atomic_load_explicit(&w->net->answers, memory_order_acquire);
    if (a == NULL || a->gen != gen)
        return;
    _Atomic uint64_t *row = a->counts + (size_t)w->index * a->stride;
    for (uint8_t i = 0; i < info->endpoint_count; i++)
        bump(&row[info->endpoints[i]->id]);
}

/* Count one received message, answered from `gen` (NULL when it could not
 * be parsed); `sent`: the length of the answer, 0 for none. */
static void count_query(worker_t *w, sb_transport_t t, const sb_gen_t *gen,
                        const sb_answer_info_t *info, size_t sent)
{
    counters_t *c = &w->counters;
    bool dropped = sent == 0 || info->dropped;
    bump(&c->queries[t][dropped ? RC_DROPPED : rcode_slot(info->rcode)]);
    bump(&c->qtypes[qtype_slot(info->qtype)]);
    if (dropped)
        return;
    if (info->truncated)
        bump(&c->truncated[t]);
    count_answers(w, gen, info);
}

/* A message dropped before it could be parsed (too long, empty). */
static const sb_answer_info_t unparsed = {.dropped = true};

/* ---- UDP ---------------------------------------------------------------- */

static const sb_gen_t *current_gen(const worker_t *w)
{
    return atomic_load_explicit(w->net->current, memory_order_acquire);
}

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
static void client_address(const struct sockaddr *sa, sb_client_t *c)
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
        bump(&c->rrl[info->kind][RRL_EXEMPT]);
        return len;
    }
    log_rrl(w, client, info);
    if (v == SB_RRL_SLIP) {
        bump(&c->rrl[info->kind][RRL_SLIPPED]);
        return sb_answer_slip(out, len, info);
    }
    bump(&c->rrl[info->kind][RRL_DROPPED]);
    return 0;
}

/* Answer one received batch; returns the number of replies prepared. */
static int answer_batch(worker_t *w, int received)
{
    const sb_gen_t *gen = current_gen(w);
    size_t cap = w->net->cfg.answer.udp_max;
    int replies = 0;
    sb_client_t client = {.transport = SB_TRANSPORT_UDP, .now = (uint32_t)time(NULL)};
    for (int i = 0; i < received; i++) {
        struct msghdr *rh = &w->rx[i].msg_hdr;
        if (rh->msg_flags & MSG_TRUNC) {
            count_query(w, SB_TRANSPORT_UDP, NULL, &unparsed, 0);
            continue;
        }
        uint8_t *out = w->tx_buf + (size_t)replies * cap;
        sb_answer_info_t info;
        client_address(rh->msg_name, &client);
        size_t len = sb_answer(gen, &w->net->cfg.answer, &client, w->rx_buf[i], w->rx[i].msg_len,
                               out, cap, &info);
        if (len > 0 && w->net->rrl != NULL)
            len = rate_limit(w, &client, out, len, &info);
        count_query(w, SB_TRANSPORT_UDP, gen, &info, len);
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
static void log_local_error(worker_t *w, const char *what, int err)
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

static const char *const response_kinds[SB_RESPONSE_KINDS] = {
    "answer", "wildcard", "dname", "nodata", "nxdomain", "referral", "error",
};

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
           w->index, addr, response_kinds[info->kind], sb_log_quote(q, sizeof(q), name, false));
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
    log_local_error(s->w, "udp socket error", status);
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

/* ---- TCP ---------------------------------------------------------------- */

static void conn_process(conn_t *c);

static void conn_handle_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (--c->open_handles > 0)
        return;
    free(c->in);
    free(c->out);
    free(c);
}

static void maybe_finish_drain(worker_t *w)
{
    if (w->stopping && w->conns == NULL && !uv_is_closing((uv_handle_t *)&w->drain))
        uv_close((uv_handle_t *)&w->drain, NULL);
}

/* ---- the worker's connections, least recently active first -------------- */

static void conns_unlink(worker_t *w, conn_t *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        w->conns_tail = c->prev;
    c->prev = c->next = NULL;
}

static void conns_append(worker_t *w, conn_t *c)
{
    c->prev = w->conns_tail;
    c->next = NULL;
    if (w->conns_tail != NULL)
        w->conns_tail->next = c;
    else
        w->conns = c;
    w->conns_tail = c;
}

/* A query answered: the connection is the most recently active. */
static void conn_touch(conn_t *c)
{
    if (c->w->conns_tail != c) {
        conns_unlink(c->w, c);
        conns_append(c->w, c);
    }
}

static void conn_close(conn_t *c)
{
    if (c->closing)
        return;
    worker_t *w = c->w;
    c->closing = true;
    conns_unlink(w, c);
    if (c->counted_total)
        atomic_fetch_sub_explicit(&w->net->tcp_clients, 1, memory_order_relaxed);
    if (c->counted_client)
        sb_clients_remove(w->net->clients, c->client.addr, c->client.addr_len);
    uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
    maybe_finish_drain(w);
}

static void on_idle(uv_timer_t *t)
{
    conn_close(t->data);
}

/* Room for `need` bytes (at most TCP_MAX_FRAME) in one of a connection's
 * buffers. They grow by doubling and are kept until the connection closes,
 * so a connection allocates a few times in its life, never per query. */
static bool conn_reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return true;
    size_t want = *cap ? *cap : TCP_INITIAL_BUF;
    while (want < need)
        want *= 2;
    want = want < TCP_MAX_FRAME ? want : TCP_MAX_FRAME;
    uint8_t *grown = realloc(*buf, want);
    if (grown == NULL)
        return false;
    *buf = grown;
    *cap = want;
    return true;
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn_t *c = h->data;
    /* Out of memory leaves no room: libuv then reports UV_ENOBUFS, which
     * closes the connection. */
    if (c->in_len == c->in_cap && c->in_cap < TCP_MAX_FRAME)
        (void)conn_reserve(&c->in, &c->in_cap, c->in_len + 1);
    buf->base = (char *)c->in + c->in_len;
    buf->len = c->in_cap - c->in_len;
}

static void on_write(uv_write_t *req, int status)
{
    conn_t *c = req->data;
    c->writing = false;
    if (c->closing)
        return;
    if (status < 0 || c->w->stopping) {
        conn_close(c);
        return;
    }
    conn_process(c);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void conn_resume_reading(conn_t *c)
{
    if (!c->reading && !c->eof && !c->closing) {
        c->reading = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, on_read) == 0;
        if (!c->reading)
            conn_close(c);
    }
}

static void conn_pause_reading(conn_t *c)
{
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* Send one framed response; a partial write continues asynchronously from
 * the connection's own output buffer (the worker's is reused by the next
 * answer), and reading pauses until it completes (back-pressure on a slow
 * reader, who then meets the idle timeout). */
static void conn_send(conn_t *c, const uint8_t *data, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (r == (int)len)
        return;
    if (r < 0 && r != UV_EAGAIN) {
        conn_close(c);
        return;
    }
    size_t done = r < 0 ? 0 : (size_t)r;
    if (!conn_reserve(&c->out, &c->out_cap, len - done)) {
        conn_close(c);
        return;
    }
    memcpy(c->out, data + done, len - done);
    b = uv_buf_init((char *)c->out, (unsigned)(len - done));
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
        conn_close(c);
        return;
    }
    c->writing = true;
    conn_pause_reading(c);
}

/* Answer every complete message in the input buffer, in order. */
static void conn_process(conn_t *c)
{
    worker_t *w = c->w;
    size_t at = 0;
    c->client.now = (uint32_t)time(NULL);
    while (!c->writing && !c->closing && c->in_len - at >= 2) {
        size_t msglen = sb_get16(c->in + at);
        if (msglen == 0) {
            count_query(w, SB_TRANSPORT_TCP, NULL, &unparsed, 0);
            conn_close(c); /* nothing to answer, and no ID to answer with */
            return;
        }
        if (c->in_len - at < 2 + msglen)
            break;
        sb_answer_info_t info;
        urcu_memb_read_lock();
        const sb_gen_t *gen = current_gen(w);
        size_t n = sb_answer(gen, &w->net->cfg.answer, &c->client, c->in + at + 2, msglen,
                             w->tcp_out + 2, SB_DNS_TCP_MAX, &info);
        count_query(w, SB_TRANSPORT_TCP, gen, &info, n);
        urcu_memb_read_unlock();
        at += 2 + msglen;
        uv_timer_again(&c->idle);
        conn_touch(c);
        if (n > 0) {
            sb_put16(w->tcp_out, (uint16_t)n);
            conn_send(c, w->tcp_out, n + 2);
        }
    }
    if (c->closing)
        return;
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
    if (c->eof || w->stopping) {
        if (!c->writing)
            conn_close(c);
        return;
    }
    if (!c->writing)
        conn_resume_reading(c);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    conn_t *c = stream->data;
    if (nread < 0) {
        c->eof = true;
        conn_pause_reading(c);
        if (!c->writing)
            conn_close(c);
        return;
    }
    c->in_len += (size_t)nread;
    conn_process(c);
}

static void on_connection(uv_stream_t *server, int status);

/* The reject handle is free again: hand it the connection a listener kept
 * waiting, deciding afresh (a slot may have opened meanwhile). Its close
 * callback serves the next waiting listener, until none is left. */
static void on_reject_closed(uv_handle_t *h)
{
    worker_t *w = h->data;
    size_t n = w->net->cfg.addr_count;
    w->reject_busy = false;
    for (size_t k = 0; k < n && !w->stopping; k++) {
        /* Round robin, so that a flood on one address cannot starve another. */
        tcp_listener_t *l = &w->tcp[(w->reject_turn + k) % n];
        if (l->waiting) {
            w->reject_turn = (w->reject_turn + k + 1) % n;
            l->waiting = false;
            on_connection((uv_stream_t *)&l->tcp, 0);
            return;
        }
    }
}

/* Take the pending connection off the listener and close it. libuv stops
 * watching a listener until its pending connection is accepted, so one
 * that arrives while the reject handle is still closing waits for it
 * (on_reject_closed) rather than being left pending for good. */
static void reject(worker_t *w, tcp_listener_t *l)
{
    if (w->reject_busy) {
        l->waiting = true;
        return;
    }
    uv_tcp_init(&w->loop, &w->reject);
    w->reject.data = w;
    w->reject_busy = true;
    if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&w->reject) == 0)
        bump(&w->counters.tcp_rejected);
    uv_close((uv_handle_t *)&w->reject, on_reject_closed);
}

/* The connection's client and the server have room for it: the client is
 * under --tcp-per-client, and the server under --tcp-clients, or has a
 * connection of this worker's to close for it: the one idle longest (RFC
 * 7766 §6.2.3 lets a server close connections to manage its resources). A
 * full table so takes in new clients instead of refusing them until the
 * idle timeout. False after closing `c`. */
static bool admit(worker_t *w, conn_t *c)
{
    sb_net_t *net = w->net;
    sb_client_t *who = &c->client;
    if (who->addr_len > 0 && !sb_clients_add(net->clients, who->addr, who->addr_len)) {
        bump(&w->counters.tcp_rejected_per_client);
        conn_close(c);
        return false;
    }
    c->counted_client = who->addr_len > 0;
    c->counted_total = true;
    unsigned open = atomic_fetch_add_explicit(&net->tcp_clients, 1, memory_order_relaxed) + 1;
    if (open <= net->cfg.tcp_max_clients)
        return true;
    conn_t *idlest = w->conns; /* `c` is the last: the head is another */
    if (idlest == c) {
        bump(&w->counters.tcp_rejected);
        conn_close(c);
        return false;
    }
    bump(&w->counters.tcp_evicted);
    conn_close(idlest);
    return true;
}

static conn_t *conn_new(worker_t *w)
{
    conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->w = w;
    c->tcp.data = c;
    c->idle.data = c;
    uv_tcp_init(&w->loop, &c->tcp);
    uv_timer_init(&w->loop, &c->idle);
    c->open_handles = 2;
    c->client.transport = SB_TRANSPORT_TCP;
    conns_append(w, c);
    return c;
}

static void on_connection(uv_stream_t *server, int status)
{
    tcp_listener_t *l = server->data;
    worker_t *w = l->w;
    if (status < 0) {
        log_local_error(w, "tcp accept", status);
        return;
    }
    conn_t *c = w->stopping ? NULL : conn_new(w);
    if (c == NULL) {
        reject(w, l);
        return;
    }
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    struct sockaddr_storage peer;
    int peer_len = sizeof(peer);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &peer_len) == 0)
        client_address((struct sockaddr *)&peer, &c->client);
    if (!admit(w, c))
        return;
    bump(&w->counters.tcp_accepted);
    uv_tcp_nodelay(&c->tcp, 1);
    uv_timer_start(&c->idle, on_idle, w->net->cfg.tcp_idle_ms, w->net->cfg.tcp_idle_ms);
    conn_resume_reading(c);
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
    while (w->conns != NULL)
        conn_close(w->conns);
    maybe_finish_drain(w);
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
    for (conn_t *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        if (!c->writing)
            conn_close(c);
    }
    maybe_finish_drain(w);
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
        s->wildcard = is_wildcard(&net->bound[i]);
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
        if ((rc = uv_listen((uv_stream_t *)&l->tcp, TCP_BACKLOG, on_connection)) < 0)
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

/* ---- answer counters ---------------------------------------------------- */

int sb_net_count_answers(sb_net_t *net, const sb_gen_t *gen)
{
    size_t lines = (sb_gen_endpoint_count(gen) + COUNTS_PER_LINE - 1) / COUNTS_PER_LINE;
    size_t stride = lines * COUNTS_PER_LINE;
    size_t size = sizeof(answer_counts_t) + net->cfg.threads * stride * sizeof(uint64_t);
    answer_counts_t *a = aligned_alloc(64, (size + 63) / 64 * 64);
    if (a == NULL)
        return -ENOMEM;
    memset(a, 0, size);
    a->gen = gen;
    a->stride = stride;
    uv_mutex_lock(&net->answers_lock);
    int rc = 0;
    if (net->retired != NULL) /* the ones before still wait to be retired */
        rc = -EBUSY;
    else
        net->retired = atomic_exchange_explicit(&net->answers, a, memory_order_acq_rel);
    uv_mutex_unlock(&net->answers_lock);
    if (rc < 0)
        free(a);
    return rc;
}

void sb_net_retire_counts(sb_net_t *net)
{
    uv_mutex_lock(&net->answers_lock);
    free(net->retired);
    net->retired = NULL;
    uv_mutex_unlock(&net->answers_lock);
}

/* switchboard_answers_total: the current counters, every worker's row added
 * up, per endpoint of the generation they count. */
static void answers_metrics(struct sb_metrics_buf *out, sb_net_t *net)
{
    sb_metrics_family(out, "switchboard_answers_total", SB_METRICS_COUNTER,
                      "DNS answers given with the endpoint (since the configuration was loaded)");
    uv_mutex_lock(&net->answers_lock);
    const answer_counts_t *a = atomic_load_explicit(&net->answers, memory_order_acquire);
    for (size_t i = 0; a != NULL && i < sb_gen_profile_count(a->gen); i++) {
        const sb_profile_t *p = sb_gen_profile(a->gen, i);
        for (uint16_t k = 0; k < p->count; k++) {
            uint64_t sum = 0;
            for (unsigned t = 0; t < net->cfg.threads; t++)
                sum += atomic_load_explicit(&a->counts[t * a->stride + p->endpoints[k].id],
                                            memory_order_relaxed);
            sb_metrics_sample(out, "switchboard_answers_total", "profile=%s,endpoint=%s",
                              (double)sum, p->owner_text, p->endpoints[k].name);
        }
    }
    uv_mutex_unlock(&net->answers_lock);
}

/* ---- metrics ------------------------------------------------------------ */

static const char *const tcp_results[TCP_RESULTS] = {"accepted", "rejected", "rejected_per_client",
                                                     "evicted"};

static const char *const rrl_actions[RRL_ACTIONS] = {"dropped", "slipped", "exempt"};

/* switchboard_rrl_responses_total: every worker's counts added up. */
static void rrl_metrics(struct sb_metrics_buf *out, const sb_net_t *net)
{
    sb_metrics_family(out, "switchboard_rrl_responses_total", SB_METRICS_COUNTER,
                      "UDP responses over their rate (response rate limiting), by kind and what "
                      "became of them: dropped, slipped (sent truncated), exempt (sent: the "
                      "client is in --rrl-exempt).");
    for (int k = 0; k < SB_RESPONSE_KINDS; k++) {
        for (int a = 0; a < RRL_ACTIONS; a++) {
            uint64_t sum = 0;
            for (unsigned t = 0; t < net->cfg.threads; t++)
                sum +=
                    atomic_load_explicit(&net->workers[t].counters.rrl[k][a], memory_order_relaxed);
            sb_metrics_sample(out, "switchboard_rrl_responses_total", "kind=%s,action=%s",
                              (double)sum, response_kinds[k], rrl_actions[a]);
        }
    }
}

static void tcp_metrics(struct sb_metrics_buf *out, const sb_net_t *net,
                        const uint64_t tcp[TCP_RESULTS])
{
    sb_metrics_family(out, "switchboard_tcp_connections_total", SB_METRICS_COUNTER,
                      "TCP connections by what became of them on arrival: accepted; rejected "
                      "(full with nothing to close, or stopping); rejected_per_client (over "
                      "--tcp-per-client); evicted (an idle one closed to make room).");
    for (int i = 0; i < TCP_RESULTS; i++)
        sb_metrics_sample(out, "switchboard_tcp_connections_total", "result=%s", (double)tcp[i],
                          tcp_results[i]);
    sb_metrics_family(out, "switchboard_tcp_connections_open", SB_METRICS_GAUGE,
                      "TCP connections open now, all workers together.");
    sb_metrics_sample(out, "switchboard_tcp_connections_open", NULL,
                      (double)atomic_load_explicit(&net->tcp_clients, memory_order_relaxed));
}

static uint64_t load(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Every worker's counters added up, read with relaxed loads. */
static void sum_counters(const sb_net_t *net, uint64_t queries[2][RC_SLOTS],
                         uint64_t qtypes[QT_SLOTS], uint64_t truncated[2],
                         uint64_t tcp[TCP_RESULTS])
{
    for (unsigned t = 0; t < net->cfg.threads; t++) {
        const counters_t *c = &net->workers[t].counters;
        for (int tr = 0; tr < 2; tr++) {
            for (int r = 0; r < RC_SLOTS; r++)
                queries[tr][r] += load(&c->queries[tr][r]);
            truncated[tr] += load(&c->truncated[tr]);
        }
        for (size_t q = 0; q < QT_SLOTS; q++)
            qtypes[q] += load(&c->qtypes[q]);
        tcp[0] += load(&c->tcp_accepted);
        tcp[1] += load(&c->tcp_rejected);
        tcp[2] += load(&c->tcp_rejected_per_client);
        tcp[3] += load(&c->tcp_evicted);
    }
}

void sb_net_metrics(struct sb_metrics_buf *out, void *arg)
{
    static const char *const transports[2] = {"udp", "tcp"};
    uint64_t queries[2][RC_SLOTS] = {{0}}, qtypes[QT_SLOTS] = {0}, truncated[2] = {0};
    uint64_t tcp[TCP_RESULTS] = {0};
    sum_counters(arg, queries, qtypes, truncated, tcp);
    sb_metrics_family(out, "switchboard_dns_queries_total", SB_METRICS_COUNTER,
                      "DNS messages received, by transport and the response code sent "
                      "(dropped: none sent).");
    for (int tr = 0; tr < 2; tr++) {
        for (int r = 0; r < RC_SLOTS; r++)
            sb_metrics_sample(out, "switchboard_dns_queries_total", "transport=%s,rcode=%s",
                              (double)queries[tr][r], transports[tr], rcode_names[r]);
    }
    sb_metrics_family(out, "switchboard_dns_queries_by_type_total", SB_METRICS_COUNTER,
                      "DNS messages received, by query type.");
    for (size_t q = 0; q < QT_SLOTS; q++)
        sb_metrics_sample(out, "switchboard_dns_queries_by_type_total", "qtype=%s",
                          (double)qtypes[q], q < QT_NAMED ? qtype_slots[q].name : "other");
    sb_metrics_family(out, "switchboard_dns_truncated_total", SB_METRICS_COUNTER,
                      "Responses sent with TC set (the answer did not fit).");
    for (int tr = 0; tr < 2; tr++)
        sb_metrics_sample(out, "switchboard_dns_truncated_total", "transport=%s",
                          (double)truncated[tr], transports[tr]);
    tcp_metrics(out, arg, tcp);
    rrl_metrics(out, arg);
    answers_metrics(out, arg);
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
