/*
 * Operator overrides applied to the probe worker's state (sb_override.h).
 */
#include "sb_override.h"

#include "sb_log.h"
#include "sb_probe_state.h"
#include "sb_publish.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_override_set_by(char **slot, const char *by)
{
    char *copy = strndup(by != NULL ? by : "unknown", SB_OVERRIDE_BY_MAX - 1);
    if (copy == NULL)
        return -ENOMEM;
    free(*slot);
    *slot = copy;
    return 0;
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
        if (sb_override_set_by(&es->drain_by, o->by) < 0)
            return -ENOMEM;
        es->drained = true;
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
        if (sb_override_set_by(&es->force_by, o->by) < 0)
            return -ENOMEM;
        es->forced = o->force_up ? 1 : -1;
        es->force_until_ms = o->until_ms;
        return 0;
    case SB_OVERRIDE_UNFORCE:
        if (es->forced == 0)
            return -EALREADY;
        es->forced = 0;
        es->force_until_ms = 0;
        return 0;
    case SB_OVERRIDE_SWITCHOVER:
        /* As a force: the same endpoint again is news only with a new end. */
        if (ps->switchover == es->ep->index && ps->switchover_until_ms == o->until_ms)
            return -EALREADY;
        if (sb_override_set_by(&ps->switchover_by, o->by) < 0)
            return -ENOMEM;
        ps->switchover = es->ep->index;
        ps->switchover_until_ms = o->until_ms;
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
    int n = 0;
    if (o->op == SB_OVERRIDE_FORCE)
        n = snprintf(extra, sizeof(extra), " state=%s", o->force_up ? "up" : "down");
    if (sb_override_timed(o->op) && o->until_ms != 0)
        snprintf(extra + n, sizeof(extra) - (size_t)n, " until_ms=%lld", (long long)o->until_ms);
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

/* Do `o` to its profile and endpoint (`es` NULL for FAILBACK); when that
 * changed anything, log it and publish the profile's answer with `cause`. */
static int change(sb_profile_state_t *ps, sb_ep_state_t *es, const sb_override_t *o,
                  const char *cause, char *why, size_t why_len)
{
    int rc;
    if (o->op == SB_OVERRIDE_FAILBACK) {
        rc = ps->switchover == SB_PICK_NONE ? -EALREADY : 0;
        ps->switchover = SB_PICK_NONE;
        ps->switchover_until_ms = 0;
    } else {
        rc = apply_endpoint(ps, es, o, why, why_len);
    }
    if (rc == 0) {
        log_override(ps, o);
        sb_publish_profile(ps, cause);
    }
    return rc;
}

int sb_override_apply(sb_probe_states_t *st, const sb_override_t *o, char *why, size_t why_len)
{
    sb_profile_state_t *ps;
    sb_ep_state_t *es;
    int rc = find_target(st, o, &ps, &es, why, why_len);
    return rc < 0 ? rc : change(ps, es, o, "override", why, why_len);
}

bool sb_override_timed(sb_override_op_t op)
{
    return op == SB_OVERRIDE_FORCE || op == SB_OVERRIDE_SWITCHOVER;
}

sb_override_op_t sb_override_undo(sb_override_op_t op)
{
    static const sb_override_op_t undo[] = {
        [SB_OVERRIDE_DRAIN] = SB_OVERRIDE_UNDRAIN,
        [SB_OVERRIDE_UNDRAIN] = SB_OVERRIDE_UNDRAIN,
        [SB_OVERRIDE_FORCE] = SB_OVERRIDE_UNFORCE,
        [SB_OVERRIDE_UNFORCE] = SB_OVERRIDE_UNFORCE,
        [SB_OVERRIDE_SWITCHOVER] = SB_OVERRIDE_FAILBACK,
        [SB_OVERRIDE_FAILBACK] = SB_OVERRIDE_FAILBACK,
    };
    return undo[op];
}

/* Whether an end of `until_ms` (0: none) has come at `now`. */
static bool due(int64_t until_ms, int64_t now)
{
    return until_ms != 0 && until_ms <= now;
}

bool sb_override_ended(const sb_override_t *o, int64_t now)
{
    return sb_override_timed(o->op) && due(o->until_ms, now);
}

/* Undo the `op` (a force or a switchover) set on `ps` and `es` because its
 * end has come: as the operator's undoing would, by "expiry". */
static void end_it(sb_profile_state_t *ps, sb_ep_state_t *es, sb_override_op_t op)
{
    sb_override_t undo = {.op = sb_override_undo(op),
                          .profile = ps->profile->owner_text,
                          .endpoint = es->ep->name,
                          .by = "expiry"};
    char why[64];
    change(ps, es, &undo, "override-expired", why, sizeof(why));
}

bool sb_override_expire(sb_probe_states_t *st, int64_t now)
{
    bool changed = false;
    for (size_t i = 0; i < st->profile_count; i++) {
        sb_profile_state_t *ps = &st->profiles[i];
        if (ps->switchover != SB_PICK_NONE && due(ps->switchover_until_ms, now)) {
            end_it(ps, &ps->eps[ps->switchover], SB_OVERRIDE_SWITCHOVER);
            changed = true;
        }
        for (uint16_t k = 0; k < ps->profile->count; k++) {
            if (ps->eps[k].forced == 0 || !due(ps->eps[k].force_until_ms, now))
                continue;
            end_it(ps, &ps->eps[k], SB_OVERRIDE_FORCE);
            changed = true;
        }
    }
    return changed;
}

/* One entry of the list the state file keeps. */
static json_t *entry(const char *action, const sb_profile_state_t *ps, const sb_ep_state_t *es,
                     const char *by)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "action", action, "profile", ps->profile->owner_text,
                     "endpoint", es->ep->name, "by", by != NULL ? by : "unknown");
}

static void add_endpoint_overrides(json_t *arr, const sb_profile_state_t *ps,
                                   const sb_ep_state_t *es)
{
    if (es->drained)
        json_array_append_new(arr, entry("drain", ps, es, es->drain_by));
    if (es->forced != 0) {
        json_t *e = entry("force", ps, es, es->force_by);
        json_object_set_new(e, "state", json_string(es->forced > 0 ? "up" : "down"));
        json_object_set_new(e, "until_ms", json_integer((json_int_t)es->force_until_ms));
        json_array_append_new(arr, e);
    }
}

json_t *sb_override_list(const sb_probe_states_t *st)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < st->profile_count; i++) {
        const sb_profile_state_t *ps = &st->profiles[i];
        if (ps->switchover != SB_PICK_NONE) {
            json_t *e = entry("switchover", ps, &ps->eps[ps->switchover], ps->switchover_by);
            json_object_set_new(e, "until_ms", json_integer((json_int_t)ps->switchover_until_ms));
            json_array_append_new(arr, e);
        }
        for (uint16_t k = 0; k < ps->profile->count; k++)
            add_endpoint_overrides(arr, ps, &ps->eps[k]);
    }
    return arr;
}
