/*
 * What a reload keeps: each endpoint's health (when its probe did not
 * change), history and overrides, each profile's switchover and the
 * endpoint it was answering with, copied out of the old worker on its
 * thread and looked up by name while the new worker builds; and the
 * worker's queue-wait histogram, so that it stays a counter.
 */
#include "sb_carry.h"

#include "sb_log.h"
#include "sb_monitor.h"
#include "sb_override.h"
#include "sb_peers.h"
#include "sb_probe_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name; /* "profile\x1fendpoint" or "profile" */
    char *probe_key;
    sb_health_t health;
    sb_flap_t flap;
    bool held;
    int64_t since_ms;
    sb_history_t history;
    bool drained;
    int8_t forced;
    int64_t force_until_ms;
    char force_by[SB_OVERRIDE_BY_MAX];
    char drain_by[SB_OVERRIDE_BY_MAX];
    sb_probe_stats_t stats;
    bool has_views; /* the fleet's views of it, as below */
    uint8_t views[SB_PEERS_MAX];
    int8_t told;
} carried_ep_t;

typedef struct {
    char *name;
    char *switchover; /* endpoint name, or NULL */
    int64_t switchover_until_ms;
    char switchover_by[SB_OVERRIDE_BY_MAX];
    sb_route_view_t view; /* what was answering: not news after the reload */
} carried_profile_t;

struct sb_carry {
    carried_ep_t *eps;
    size_t ep_count;
    carried_profile_t *profiles;
    size_t profile_count;
    sb_histogram_t queue_wait;
    bool has_peers; /* the other nodes, as the old worker heard them */
    sb_peers_t peers;
};

static char *joined(const char *profile, const char *endpoint)
{
    char *out = NULL;
    if (asprintf(&out, "%s\x1f%s", profile, endpoint) < 0)
        return NULL;
    return out;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static const char *pick_name(const sb_profile_t *p, uint16_t i)
{
    return i == SB_PICK_NONE ? NULL : p->endpoints[i].name;
}

static int cmp_ep(const void *a, const void *b)
{
    return strcmp(((const carried_ep_t *)a)->name, ((const carried_ep_t *)b)->name);
}

static int cmp_profile(const void *a, const void *b)
{
    return strcmp(((const carried_profile_t *)a)->name, ((const carried_profile_t *)b)->name);
}

static bool copy_endpoint(carried_ep_t *c, const sb_ep_state_t *es,
                          const sb_check_type_t *const *types)
{
    c->name = joined(es->ps->profile->owner_text, es->ep->name);
    c->probe_key = es->ep->monitor->proto == SB_MONITOR_NONE ? NULL : sb_probe_key(es->ep, types);
    c->health = es->health;
    if (es->probe != NULL) {
        if (es->probe->flap != NULL)
            c->flap = *es->probe->flap;
        if (sb_history_copy(&c->history, &es->probe->history) < 0)
            return false;
    }
    c->held = es->held;
    c->since_ms = es->since_ms;
    c->drained = es->drained;
    c->forced = es->forced;
    c->force_until_ms = es->force_until_ms;
    snprintf(c->force_by, sizeof(c->force_by), "%s", es->force_by ? es->force_by : "");
    snprintf(c->drain_by, sizeof(c->drain_by), "%s", es->drain_by ? es->drain_by : "");
    if (es->probe != NULL)
        c->stats = es->probe->stats;
    if ((c->has_views = es->peer_views != NULL))
        memcpy(c->views, es->peer_views, sizeof(c->views));
    c->told = es->told;
    return c->name != NULL;
}

static bool copy_profile(carried_profile_t *c, const sb_profile_state_t *ps)
{
    const sb_profile_t *p = ps->profile;
    c->name = strdup(p->owner_text);
    c->switchover = dup_or_null(pick_name(p, ps->switchover));
    c->switchover_until_ms = ps->switchover_until_ms;
    snprintf(c->switchover_by, sizeof(c->switchover_by), "%s",
             ps->switchover_by ? ps->switchover_by : "");
    sb_probe_view_full(&ps->view, p, sb_route_published(p), &c->view);
    return c->name != NULL;
}

sb_carry_t *sb_carry_take(const sb_probe_states_t *st, const sb_histogram_t *queue_wait,
                          const sb_check_type_t *const *types)
{
    sb_carry_t *c = calloc(1, sizeof(*c));
    bool ok = c != NULL && (c->eps = calloc(st->ep_count + 1, sizeof(*c->eps))) != NULL &&
              (c->profiles = calloc(st->profile_count + 1, sizeof(*c->profiles))) != NULL;
    for (size_t i = 0; ok && i < st->ep_count; i++)
        ok = copy_endpoint(&c->eps[c->ep_count++], &st->eps[i], types);
    for (size_t i = 0; ok && i < st->profile_count; i++)
        ok = copy_profile(&c->profiles[c->profile_count++], &st->profiles[i]);
    if (!ok) {
        sb_carry_free(c);
        return NULL;
    }
    c->queue_wait = *queue_wait;
    const sb_peers_t *peers = st->profile_count > 0 ? st->profiles[0].peers : NULL;
    if ((c->has_peers = peers != NULL)) {
        c->peers = *peers;
        c->peers.views = NULL; /* the rows are carried per endpoint */
    }
    qsort(c->eps, c->ep_count, sizeof(*c->eps), cmp_ep);
    qsort(c->profiles, c->profile_count, sizeof(*c->profiles), cmp_profile);
    return c;
}

void sb_carry_free(sb_carry_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ep_count; i++) {
        free(c->eps[i].name);
        free(c->eps[i].probe_key);
        sb_history_clear(&c->eps[i].history);
    }
    for (size_t i = 0; i < c->profile_count; i++) {
        free(c->profiles[i].name);
        free(c->profiles[i].switchover);
    }
    free(c->eps);
    free(c->profiles);
    free(c);
}

