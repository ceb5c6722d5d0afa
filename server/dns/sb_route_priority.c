#include "sb_route_priority.h"

#include <stddef.h>

/* The word: bits 0-15 the name or IPv4 endpoint, 16-31 the IPv6 endpoint
 * (SB_PICK_NONE: none), bit 32 and 33 their fail-open flags. */
static uint64_t pack(sb_choice_t c)
{
    return (uint64_t)c.primary | (uint64_t)c.v6 << 16 | (uint64_t)c.primary_fail_open << 32 |
           (uint64_t)c.v6_fail_open << 33;
}

static sb_choice_t unpack(uint64_t w)
{
    sb_choice_t c = {
        .primary = (uint16_t)(w & 0xffff),
        .v6 = (uint16_t)(w >> 16 & 0xffff),
        .primary_fail_open = (w >> 32 & 1) != 0,
        .v6_fail_open = (w >> 33 & 1) != 0,
    };
    return c;
}

static bool in_family(const sb_endpoint_t *e, bool v6)
{
    return (e->kind == SB_TARGET_V6) == v6;
}

/* The endpoint at position `k` of the order tried: the preferred endpoint
 * first (a switchover), then priority order. */
static uint16_t nth(uint16_t preferred, uint16_t k)
{
    if (preferred == SB_PICK_NONE)
        return k;
    if (k == 0)
        return preferred;
    return (uint16_t)(k <= preferred ? k - 1 : k);
}

/* First usable eligible endpoint of the family in that order, else the
 * first eligible one (fail open), else none. */
static uint16_t pick(const sb_profile_t *p, const sb_route_input_t *in, bool v6, bool *fail_open)
{
    uint16_t first = SB_PICK_NONE;
    uint16_t preferred = in->preferred;
    if (preferred != SB_PICK_NONE && !in_family(&p->endpoints[preferred], v6))
        preferred = SB_PICK_NONE;
    for (uint16_t k = 0; k < p->count; k++) {
        uint16_t i = nth(preferred, k);
        if (!in_family(&p->endpoints[i], v6) || (in->eligible != NULL && !in->eligible[i]))
            continue;
        if (first == SB_PICK_NONE)
            first = i;
        if (in->usable == NULL || in->usable[i]) {
            *fail_open = false;
            return i;
        }
    }
    *fail_open = first != SB_PICK_NONE;
    return first;
}

static uint64_t decide(const sb_profile_t *profile, const sb_route_input_t *in)
{
    sb_choice_t c;
    c.primary = pick(profile, in, false, &c.primary_fail_open);
    c.v6 = pick(profile, in, true, &c.v6_fail_open);
    return pack(c);
}

static const sb_endpoint_t *answer(const sb_profile_t *profile, uint64_t word, uint16_t qtype,
                                   const sb_route_client_t *client)
{
    (void)client;
    sb_choice_t c = unpack(word);
    uint16_t i;
    if (!profile->addresses || qtype == 1 /* A */)
        i = c.primary;
    else if (qtype == 28 /* AAAA */)
        i = c.v6;
    else
        return NULL;
    return i == SB_PICK_NONE ? NULL : &profile->endpoints[i];
}

static sb_choice_t describe(const sb_profile_t *profile, uint64_t word)
{
    (void)profile;
    return unpack(word);
}

const sb_route_method_t sb_route_priority = {
    .name = "priority",
    .decide = decide,
    .answer = answer,
    .describe = describe,
};
