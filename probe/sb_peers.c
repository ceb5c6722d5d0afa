/*
 * What the other nameservers see, and the fleet's verdict (sb_peers.h).
 */
#include "sb_peers.h"

#include "sb_log.h"
#include "sb_monitor.h"
#include "sb_probe_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_peers_init(sb_peers_t *p, sb_probe_states_t *st, const char *self)
{
    memset(p, 0, sizeof(*p));
    p->self = self;
    if (st->ep_count > 0 && (p->views = calloc(st->ep_count, SB_PEERS_MAX)) == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < st->ep_count; i++) {
        st->eps[i].peer_views = p->views + i * SB_PEERS_MAX;
        st->eps[i].told = -1;
    }
    for (size_t i = 0; i < st->profile_count; i++)
        st->profiles[i].peers = p;
    return 0;
}

void sb_peers_free(sb_peers_t *p)
{
    if (p->changes_open)
        free(sb_verdicts_finish(&p->changes));
    p->changes_open = false;
    free(p->views);
    p->views = NULL;
}

static bool fresh(const sb_peers_t *p, size_t node, int64_t now_ms)
{
    return now_ms - p->heard_ms[node] < (int64_t)p->period_ms[node] * SB_PEERS_STALE;
}

/* The node's index, made when new; -1 when the table is full. */
static int node_index(sb_peers_t *p, const char *name)
{
    for (size_t i = 0; i < p->count; i++) {
        if (strcmp(p->names[i], name) == 0)
            return (int)i;
    }
    if (p->count == SB_PEERS_MAX)
        return -1;
    snprintf(p->names[p->count], sizeof(p->names[0]), "%s", name);
    return (int)p->count++;
}

bool sb_peers_take(sb_peers_t *p, sb_probe_states_t *st, const sb_verdicts_t *m, int64_t now_ms)
{
    if (strcmp(m->node, p->self) == 0) /* this node's own name: never counted twice */
        return false;
    int node = node_index(p, m->node);
    if (node < 0)
        return false;
    bool was_fresh = p->heard_ms[node] != 0 && fresh(p, (size_t)node, now_ms);
    p->heard_ms[node] = now_ms;
    p->period_ms[node] = m->period_ms;
    bool changed = !was_fresh; /* its views count again */
    for (size_t i = 0; i < m->count; i++) {
        sb_profile_state_t *ps = sb_probe_state_find_profile(st, m->views[i].profile);
        sb_ep_state_t *es =
            ps != NULL ? sb_probe_state_find_endpoint(ps, m->views[i].endpoint) : NULL;
        if (es == NULL) /* not in this configuration */
            continue;
        uint8_t v = m->views[i].up ? SB_VIEW_UP : SB_VIEW_DOWN;
        changed |= es->peer_views[node] != v;
        es->peer_views[node] = v;
    }
    return changed;
}

bool sb_peers_expire(sb_peers_t *p, int64_t now_ms)
{
    unsigned n = 0;
    for (size_t i = 0; i < p->count; i++)
        n += p->heard_ms[i] != 0 && fresh(p, i, now_ms);
    if (n == p->fresh)
        return false;
    if (n == 0)
        sb_log(SB_LOG_WARNING, "fleet-health-alone",
               "reason=\"no other node's views are fresh: every endpoint is judged by this "
               "node's probes alone\"");
    else if (p->fresh == 0)
        sb_log(SB_LOG_INFO, "fleet-health-joined", "nodes=%u", n);
    p->fresh = n;
    return true;
}

bool sb_peers_verdict(const sb_peers_t *p, const sb_ep_state_t *es, bool local, int64_t now_ms,
                      unsigned *up, unsigned *reporting)
{
    sb_vote_t vote = es->ep->monitor->fleet;
    *up = local;
    *reporting = 1;
    if (p == NULL || vote.kind == SB_VOTE_LOCAL)
        return local;
    for (size_t i = 0; i < p->count; i++) {
        uint8_t v = es->peer_views[i];
        if (v == SB_VIEW_UNKNOWN || !fresh(p, i, now_ms))
            continue;
        (*reporting)++;
        *up += v == SB_VIEW_UP;
    }
    if (*reporting == 1) /* nobody else heard: this node's own view */
        return local;
    return sb_vote_decide(vote, *up, *reporting);
}

static void tell(sb_peers_t *p, sb_verdicts_writer_t *w)
{
    char *text = sb_verdicts_finish(w);
    if (text != NULL && p->tell != NULL)
        p->tell(p->tell_arg, text);
    else
        free(text);
}

/* A message's views past which it is sent: at most SB_VERDICTS_PER_MESSAGE,
 * and about half a MiB of text (a view is its two names and ~16 bytes), so
 * that it stays under NATS's default 1 MB payload whatever the names. */
#define MESSAGE_BYTES (512u * 1024u)

void sb_peers_summary(sb_peers_t *p, const sb_probe_states_t *st)
{
    sb_verdicts_writer_t w;
    if (sb_verdicts_begin(&w, p->self, true) < 0)
        return;
    size_t bytes = 0;
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_ep_state_t *es = &st->eps[i];
        if (es->told < 0)
            continue;
        const char *profile = es->ps->profile->owner_text, *name = es->ep->name;
        if (sb_verdicts_add(&w, profile, name, es->told > 0) < 0)
            break;
        bytes += strlen(profile) + strlen(name) + 16;
        if (sb_verdicts_pending(&w) == SB_VERDICTS_PER_MESSAGE || bytes >= MESSAGE_BYTES) {
            bytes = 0;
            tell(p, &w);
            if (sb_verdicts_begin(&w, p->self, true) < 0)
                return;
        }
    }
    tell(p, &w);
}

void sb_peers_flush(sb_peers_t *p)
{
    if (!p->changes_open)
        return;
    p->changes_open = false;
    tell(p, &p->changes);
}

void sb_peers_changed(sb_peers_t *p, const sb_ep_state_t *es, bool up)
{
    if (!p->changes_open && sb_verdicts_begin(&p->changes, p->self, false) < 0)
        return;
    p->changes_open = true;
    if (sb_verdicts_add(&p->changes, es->ps->profile->owner_text, es->ep->name, up) < 0 ||
        sb_verdicts_pending(&p->changes) == SB_VERDICTS_PER_MESSAGE)
        sb_peers_flush(p);
}
