#include "sb_publish.h"

#include "sb_log.h"
#include "sb_peers.h"

#include <stdbool.h>
#include <string.h>

static const char *endpoint_name(const sb_profile_t *p, uint16_t i)
{
    return i == SB_PICK_NONE ? "none" : p->endpoints[i].name;
}

static void log_choice_change(const sb_profile_state_t *ps, uint16_t from, uint16_t to,
                              bool fail_open_before, bool fail_open, const char *family,
                              const char *cause)
{
    const sb_profile_t *p = ps->profile;
    bool first = strcmp(cause, "first-round") == 0;
    if (to == SB_PICK_NONE && from == SB_PICK_NONE)
        return; /* no endpoint of this family */
    if (first)
        from = SB_PICK_NONE; /* nothing was answered before the first round */
    if (from != to)
        sb_log(SB_LOG_INFO, "answer-change", "profile=%s%s from=%s to=%s cause=%s", p->owner_text,
               family, endpoint_name(p, from), endpoint_name(p, to), cause);
    if (fail_open && !fail_open_before)
        sb_log(SB_LOG_WARNING, "all-down",
               "profile=%s%s answering=%s reason=\"every endpoint is down; failing open to the "
               "highest priority\"",
               p->owner_text, family, endpoint_name(p, to));
    else if (!fail_open && fail_open_before)
        sb_log(SB_LOG_INFO, "all-down-end", "profile=%s%s answering=%s", p->owner_text, family,
               endpoint_name(p, to));
}

/* This node's own verdict: health up and not held down. */
static bool local_verdict(const sb_ep_state_t *es)
{
    return es->health.state == SB_HEALTH_UP && !es->held;
}

/* In a fleet, tell the other nodes each verdict of this node's that
 * changed, before they are counted. */
static void tell_changes(sb_profile_state_t *ps)
{
    for (uint16_t i = 0; ps->peers != NULL && i < ps->profile->count; i++) {
        sb_ep_state_t *es = &ps->eps[i];
        bool local = local_verdict(es);
        if (es->health.state != SB_HEALTH_CHECKING && es->told != local) {
            es->told = local;
            sb_peers_changed(ps->peers, es, local);
        }
    }
}

void sb_publish_profile(sb_profile_state_t *ps, const char *why)
{
    const sb_profile_t *p = ps->profile;
    bool usable[p->count], eligible[p->count];
    tell_changes(ps);
    int64_t now = ps->peers != NULL ? sb_probe_state_wall_ms() : 0;
    for (uint16_t i = 0; i < p->count; i++) {
        const sb_ep_state_t *es = &ps->eps[i];
        if (es->health.state == SB_HEALTH_CHECKING && es->forced == 0)
            return;
        unsigned up, reporting;
        if (es->forced != 0)
            usable[i] = es->forced > 0;
        else
            usable[i] = sb_peers_verdict(ps->peers, es, local_verdict(es), now, &up, &reporting);
        eligible[i] = !es->drained;
    }
    bool first = !ps->decided;
    const char *cause = !first ? why : ps->reloaded ? "reload" : "first-round";
    ps->decided = true;
    sb_route_input_t in = {.usable = usable, .eligible = eligible, .preferred = ps->switchover};
    uint64_t word = sb_route_decide(p, &in);
    if (word == ps->word && !first)
        return; /* the first decision is always published: a new profile starts at its default */
    sb_route_publish(ps->profile, word);
    ps->word = word;
    sb_choice_t c = sb_route_describe(p, word);
    sb_choice_t old = ps->choice;
    ps->choice = c;
    const char *v4 = p->addresses ? " family=ipv4" : "";
    log_choice_change(ps, old.primary, c.primary, old.primary_fail_open, c.primary_fail_open, v4,
                      cause);
    if (p->addresses)
        log_choice_change(ps, old.v6, c.v6, old.v6_fail_open, c.v6_fail_open, " family=ipv6",
                          cause);
}
