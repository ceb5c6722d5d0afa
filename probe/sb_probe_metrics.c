#include "sb_probe_metrics.h"

#include "sb_monitor.h"
#include "sb_peers.h"
#include "sb_publish.h"

static void endpoint_metrics(sb_metrics_buf_t *out, const sb_ep_state_t *es, int part)
{
    const char *profile = es->ps->profile->owner_text, *name = es->ep->name;
    const sb_probe_stats_t *st = &es->stats;
    switch (part) {
    case 0: /* a nested endpoint is up while enough of its profile is */
        sb_metrics_sample(out, "switchboard_endpoint_up", "profile=%s,endpoint=%s",
                          (es->ep->child != NULL ? sb_publish_nested_usable(es->ep, NULL)
                                                 : es->health.state == SB_HEALTH_UP)
                              ? 1.0
                              : 0.0,
                          profile, name);
        break;
    case 1:
        sb_metrics_sample(out, "switchboard_endpoint_state_changes_total", "profile=%s,endpoint=%s",
                          (double)st->changes, profile, name);
        break;
    case 2: /* every reason, 0 until it happens, so that rate() works at once */
        for (int r = 0; r < SB_REASON_COUNT; r++)
            sb_metrics_sample(out, "switchboard_probe_results_total",
                              "profile=%s,endpoint=%s,reason=%s", (double)st->results[r], profile,
                              name, sb_reason_key((sb_reason_t)r));
        break;
    case 3:
        sb_histogram_write(out, "switchboard_probe_duration_seconds", &st->latency,
                           &sb_histogram_latency, profile, name);
        break;
    }
}

/* switchboard_profile_answering: every endpoint, in its own address family
 * (name endpoints answer for any), 1 for the one answering now and 0 for
 * the rest, so that an endpoint that stops answering shows 0 rather than
 * vanishing. */
static void answering_metrics(sb_metrics_buf_t *out, const sb_probe_states_t *st)
{
    sb_metrics_family(out, "switchboard_profile_answering", SB_METRICS_GAUGE,
                      "1 for the endpoints each profile answers with now (any client), per "
                      "address family; 0 for its other endpoints");
    for (size_t i = 0; i < st->profile_count; i++) {
        const sb_profile_t *prof = st->profiles[i].profile;
        const sb_route_decision_t *d = sb_route_published(prof);
        for (uint16_t k = 0; k < prof->count; k++) {
            const sb_endpoint_t *ep = &prof->endpoints[k];
            bool v6 = ep->kind == SB_TARGET_V6;
            const char *family = v6 ? "ipv6" : ep->kind == SB_TARGET_V4 ? "ipv4" : "any";
            bool answering = sb_route_may_answer(prof, d, k);
            sb_metrics_sample(out, "switchboard_profile_answering",
                              "profile=%s,address_family=%s,endpoint=%s", answering ? 1.0 : 0.0,
                              prof->owner_text, family, ep->name);
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
                            const sb_probe_load_t *load)
{
    static const struct {
        const char *name;
        sb_metrics_type_t type;
        const char *help;
    } families[] = {
        {"switchboard_endpoint_up", SB_METRICS_GAUGE, "1 when the endpoint is up by its probes"},
        {"switchboard_endpoint_state_changes_total", SB_METRICS_COUNTER,
         "changes of the endpoint's state (up, down)"},
        {"switchboard_probe_results_total", SB_METRICS_COUNTER, "probe results by reason"},
        {"switchboard_probe_duration_seconds", SB_METRICS_HISTOGRAM, "probe latency"},
    };
    for (int part = 0; part < 4; part++) {
        sb_metrics_family(out, families[part].name, families[part].type, families[part].help);
        for (size_t i = 0; i < st->ep_count; i++)
            endpoint_metrics(out, &st->eps[i], part);
    }
    answering_metrics(out, st);
    override_totals(out, st);
    override_details(out, st);
    queue_metrics(out, load);
    fleet_metrics(out, st);
}
