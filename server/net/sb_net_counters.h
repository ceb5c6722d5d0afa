/*
 * sb_net_counters — what the DNS workers count, and the metrics made of it.
 *
 * Each worker counts in its own counters, written only by that worker with
 * relaxed atomic stores; the metrics thread reads them with relaxed loads.
 * The query path neither locks nor allocates for it.
 */
#ifndef SB_NET_COUNTERS_H
#define SB_NET_COUNTERS_H

#include "sb_answer.h"
#include "sb_gen.h"
#include "sb_metrics.h"

#include <stddef.h>

typedef struct sb_net sb_net_t;
struct worker;

/* Count answers per endpoint of `gen` (and per fallback target) from now
 * on, in fresh counters at 0: a row per worker, so that no two workers
 * write the same cache line. Call
 * just before storing `gen` in *current (at start, before sb_net_start());
 * workers count only answers from the generation the counters are for.
 * Then, once urcu_memb_synchronize_rcu() has returned (no worker still
 * counts in the previous counters), call sb_net_counters_retire() to free
 * them, and only then free the previous generation. Returns 0, -ENOMEM, or
 * -EBUSY when the counters before were not retired yet; the previous
 * counters stay in use on failure.
 * Thread: the controlling thread. */
int sb_net_counters_track(sb_net_t *net, const sb_gen_t *gen);
void sb_net_counters_retire(sb_net_t *net);

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
 *       endpoint of the generation being served (sb_net_counters_track)
 *   switchboard_fallback_answers_total{profile}      answers given with the
 *       fallback target of each profile that has one
 * A query is counted before its answer is sent. A sb_metrics_source_fn:
 * `net` is the sb_net_t, which must outlive the metrics listener.
 * Thread: any (the metrics thread), between sb_net_bind() and sb_net_stop(). */
void sb_net_counters_metrics(sb_metrics_buf_t *out, void *net);

/* ---- for the workers (net/ only) ----------------------------------------- */

/* The name of each response kind, for metrics and logs. */
extern const char *const sb_net_counters_kinds[SB_RESPONSE_KINDS];

/* A message dropped before it could be parsed (too long, empty). */
extern const sb_answer_info_t sb_net_counters_unparsed;

/* Count one received message, answered from `gen` (NULL when it could not
 * be parsed); `sent`: the length of the answer, 0 for none. On the worker's
 * thread. */
void sb_net_counters_query(struct worker *w, sb_transport_t t, const sb_gen_t *gen,
                           const sb_answer_info_t *info, size_t sent);

#endif
