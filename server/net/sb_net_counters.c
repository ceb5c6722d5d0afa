#include "sb_net_counters.h"

#include "sb_dns.h"
#include "sb_net_worker.h"

#include <stdlib.h>
#include <string.h>

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

_Static_assert(sizeof(qtype_slots) / sizeof(qtype_slots[0]) == QT_NAMED,
               "QT_NAMED is the number of QTYPEs counted by name");

const char *const sb_net_counters_kinds[SB_RESPONSE_KINDS] = {
    "answer", "wildcard", "dname", "nodata", "nxdomain", "referral", "error",
};

/* ---- counters ----------------------------------------------------------- */

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
        sb_net_worker_bump(&row[info->endpoints[i]->id]);
}

/* Count one received message, answered from `gen` (NULL when it could not
 * be parsed); `sent`: the length of the answer, 0 for none. */
void sb_net_counters_query(worker_t *w, sb_transport_t t, const sb_gen_t *gen,
                           const sb_answer_info_t *info, size_t sent)
{
    counters_t *c = &w->counters;
    bool dropped = sent == 0 || info->dropped;
    sb_net_worker_bump(&c->queries[t][dropped ? RC_DROPPED : rcode_slot(info->rcode)]);
    sb_net_worker_bump(&c->qtypes[qtype_slot(info->qtype)]);
    if (dropped)
        return;
    if (info->truncated)
        sb_net_worker_bump(&c->truncated[t]);
    count_answers(w, gen, info);
}

/* A message dropped before it could be parsed (too long, empty). */
const sb_answer_info_t sb_net_counters_unparsed = {.dropped = true};

/* ---- answer counters ---------------------------------------------------- */

int sb_net_counters_track(sb_net_t *net, const sb_gen_t *gen)
{
    size_t slots = sb_gen_endpoint_count(gen) + sb_gen_fallback_count(gen);
    size_t lines = (slots + COUNTS_PER_LINE - 1) / COUNTS_PER_LINE;
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

void sb_net_counters_retire(sb_net_t *net)
{
    uv_mutex_lock(&net->answers_lock);
    free(net->retired);
    net->retired = NULL;
    uv_mutex_unlock(&net->answers_lock);
}

/* One counter of `a`: every worker's row added up. */
static uint64_t answer_sum(const sb_net_t *net, const answer_counts_t *a, uint32_t id)
{
    uint64_t sum = 0;
    for (unsigned t = 0; t < net->cfg.threads; t++)
        sum += atomic_load_explicit(&a->counts[t * a->stride + id], memory_order_relaxed);
    return sum;
}

/* The fallback target of `p` (either family's: they share an id), or NULL. */
static const sb_endpoint_t *fallback_of(const sb_profile_t *p)
{
    return p->fallback[0] != NULL ? p->fallback[0] : p->fallback[1];
}

/* switchboard_answers_total and switchboard_fallback_answers_total: the
 * current counters, per endpoint of the generation they count, and per
 * profile with a fallback target. The fallback is a family of its own
 * rather than an endpoint="fallback" label: an endpoint may be named
 * "fallback", and no other per-endpoint family lists fallbacks. */
static void answers_metrics(sb_metrics_buf_t *out, sb_net_t *net)
{
    sb_metrics_family(out, "switchboard_answers_total", SB_METRICS_COUNTER,
                      "DNS answers given with the endpoint (since the configuration was loaded)");
    uv_mutex_lock(&net->answers_lock);
    const answer_counts_t *a = atomic_load_explicit(&net->answers, memory_order_acquire);
    size_t profiles = a != NULL ? sb_gen_profile_count(a->gen) : 0;
    for (size_t i = 0; i < profiles; i++) {
        const sb_profile_t *p = sb_gen_profile(a->gen, i);
        for (uint16_t k = 0; k < p->count; k++)
            sb_metrics_sample(out, "switchboard_answers_total", "profile=%s,endpoint=%s",
                              (double)answer_sum(net, a, p->endpoints[k].id), p->owner_text,
                              p->endpoints[k].name);
    }
    sb_metrics_family(out, "switchboard_fallback_answers_total", SB_METRICS_COUNTER,
                      "DNS answers given with the profile's fallback target, every endpoint "
                      "being down (since the configuration was loaded)");
    for (size_t i = 0; i < profiles; i++) {
        const sb_profile_t *p = sb_gen_profile(a->gen, i);
        const sb_endpoint_t *f = fallback_of(p);
        if (f != NULL)
            sb_metrics_sample(out, "switchboard_fallback_answers_total", "profile=%s",
                              (double)answer_sum(net, a, f->id), p->owner_text);
    }
    uv_mutex_unlock(&net->answers_lock);
}

/* ---- metrics ------------------------------------------------------------ */

static const char *const tcp_results[TCP_RESULTS] = {"accepted", "rejected", "rejected_per_client",
                                                     "evicted"};

static const char *const rrl_actions[RRL_ACTIONS] = {"dropped", "slipped", "exempt"};

/* switchboard_rrl_responses_total: every worker's counts added up. */
static void rrl_metrics(sb_metrics_buf_t *out, const sb_net_t *net)
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
                              (double)sum, sb_net_counters_kinds[k], rrl_actions[a]);
        }
    }
}

static void tcp_metrics(sb_metrics_buf_t *out, const sb_net_t *net, const uint64_t tcp[TCP_RESULTS])
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

void sb_net_counters_metrics(sb_metrics_buf_t *out, void *arg)
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
