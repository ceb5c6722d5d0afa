/*
 * sb_net — the DNS listeners: UDP and TCP on every listen address, served by
 * a pool of worker threads, each with its own libuv loop.
 *
 * Every worker has its own UDP socket and TCP listener per address, bound
 * with SO_REUSEPORT so that the kernel spreads queries and connections over
 * the workers without any shared state. UDP is read and written in batches
 * (recvmmsg/sendmmsg); a socket bound to a wildcard address answers from the
 * address each query was sent to (IP_PKTINFO), so that multi-homed hosts
 * work. UDP responses are rate limited (sb_rrl) before they go out; TCP
 * ones never are. TCP follows RFC 7766: two-byte length framing, several queries per
 * connection answered in order, an idle timeout, a cap on connections from
 * one client, and a cap on all of them: when it is reached, the worker
 * taking a new connection closes its own connection idle longest (§6.2.3),
 * so that clients holding idle connections cannot lock others out.
 *
 * Lifecycle: sb_net_bind() creates and binds every socket (so a port
 * conflict is reported before anything else starts; packets that arrive
 * meanwhile wait in the kernel), sb_net_start() starts the workers, and
 * sb_net_stop() stops accepting, lets in-flight TCP answers finish (for at
 * most `drain_ms`), joins the workers and frees everything.
 *
 * The generation to answer from is read from `*current` with one atomic
 * load, inside an RCU read-side section (liburcu, memb flavour: a
 * thread-local counter, no lock, no system call): after storing a new
 * generation, the caller waits with urcu_memb_synchronize_rcu() and may
 * then free the old one, which no worker can still be using.
 *
 * Thread: sb_net_* are called from one controlling thread. Workers touch only
 * their own state.
 */
#ifndef SB_NET_H
#define SB_NET_H

#include "sb_answer.h"
#include "sb_gen.h"
#include "sb_listen_addr.h"
#include "sb_rrl.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
    const sb_listen_addr_t *addrs;
    size_t addr_count;
    unsigned threads;         /* worker threads, at least 1 */
    uint32_t tcp_idle_ms;     /* close a TCP connection idle this long */
    unsigned tcp_max_clients; /* all workers together; past it, a worker closes its
                                 connection idle longest to take a new one */
    unsigned tcp_per_client;  /* from one client (IPv4 address, IPv6 /64; sb_clients) */
    sb_rrl_config_t rrl;      /* UDP response rate limiting; every rate 0: off */
    sb_answer_config_t answer;
} sb_net_config_t;

typedef struct sb_net sb_net_t;

/* Create and bind every socket. On failure writes a message into `err` and
 * returns a negative errno (-EADDRINUSE: another process holds the port). */
int sb_net_bind(sb_net_t **out, const sb_net_config_t *cfg, char *err, size_t errlen);

/* The address actually bound for listen address `i` (port 0 resolved). */
const sb_listen_addr_t *sb_net_bound(const sb_net_t *net, size_t i);

/* Start answering. `current` must stay valid until sb_net_stop() returns. */
int sb_net_start(sb_net_t *net, const sb_gen_t *_Atomic const *current);

/* Count answers per endpoint of `gen` from now on, in fresh counters at 0:
 * a row per worker, so that no two workers write the same cache line. Call
 * just before storing `gen` in *current (at start, before sb_net_start());
 * workers count only answers from the generation the counters are for.
 * Then, once urcu_memb_synchronize_rcu() has returned (no worker still
 * counts in the previous counters), call sb_net_retire_counts() to free
 * them, and only then free the previous generation. Returns 0, -ENOMEM, or
 * -EBUSY when the counters before were not retired yet; the previous
 * counters stay in use on failure.
 * Thread: the controlling thread. */
int sb_net_count_answers(sb_net_t *net, const sb_gen_t *gen);
void sb_net_retire_counts(sb_net_t *net);

/* Counters, for Prometheus (sb_metrics). Each worker counts in its own
 * counters, written only by that worker with relaxed atomic stores (no lock,
 * no locked instruction on the query path); this reads them with relaxed
 * loads and writes the sums:
 *   switchboard_dns_queries_total{transport,rcode}   every message received;
 *       rcode="dropped" for those not answered (no header, QR set, too long)
 *   switchboard_dns_queries_by_type_total{qtype}     the same messages by
 *       QTYPE (no question: "other"), so both families have the same sum
 *   switchboard_dns_truncated_total{transport}       answers sent with TC
 *   switchboard_tcp_connections_total{result}        accepted, rejected,
 *       rejected_per_client, evicted
 *   switchboard_tcp_connections_open                 open now
 *   switchboard_rrl_responses_total{kind,action}     UDP responses over their
 *       rate (sb_rrl): dropped, slipped or exempt; a dropped one is counted
 *       as rcode="dropped" in switchboard_dns_queries_total, a slipped one
 *       as truncated
 *   switchboard_answers_total{profile,endpoint}      answers given with each
 *       endpoint of the generation being served (sb_net_count_answers)
 * A query is counted before its answer is sent. A sb_metrics_source_fn:
 * `net` is the sb_net_t, which must outlive the metrics listener.
 * Thread: any (the metrics thread), between sb_net_bind() and sb_net_stop(). */
struct sb_metrics_buf;
void sb_net_metrics(struct sb_metrics_buf *out, void *net);

/* Stop and free. Safe on a net that was bound but never started. */
void sb_net_stop(sb_net_t *net, uint32_t drain_ms);

#endif
