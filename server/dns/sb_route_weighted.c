#include "sb_route_weighted.h"

#include <errno.h>
#include <string.h>

/* Every endpoint of an answer family with its weight, usable or not, built
 * at load: where a sticky client belongs while its endpoint is usable. */
typedef struct {
    uint16_t count[SB_FAMILIES];
    uint16_t *index[SB_FAMILIES]; /* endpoints of weight above 0, in profile order */
    uint32_t *cum[SB_FAMILIES];   /* running sums of their weights */
    uint32_t total[SB_FAMILIES];
} homes_t;

uint64_t sb_route_weighted_hash(const uint8_t addr[16], uint8_t family, uint8_t prefix)
{
    /* FNV-1a over the bytes that hold the prefix, the last one masked, then
     * a 64-bit finaliser: the same on every node and every run. */
    uint64_t h = 0xcbf29ce484222325ull ^ family;
    size_t bytes = (prefix + 7u) / 8u;
    for (size_t i = 0; i < bytes; i++) {
        uint8_t b = addr[i];
        if (i == bytes - 1 && prefix % 8u)
            b &= (uint8_t)(0xff00u >> (prefix % 8u));
        h = (h ^ b) * 0x100000001b3ull;
    }
    h ^= prefix;
    h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdull;
    h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static int build(sb_profile_t *p, sb_arena_t *arena, sb_diag_t *diag)
{
    (void)diag;
    homes_t *h = sb_arena_alloc(arena, sizeof(*h));
    if (h == NULL)
        return -ENOMEM;
    memset(h, 0, sizeof(*h));
    size_t n = p->count ? p->count : 1;
    for (int f = 0; f < SB_FAMILIES; f++) {
        h->index[f] = sb_arena_alloc(arena, n * sizeof(uint16_t));
        h->cum[f] = sb_arena_alloc(arena, n * sizeof(uint32_t));
        if (h->index[f] == NULL || h->cum[f] == NULL)
            return -ENOMEM;
    }
    for (uint16_t i = 0; i < p->count; i++) {
        int f = sb_route_family_of_endpoint(&p->endpoints[i]);
        if (p->endpoints[i].weight == 0)
            continue;
        h->total[f] += p->endpoints[i].weight;
        h->index[f][h->count[f]] = i;
        h->cum[f][h->count[f]++] = h->total[f];
    }
    p->method_data = h;
    return 0;
}

/* The endpoint of family `f` whose weight range holds `point`. */
static uint16_t home_of(const homes_t *h, int f, uint32_t point)
{
    return h->index[f][sb_route_weight_index(h->cum[f], h->count[f], point)];
}

/* The next value of a client's fixed sequence of draws (splitmix64). */
static uint64_t next_draw(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define STICKY_DRAWS 32

/* Sticky: the client's hash seeds a fixed sequence of draws, each by
 * weight over every endpoint of the family as if all were usable; the first
 * drawn that may answer does. An endpoint that stops being usable moves
 * only its own clients (to their next draw, so by weight over the rest),
 * and they come back when it does. Should STICKY_DRAWS draws all miss (the
 * usable weight a tiny share, or only weight 0 usable), the hash picks
 * from the usable ones directly. */
static uint16_t sticky_pick(const sb_profile_t *profile, const sb_route_decision_t *d,
                            const sb_route_family_t *f, uint64_t hash)
{
    const homes_t *h = profile->method_data;
    int fam = (int)(f - d->family);
    uint64_t state = hash, draw = hash;
    for (int k = 0; h != NULL && h->total[fam] > 0 && k < STICKY_DRAWS; k++) {
        uint16_t home = home_of(h, fam, (uint32_t)(draw % h->total[fam]));
        if (d->live[home])
            return home;
        draw = next_draw(&state);
    }
    return sb_route_by_weight(f, (uint32_t)(draw % f->total));
}

static void answer(const sb_profile_t *profile, const sb_route_decision_t *d,
                   const sb_route_family_t *f, const sb_route_client_t *client,
                   sb_route_answer_t *out)
{
    if (f->count == 0 || f->total == 0)
        return;
    if (profile->sticky && client->family != 0) {
        uint8_t want = profile->sticky_prefix[client->family == 6];
        uint8_t prefix = client->prefix < want ? client->prefix : want;
        uint64_t hash = sb_route_weighted_hash(client->addr, client->family, prefix);
        out->scope = prefix;
        sb_route_put(profile, sticky_pick(profile, d, f, hash), out);
        return;
    }
    uint32_t point = (uint32_t)(((uint64_t)sb_route_random() * f->total) >> 32);
    sb_route_put(profile, sb_route_by_weight(f, point), out);
}

const sb_route_method_t sb_route_weighted = {
    .name = "weighted",
    .settings = SB_ROUTE_SET_WEIGHT,
    .routes_on_client = true,
    .build = build,
    .answer = answer,
};
