#include "sb_publish.h"

#include "sb_log.h"
#include "sb_peers.h"

#include <stdbool.h>
#include <string.h>

static const char *const family_label[SB_FAMILIES] = {" family=ipv4", " family=ipv6"};

/* Log what changed in one family: the endpoints answering (answer-change)
 * and the start and end of having nothing usable (all-down, all-down-end). */
static void log_family_change(const sb_profile_state_t *ps, const sb_route_view_t *old,
                              const sb_route_view_t *now, int fam, const char *cause)
{
    const sb_profile_t *p = ps->profile;
    const char *family = p->addresses ? family_label[fam] : "";
    sb_route_status_t was = old->status[fam], is = now->status[fam];
    if (is == SB_ROUTE_NONE && was == SB_ROUTE_NONE)
        return; /* no endpoint of this family */
    bool first = strcmp(cause, "first-round") == 0;
    const char *from = first ? "none" : old->answering[fam];
    if (strcmp(from, now->answering[fam]) != 0)
        sb_log(SB_LOG_INFO, "answer-change", "profile=%s%s from=%s to=%s cause=%s", p->owner_text,
               family, from, now->answering[fam], cause);
    bool down = sb_route_status_down(is), was_down = sb_route_status_down(was) && !first;
    if (down && (!was_down || was != is))
        sb_log(SB_LOG_WARNING, "all-down", "profile=%s%s answering=%s policy=%s reason=\"%s\"",
               p->owner_text, family, now->answering[fam], sb_route_status_name(is),
               is == SB_ROUTE_FAIL_OPEN ? "every endpoint is down; failing open"
               : is == SB_ROUTE_CLOSED  ? "every endpoint is down; answering NODATA"
                                        : "every endpoint is down; answering the fallback");
    else if (!down && was_down)
        sb_log(SB_LOG_INFO, "all-down-end", "profile=%s%s answering=%s", p->owner_text, family,
               now->answering[fam]);
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

bool sb_publish_nested_usable(const sb_endpoint_t *ep, unsigned *usable)
{
    const sb_route_decision_t *d = sb_route_published(ep->child);
    unsigned n = 0;
    for (int fam = 0; d != NULL && fam < SB_FAMILIES; fam++) {
        if (d->family[fam].status == SB_ROUTE_ANSWERING)
            n += d->family[fam].count;
    }
    if (usable != NULL)
        *usable = n;
    return n >= ep->min_usable;
}

/* Whether endpoint `i` is usable, into usable[]; false while an endpoint
 * still waits for its first result (nothing is decided then). */
static bool endpoint_usable(sb_profile_state_t *ps, uint16_t i, int64_t now, bool *usable)
{
    const sb_ep_state_t *es = &ps->eps[i];
    if (es->health.state == SB_HEALTH_CHECKING && es->forced == 0)
        return false;
    unsigned up, reporting;
    if (es->forced != 0)
        *usable = es->forced > 0;
    else if (es->ep->child != NULL)
        *usable = sb_publish_nested_usable(es->ep, NULL);
    else
        *usable = sb_peers_verdict(ps->peers, es, local_verdict(es), now, &up, &reporting);
    return true;
}

/* Publish `d` (a change) and log what it means. */
static void publish(sb_profile_state_t *ps, sb_route_decision_t *d, const char *cause)
{
    sb_route_view_t was, now;
    sb_probe_view_full(&ps->view, ps->profile, sb_route_published(ps->profile), &was);
    sb_route_view(ps->profile, d, &now);
    sb_route_publish(ps->profile, d);
    for (int fam = 0; fam < SB_FAMILIES; fam++)
        log_family_change(ps, &was, &now, fam, cause);
    sb_probe_view_set(&ps->view, d);
}

void sb_publish_profile(sb_profile_state_t *ps, const char *why)
{
    const sb_profile_t *p = ps->profile;
    bool usable[p->count], eligible[p->count];
    tell_changes(ps);
    int64_t now = ps->peers != NULL ? sb_probe_state_wall_ms() : 0;
    for (uint16_t i = 0; i < p->count; i++) {
        if (!endpoint_usable(ps, i, now, &usable[i]))
            return;
        eligible[i] = !ps->eps[i].drained;
    }
    bool first = !ps->decided;
    const char *cause = !first ? why : ps->reloaded ? "reload" : "first-round";
    ps->decided = true;
    sb_route_input_t in = {.usable = usable, .eligible = eligible, .preferred = ps->switchover};
    /* Most results change nothing: decide in the scratch first, and
     * allocate only a decision to publish. The first decision is always
     * published: a new profile starts at its default. */
    if (!first && ps->scratch != NULL &&
        sb_route_same(sb_route_decide_scratch(p, &in, ps->scratch), sb_route_published(p)))
        return;
    sb_route_decision_t *d = sb_route_decide(p, &in);
    if (d == NULL) {
        sb_log(SB_LOG_ERROR, "out-of-memory", "profile=%s what=\"routing decision\"",
               p->owner_text);
        return;
    }
    if (!first && sb_route_same(d, sb_route_published(p))) { /* no scratch */
        sb_route_discard(d);
        return;
    }
    publish(ps, d, cause);
    for (uint16_t k = 0; k < ps->parent_count; k++)
        sb_publish_profile(ps->parents[k], "nested");
}
