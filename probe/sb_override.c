/*
 * Operator overrides applied to the probe worker's state (sb_override.h).
 */
#include "sb_override.h"

#include "sb_log.h"
#include "sb_probe_state.h"
#include "sb_publish.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(((sb_ep_state_t *)0)->force_by) == SB_OVERRIDE_BY_MAX &&
                   sizeof(((sb_ep_state_t *)0)->drain_by) == SB_OVERRIDE_BY_MAX &&
                   sizeof(((sb_profile_state_t *)0)->switchover_by) == SB_OVERRIDE_BY_MAX,
               "the state keeps whole setters");

static void copy_by(char *dst, size_t cap, const char *by)
{
    snprintf(dst, cap, "%s", by != NULL ? by : "unknown");
}

static int apply_endpoint(sb_profile_state_t *ps, sb_ep_state_t *es, const sb_override_t *o,
                          char *why, size_t why_len)
{
    switch (o->op) {
    case SB_OVERRIDE_DRAIN:
        if (es->drained)
            return -EALREADY;
        if (sb_probe_state_last_of_family(ps, es)) {
            sb_probe_state_last_words(ps, es, why, why_len);
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

static void log_override(const sb_profile_state_t *ps, const sb_override_t *o)
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

/* The profile and endpoint `o` names (the endpoint NULL for FAILBACK).
 * Returns 0, or -ENOENT with words in `why`. */
static int find_target(sb_probe_states_t *st, const sb_override_t *o, sb_profile_state_t **ps,
                       sb_ep_state_t **es, char *why, size_t why_len)
{
    why[0] = '\0';
    *es = NULL;
    if ((*ps = sb_probe_state_find_profile(st, o->profile)) == NULL) {
        snprintf(why, why_len, "no profile named %s", o->profile);
        return -ENOENT;
    }
    if (o->op == SB_OVERRIDE_FAILBACK)
        return 0;
    *es = sb_probe_state_find_endpoint(*ps, o->endpoint != NULL ? o->endpoint : "");
    if (*es == NULL) {
        snprintf(why, why_len, "profile %s has no endpoint named '%s'", (*ps)->profile->owner_text,
                 o->endpoint != NULL ? o->endpoint : "");
        return -ENOENT;
    }
    return 0;
}

int sb_override_check(sb_probe_states_t *st, const sb_override_t *o, char *why, size_t why_len)
{
    sb_profile_state_t *ps;
    sb_ep_state_t *es;
    int rc = find_target(st, o, &ps, &es, why, why_len);
    if (rc == 0 && o->op == SB_OVERRIDE_DRAIN && !es->drained &&
        sb_probe_state_last_of_family(ps, es)) {
        sb_probe_state_last_words(ps, es, why, why_len);
        rc = -EINVAL;
    }
    return rc;
}

int sb_override_apply(sb_probe_states_t *st, const sb_override_t *o, char *why, size_t why_len)
{
    sb_profile_state_t *ps;
    sb_ep_state_t *es;
    int rc = find_target(st, o, &ps, &es, why, why_len);
    if (rc < 0)
        return rc;
    if (o->op == SB_OVERRIDE_FAILBACK) {
        rc = ps->switchover == SB_PICK_NONE ? -EALREADY : 0;
        ps->switchover = SB_PICK_NONE;
    } else {
        rc = apply_endpoint(ps, es, o, why, why_len);
    }
    if (rc == 0) {
        log_override(ps, o);
        sb_publish_profile(ps, "override");
    }
    return rc;
}

bool sb_override_expire(sb_probe_states_t *st, int64_t now)
{
    bool changed = false;
    for (size_t i = 0; i < st->ep_count; i++) {
        sb_ep_state_t *es = &st->eps[i];
        if (es->forced == 0 || es->force_until_ms == 0 || now < es->force_until_ms)
            continue;
        es->forced = 0;
        es->force_until_ms = 0;
        changed = true;
        sb_log(SB_LOG_INFO, "override", "action=unforce profile=%s endpoint=%s by=expiry",
               es->ps->profile->owner_text, es->ep->name);
        sb_publish_profile(es->ps, "override-expired");
    }
    return changed;
}

static void add_endpoint_overrides(json_t *arr, const sb_profile_state_t *ps,
                                   const sb_ep_state_t *es)
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

json_t *sb_override_list(const sb_probe_states_t *st)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < st->profile_count; i++) {
        const sb_profile_state_t *ps = &st->profiles[i];
        if (ps->switchover != SB_PICK_NONE)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "action", "switchover",
                                                 "profile", ps->profile->owner_text, "endpoint",
                                                 ps->profile->endpoints[ps->switchover].name, "by",
                                                 ps->switchover_by));
        for (uint16_t k = 0; k < ps->profile->count; k++)
            add_endpoint_overrides(arr, ps, &ps->eps[k]);
    }
    return arr;
}
