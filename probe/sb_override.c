/*
 * Operator overrides (drain, force, switchover), the status view and the
 * probe metrics, run on the probe worker's thread through sb_prober_call():
 * the worker owns every endpoint's state, so nothing here needs a lock.
 */
#include "sb_log.h"
#include "sb_metrics.h"
#include "sb_prober_state.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- finding things by name --------------------------------------------- */

/* "www.example.com" and "www.example.com." name the same profile. */
static bool same_name(const char *owner_text, const char *asked)
{
    size_t n = strlen(asked);
    if (n > 0 && asked[n - 1] == '.')
        n--;
    size_t m = strlen(owner_text);
    if (m > 0 && owner_text[m - 1] == '.')
        m--;
    return n == m && strncasecmp(owner_text, asked, n) == 0;
}

profile_state_t *sb_override_find_profile(sb_prober_t *p, const char *name)
{
    for (size_t i = 0; i < p->profile_count; i++) {
        if (same_name(p->profiles[i].profile->owner_text, name))
            return &p->profiles[i];
    }
    return NULL;
}

sb_ep_state_t *sb_override_find_endpoint(profile_state_t *ps, const char *name)
{
    for (uint16_t i = 0; i < ps->profile->count; i++) {
        if (strcmp(ps->eps[i].ep->name, name) == 0)
            return &ps->eps[i];
    }
    return NULL;
}

/* ---- applying ----------------------------------------------------------- */

static bool same_family(const sb_endpoint_t *a, const sb_endpoint_t *b)
{
    return (a->kind == SB_TARGET_V6) == (b->kind == SB_TARGET_V6);
}

bool sb_override_last_of_family(const profile_state_t *ps, const sb_ep_state_t *es)
{
    for (uint16_t i = 0; i < ps->profile->count; i++) {
        const sb_ep_state_t *o = &ps->eps[i];
        if (o != es && !o->drained && same_family(o->ep, es->ep))
            return false;
    }
    return true;
}

void sb_override_last_words(const profile_state_t *ps, const sb_ep_state_t *es, char *why,
                            size_t why_len)
{
    snprintf(why, why_len,
             "endpoint '%s' is the last one of %s left to answer; draining it would leave "
             "queries without an answer",
             es->ep->name, ps->profile->owner_text);
}

static void copy_by(char *dst, size_t cap, const char *by)
{
    snprintf(dst, cap, "%s", by != NULL ? by : "unknown");
}

static int apply_endpoint(profile_state_t *ps, sb_ep_state_t *es, const sb_override_t *o, char *why,
                          size_t why_len)
{
    switch (o->op) {
    case SB_OVERRIDE_DRAIN:
        if (es->drained)
            return -EALREADY;
        if (sb_override_last_of_family(ps, es)) {
            sb_override_last_words(ps, es, why, why_len);
            return -EINVAL;
        }
        es->drained = true;
        copy_by(es->drain_by, sizeof(es->drain_by), o->by);
        return 0;
    case SB_OVERRIDE_UNDRAIN:
        if (!es->drained)
            return -EALREADY;
        es->drained = false;
        return 0;
    case SB_OVERRIDE_FORCE:
        /* The same state again is news only when it changes the end. */
        if (es->forced == (o->force_up ? 1 : -1) && es->force_until_ms == o->until_ms)
            return -EALREADY;
        es->forced = o->force_up ? 1 : -1;
        es->force_until_ms = o->until_ms;
        copy_by(es->force_by, sizeof(es->force_by), o->by);
        return 0;
    case SB_OVERRIDE_UNFORCE:
        if (es->forced == 0)
            return -EALREADY;
        es->forced = 0;
        es->force_until_ms = 0;
        return 0;
    case SB_OVERRIDE_SWITCHOVER:
        if (ps->switchover == es->ep->index)
            return -EALREADY;
        ps->switchover = es->ep->index;
        copy_by(ps->switchover_by, sizeof(ps->switchover_by), o->by);
        return 0;
    case SB_OVERRIDE_FAILBACK:
        break;
    }
    return -EINVAL;
}

static const char *const op_names[] = {
    [SB_OVERRIDE_DRAIN] = "drain",           [SB_OVERRIDE_UNDRAIN] = "undrain",
    [SB_OVERRIDE_FORCE] = "force",           [SB_OVERRIDE_UNFORCE] = "unforce",
    [SB_OVERRIDE_SWITCHOVER] = "switchover", [SB_OVERRIDE_FAILBACK] = "failback",
};

