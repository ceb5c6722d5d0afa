#include "sb_probe_metrics.h"

#include "sb_monitor.h"
#include "sb_peers.h"
#include "sb_publish.h"

/* Whether the endpoint's state comes from probes (its own, or, nested,
 * its profile's): the others are up by configuration and have no probe
 * series at all. */
static bool probed(const sb_ep_state_t *es)
{
    return es->ep->child != NULL || es->ep->monitor->proto != SB_MONITOR_NONE;
}

/* switchboard_endpoint_up: every probed endpoint (a nested one is up while
 * enough of its profile is). */
static void up_metrics(sb_metrics_buf_t *out, const sb_probe_states_t *st)
{
    sb_metrics_family(out, "switchboard_endpoint_up", SB_METRICS_GAUGE,
                      "1 when the endpoint is up by its probes (probed endpoints only)");
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_ep_state_t *es = &st->eps[i];
        if (!probed(es))
            continue;
        bool up = es->ep->child != NULL ? sb_publish_nested_usable(es->ep, NULL)
                                        : es->health.state == SB_HEALTH_UP;
        sb_metrics_sample(out, "switchboard_endpoint_up", "profile=%s,endpoint=%s", up ? 1.0 : 0.0,
                          es->ps->profile->owner_text, es->ep->name);
    }
}

/* Per endpoint, only what has happened: state changes once there was one,
 * failures by class once there was one of that class. A healthy endpoint
 * writes none of these lines; at tens of thousands of endpoints a line per
 * endpoint per counter saying 0 was most of a scrape. */
static void endpoint_counters(sb_metrics_buf_t *out, const sb_probe_states_t *st)
{
    sb_metrics_family(out, "switchboard_endpoint_state_changes_total", SB_METRICS_COUNTER,
                      "changes of the endpoint's state (up, down) after its first result; "
                      "absent until the first");
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_ep_state_t *es = &st->eps[i];
        const sb_probe_stats_t *stats = sb_ep_stats(es);
        if (stats != NULL && stats->changes > 0)
            sb_metrics_sample(out, "switchboard_endpoint_state_changes_total",
                              "profile=%s,endpoint=%s", (double)stats->changes,
                              es->ps->profile->owner_text, es->ep->name);
    }
    sb_metrics_family(out, "switchboard_endpoint_probe_failures_total", SB_METRICS_COUNTER,
                      "failed probes of the endpoint by class of reason (timeout, connect, tls, "
                      "response, resolve, local); a class is absent until it happens");
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_ep_state_t *es = &st->eps[i];
        const sb_probe_stats_t *stats = sb_ep_stats(es);
        uint64_t n[SB_REASON_CLASS_COUNT] = {0};
        for (int r = 1; stats != NULL && r < SB_REASON_COUNT; r++)
            n[sb_reason_class((sb_reason_t)r)] += stats->results[r];
        for (int c = 1; c < SB_REASON_CLASS_COUNT; c++)
            if (n[c] > 0)
                sb_metrics_sample(out, "switchboard_endpoint_probe_failures_total",
                                  "profile=%s,endpoint=%s,class=%s", (double)n[c],
                                  es->ps->profile->owner_text, es->ep->name,
                                  sb_reason_class_key((sb_reason_class_t)c));
    }
}

/* switchboard_probe_results_total{profile,reason}: every reason, summed
 * over the profile's endpoints, once it has happened. */
static void profile_results(sb_metrics_buf_t *out, const sb_probe_states_t *st)
{
    sb_metrics_family(out, "switchboard_probe_results_total", SB_METRICS_COUNTER,
                      "probe results of the profile's endpoints by reason; a reason is absent "
                      "until it happens");
    for (size_t i = 0; i < st->profile_count; i++) {
        const sb_profile_state_t *ps = &st->profiles[i];
        uint64_t n[SB_REASON_COUNT] = {0};
        for (uint16_t k = 0; k < ps->profile->count; k++) {
            const sb_probe_stats_t *stats = sb_ep_stats(&ps->eps[k]);
            for (int r = 0; stats != NULL && r < SB_REASON_COUNT; r++)
                n[r] += stats->results[r];
        }
        for (int r = 0; r < SB_REASON_COUNT; r++)
            if (n[r] > 0)
                sb_metrics_sample(out, "switchboard_probe_results_total", "profile=%s,reason=%s",
                                  (double)n[r], ps->profile->owner_text,
                                  sb_reason_key((sb_reason_t)r));
    }
}

/* switchboard_probe_duration_seconds, by probe type (every endpoint's
 * added up), by profile, or by endpoint as `detail` asks; only where
 * something is probed. */
