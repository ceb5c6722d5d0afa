#include "sb_probe_state.h"

#include "sb_monitor.h"
#include "sb_suggest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

/* Whether the endpoint has probes of its own (and so an sb_ep_probe_t). */
static bool own_probes(const sb_endpoint_t *ep)
{
    return ep->child == NULL && ep->monitor->proto != SB_MONITOR_NONE;
}

/* Whether the endpoint keeps a flap ring (a probed one with a flap-limit). */
static bool needs_flap(const sb_endpoint_t *ep)
{
    return own_probes(ep) && ep->monitor->flap_limit > 0;
}

/* `probe`: the endpoint's sb_ep_probe_t, NULL when it has no probes;
 * `flap` its flap ring, NULL when it keeps none. */
static void init_endpoint(sb_ep_state_t *es, sb_endpoint_t *ep, sb_profile_state_t *ps,
                          sb_ep_probe_t *probe, sb_flap_t *flap)
{
    const sb_monitor_t *m = ep->monitor;
    es->ep = ep;
    es->ps = ps;
    es->since_ms = sb_probe_state_wall_ms();
    es->before = SB_EP_NEW;
    es->probe = probe;
    sb_health_init(&es->health, m->fall, m->rise);
    if (probe != NULL && (probe->flap = flap) != NULL)
        sb_flap_init(flap, m->flap_limit, m->flap_window_ms, m->hold_down_ms);
    if (m->proto == SB_MONITOR_NONE)
        sb_health_force(&es->health, SB_HEALTH_UP);
}

/* Storage for the probed endpoints' sb_ep_probe_t and flap rings, an
 * array each. */
static int alloc_probes(sb_probe_states_t *st, sb_gen_t *gen)
{
    size_t n = 0, flaps = 0;
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        const sb_profile_t *p = sb_gen_profile(gen, i);
        for (uint16_t k = 0; k < p->count; k++) {
            n += own_probes(&p->endpoints[k]);
            flaps += needs_flap(&p->endpoints[k]);
        }
    }
    st->probes = calloc(n + 1, sizeof(*st->probes));
    st->flaps = calloc(flaps + 1, sizeof(*st->flaps));
    return st->probes != NULL && st->flaps != NULL ? 0 : -ENOMEM;
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
    size_t scratch_size = sb_route_decision_size(0);
    size_t n_profiles = sb_gen_profile_count(gen);
    memset(st, 0, sizeof(*st));
    st->profiles = calloc(n_profiles + 1, sizeof(*st->profiles));
    st->eps = calloc(sb_gen_endpoint_count(gen) + 1, sizeof(*st->eps));
    if (st->profiles == NULL || st->eps == NULL || alloc_probes(st, gen) < 0)
        return -ENOMEM;
    sb_ep_probe_t *next_probe = st->probes;
    sb_flap_t *next_flap = st->flaps;
    for (size_t i = 0; i < n_profiles; i++) {
        sb_profile_state_t *ps = &st->profiles[st->profile_count++];
        ps->profile = sb_gen_profile(gen, i);
        ps->eps = &st->eps[st->ep_count];
        sb_probe_view_set(&ps->view, sb_route_published(ps->profile));
        ps->switchover = SB_PICK_NONE;
        size_t need = sb_route_decision_size(ps->profile->count);
        if (need > scratch_size)
            scratch_size = need;
        for (uint16_t k = 0; k < ps->profile->count; k++) {
            sb_endpoint_t *ep = &ps->profile->endpoints[k];
            init_endpoint(&st->eps[st->ep_count++], ep, ps, own_probes(ep) ? next_probe++ : NULL,
                          needs_flap(ep) ? next_flap++ : NULL);
        }
    }
    if ((st->scratch = malloc(scratch_size)) == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < st->profile_count; i++)
        st->profiles[i].scratch = st->scratch;
    return link_parents(st);
}

void sb_probe_state_free(sb_probe_states_t *st)
{
    for (size_t i = 0; i < st->ep_count; i++) {
        if (st->eps[i].probe != NULL)
            sb_history_clear(&st->eps[i].probe->history);
        free(st->eps[i].force_by);
        free(st->eps[i].drain_by);
    }
    for (size_t i = 0; i < st->profile_count; i++) {
        free(st->profiles[i].switchover_by);
        sb_probe_view_clear(&st->profiles[i].view);
        sb_probe_view_clear(&st->profiles[i].before);
    }
    free(st->profiles);
    free(st->eps);
    free(st->probes);
    free(st->flaps);
    free(st->parent_links);
    free(st->scratch);
    st->parent_links = NULL;
    st->scratch = NULL;
    st->profiles = NULL;
    st->eps = NULL;
    st->probes = NULL;
    st->flaps = NULL;
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
    if (es->probe == NULL) /* not probed: nothing to count (nor to count in) */
        return;
    if (r->reason < SB_REASON_COUNT)
        es->probe->stats.results[r->reason]++;
    sb_histogram_add(&es->probe->stats.latency, &sb_histogram_latency, r->latency_ms / 1000.0);
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

/* ---- names an operator typed ---------------------------------------------- */

#define SHOWN_MAX 6 /* candidates named in an error; "and N more" after them */

typedef struct {
    size_t count;
    const char *names[SHOWN_MAX];
} candidates_t;

static void candidate(candidates_t *c, const char *name)
{
    if (c->count < SHOWN_MAX)
        c->names[c->count] = name;
    c->count++;
}

/* "a, b or c" (each in `quote`), or "a, b, ... and 3 more". */
static void list_candidates(const candidates_t *c, const char *quote, char *out, size_t cap)
{
    size_t shown = c->count < SHOWN_MAX ? c->count : SHOWN_MAX, used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < shown && used < cap; i++) {
        const char *sep = i == 0 ? "" : (i + 1 == shown && shown == c->count) ? " or " : ", ";
        int n = snprintf(out + used, cap - used, "%s%s%s%s", sep, quote, c->names[i], quote);
        used += n > 0 ? (size_t)n : 0;
    }
    if (c->count > shown && used < cap)
        snprintf(out + used, cap - used, " and %zu more", c->count - shown);
}