static void log_override(const profile_state_t *ps, const sb_override_t *o)
{
    char extra[96] = "";
    if (o->op == SB_OVERRIDE_FORCE) {
        if (o->until_ms > 0)
            snprintf(extra, sizeof(extra), " state=%s until_ms=%lld", o->force_up ? "up" : "down",
                     (long long)o->until_ms);
        else
            snprintf(extra, sizeof(extra), " state=%s", o->force_up ? "up" : "down");
    }
    /* A restored override keeps its setter, which comes from a file. */
    char q[SB_LOG_QUOTE_MAX], by[SB_LOG_QUOTE_MAX + 32];
    sb_log_quote(q, sizeof(q), o->by != NULL ? o->by : "unknown", o->restored);
    if (o->restored)
        snprintf(by, sizeof(by), "state-file set_by=%s", q);
    else
        snprintf(by, sizeof(by), "%s", q);
    sb_log(SB_LOG_INFO, "override", "action=%s profile=%s endpoint=%s%s by=%s", op_names[o->op],
           ps->profile->owner_text, o->op == SB_OVERRIDE_FAILBACK ? "-" : o->endpoint, extra, by);
}

static int apply(sb_prober_t *p, const sb_override_t *o, char *why, size_t why_len)
{
    profile_state_t *ps = sb_override_find_profile(p, o->profile);
    if (ps == NULL) {
        snprintf(why, why_len, "no profile named %s", o->profile);
        return -ENOENT;
    }
    int rc;
    if (o->op == SB_OVERRIDE_FAILBACK) {
        rc = ps->switchover == SB_PICK_NONE ? -EALREADY : 0;
        ps->switchover = SB_PICK_NONE;
    } else {
        sb_ep_state_t *es = sb_override_find_endpoint(ps, o->endpoint != NULL ? o->endpoint : "");
        if (es == NULL) {
            snprintf(why, why_len, "profile %s has no endpoint named '%s'", ps->profile->owner_text,
                     o->endpoint != NULL ? o->endpoint : "");
            return -ENOENT;
        }
        rc = apply_endpoint(ps, es, o, why, why_len);
    }
    if (rc == 0) {
        log_override(ps, o);
        sb_prober_reselect(ps, "override");
    }
    return rc;
}

static void run_override(sb_prober_t *p, sb_prober_call_t *call)
{
    call->rc = apply(p, call->override, call->why, call->why_len);
}

int sb_prober_override(sb_prober_t *p, const sb_override_t *o, char *why, size_t why_len)
{
    why[0] = '\0';
    sb_prober_call_t call = {.run = run_override, .override = o, .why = why, .why_len = why_len};
    return sb_prober_call(p, &call);
}

/* Forced states given a duration end by themselves (checked every second). */
void sb_override_expire(uv_timer_t *t)
{
    sb_prober_t *p = t->data;
    int64_t now = sb_prober_wall_ms();
    bool changed = false;
    for (size_t i = 0; i < p->ep_count; i++) {
        sb_ep_state_t *es = &p->eps[i];
        if (es->forced == 0 || es->force_until_ms == 0 || now < es->force_until_ms)
            continue;
        es->forced = 0;
        es->force_until_ms = 0;
        changed = true;
        sb_log(SB_LOG_INFO, "override", "action=unforce profile=%s endpoint=%s by=expiry",
               es->ps->profile->owner_text, es->ep->name);
        sb_prober_reselect(es->ps, "override-expired");
    }
    /* The state file keeps what is in force: it must be written again. */
    if (changed && p->overrides_changed != NULL)
        p->overrides_changed(p->overrides_changed_arg);
}

/* ---- status -------------------------------------------------------------- */

static json_t *time_or_null(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char buf[40];
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)(ms % 1000));
    return json_string(buf);
}

static json_t *history_json(const sb_history_t *h)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < sb_history_count(h); i++) {
        const sb_history_entry_t *e = sb_history_get(h, i);
        json_array_append_new(arr, json_pack("{s:o, s:b, s:s, s:s, s:I, s:I}", "time",
                                             time_or_null(e->time_ms), "ok", e->ok, "reason",
                                             e->words, "reason_key", sb_reason_key(e->reason),
                                             "latency_ms", (json_int_t)e->latency_ms, "queued_ms",
                                             (json_int_t)e->queued_ms));
    }
    return arr;
}