static void latency_metrics(sb_metrics_buf_t *out, const sb_probe_states_t *st,
                            sb_latency_detail_t detail)
{
    static const char base[] = "switchboard_probe_duration_seconds";
    sb_metrics_family(out, base, SB_METRICS_HISTOGRAM, "probe latency");
    sb_histogram_t by_type[SB_MONITOR_TCP + 1] = {0};
    bool seen[SB_MONITOR_TCP + 1] = {false};
    for (size_t i = 0; i < st->profile_count; i++) {
        const sb_profile_state_t *ps = &st->profiles[i];
        sb_histogram_t sum = {0};
        bool any = false;
        for (uint16_t k = 0; k < ps->profile->count; k++) {
            const sb_ep_state_t *es = &ps->eps[k];
            sb_monitor_proto_t proto = es->ep->monitor->proto;
            if (es->probe == NULL || proto == SB_MONITOR_NONE || proto > SB_MONITOR_TCP)
                continue;
            any = seen[proto] = true;
            if (detail == SB_LATENCY_BY_ENDPOINT)
                sb_histogram_write(out, base, &es->probe->stats.latency, &sb_histogram_latency,
                                   ps->profile->owner_text, es->ep->name);
            sb_histogram_merge(detail == SB_LATENCY_BY_PROFILE ? &sum : &by_type[proto],
                               &es->probe->stats.latency);
        }
        if (any && detail == SB_LATENCY_BY_PROFILE)
            sb_histogram_write_one(out, base, &sum, &sb_histogram_latency, true,
                                   ps->profile->owner_text);
    }
    for (int t = 1; detail == SB_LATENCY_BY_TYPE && t <= SB_MONITOR_TCP; t++)
        if (seen[t])
            sb_histogram_write_one(out, base, &by_type[t], &sb_histogram_latency, false,
                                   sb_monitor_proto_name((sb_monitor_proto_t)t));
}

/* switchboard_profile_answering: 1 for each endpoint a profile may answer
 * with now, in its own address family (name endpoints answer for any);
 * absent for the others, which at tens of thousands of endpoints would be
 * a line each saying 0 (a series that goes is marked stale at the next
 * scrape). */
static void answering_metrics(sb_metrics_buf_t *out, const sb_probe_states_t *st)
{
    sb_metrics_family(out, "switchboard_profile_answering", SB_METRICS_GAUGE,
                      "1 for the endpoints each profile answers with now (any client), per "
                      "address family; absent for its other endpoints");
    for (size_t i = 0; i < st->profile_count; i++) {
        const sb_profile_t *prof = st->profiles[i].profile;
        const sb_route_decision_t *d = sb_route_published(prof);
        for (uint16_t k = 0; k < prof->count; k++) {
            const sb_endpoint_t *ep = &prof->endpoints[k];
            if (!sb_route_may_answer(prof, d, k))
                continue;
            bool v6 = ep->kind == SB_TARGET_V6;
            const char *family = v6 ? "ipv6" : ep->kind == SB_TARGET_V4 ? "ipv4" : "any";
            sb_metrics_sample(out, "switchboard_profile_answering",
                              "profile=%s,address_family=%s,endpoint=%s", 1.0, prof->owner_text,
                              family, ep->name);
        }
    }
}

/* ---- overrides -------------------------------------------------------------- */

/* The kinds of override in force, as switchboard_overrides labels them. */
enum { KIND_DRAIN, KIND_FORCE_UP, KIND_FORCE_DOWN, KIND_SWITCHOVER, KINDS };
static const char *const kind_names[KINDS] = {"drain", "force_up", "force_down", "switchover"};

/* switchboard_overrides{kind}: how many of each kind are in force, every
 * kind written (0 when none), so that `switchboard_overrides > 0` alerts on
 * any of them. */
static void override_totals(sb_metrics_buf_t *out, const sb_probe_states_t *st)
{
    size_t n[KINDS] = {0};
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_ep_state_t *es = &st->eps[i];
        n[KIND_DRAIN] += es->drained;
        n[KIND_FORCE_UP] += es->forced > 0;
        n[KIND_FORCE_DOWN] += es->forced < 0;
    }
    for (size_t i = 0; i < st->profile_count; i++)
        n[KIND_SWITCHOVER] += st->profiles[i].switchover != SB_PICK_NONE;
    sb_metrics_family(out, "switchboard_overrides", SB_METRICS_GAUGE,
                      "Operator overrides in force now, by kind: drained endpoints, endpoints "
                      "forced up or down, profiles switched over");
    for (int k = 0; k < KINDS; k++)
        sb_metrics_sample(out, "switchboard_overrides", "kind=%s", (double)n[k], kind_names[k]);
}

/* Which endpoint each override is on. Unlike the other per-endpoint
 * families, a sample is written only while its override is in force (value
 * 1) and vanishes when it is undone: overrides are few, endpoints may be
 * tens of thousands, and a line per endpoint per family would be written
 * at every scrape to say 0. switchboard_overrides is always there to alert
 * on. */
