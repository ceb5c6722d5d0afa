#include "sb_route.h"

#include "sb_dns.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_route_family_of_endpoint(const sb_endpoint_t *e)
{
    return e->kind == SB_TARGET_V6 ? SB_FAMILY_V6 : SB_FAMILY_PRIMARY;
}

size_t sb_route_decision_size(uint16_t count)
{
    size_t n = count ? count : 1;
    return sizeof(sb_route_decision_t) + SB_FAMILIES * n * (sizeof(uint32_t) + sizeof(uint16_t)) +
           n;
}

/* One block of sb_route_decision_size(): the header, then per family cum[]
 * and order[], then live[] (sized for every endpoint). */
static sb_route_decision_t *decision_init(void *mem, uint16_t count, bool in_arena)
{
    size_t n = count ? count : 1;
    sb_route_decision_t *d = mem;
    memset(d, 0, sb_route_decision_size(count));
    d->in_arena = in_arena;
    uint32_t *cum = (uint32_t *)(d + 1);
    uint16_t *order = (uint16_t *)(cum + SB_FAMILIES * n);
    for (int f = 0; f < SB_FAMILIES; f++) {
        d->family[f].cum = cum + (size_t)f * n;
        d->family[f].order = order + (size_t)f * n;
        d->family[f].pinned = SB_PICK_NONE;
    }
    d->live = (uint8_t *)(order + SB_FAMILIES * n);
    d->count = count;
    return d;
}

static bool flag(const bool *set, uint16_t i)
{
    return set == NULL || set[i];
}

/* order[]: the family's eligible endpoints that are usable (or, with
 * `any`, every eligible one), in priority order. */
static void collect(const sb_profile_t *p, const sb_route_input_t *in, int fam, bool any,
                    sb_route_family_t *f)
{
    f->count = 0;
    for (uint16_t i = 0; i < p->count; i++) {
        if (sb_route_family_of_endpoint(&p->endpoints[i]) != fam || !flag(in->eligible, i))
            continue;
        if (any || flag(in->usable, i))
            f->order[f->count++] = i;
    }
}

/* Running sums of weight; when every weight in order[] is 0, each counts
 * as 1 (weight 0 answers only when nothing else can). */
static void weigh(const sb_profile_t *p, sb_route_family_t *f)
{
    uint32_t total = 0;
    for (uint16_t k = 0; k < f->count; k++)
        total += p->endpoints[f->order[k]].weight;
    bool even = total == 0;
    total = 0;
    for (uint16_t k = 0; k < f->count; k++) {
        total += even ? 1 : p->endpoints[f->order[k]].weight;
        f->cum[k] = total;
    }
    f->total = total;
}

static void decide_family(const sb_profile_t *p, const sb_route_input_t *in, int fam,
                          sb_route_decision_t *d)
{
    sb_route_family_t *f = &d->family[fam];
    collect(p, in, fam, false, f);
    f->status = SB_ROUTE_ANSWERING;
    if (f->count == 0) {
        collect(p, in, fam, true, f);
        if (f->count == 0)
            f->status = SB_ROUTE_NONE;
        else if (p->all_down == SB_ALL_DOWN_CLOSED)
            f->status = SB_ROUTE_CLOSED;
        else if (p->all_down == SB_ALL_DOWN_FALLBACK && p->fallback[fam] != NULL)
            f->status = SB_ROUTE_FALLBACK;
        else
            f->status = SB_ROUTE_FAIL_OPEN;
        if (f->status == SB_ROUTE_CLOSED || f->status == SB_ROUTE_FALLBACK)
            f->count = 0;
    }
    for (uint16_t k = 0; k < f->count; k++)
        d->live[f->order[k]] = 1;
    uint16_t pre = in->preferred;
    if (pre != SB_PICK_NONE && pre < p->count && d->live[pre] &&
        sb_route_family_of_endpoint(&p->endpoints[pre]) == fam)
        f->pinned = pre;
    weigh(p, f);
}

/* Decide into `mem` (sb_route_decision_size() bytes; NULL: none). */
static sb_route_decision_t *decide_into(const sb_profile_t *profile, const sb_route_input_t *in,
                                        void *mem, bool in_arena)
{
    sb_route_input_t all = {.usable = NULL, .eligible = NULL, .preferred = SB_PICK_NONE};
    if (mem == NULL)
        return NULL;
    sb_route_decision_t *d = decision_init(mem, profile->count, in_arena);
    for (int fam = 0; fam < SB_FAMILIES; fam++)
        decide_family(profile, in != NULL ? in : &all, fam, d);
    return d;
}