static const char *probe_name(const sb_ep_state_t *es)
{
    return sb_monitor_proto_name(es->ep->monitor->proto);
}

static json_t *endpoint_json(const sb_ep_state_t *es)
{
    const sb_history_entry_t *last = sb_history_get(&es->history, 0);
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:b, s:b}", "name", es->ep->name, "target",
                  es->ep->target_text, "priority", (json_int_t)es->ep->priority, "monitor",
                  probe_name(es), "state", sb_health_state_name(es->health.state), "since",
                  time_or_null(es->since_ms), "held", es->held, "drained", es->drained);
    json_object_set_new(o, "reason", last != NULL ? json_string(last->words) : json_null());
    json_object_set_new(o, "latency_ms",
                        last != NULL ? json_integer(last->latency_ms) : json_null());
    json_object_set_new(o, "queued_ms", last != NULL ? json_integer(last->queued_ms) : json_null());
    if (es->drained)
        json_object_set_new(o, "drained_by", json_string(es->drain_by));
    if (es->forced != 0) {
        json_object_set_new(o, "forced", json_string(es->forced > 0 ? "up" : "down"));
        json_object_set_new(o, "forced_until", time_or_null(es->force_until_ms));
        json_object_set_new(o, "forced_by", json_string(es->force_by));
    } else {
        json_object_set_new(o, "forced", json_null());
    }
    json_object_set_new(o, "history", history_json(&es->history));
    return o;
}

static json_t *answering_json(const profile_state_t *ps)
{
    const sb_profile_t *p = ps->profile;
    sb_choice_t c = sb_route_current(p);
    json_t *name4 =
        c.primary == SB_PICK_NONE ? json_null() : json_string(p->endpoints[c.primary].name);
    if (!p->addresses)
        return json_pack("{s:o, s:b}", "endpoint", name4, "fail_open", c.primary_fail_open);
    json_t *name6 = c.v6 == SB_PICK_NONE ? json_null() : json_string(p->endpoints[c.v6].name);
    return json_pack("{s:o, s:b, s:o, s:b}", "ipv4", name4, "ipv4_fail_open", c.primary_fail_open,
                     "ipv6", name6, "ipv6_fail_open", c.v6_fail_open);
}

static json_t *profile_json(const sb_prober_t *p, const profile_state_t *ps)
{
    const sb_profile_t *prof = ps->profile;
    sb_lname_t owner;
    sb_lname_set(&owner, prof->owner);
    const sb_zone_t *zone = sb_gen_find_zone(p->gen, &owner);
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:o}", "name", prof->owner_text, "zone",
                          zone != NULL ? sb_zone_apex_text(zone) : "", "kind",
                          prof->addresses ? "addresses" : "names", "ttl", (json_int_t)prof->ttl,
                          "answering", answering_json(ps));
    if (ps->switchover != SB_PICK_NONE) {
        json_object_set_new(o, "switchover", json_string(prof->endpoints[ps->switchover].name));
        json_object_set_new(o, "switchover_by", json_string(ps->switchover_by));
    } else {
        json_object_set_new(o, "switchover", json_null());
    }
    json_t *eps = json_array();
    for (uint16_t i = 0; i < prof->count; i++)
        json_array_append_new(eps, endpoint_json(&ps->eps[i]));
    json_object_set_new(o, "endpoints", eps);
    return o;
}

/* Probes in flight and waiting for a slot: how far the cap holds them. */
static json_t *queue_json(const sb_prober_t *p)
{
    uint64_t oldest = p->queue_head != NULL ? uv_now(&p->loop) - p->queue_head->queued_at : 0;
    return json_pack("{s:I, s:I, s:I, s:I}", "in_flight", (json_int_t)p->inflight, "max_in_flight",
                     (json_int_t)p->max_inflight, "waiting", (json_int_t)p->queued,
                     "oldest_wait_ms", (json_int_t)oldest);
}

static void run_status(sb_prober_t *p, sb_prober_call_t *call)
{
    json_t *zones = json_array();
    for (size_t i = 0; i < sb_gen_zone_count(p->gen); i++) {
        const sb_zone_t *z = sb_gen_zone(p->gen, i);
        json_array_append_new(zones, json_pack("{s:s, s:s, s:I, s:I}", "name", sb_zone_apex_text(z),
                                               "file", sb_zone_file(z), "names",
                                               (json_int_t)sb_zone_node_count(z), "profiles",
                                               (json_int_t)sb_zone_profile_count(z)));
    }
    json_t *profiles = json_array();
    for (size_t i = 0; i < p->profile_count; i++)
        json_array_append_new(profiles, profile_json(p, &p->profiles[i]));
    call->json =
        json_pack("{s:o, s:o, s:o}", "probes", queue_json(p), "zones", zones, "profiles", profiles);
    call->rc = call->json != NULL ? 0 : -ENOMEM;
}