static void override_details(sb_metrics_buf_t *out, const sb_probe_states_t *st)
{
    sb_metrics_family(out, "switchboard_endpoint_drained", SB_METRICS_GAUGE,
                      "1 for each endpoint drained by an operator (ctl drain); absent otherwise");
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_ep_state_t *es = &st->eps[i];
        if (es->drained)
            sb_metrics_sample(out, "switchboard_endpoint_drained", "profile=%s,endpoint=%s", 1.0,
                              es->ps->profile->owner_text, es->ep->name);
    }
    sb_metrics_family(out, "switchboard_endpoint_forced", SB_METRICS_GAUGE,
                      "1 for each endpoint forced up or down by an operator (ctl force), the "
                      "state forced in `state`; absent otherwise");
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_ep_state_t *es = &st->eps[i];
        if (es->forced != 0)
            sb_metrics_sample(out, "switchboard_endpoint_forced", "profile=%s,endpoint=%s,state=%s",
                              1.0, es->ps->profile->owner_text, es->ep->name,
                              es->forced > 0 ? "up" : "down");
    }
    sb_metrics_family(out, "switchboard_profile_switchover", SB_METRICS_GAUGE,
                      "1 for each profile switched over by an operator (ctl switchover), the "
                      "endpoint it answers with in `endpoint`; absent otherwise");
    for (size_t i = 0; i < st->profile_count; i++) {
        const sb_profile_state_t *ps = &st->profiles[i];
        if (ps->switchover != SB_PICK_NONE)
            sb_metrics_sample(out, "switchboard_profile_switchover", "profile=%s,endpoint=%s", 1.0,
                              ps->profile->owner_text, ps->eps[ps->switchover].ep->name);
    }
}

/* The cap on probes in flight at work: how many run and wait now, and how
 * long each run waited for its slot. */
static void queue_metrics(sb_metrics_buf_t *out, const sb_probe_load_t *load)
{
    sb_metrics_family(out, "switchboard_probes_in_flight", SB_METRICS_GAUGE,
                      "Probes running now (at most --probes-in-flight)");
    sb_metrics_sample(out, "switchboard_probes_in_flight", NULL, (double)load->in_flight);
    sb_metrics_family(out, "switchboard_probe_queue_waiting", SB_METRICS_GAUGE,
                      "Probe runs waiting for a free slot now");
    sb_metrics_sample(out, "switchboard_probe_queue_waiting", NULL, (double)load->waiting);
    sb_metrics_family(out, "switchboard_probe_queue_wait_seconds", SB_METRICS_HISTOGRAM,
                      "How long each probe run waited for a free slot (0 for most)");
    sb_histogram_write(out, "switchboard_probe_queue_wait_seconds", load->waits,
                       &sb_histogram_queue_wait, NULL, NULL);
}

/* In a fleet: endpoints whose fleet verdict is not this node's own. */
static void fleet_metrics(sb_metrics_buf_t *out, const sb_probe_states_t *st)
{
    const sb_peers_t *peers = st->profile_count > 0 ? st->profiles[0].peers : NULL;
    if (peers == NULL)
        return;
    int64_t now = sb_probe_state_wall_ms();
    size_t voted = 0, differ = 0;
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_ep_state_t *es = &st->eps[i];
        if (es->ep->monitor->fleet.kind == SB_VOTE_LOCAL || es->health.state == SB_HEALTH_CHECKING)
            continue;
        bool local = es->health.state == SB_HEALTH_UP && !es->held;
        unsigned up, reporting;
        voted++;
        differ += sb_peers_verdict(peers, es, local, now, &up, &reporting) != local;
    }
    sb_metrics_family(out, "switchboard_fleet_verdict_disagreements", SB_METRICS_GAUGE,
                      "endpoints whose fleet verdict differs from this node's own probes' now");
    sb_metrics_sample(out, "switchboard_fleet_verdict_disagreements", NULL, (double)differ);
    sb_metrics_family(out, "switchboard_fleet_voted_endpoints", SB_METRICS_GAUGE,
                      "endpoints whose monitor takes the fleet's vote (fleet= other than local)");
    sb_metrics_sample(out, "switchboard_fleet_voted_endpoints", NULL, (double)voted);
    sb_metrics_family(out, "switchboard_fleet_views_fresh", SB_METRICS_GAUGE,
                      "other nodes whose views of the endpoints are fresh");
    sb_metrics_sample(out, "switchboard_fleet_views_fresh", NULL, (double)peers->fresh);
}

void sb_probe_metrics_write(sb_metrics_buf_t *out, const sb_probe_states_t *st,
                            const sb_probe_load_t *load, sb_latency_detail_t detail)
{
    up_metrics(out, st);
    endpoint_counters(out, st);
    profile_results(out, st);
    latency_metrics(out, st, detail);
    answering_metrics(out, st);
    override_totals(out, st);
    override_details(out, st);
    queue_metrics(out, load);
    fleet_metrics(out, st);
}
