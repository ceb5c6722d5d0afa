#include "sb_probe_state.h"

#include "sb_monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

static void init_endpoint(sb_ep_state_t *es, sb_endpoint_t *ep, sb_profile_state_t *ps)
{
    const sb_monitor_t *m = ep->monitor;
    es->ep = ep;
    es->ps = ps;
    es->since_ms = sb_probe_state_wall_ms();
    sb_health_init(&es->health, m->fall, m->rise);
    sb_flap_init(&es->flap, m->flap_limit, m->flap_window_ms, m->hold_down_ms);
    if (m->proto == SB_MONITOR_NONE)
        sb_health_force(&es->health, SB_HEALTH_UP);
}

/* Each profile's parents[]: the profiles with a nested endpoint leading to
 * it (counted, then filled in). */
static int link_parents(sb_probe_states_t *st)
{
    size_t links = 0;
    for (size_t i = 0; i < st->ep_count; i++) {
        if (st->eps[i].ep->child != NULL) {
            st->profiles[st->eps[i].ep->child->id].parent_count++;
            links++;
        }
    }
    st->parent_links = calloc(links + 1, sizeof(*st->parent_links));
    if (st->parent_links == NULL)
        return -ENOMEM;
    size_t at = 0;
    for (size_t i = 0; i < st->profile_count; i++) {
        st->profiles[i].parents = st->parent_links + at;
        at += st->profiles[i].parent_count;
        st->profiles[i].parent_count = 0;
    }
    for (size_t i = 0; i < st->ep_count; i++) {
        const sb_endpoint_t *ep = st->eps[i].ep;
        if (ep->child != NULL) {
            sb_profile_state_t *child = &st->profiles[ep->child->id];
            child->parents[child->parent_count++] = st->eps[i].ps;
        }
    }
    return 0;
}

int sb_probe_state_init(sb_probe_states_t *st, sb_gen_t *gen)
{
    size_t n_profiles = sb_gen_profile_count(gen);
    memset(st, 0, sizeof(*st));
    st->profiles = calloc(n_profiles + 1, sizeof(*st->profiles));
    st->eps = calloc(sb_gen_endpoint_count(gen) + 1, sizeof(*st->eps));
    if (st->profiles == NULL || st->eps == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n_profiles; i++) {
        sb_profile_state_t *ps = &st->profiles[st->profile_count++];
        ps->profile = sb_gen_profile(gen, i);
        ps->eps = &st->eps[st->ep_count];
        sb_route_view(ps->profile, sb_route_published(ps->profile), &ps->view);
        ps->switchover = SB_PICK_NONE;
        for (uint16_t k = 0; k < ps->profile->count; k++)
            init_endpoint(&st->eps[st->ep_count++], &ps->profile->endpoints[k], ps);
    }
    return link_parents(st);
}

void sb_probe_state_free(sb_probe_states_t *st)
{
    free(st->profiles);
    free(st->eps);
    free(st->parent_links);
    st->parent_links = NULL;
    st->profiles = NULL;
    st->eps = NULL;
    st->profile_count = st->ep_count = 0;
}

int64_t sb_probe_state_wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void sb_probe_state_count(sb_ep_state_t *es, const sb_result_t *r)
{
    if (r->reason < SB_REASON_COUNT)
        es->stats.results[r->reason]++;
    sb_histogram_add(&es->stats.latency, &sb_histogram_latency, r->latency_ms / 1000.0);
}

/* "www.example.com" and "www.example.com." name the same profile. */
static bool same_name(const char *owner_text, const char *asked)
{
    size_t n = strlen(asked);
    if (n > 0 && asked[n - 1] == '.')
        n--;
    size_t m = strlen(owner_text);
    if (m > 0 && owner_text[m - 1] == '.')
        m--;
    return n == m && strncasecmp(owner_text, asked, n) == 0;
}

sb_profile_state_t *sb_probe_state_find_profile(const sb_probe_states_t *st, const char *name)
{
    for (size_t i = 0; i < st->profile_count; i++) {
        if (same_name(st->profiles[i].profile->owner_text, name))
            return &st->profiles[i];
    }
    return NULL;
}

sb_ep_state_t *sb_probe_state_find_endpoint(const sb_profile_state_t *ps, const char *name)
{
    for (uint16_t i = 0; i < ps->profile->count; i++) {
        if (strcmp(ps->eps[i].ep->name, name) == 0)
            return &ps->eps[i];
    }
    return NULL;
}

static bool same_family(const sb_endpoint_t *a, const sb_endpoint_t *b)
{
    return (a->kind == SB_TARGET_V6) == (b->kind == SB_TARGET_V6);
}

bool sb_probe_state_last_of_family(const sb_profile_state_t *ps, const sb_ep_state_t *es)
{
    for (uint16_t i = 0; i < ps->profile->count; i++) {
        const sb_ep_state_t *o = &ps->eps[i];
        if (o != es && !o->drained && same_family(o->ep, es->ep))
            return false;
    }
    return true;
}

void sb_probe_state_last_words(const sb_profile_state_t *ps, const sb_ep_state_t *es, char *why,
                               size_t why_len)
{
    snprintf(why, why_len,
             "endpoint '%s' is the last one of %s left to answer; draining it would leave "
             "queries without an answer",
             es->ep->name, ps->profile->owner_text);
}