static sb_route_decision_t *decide(const sb_profile_t *profile, const sb_route_input_t *in,
                                   sb_arena_t *arena)
{
    size_t size = sb_route_decision_size(profile->count);
    void *mem = arena != NULL ? sb_arena_alloc(arena, size) : malloc(size);
    return decide_into(profile, in, mem, arena != NULL);
}

const sb_route_decision_t *sb_route_decide_scratch(const sb_profile_t *profile,
                                                   const sb_route_input_t *in, void *buf)
{
    return decide_into(profile, in, buf, true); /* never freed on its own */
}

sb_route_decision_t *sb_route_decide(const sb_profile_t *profile, const sb_route_input_t *in)
{
    return decide(profile, in, NULL);
}

sb_route_decision_t *sb_route_first(const sb_profile_t *profile, sb_arena_t *arena)
{
    return decide(profile, NULL, arena);
}

static bool same_family(const sb_route_family_t *a, const sb_route_family_t *b)
{
    return a->status == b->status && a->pinned == b->pinned && a->count == b->count &&
           memcmp(a->order, b->order, a->count * sizeof(a->order[0])) == 0;
}

bool sb_route_same(const sb_route_decision_t *a, const sb_route_decision_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->count != b->count)
        return false;
    for (int f = 0; f < SB_FAMILIES; f++) {
        if (!same_family(&a->family[f], &b->family[f]))
            return false;
    }
    return true;
}

static void free_decision(struct rcu_head *head)
{
    free(caa_container_of(head, sb_route_decision_t, rcu));
}

void sb_route_publish(sb_profile_t *profile, sb_route_decision_t *d)
{
    sb_route_decision_t *old =
        atomic_exchange_explicit(&profile->published, d, memory_order_acq_rel);
    if (old != NULL && !old->in_arena)
        urcu_memb_call_rcu(&old->rcu, free_decision);
}

void sb_route_discard(sb_route_decision_t *d)
{
    if (d != NULL && !d->in_arena)
        free(d);
}

void sb_route_release(sb_profile_t *profile)
{
    sb_route_discard(atomic_exchange_explicit(&profile->published, NULL, memory_order_acq_rel));
}

const sb_route_decision_t *sb_route_published(const sb_profile_t *profile)
{
    return atomic_load_explicit(&profile->published, memory_order_acquire);
}

int sb_route_family_of(const sb_profile_t *profile, uint16_t qtype)
{
    if (!profile->addresses || qtype == SB_TYPE_A)
        return SB_FAMILY_PRIMARY;
    return qtype == SB_TYPE_AAAA ? SB_FAMILY_V6 : -1;
}

void sb_route_answer(const sb_profile_t *profile, uint16_t qtype, const sb_route_client_t *client,
                     sb_route_answer_t *out)
{
    out->count = 0;
    out->scope = 0;
    const sb_route_decision_t *d = sb_route_published(profile);
    int fam = sb_route_family_of(profile, qtype);
    if (d == NULL || fam < 0)
        return;
    const sb_route_family_t *f = &d->family[fam];
    switch (f->status) {
    case SB_ROUTE_ANSWERING:
    case SB_ROUTE_FAIL_OPEN:
        if (f->pinned != SB_PICK_NONE)
            sb_route_put(profile, f->pinned, out);
        else
            profile->route->answer(profile, d, f, client, out);
        return;
    case SB_ROUTE_FALLBACK:
        out->endpoints[out->count++] = profile->fallback[fam];
        return;
    case SB_ROUTE_CLOSED:
    case SB_ROUTE_NONE:
        return;
    }
}

uint16_t sb_route_lead(const sb_route_decision_t *d, int family)
{
    const sb_route_family_t *f = &d->family[family];
    if (f->pinned != SB_PICK_NONE)
        return f->pinned;
    return f->count > 0 ? f->order[0] : SB_PICK_NONE;
}

const char *sb_route_status_name(sb_route_status_t status)
{
    static const char *const names[] = {
        [SB_ROUTE_ANSWERING] = "answering", [SB_ROUTE_FAIL_OPEN] = "fail-open",
        [SB_ROUTE_CLOSED] = "fail-closed",  [SB_ROUTE_FALLBACK] = "fallback",
        [SB_ROUTE_NONE] = "none",
    };
    return names[status];
}

bool sb_route_may_answer(const sb_profile_t *profile, const sb_route_decision_t *d, uint16_t i)
{
    if (d == NULL || i >= d->count || !d->live[i])
        return false;
    const sb_route_family_t *f = &d->family[sb_route_family_of_endpoint(&profile->endpoints[i])];
    if (f->pinned != SB_PICK_NONE)
        return f->pinned == i;
    if ((profile->route->settings & SB_ROUTE_SET_WEIGHT) && sb_route_share(profile, d, i) == 0)
        return false; /* weight 0 while another weighs more: never drawn */
    if (!profile->route->top_only)
        return true;
    sb_route_answer_t top = {0};
    sb_route_put_top(profile, f, &top);
    for (uint8_t k = 0; k < top.count; k++) {
        if (top.endpoints[k]->index == i)
            return true;
    }
    return false;
}

