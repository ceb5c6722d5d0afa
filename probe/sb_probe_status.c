#include "sb_probe_status.h"

#include "sb_monitor.h"
#include "sb_peers.h"
#include "sb_publish.h"

#include "sb_geo_code.h"

#include <stdio.h>
#include <string.h>
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
    return es->ep->child != NULL ? "nested" : sb_monitor_proto_name(es->ep->monitor->proto);
}

/* A nested endpoint's state is its profile's: up while enough of that
 * profile's endpoints are usable, and why, in place of a probe's. */
static void nested_json(json_t *o, const sb_endpoint_t *ep)
{
    unsigned usable;
    bool up = sb_publish_nested_usable(ep, &usable);
    char why[160];
    snprintf(why, sizeof(why), "%u of %u usable in %s (needs %u)", usable, ep->child->count,
             ep->child->owner_text, ep->min_usable);
    json_object_set_new(o, "state", json_string(up ? "up" : "down"));
    json_object_set_new(o, "reason", json_string(why));
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

static void routing_json(json_t *o, const sb_endpoint_t *ep);

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
    if (es->ep->priority > 65535) /* none given: ordered as written (sb_zonefile_profile) */
        json_object_set_new(o, "priority", json_null());
    if (es->ep->child != NULL)
        nested_json(o, es->ep);
    routing_json(o, es->ep);
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

/* What answers now, per family: the endpoints that may answer ("east" or
 * "east,west"; "fallback"; null for none) and the status. */
static json_t *answering_json(const sb_profile_state_t *ps)
{
    const sb_profile_t *p = ps->profile;
    sb_route_view_t v;
    sb_route_view(p, sb_route_published(p), &v);
    json_t *o = json_object();
    static const char *const prefix[SB_FAMILIES] = {"ipv4", "ipv6"};
    for (int fam = 0; fam < (p->addresses ? SB_FAMILIES : 1); fam++) {
        char key[32];
        bool none = strcmp(v.answering[fam], "none") == 0;
        snprintf(key, sizeof(key), "%s", p->addresses ? prefix[fam] : "endpoint");
        json_object_set_new(o, key, none ? json_null() : json_string(v.answering[fam]));
        snprintf(key, sizeof(key), "%s%sfail_open", p->addresses ? prefix[fam] : "",
                 p->addresses ? "_" : "");
        json_object_set_new(o, key, json_boolean(v.status[fam] == SB_ROUTE_FAIL_OPEN));
        snprintf(key, sizeof(key), "%s%sstatus", p->addresses ? prefix[fam] : "",
                 p->addresses ? "_" : "");
        json_object_set_new(o, key, json_string(sb_route_status_name(v.status[fam])));
    }
    return o;
}

static json_t *list_json(size_t n, const char *(*text)(const sb_endpoint_t *, size_t, char *),
                         const sb_endpoint_t *ep)
{
    json_t *arr = json_array();
    char buf[64];
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(text(ep, i, buf)));
    return arr;
}

static const char *subnet_text(const sb_endpoint_t *ep, size_t i, char *buf)
{
    char addr[SB_ADDR_TEXT_MAX];
    sb_addr_t a = {.family = ep->subnets[i].family};
    memcpy(a.bytes, ep->subnets[i].addr, 16);
    snprintf(buf, 64, "%s/%u", sb_addr_format(&a, addr, sizeof(addr)), ep->subnets[i].len);
    return buf;
}

static const char *region_text(const sb_endpoint_t *ep, size_t i, char *buf)
{
    return sb_geo_code_text(ep->regions[i], buf, 64);
}

/* The routing method's settings of an endpoint, and what they mean now. */
static void routing_json(json_t *o, const sb_endpoint_t *ep)
{
    const sb_profile_t *p = ep->profile;
    unsigned set = p->route->settings;
    if (set & SB_ROUTE_SET_WEIGHT) {
        json_object_set_new(o, "weight", json_integer(ep->weight));
        json_object_set_new(o, "share_percent",
                            json_real(sb_route_share(p, sb_route_published(p), ep->index)));
    }
    if (set & SB_ROUTE_SET_SUBNETS)
        json_object_set_new(o, "subnets", list_json(ep->subnet_count, subnet_text, ep));
    if (set & SB_ROUTE_SET_REGIONS)
        json_object_set_new(o, "regions", list_json(ep->region_count, region_text, ep));
    if ((set & (SB_ROUTE_SET_SUBNETS | SB_ROUTE_SET_REGIONS)) != 0)
        json_object_set_new(o, "default", json_boolean(ep->in_default));
    if ((set & SB_ROUTE_SET_LOCATION) && ep->has_location)
        json_object_set_new(o, "location", json_pack("[f, f]", (double)ep->lat, (double)ep->lon));
    if (ep->child != NULL) {
        json_object_set_new(o, "nested", json_string(ep->child->owner_text));
        json_object_set_new(o, "min_usable", json_integer(ep->min_usable));
    }
    json_object_set_new(o, "answers_now",
                        json_boolean(sb_route_may_answer(p, sb_route_published(p), ep->index)));
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
    json_object_set_new(o, "method", json_string(prof->route->name));
    static const char *const policies[] = {"fail-open", "fail-closed", "fallback"};
    json_object_set_new(o, "all_down", json_string(policies[prof->all_down]));
    for (int fam = 0; fam < SB_FAMILIES; fam++) {
        if (prof->fallback[fam] != NULL)
            json_object_set_new(o, fam ? "fallback_ipv6" : "fallback",
                                json_string(prof->fallback[fam]->target_text));
    }
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

/* Whether zone `z` holds a profile of those selected. */
static bool zone_selected(const sb_probe_states_t *st, const sb_gen_t *gen, const sb_zone_t *z,
                          const bool *selected)
{
    for (size_t i = 0; i < st->profile_count; i++) {
        sb_lname_t owner;
        sb_name_to_lname(&owner, st->profiles[i].profile->owner);
        if (selected[i] && sb_gen_find_zone(gen, &owner) == z)
            return true;
    }
    return false;
}

json_t *sb_probe_status_json(const sb_probe_states_t *st, const sb_gen_t *gen,
                             const sb_probe_load_t *load, const bool *selected)
{
    json_t *zones = json_array();
    for (size_t i = 0; i < sb_gen_zone_count(gen); i++) {
        const sb_zone_t *z = sb_gen_zone(gen, i);
        if (selected != NULL && !zone_selected(st, gen, z, selected))
            continue;
        json_array_append_new(zones, json_pack("{s:s, s:s, s:I, s:I}", "name", sb_zone_apex_text(z),
                                               "file", sb_zone_file(z), "names",
                                               (json_int_t)sb_zone_node_count(z), "profiles",
                                               (json_int_t)sb_zone_profile_count(z)));
    }
    json_t *profiles = json_array();
    for (size_t i = 0; i < st->profile_count; i++) {
        if (selected == NULL || selected[i])
            json_array_append_new(profiles, profile_json(gen, &st->profiles[i]));
    }
    return json_pack("{s:o, s:o, s:o}", "probes", queue_json(load), "zones", zones, "profiles",
                     profiles);
}
