#include "sb_probe_state.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

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
