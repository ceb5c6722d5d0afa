#include "sb_probe_result.h"

#include "sb_log.h"
#include "sb_monitor.h"
#include "sb_publish.h"

/* Anti-flap: a change of state counts towards the endpoint's flap limit;
 * past it, the endpoint is held down (not answered) for the hold-down
 * period, however its probes go. Returns true when the hold began. */
static bool note_change(sb_ep_state_t *es, uint64_t now)
{
    const sb_monitor_t *m = es->ep->monitor;
    if (m->flap_limit == 0 || es->probe == NULL || es->probe->flap == NULL ||
        !sb_flap_note_change(es->probe->flap, now))
        return false;
    bool began = !es->held;
    es->held = true;
    char hold[32];
    sb_value_format_duration(sb_flap_held_until(es->probe->flap) - now, hold, sizeof(hold));
    if (began)
        sb_log(SB_LOG_WARNING, "endpoint-hold-down",
               "profile=%s endpoint=%s changes=%u window_ms=%u hold_for=%s reason=\"state "
               "changed more than %u times in the window\"",
               es->ps->profile->owner_text, es->ep->name,
               sb_flap_changes_in_window(es->probe->flap, now), m->flap_window_ms, hold,
               m->flap_limit);
    else
        sb_log(SB_LOG_WARNING, "endpoint-hold-down-extended",
               "profile=%s endpoint=%s hold_for=%s reason=\"state changed while held down\"",
               es->ps->profile->owner_text, es->ep->name, hold);
    return began;
}

/* A hold-down ends at the first result after its time is up. */
static bool hold_ended(sb_ep_state_t *es, uint64_t now)
{
    if (!es->held ||
        (es->probe != NULL && es->probe->flap != NULL && sb_flap_held(es->probe->flap, now)))
        return false;
    es->held = false;
    sb_log(SB_LOG_INFO, "endpoint-hold-down-end", "profile=%s endpoint=%s state=%s",
           es->ps->profile->owner_text, es->ep->name, sb_health_state_name(es->health.state));
    return true;
}

void sb_probe_result_apply(sb_ep_state_t *es, const sb_result_t *r, uint32_t queued_ms,
                           uint64_t now)
{
    sb_health_state_t before = es->health.state;
    es->last = *r;
    if (es->probe != NULL)
        sb_history_add(&es->probe->history, sb_probe_state_wall_ms(), r, queued_ms);
    sb_probe_state_count(es, r);
    bool ended = hold_ended(es, now);
    if (!sb_health_feed(&es->health, sb_result_ok(r))) {
        if (ended)
            sb_publish_profile(es->ps, "hold-down-end");
        return;
    }
    char words[256], q[SB_LOG_QUOTE_MAX];
    sb_reason_format(r, words, sizeof(words));
    es->since_ms = sb_probe_state_wall_ms();
    if (before != SB_HEALTH_CHECKING && es->probe != NULL) /* the first is learnt, not a change */
        es->probe->stats.changes++;
    sb_log(es->health.state == SB_HEALTH_DOWN ? SB_LOG_WARNING : SB_LOG_INFO, "endpoint-state",
           "profile=%s endpoint=%s target=%s from=%s to=%s reason=%s latency_ms=%u%s",
           es->ps->profile->owner_text, es->ep->name, es->ep->target_text,
           sb_health_state_name(before), sb_health_state_name(es->health.state),
           sb_log_quote(q, sizeof(q), words, true), r->latency_ms, es->held ? " held=yes" : "");
    bool began = before != SB_HEALTH_CHECKING && note_change(es, now);
    sb_publish_profile(es->ps, began ? "hold-down" : "probe");
}