static void family_text(const sb_profile_t *profile, const sb_route_decision_t *d, int fam,
                        char *buf, size_t cap)
{
    const sb_route_family_t *f = &d->family[fam];
    buf[0] = '\0';
    if (f->status == SB_ROUTE_FALLBACK || f->count == 0) {
        snprintf(buf, cap, "%s", f->status == SB_ROUTE_FALLBACK ? "fallback" : "none");
        return;
    }
    size_t used = 0;
    for (uint16_t k = 0; k < f->count; k++) {
        uint16_t i = f->order[k];
        if (!sb_route_may_answer(profile, d, i))
            continue;
        const char *name = profile->endpoints[i].name;
        if (used + strlen(name) + 5 >= cap) {
            snprintf(buf + used, cap - used, ",...");
            return;
        }
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? "," : "", name);
    }
}

void sb_route_view(const sb_profile_t *profile, const sb_route_decision_t *d, sb_route_view_t *out)
{
    memset(out, 0, sizeof(*out));
    for (int fam = 0; fam < SB_FAMILIES; fam++) {
        if (d == NULL) {
            out->status[fam] = SB_ROUTE_NONE;
            snprintf(out->answering[fam], SB_ROUTE_TEXT_MAX, "none");
            continue;
        }
        out->status[fam] = d->family[fam].status;
        family_text(profile, d, fam, out->answering[fam], SB_ROUTE_TEXT_MAX);
    }
}

bool sb_route_status_down(sb_route_status_t status)
{
    return status == SB_ROUTE_FAIL_OPEN || status == SB_ROUTE_CLOSED || status == SB_ROUTE_FALLBACK;
}

void sb_route_put(const sb_profile_t *profile, uint16_t i, sb_route_answer_t *out)
{
    if (out->count < SB_ROUTE_ANSWER_MAX)
        out->endpoints[out->count++] = &profile->endpoints[i];
}

void sb_route_put_top(const sb_profile_t *profile, const sb_route_family_t *f,
                      sb_route_answer_t *out)
{
    if (f->count == 0)
        return;
    uint32_t top = profile->endpoints[f->order[0]].priority;
    uint16_t max = profile->addresses ? profile->max_answers : 1;
    for (uint16_t k = 0; k < f->count && out->count < max; k++) {
        if (profile->endpoints[f->order[k]].priority != top)
            break;
        sb_route_put(profile, f->order[k], out);
    }
}

void sb_route_put_default(const sb_profile_t *profile, const sb_route_family_t *f,
                          sb_route_answer_t *out)
{
    for (uint16_t k = 0; k < f->count; k++) {
        if (profile->endpoints[f->order[k]].in_default) {
            sb_route_put(profile, f->order[k], out);
            return;
        }
    }
    sb_route_put(profile, f->order[0], out);
}

uint16_t sb_route_weight_index(const uint32_t *cum, uint16_t count, uint32_t point)
{
    uint16_t lo = 0, hi = (uint16_t)(count - 1);
    while (lo < hi) {
        uint16_t mid = (uint16_t)((lo + hi) / 2);
        if (cum[mid] > point)
            hi = mid;
        else
            lo = (uint16_t)(mid + 1);
    }
    return lo;
}

uint16_t sb_route_by_weight(const sb_route_family_t *f, uint32_t point)
{
    return f->order[sb_route_weight_index(f->cum, f->count, point)];
}

double sb_route_share(const sb_profile_t *profile, const sb_route_decision_t *d, uint16_t i)
{
    if (d == NULL || i >= d->count || !d->live[i])
        return 0;
    const sb_route_family_t *f = &d->family[sb_route_family_of_endpoint(&profile->endpoints[i])];
    if (f->pinned != SB_PICK_NONE)
        return f->pinned == i ? 100 : 0;
    for (uint16_t k = 0; f->total > 0 && k < f->count; k++) {
        if (f->order[k] == i)
            return 100.0 * (f->cum[k] - (k ? f->cum[k - 1] : 0)) / f->total;
    }
    return 0;
}

uint32_t sb_route_random(void)
{
    /* splitmix64 over a per-thread counter, seeded from the thread's own
     * address so that workers draw different sequences. */
    static _Thread_local uint64_t state;
    if (state == 0)
        state = (uint64_t)(uintptr_t)&state * 0x9e3779b97f4a7c15ull | 1;
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}