static size_t without_dot(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

/* The length of the first `labels` labels of `name` (no escapes inside
 * labels are looked at: this is for suggestions only); 0 when it has no
 * more labels than that. */
static size_t first_labels(const char *name, size_t labels)
{
    size_t n = 0;
    for (size_t k = 0; name[n] != '\0'; n++) {
        if (name[n] == '.' && ++k == labels)
            return name[n + 1] != '\0' ? n : 0;
    }
    return 0;
}

/* "; did you mean www.example.com.?" for a profile name that matches none:
 * compared with each profile's whole name, and with as many of its first
 * labels as `typed` has (so that `ww` suggests www.example.com.). */
static void suggest_profiles(const sb_probe_states_t *st, const char *typed, char *out, size_t cap)
{
    size_t labels = 1;
    for (const char *p = typed; *p != '\0'; p++)
        labels += *p == '.';
    sb_suggest_t s;
    sb_suggest_init(&s, typed);
    for (size_t i = 0; i < st->profile_count; i++) {
        const char *owner = st->profiles[i].profile->owner_text;
        sb_suggest_consider(&s, owner, without_dot(owner), owner);
        size_t k = first_labels(owner, labels);
        if (k > 0)
            sb_suggest_consider(&s, owner, k, owner);
    }
    sb_suggest_text(&s, "", out, cap);
}

/* Whether `owner` begins with the labels `typed` (n bytes, no final dot)
 * and has more after them. */
static bool relative_match(const char *owner, const char *typed, size_t n)
{
    return strncasecmp(owner, typed, n) == 0 && owner[n] == '.' && owner[n + 1] != '\0';
}

int sb_probe_state_resolve_profile(const sb_probe_states_t *st, const char *name,
                                   sb_profile_state_t **out, char *why, size_t why_len)
{
    if ((*out = sb_probe_state_find_profile(st, name)) != NULL)
        return 0;
    size_t n = strlen(name);
    candidates_t c = {0};
    for (size_t i = 0; n > 0 && name[n - 1] != '.' && i < st->profile_count; i++) {
        if (relative_match(st->profiles[i].profile->owner_text, name, n)) {
            *out = c.count == 0 ? &st->profiles[i] : NULL;
            candidate(&c, st->profiles[i].profile->owner_text);
        }
    }
    if (c.count == 1)
        return 0;
    char text[SB_NAME_TEXT_MAX + 1], more[512];
    if (c.count > 1) {
        list_candidates(&c, "", more, sizeof(more));
        snprintf(why, why_len, "profile name %s could be %s; give more of the name", name, more);
        return -EINVAL;
    }
    snprintf(text, sizeof(text), "%.*s", (int)without_dot(name), name);
    suggest_profiles(st, text, more, sizeof(more));
    snprintf(why, why_len, "no profile named %s%s", name, more);
    return -ENOENT;
}

/* Whether `typed` (n bytes) is a whole word at the start or the end of
 * endpoint name `ep`, words being split at '-' and '_'. */
static bool word_match(const char *ep, const char *typed, size_t n)
{
    size_t m = strlen(ep);
    if (n == 0 || m <= n)
        return false;
    bool starts = strncasecmp(ep, typed, n) == 0 && (ep[n] == '-' || ep[n] == '_');
    bool ends =
        strncasecmp(ep + m - n, typed, n) == 0 && (ep[m - n - 1] == '-' || ep[m - n - 1] == '_');
    return starts || ends;
}

/* The endpoints of `ps` that `name` matches, in any case (`words`: as a
 * whole word of theirs); *out is the only one, or NULL. */
static void match_endpoints(const sb_profile_state_t *ps, const char *name, bool words,
                            sb_ep_state_t **out, candidates_t *c)
{
    size_t n = strlen(name);
    *out = NULL;
    for (uint16_t i = 0; i < ps->profile->count; i++) {
        const char *ep = ps->eps[i].ep->name;
        if (words ? word_match(ep, name, n) : strcasecmp(ep, name) == 0) {
            *out = c->count == 0 ? &ps->eps[i] : NULL;
            candidate(c, ep);
        }
    }
}

int sb_probe_state_resolve_endpoint(const sb_profile_state_t *ps, const char *name,
                                    sb_ep_state_t **out, char *why, size_t why_len)
{
    if ((*out = sb_probe_state_find_endpoint(ps, name)) != NULL)
        return 0;
    candidates_t c = {0};
    match_endpoints(ps, name, false, out, &c);
    if (c.count == 0)
        match_endpoints(ps, name, true, out, &c);
    if (c.count == 1)
        return 0;
    char more[512];
    if (c.count > 1) {
        list_candidates(&c, "'", more, sizeof(more));
        snprintf(why, why_len, "endpoint '%s' of profile %s could be %s; give its whole name", name,
                 ps->profile->owner_text, more);
        return -EINVAL;
    }
    sb_suggest_t s;
    sb_suggest_init(&s, name);
    for (uint16_t i = 0; i < ps->profile->count; i++)
        sb_suggest_consider(&s, ps->eps[i].ep->name, strlen(ps->eps[i].ep->name),
                            ps->eps[i].ep->name);
    snprintf(why, why_len, "profile %s has no endpoint named '%s'%s", ps->profile->owner_text, name,
             sb_suggest_text(&s, "'", more, sizeof(more)));
    return -ENOENT;
}

/* ---- draining -------------------------------------------------------------- */

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