json_t *sb_prober_status(sb_prober_t *p)
{
    sb_prober_call_t call = {.run = run_status};
    sb_prober_call(p, &call);
    return call.json;
}

/* ---- what the state file keeps ------------------------------------------- */

static void add_endpoint_overrides(json_t *arr, const profile_state_t *ps, const sb_ep_state_t *es)
{
    const char *profile = ps->profile->owner_text;
    if (es->drained)
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:s, s:s}", "action", "drain", "profile",
                                        profile, "endpoint", es->ep->name, "by", es->drain_by));
    if (es->forced != 0)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "action", "force",
                                             "profile", profile, "endpoint", es->ep->name, "state",
                                             es->forced > 0 ? "up" : "down", "until_ms",
                                             (json_int_t)es->force_until_ms, "by", es->force_by));
}

static void run_overrides(sb_prober_t *p, sb_prober_call_t *call)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < p->profile_count; i++) {
        const profile_state_t *ps = &p->profiles[i];
        if (ps->switchover != SB_PICK_NONE)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "action", "switchover",
                                                 "profile", ps->profile->owner_text, "endpoint",
                                                 ps->profile->endpoints[ps->switchover].name, "by",
                                                 ps->switchover_by));
        for (uint16_t k = 0; k < ps->profile->count; k++)
            add_endpoint_overrides(arr, ps, &ps->eps[k]);
    }
    call->json = arr;
    call->rc = 0;
}

json_t *sb_prober_overrides(sb_prober_t *p)
{
    sb_prober_call_t call = {.run = run_overrides};
    sb_prober_call(p, &call);
    return call.json;
}

static void run_count(sb_prober_t *p, sb_prober_call_t *call)
{
    size_t *counts = call->result;
    for (size_t i = 0; i < p->ep_count; i++)
        counts[p->eps[i].health.state]++;
    call->rc = 0;
}

void sb_prober_count_states(sb_prober_t *p, size_t counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    sb_prober_call_t call = {.run = run_count, .result = counts};
    sb_prober_call(p, &call);
}

/* ---- metrics -------------------------------------------------------------- */

static const double latency_bounds[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
};
static const double queue_wait_bounds[] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
};
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
static_assert(COUNT_OF(latency_bounds) <= SB_HISTOGRAM_BOUNDS, "too many buckets");
static_assert(COUNT_OF(queue_wait_bounds) <= SB_HISTOGRAM_BOUNDS, "too many buckets");

const sb_buckets_t sb_latency_buckets = {latency_bounds, COUNT_OF(latency_bounds)};
const sb_buckets_t sb_queue_wait_buckets = {queue_wait_bounds, COUNT_OF(queue_wait_bounds)};

