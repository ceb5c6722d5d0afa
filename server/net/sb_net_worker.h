/*
 * sb_net_worker — what the modules of net/ share and no other module sees:
 * a DNS worker, its sockets and TCP connections, its counters, the
 * listeners' common state (struct sb_net), and the helpers every transport
 * needs (counting, the client's address, rate-limited error lines).
 *
 * Thread: everything that takes a worker_t runs on that worker's thread;
 * the metrics read the counters from another, with relaxed loads.
 */
#ifndef SB_NET_WORKER_H
#define SB_NET_WORKER_H

#include "sb_answer.h"
#include "sb_clients.h"
#include "sb_dns.h"
#include "sb_gen.h"
#include "sb_net_config.h"
#include "sb_rrl.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
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

#define QT_NAMED    17             /* the QTYPEs counted by name (sb_net_counters.c) */
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
    /* What rx[] is set up for: 0 nothing yet, 1 a socket without control
     * data, 2 a wildcard socket (sb_net_udp.c). */
    uint8_t rx_prepared;
    uint8_t *tx_buf; /* UDP_BATCH responses of cfg.answer.udp_max bytes */
    uint8_t tcp_out[TCP_MAX_FRAME];
} worker_t;

typedef struct sb_net sb_net_t;

struct sb_net {
    sb_net_config_t cfg;
    atomic_uint tcp_clients; /* open connections, all workers together */
    sb_clients_t *clients;   /* open connections per client, all workers together */
    sb_rrl_t *rrl;           /* response rate limiting; NULL: off */
    /* The answer counters workers write, and the previous generation's until
     * sb_net_counters_retire(). The pointers change, and the old set is freed,
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

/* Add one to a counter only this thread writes: a relaxed load and store,
 * which compile to plain moves (no locked read-modify-write), and which the
 * metrics thread may read concurrently without a torn value or a data race. */
static inline void sb_net_worker_bump(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* The generation to answer from (inside an RCU read-side section). */
static inline const sb_gen_t *sb_net_worker_gen(const worker_t *w)
{
    return atomic_load_explicit(w->net->current, memory_order_acquire);
}

/* The client's address as DNS Cookies hash it: 4 bytes for IPv4, also when
 * it reached an IPv6 socket as a mapped address; 16 for IPv6. */
void sb_net_worker_client_address(const struct sockaddr *sa, sb_client_t *c);

/* Errors of this host on the answering path, at most one line a minute per
 * worker: a flood of them must not turn into a flood of log writes. */
void sb_net_worker_log_error(worker_t *w, const char *what, int err);

/* A stopping worker closes its drain timer once its last connection went. */
void sb_net_worker_maybe_finish_drain(worker_t *w);

#endif
