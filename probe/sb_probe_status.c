#include "sb_probe_status.h"

#include "sb_jsonw.h"
#include "sb_monitor.h"
#include "sb_peers.h"
#include "sb_publish.h"

#include "sb_geo_code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* `v` (0-99) as two digits at `p`. */
static void two_digits(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* A wall-clock time as RFC 3339 in UTC with milliseconds; null for none. */
static void put_time(sb_jsonw_t *w, const char *key, int64_t ms)
{
    if (ms <= 0) {
        sb_jsonw_null(w, key);
        return;
    }
    /* A status at 20,000 endpoints has 200,000 times, spread over the
     * seconds of an interval: the date is formatted once per day, the
     * time of day by arithmetic (on the probe worker's thread only). */
    static __thread int64_t cached_day = -1;
    static __thread char buf[40]; /* "2026-12-03T" then "HH:MM:SS.mmmZ" */
    int64_t sec = ms / 1000, day = sec / 86400;
    if (day != cached_day) {
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        if (strftime(buf, sizeof(buf), "%Y-%m-%dT", &tm) != 11) {
            sb_jsonw_null(w, key); /* a year past 9999 */
            return;
        }
        cached_day = day;
    }
    unsigned of_day = (unsigned)(sec % 86400), milli = (unsigned)(ms % 1000);
    char *p = buf + 11;
    two_digits(p, of_day / 3600);
    p[2] = ':';
    two_digits(p + 3, of_day / 60 % 60);
    p[5] = ':';
    two_digits(p + 6, of_day % 60);
    p[8] = '.';
    p[9] = (char)('0' + milli / 100);
    two_digits(p + 10, milli % 100);
    memcpy(p + 12, "Z", 2);
    sb_jsonw_string(w, key, buf);
}

static void put_history(sb_jsonw_t *w, const sb_history_t *h)
{
    sb_jsonw_array(w, "history");
    for (size_t i = 0; i < sb_history_count(h); i++) {
        const sb_history_entry_t *e = sb_history_get(h, i);
        char words[SB_HISTORY_WORDS_MAX];
        sb_jsonw_object(w, NULL);
        put_time(w, "time", e->time_ms);
        sb_jsonw_bool(w, "ok", e->reason == SB_REASON_OK);
        sb_jsonw_string(w, "reason", sb_history_words(e, words, sizeof(words)));
        sb_jsonw_string(w, "reason_key", sb_reason_key(e->reason));
        sb_jsonw_int(w, "latency_ms", e->latency_ms);
        sb_jsonw_int(w, "queued_ms", e->queued_ms);
        sb_jsonw_end(w);
    }
    sb_jsonw_end(w);
}

static const char *probe_name(const sb_ep_state_t *es)
{
    return es->ep->child != NULL ? "nested" : sb_monitor_proto_name(es->ep->monitor->proto);
}

/* A nested endpoint's state is its profile's: up while enough of that
 * profile's endpoints are usable, and why, in place of a probe's. */
static bool nested_state(const sb_endpoint_t *ep, char *why, size_t why_len)
{
    unsigned usable;
    bool up = sb_publish_nested_usable(ep, &usable);
    snprintf(why, why_len, "%u of %u usable in %s (needs %u)", usable, ep->child->count,
             ep->child->owner_text, ep->min_usable);
    return up;
}

/* In a fleet, with a vote: the fleet's verdict and how it was reached. */
static void put_fleet(sb_jsonw_t *w, const sb_ep_state_t *es)
{
    sb_vote_t vote = es->ep->monitor->fleet;
    if (es->ps->peers == NULL || vote.kind == SB_VOTE_LOCAL)
        return;
    unsigned up, reporting;
    bool local = es->health.state == SB_HEALTH_UP && !es->held;
    bool verdict =
        sb_peers_verdict(es->ps->peers, es, local, sb_probe_state_wall_ms(), &up, &reporting);
    char text[16];
    sb_jsonw_object(w, "fleet");
    sb_jsonw_string(w, "vote", sb_vote_format(vote, text, sizeof(text)));
    sb_jsonw_string(w, "verdict", verdict ? "up" : "down");
    sb_jsonw_int(w, "up", up);
    sb_jsonw_int(w, "reporting", reporting);
    sb_jsonw_bool(w, "alone", reporting == 1);
    sb_jsonw_end(w);
}

static void put_routing(sb_jsonw_t *w, const sb_endpoint_t *ep);

/* The endpoint's state and the reason for it: its probes', or, nested,
 * its profile's. */
static void put_state(sb_jsonw_t *w, const sb_ep_state_t *es, const sb_history_entry_t *last)
{
    char why[SB_HISTORY_WORDS_MAX];
    const char *state = sb_health_state_name(es->health.state);
    const char *reason = last != NULL ? sb_history_words(last, why, sizeof(why)) : NULL;
    if (es->ep->child != NULL) {
        state = nested_state(es->ep, why, sizeof(why)) ? "up" : "down";
        reason = why;
    }
    sb_jsonw_string(w, "state", state);
    put_time(w, "since", es->since_ms);
    sb_jsonw_bool(w, "held", es->held);
    sb_jsonw_bool(w, "drained", es->drained);
    sb_jsonw_string(w, "reason", reason);
}

static void put_overrides(sb_jsonw_t *w, const sb_ep_state_t *es)
{
    if (es->drained)
        sb_jsonw_string(w, "drained_by", es->drain_by ? es->drain_by : "unknown");
    if (es->forced != 0) {
        sb_jsonw_string(w, "forced", es->forced > 0 ? "up" : "down");
        put_time(w, "forced_until", es->force_until_ms);
        sb_jsonw_string(w, "forced_by", es->force_by ? es->force_by : "unknown");
    } else {
        sb_jsonw_null(w, "forced");
    }
}

static void put_endpoint(sb_jsonw_t *w, const sb_ep_state_t *es)
{
    const sb_history_entry_t *last = sb_history_get(sb_ep_history(es), 0);
    sb_jsonw_object(w, NULL);
    sb_jsonw_string(w, "name", es->ep->name);
    sb_jsonw_string(w, "target", es->ep->target_text);
    if (es->ep->priority > 65535) /* none given: ordered as written (sb_zonefile_profile) */
        sb_jsonw_null(w, "priority");
    else
        sb_jsonw_int(w, "priority", es->ep->priority);
    sb_jsonw_string(w, "monitor", probe_name(es));
    put_state(w, es, last);
    if (last != NULL) {
        sb_jsonw_int(w, "latency_ms", last->latency_ms);
        sb_jsonw_int(w, "queued_ms", last->queued_ms);
    } else {
        sb_jsonw_null(w, "latency_ms");
        sb_jsonw_null(w, "queued_ms");
    }
    put_routing(w, es->ep);
    put_overrides(w, es);
    put_history(w, sb_ep_history(es));
    put_fleet(w, es);
    sb_jsonw_end(w);
}

/* What answers now, per family: the endpoints that may answer ("east" or
 * "east,west"; "fallback"; null for none) and the status. */
static void put_answering(sb_jsonw_t *w, const sb_profile_state_t *ps)
{
    const sb_profile_t *p = ps->profile;
    sb_route_view_t v;
    sb_route_view(p, sb_route_published(p), &v);
    sb_jsonw_object(w, "answering");
    static const char *const prefix[SB_FAMILIES] = {"ipv4", "ipv6"};
    for (int fam = 0; fam < (p->addresses ? SB_FAMILIES : 1); fam++) {
        char key[32];
        bool none = strcmp(v.answering[fam], "none") == 0;
        snprintf(key, sizeof(key), "%s", p->addresses ? prefix[fam] : "endpoint");
        sb_jsonw_string(w, key, none ? NULL : v.answering[fam]);
        snprintf(key, sizeof(key), "%s%sfail_open", p->addresses ? prefix[fam] : "",
                 p->addresses ? "_" : "");
        sb_jsonw_bool(w, key, v.status[fam] == SB_ROUTE_FAIL_OPEN);
        snprintf(key, sizeof(key), "%s%sstatus", p->addresses ? prefix[fam] : "",
                 p->addresses ? "_" : "");
        sb_jsonw_string(w, key, sb_route_status_name(v.status[fam]));
    }
    sb_jsonw_end(w);
}

static void put_list(sb_jsonw_t *w, const char *key, size_t n,
                     const char *(*text)(const sb_endpoint_t *, size_t, char *),
                     const sb_endpoint_t *ep)
{
    char buf[64];
    sb_jsonw_array(w, key);
    for (size_t i = 0; i < n; i++)
        sb_jsonw_string(w, NULL, text(ep, i, buf));
    sb_jsonw_end(w);
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
static void put_routing(sb_jsonw_t *w, const sb_endpoint_t *ep)
{
    const sb_profile_t *p = ep->profile;
    unsigned set = p->route->settings;
    if (set & SB_ROUTE_SET_WEIGHT) {
        sb_jsonw_int(w, "weight", ep->weight);
        sb_jsonw_real(w, "share_percent", sb_route_share(p, sb_route_published(p), ep->index));
    }
    if (set & SB_ROUTE_SET_SUBNETS)
        put_list(w, "subnets", ep->subnet_count, subnet_text, ep);
    if (set & SB_ROUTE_SET_REGIONS)
        put_list(w, "regions", ep->region_count, region_text, ep);
    if ((set & (SB_ROUTE_SET_SUBNETS | SB_ROUTE_SET_REGIONS)) != 0)
        sb_jsonw_bool(w, "default", ep->in_default);
    if ((set & SB_ROUTE_SET_LOCATION) && ep->has_location) {
        sb_jsonw_array(w, "location");
        sb_jsonw_real(w, NULL, (double)ep->lat);
        sb_jsonw_real(w, NULL, (double)ep->lon);
        sb_jsonw_end(w);
    }
    if (ep->child != NULL) {
        sb_jsonw_string(w, "nested", ep->child->owner_text);
        sb_jsonw_int(w, "min_usable", ep->min_usable);
    }
    sb_jsonw_bool(w, "answers_now", sb_route_may_answer(p, sb_route_published(p), ep->index));
}

static void put_profile(sb_jsonw_t *w, const sb_profile_state_t *ps, const sb_zone_t *zone)
{
    const sb_profile_t *prof = ps->profile;
    sb_jsonw_object(w, NULL);
    sb_jsonw_string(w, "name", prof->owner_text);
    sb_jsonw_string(w, "zone", zone != NULL ? sb_zone_apex_text(zone) : "");
    sb_jsonw_string(w, "kind", prof->addresses ? "addresses" : "names");
    sb_jsonw_int(w, "ttl", prof->ttl);
    put_answering(w, ps);
    sb_jsonw_string(w, "method", prof->route->name);
    static const char *const policies[] = {"fail-open", "fail-closed", "fallback"};
    sb_jsonw_string(w, "all_down", policies[prof->all_down]);
    for (int fam = 0; fam < SB_FAMILIES; fam++) {
        if (prof->fallback[fam] != NULL)
            sb_jsonw_string(w, fam ? "fallback_ipv6" : "fallback",
                            prof->fallback[fam]->target_text);
    }
    if (ps->switchover != SB_PICK_NONE) {
        sb_jsonw_string(w, "switchover", prof->endpoints[ps->switchover].name);
        put_time(w, "switchover_until", ps->switchover_until_ms);
        sb_jsonw_string(w, "switchover_by", ps->switchover_by ? ps->switchover_by : "unknown");
    } else {
        sb_jsonw_null(w, "switchover");
    }
    sb_jsonw_array(w, "endpoints");
    for (uint16_t i = 0; i < prof->count; i++)
        put_endpoint(w, &ps->eps[i]);
    sb_jsonw_end(w);
    sb_jsonw_end(w);
}

/* Probes in flight and waiting for a slot: how far the cap holds them. */
static void put_queue(sb_jsonw_t *w, const sb_probe_load_t *load)
{
    sb_jsonw_object(w, "probes");
    sb_jsonw_int(w, "in_flight", load->in_flight);
    sb_jsonw_int(w, "max_in_flight", load->max_in_flight);
    sb_jsonw_int(w, "waiting", (int64_t)load->waiting);
    sb_jsonw_int(w, "oldest_wait_ms", (int64_t)load->oldest_wait_ms);
    sb_jsonw_end(w);
}

bool sb_probe_status_troubled(const sb_profile_state_t *ps)
{
    const sb_profile_t *p = ps->profile;
    for (uint16_t i = 0; i < p->count; i++) {
        const sb_ep_state_t *es = &ps->eps[i];
        bool up = es->ep->child != NULL ? sb_publish_nested_usable(es->ep, NULL)
                                        : es->health.state == SB_HEALTH_UP;
        if (!up || es->held)
            return true;
    }
    sb_route_view_t v;
    sb_route_view(p, sb_route_published(p), &v);
    for (int fam = 0; fam < (p->addresses ? SB_FAMILIES : 1); fam++)
        if (v.status[fam] == SB_ROUTE_FAIL_OPEN || v.status[fam] == SB_ROUTE_CLOSED ||
            v.status[fam] == SB_ROUTE_FALLBACK)
            return true;
    return false;
}

/* Each profile's zone, when shown (NULL when not); how many matched the
 * filter before the page was cut. */
static size_t choose(const sb_probe_states_t *st, const sb_gen_t *gen, const sb_status_filter_t *f,
                     const sb_zone_t **zone_of)
{
    size_t matched = 0;
    for (size_t i = 0; i < st->profile_count; i++) {
        const sb_profile_state_t *ps = &st->profiles[i];
        zone_of[i] = NULL;
        if ((f->selected != NULL && !f->selected[i]) || (f->down && !sb_probe_status_troubled(ps)))
            continue;
        if (matched++ < f->offset || (f->limit != 0 && matched > f->offset + f->limit))
            continue;
        sb_lname_t owner;
        sb_name_to_lname(&owner, ps->profile->owner);
        zone_of[i] = sb_gen_find_zone(gen, &owner);
    }
    return matched;
}

static int by_address(const void *a, const void *b)
{
    const void *x = *(const void *const *)a, *y = *(const void *const *)b;
    return x < y ? -1 : x > y;
}

/* The zones holding a profile shown, in the generation's order. */
static void put_zones(sb_jsonw_t *w, const sb_gen_t *gen, const sb_zone_t **zone_of, size_t n,
                      const sb_zone_t **sorted)
{
    size_t shown = 0;
    for (size_t i = 0; i < n; i++)
        if (zone_of[i] != NULL)
            sorted[shown++] = zone_of[i];
    qsort(sorted, shown, sizeof(*sorted), by_address);
    sb_jsonw_array(w, "zones");
    for (size_t i = 0; i < sb_gen_zone_count(gen); i++) {
        const sb_zone_t *z = sb_gen_zone(gen, i);
        if (bsearch(&z, sorted, shown, sizeof(*sorted), by_address) == NULL)
            continue;
        sb_jsonw_object(w, NULL);
        sb_jsonw_string(w, "name", sb_zone_apex_text(z));
        sb_jsonw_string(w, "file", sb_zone_file(z));
        sb_jsonw_int(w, "names", (int64_t)sb_zone_node_count(z));
        sb_jsonw_int(w, "profiles", (int64_t)sb_zone_profile_count(z));
        sb_jsonw_end(w);
    }
    sb_jsonw_end(w);
}

static void put_page(sb_jsonw_t *w, const sb_status_filter_t *f, size_t matched)
{
    sb_jsonw_object(w, "page");
    sb_jsonw_int(w, "matched", (int64_t)matched);
    sb_jsonw_int(w, "offset", (int64_t)f->offset);
    if (f->limit != 0)
        sb_jsonw_int(w, "limit", (int64_t)f->limit);
    else
        sb_jsonw_null(w, "limit");
    sb_jsonw_end(w);
}

char *sb_probe_status_text(const sb_probe_states_t *st, const sb_gen_t *gen,
                           const sb_probe_load_t *load, const sb_status_filter_t *f, size_t *len)
{
    static const sb_status_filter_t everything = {0};
    f = f != NULL ? f : &everything;
    size_t n = st->profile_count;
    const sb_zone_t **zone_of = calloc(2 * n + 1, sizeof(*zone_of));
    if (zone_of == NULL)
        return NULL;
    size_t matched = choose(st, gen, f, zone_of);
    sb_jsonw_t w;
    sb_jsonw_init(&w);
    sb_jsonw_object(&w, NULL);
    put_queue(&w, load);
    put_zones(&w, gen, zone_of, n, zone_of + n);
    sb_jsonw_array(&w, "profiles");
    for (size_t i = 0; i < n; i++)
        if (zone_of[i] != NULL)
            put_profile(&w, &st->profiles[i], zone_of[i]);
    sb_jsonw_end(&w);
    put_page(&w, f, matched);
    sb_jsonw_end(&w);
    free(zone_of);
    return sb_jsonw_take(&w, len);
}