void sb_histogram_add(sb_histogram_t *h, const sb_buckets_t *b, double seconds)
{
    size_t i = 0;
    while (i < b->count && seconds > b->bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += seconds;
}

void sb_probe_stats_add(sb_probe_stats_t *st, const sb_result_t *r)
{
    if (r->reason < SB_REASON_COUNT)
        st->results[r->reason]++;
    sb_histogram_add(&st->latency, &sb_latency_buckets, r->latency_ms / 1000.0);
}

/* One sample, with the endpoint's labels when `profile` is not NULL. */
static void endpoint_sample(sb_metrics_buf_t *out, const char *name, double value,
                            const char *profile, const char *endpoint)
{
    if (profile != NULL)
        sb_metrics_sample(out, name, "profile=%s,endpoint=%s", value, profile, endpoint);
    else
        sb_metrics_sample(out, name, NULL, value);
}

/* A histogram's samples: `base`_bucket (cumulative, +Inf last), _sum and
 * _count, labelled with the endpoint when `profile` is not NULL. */
static void histogram_samples(sb_metrics_buf_t *out, const char *base, const sb_histogram_t *h,
                              const sb_buckets_t *b, const char *profile, const char *endpoint)
{
    char name[96];
    uint64_t cumulative = 0;
    snprintf(name, sizeof(name), "%s_bucket", base);
    for (size_t i = 0; i <= b->count; i++) {
        cumulative += h->buckets[i];
        double le = i < b->count ? b->bounds[i] : 1.0 / 0.0;
        if (profile != NULL)
            sb_metrics_sample(out, name, "profile=%s,endpoint=%s,le=%g", (double)cumulative,
                              profile, endpoint, le);
        else
            sb_metrics_sample(out, name, "le=%g", (double)cumulative, le);
    }
    snprintf(name, sizeof(name), "%s_sum", base);
    endpoint_sample(out, name, h->sum, profile, endpoint);
    snprintf(name, sizeof(name), "%s_count", base);
    endpoint_sample(out, name, (double)h->count, profile, endpoint);
}

static void endpoint_metrics(sb_metrics_buf_t *out, const sb_ep_state_t *es, int part)
{
    const char *profile = es->ps->profile->owner_text, *name = es->ep->name;
    const sb_probe_stats_t *st = &es->stats;
    switch (part) {
    case 0:
        sb_metrics_sample(out, "switchboard_endpoint_up", "profile=%s,endpoint=%s",
                          es->health.state == SB_HEALTH_UP ? 1.0 : 0.0, profile, name);
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
        histogram_samples(out, "switchboard_probe_duration_seconds", &st->latency,
                          &sb_latency_buckets, profile, name);
        break;
    }
}

/* switchboard_profile_answering: every endpoint, in its own address family
 * (name endpoints answer for any), 1 for the one answering now and 0 for
 * the rest, so that an endpoint that stops answering shows 0 rather than
 * vanishing. */
static void answering_metrics(sb_metrics_buf_t *out, const sb_prober_t *p)
{
    sb_metrics_family(out, "switchboard_profile_answering", SB_METRICS_GAUGE,
                      "1 for the endpoint each profile answers with now, per address family; 0 "
                      "for its other endpoints");
    for (size_t i = 0; i < p->profile_count; i++) {
        const sb_profile_t *prof = p->profiles[i].profile;
        sb_choice_t c = sb_route_current(prof);
        for (uint16_t k = 0; k < prof->count; k++) {
            const sb_endpoint_t *ep = &prof->endpoints[k];
            bool v6 = ep->kind == SB_TARGET_V6;
            const char *family = v6 ? "ipv6" : ep->kind == SB_TARGET_V4 ? "ipv4" : "any";
            bool answering = k == (v6 ? c.v6 : c.primary);
            sb_metrics_sample(out, "switchboard_profile_answering",
                              "profile=%s,address_family=%s,endpoint=%s", answering ? 1.0 : 0.0,
                              prof->owner_text, family, ep->name);
        }
    }
}

/* The cap on probes in flight at work: how many run and wait now, and how
 * long each run waited for its slot. */
static void queue_metrics(sb_metrics_buf_t *out, const sb_prober_t *p)
{
    sb_metrics_family(out, "switchboard_probes_in_flight", SB_METRICS_GAUGE,
                      "Probes running now (at most --probes-in-flight)");
    sb_metrics_sample(out, "switchboard_probes_in_flight", NULL, (double)p->inflight);
    sb_metrics_family(out, "switchboard_probe_queue_waiting", SB_METRICS_GAUGE,
                      "Probe runs waiting for a free slot now");
    sb_metrics_sample(out, "switchboard_probe_queue_waiting", NULL, (double)p->queued);
    sb_metrics_family(out, "switchboard_probe_queue_wait_seconds", SB_METRICS_HISTOGRAM,
                      "How long each probe run waited for a free slot (0 for most)");
    histogram_samples(out, "switchboard_probe_queue_wait_seconds", &p->queue_wait,
                      &sb_queue_wait_buckets, NULL, NULL);
}

static void run_metrics(sb_prober_t *p, sb_prober_call_t *call)
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
    sb_metrics_buf_t *out = call->result;
    for (int part = 0; part < 4; part++) {
        sb_metrics_family(out, families[part].name, families[part].type, families[part].help);
        for (size_t i = 0; i < p->ep_count; i++)
            endpoint_metrics(out, &p->eps[i], part);
    }
    answering_metrics(out, p);
    queue_metrics(out, p);
    call->rc = 0;
}

void sb_prober_metrics(sb_prober_t *p, sb_metrics_buf_t *out)
{
    sb_prober_call_t call = {.run = run_metrics, .result = out};
    sb_prober_call(p, &call);
}