static uint16_t index_of(const sb_profile_t *p, const char *name)
{
    for (uint16_t i = 0; name != NULL && i < p->count; i++) {
        if (strcmp(p->endpoints[i].name, name) == 0)
            return i;
    }
    return SB_PICK_NONE;
}

void sb_carry_profile(const sb_carry_t *carry, sb_profile_state_t *ps)
{
    if (carry == NULL)
        return;
    carried_profile_t key = {.name = (char *)ps->profile->owner_text};
    const carried_profile_t *c =
        bsearch(&key, carry->profiles, carry->profile_count, sizeof(key), cmp_profile);
    if (c == NULL)
        return;
    ps->reloaded = true;
    /* What was answering: the reload's answer-change log (and its report
     * to ctl) compares with it. */
    (void)sb_probe_view_keep(&ps->view, &c->view); /* out of memory: "unknown" */
    (void)sb_probe_view_keep(&ps->before, &c->view);
    ps->switchover = index_of(ps->profile, c->switchover);
    ps->switchover_until_ms = ps->switchover != SB_PICK_NONE ? c->switchover_until_ms : 0;
    if (c->switchover_by[0] != '\0') /* out of memory: "unknown" is shown */
        (void)sb_override_set_by(&ps->switchover_by, c->switchover_by);
}

void sb_carry_queue_wait(const sb_carry_t *carry, sb_histogram_t *out)
{
    if (carry != NULL)
        *out = carry->queue_wait;
}

void sb_carry_endpoint(const sb_carry_t *carry, sb_ep_state_t *es, const char *probe_key)
{
    if (carry == NULL)
        return;
    carried_ep_t key = {.name = joined(es->ps->profile->owner_text, es->ep->name)};
    if (key.name == NULL)
        return;
    const carried_ep_t *c = bsearch(&key, carry->eps, carry->ep_count, sizeof(key), cmp_ep);
    free(key.name);
    if (c == NULL)
        return;
    es->drained = c->drained;
    es->forced = c->forced;
    es->force_until_ms = c->force_until_ms;
    if (c->force_by[0] != '\0') /* out of memory: "unknown" is shown */
        (void)sb_override_set_by(&es->force_by, c->force_by);
    if (c->drain_by[0] != '\0')
        (void)sb_override_set_by(&es->drain_by, c->drain_by);
    if (es->probe != NULL) {
        sb_history_clear(&es->probe->history);
        (void)sb_history_copy(&es->probe->history, &c->history); /* none when out of memory */
        es->probe->stats = c->stats;
    }
    es->before = (int8_t)c->health.state;
    bool same_probe = probe_key != NULL && c->probe_key != NULL &&
                      strcmp(probe_key, c->probe_key) == 0 && c->health.state != SB_HEALTH_CHECKING;
    if (!same_probe || es->probe == NULL)
        return; /* a changed probe starts checking afresh */
    uint8_t fall = es->health.fall, rise = es->health.rise;
    es->health = c->health;
    es->health.fall = fall; /* fall and rise may have changed: the new ones count */
    es->health.rise = rise;
    if (es->probe->flap != NULL) { /* its changes count on, under the new settings */
        *es->probe->flap = c->flap;
        sb_flap_reconfigure(es->probe->flap, es->ep->monitor->flap_limit,
                            es->ep->monitor->flap_window_ms, es->ep->monitor->hold_down_ms);
    }
    es->held = c->held;
    es->since_ms = c->since_ms;
    es->carried = true;
}

