#include "sb_probe_status.h"

#include "sb_monitor.h"
#include "sb_peers.h"

#include <stdio.h>
#include <time.h>

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

/* In a fleet, with a vote: the fleet's verdict and how it was reached. */
static json_t *fleet_json(const sb_ep_state_t *es)
{
    sb_vote_t vote = es->ep->monitor->fleet;
    if (es->ps->peers == NULL || vote.kind == SB_VOTE_LOCAL)
        return NULL;
    unsigned up, reporting;
    bool local = es->health.state == SB_HEALTH_UP && !es->held;
    bool verdict =
        sb_peers_verdict(es->ps->peers, es, local, sb_probe_state_wall_ms(), &up, &reporting);
    char text[16];
    return json_pack("{s:s, s:s, s:i, s:i, s:b}", "vote", sb_vote_format(vote, text, sizeof(text)),
                     "verdict", verdict ? "up" : "down", "up", (int)up, "reporting", (int)reporting,
                     "alone", reporting == 1);
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
    json_t *fleet = fleet_json(es);
    if (fleet != NULL)
        json_object_set_new(o, "fleet", fleet);
    return o;
}

static json_t *answering_json(const sb_profile_state_t *ps)
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

static json_t *profile_json(const sb_gen_t *gen, const sb_profile_state_t *ps)
{
    const sb_profile_t *prof = ps->profile;
    sb_lname_t owner;
    sb_name_to_lname(&owner, prof->owner);
    const sb_zone_t *zone = sb_gen_find_zone(gen, &owner);
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:o}", "name", prof->owner_text, "zone",
                          zone != NULL ? sb_zone_apex_text(zone) : "", "kind",
                          prof->addresses ? "addresses" : "names", "ttl", (json_int_t)prof->ttl,
                          "answering", answering_json(ps));
    if (ps->switchover != SB_PICK_NONE) {
        json_object_set_new(o, "switchover", json_string(prof->endpoints[ps->switchover].name));
        json_object_set_new(o, "switchover_until", time_or_null(ps->switchover_until_ms));
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
static json_t *queue_json(const sb_probe_load_t *load)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "in_flight", (json_int_t)load->in_flight,
                     "max_in_flight", (json_int_t)load->max_in_flight, "waiting",
                     (json_int_t)load->waiting, "oldest_wait_ms", (json_int_t)load->oldest_wait_ms);
}

json_t *sb_probe_status_json(const sb_probe_states_t *st, const sb_gen_t *gen,
                             const sb_probe_load_t *load)
{
    json_t *zones = json_array();
    for (size_t i = 0; i < sb_gen_zone_count(gen); i++) {
        const sb_zone_t *z = sb_gen_zone(gen, i);
        json_array_append_new(zones, json_pack("{s:s, s:s, s:I, s:I}", "name", sb_zone_apex_text(z),
                                               "file", sb_zone_file(z), "names",
                                               (json_int_t)sb_zone_node_count(z), "profiles",
                                               (json_int_t)sb_zone_profile_count(z)));
    }
    json_t *profiles = json_array();
    for (size_t i = 0; i < st->profile_count; i++)
        json_array_append_new(profiles, profile_json(gen, &st->profiles[i]));
    return json_pack("{s:o, s:o, s:o}", "probes", queue_json(load), "zones", zones, "profiles",
                     profiles);
}