void sb_carry_peers(const sb_carry_t *carry, sb_peers_t *p, sb_probe_states_t *st)
{
    if (carry == NULL || !carry->has_peers)
        return;
    memcpy(p->names, carry->peers.names, sizeof(p->names));
    memcpy(p->heard_ms, carry->peers.heard_ms, sizeof(p->heard_ms));
    memcpy(p->period_ms, carry->peers.period_ms, sizeof(p->period_ms));
    p->count = carry->peers.count;
    p->fresh = carry->peers.fresh;
    for (size_t i = 0; i < st->ep_count; i++) {
        sb_ep_state_t *es = &st->eps[i];
        carried_ep_t key = {.name = joined(es->ps->profile->owner_text, es->ep->name)};
        const carried_ep_t *c =
            key.name != NULL ? bsearch(&key, carry->eps, carry->ep_count, sizeof(key), cmp_ep)
                             : NULL;
        free(key.name);
        if (c != NULL && c->has_views) {
            memcpy(es->peer_views, c->views, SB_PEERS_MAX);
            es->told = c->told;
        }
    }
}

void sb_carry_check_drains(sb_profile_state_t *ps)
{
    for (uint16_t i = 0; i < ps->profile->count; i++) {
        sb_ep_state_t *es = &ps->eps[i];
        if (!es->drained || !sb_probe_state_last_of_family(ps, es))
            continue;
        char why[256], q[SB_LOG_QUOTE_MAX];
        sb_probe_state_last_words(ps, es, why, sizeof(why));
        es->drained = false;
        sb_log(SB_LOG_WARNING, "override-dropped", "action=drain profile=%s endpoint=%s reason=%s",
               ps->profile->owner_text, es->ep->name, sb_log_quote(q, sizeof(q), why, true));
    }
}

static void log_dropped(const char *action, const char *profile, const char *endpoint,
                        bool profile_gone)
{
    sb_log(SB_LOG_WARNING, "override-dropped",
           "action=%s profile=%s endpoint=%s reason=\"%s is not in the new configuration\"", action,
           profile, endpoint, profile_gone ? "the profile" : "the endpoint");
}

static void report_endpoint(const carried_ep_t *c, const sb_probe_states_t *st)
{
    if (!c->drained && c->forced == 0)
        return;
    char profile[SB_NAME_TEXT_MAX + 1];
    const char *sep = strchr(c->name, '\x1f');
    snprintf(profile, sizeof(profile), "%.*s", (int)(sep - c->name), c->name);
    sb_profile_state_t *ps = sb_probe_state_find_profile(st, profile);
    if (ps != NULL && sb_probe_state_find_endpoint(ps, sep + 1) != NULL)
        return;
    if (c->drained)
        log_dropped("drain", profile, sep + 1, ps == NULL);
    if (c->forced != 0)
        log_dropped("force", profile, sep + 1, ps == NULL);
}

json_t *sb_carry_removed(const sb_carry_t *carry, const sb_probe_states_t *st)
{
    json_t *out = json_array();
    for (size_t i = 0; carry != NULL && out != NULL && i < carry->profile_count; i++) {
        const char *name = carry->profiles[i].name;
        if (sb_probe_state_find_profile(st, name) == NULL &&
            json_array_append_new(out, json_string(name)) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

void sb_carry_report_dropped(const sb_carry_t *carry, const sb_probe_states_t *st)
{
    if (carry == NULL)
        return;
    for (size_t i = 0; i < carry->ep_count; i++)
        report_endpoint(&carry->eps[i], st);
    for (size_t i = 0; i < carry->profile_count; i++) {
        const carried_profile_t *c = &carry->profiles[i];
        if (c->switchover == NULL)
            continue;
        sb_profile_state_t *ps = sb_probe_state_find_profile(st, c->name);
        if (ps == NULL || sb_probe_state_find_endpoint(ps, c->switchover) == NULL)
            log_dropped("switchover", c->name, c->switchover, ps == NULL);
    }
}
