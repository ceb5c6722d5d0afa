#include "sb_profile.h"

#include <stdlib.h>

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

static bool in_primary_family(const sb_endpoint_t *e)
{
    return e->kind != SB_TARGET_V6;
}

/* First usable endpoint of the family, else the first of the family. */
static uint16_t pick(const sb_profile_t *p, const bool *usable, bool v6, bool *fail_open)
{
    uint16_t first = SB_PICK_NONE;
    for (uint16_t i = 0; i < p->count; i++) {
        if (in_primary_family(&p->endpoints[i]) == v6)
            continue;
        if (first == SB_PICK_NONE)
            first = i;
        if (usable == NULL || usable[i]) {
            *fail_open = false;
            return i;
        }
    }
    *fail_open = first != SB_PICK_NONE;
    return first;
}

sb_choice_t sb_profile_choose(const sb_profile_t *profile, const bool *usable)
{
    sb_choice_t c;
    c.primary = pick(profile, usable, false, &c.primary_fail_open);
    c.v6 = pick(profile, usable, true, &c.v6_fail_open);
    return c;
}

void sb_profile_publish(sb_profile_t *profile, sb_choice_t choice)
{
    atomic_store_explicit(&profile->choice, pack(choice), memory_order_release);
}

sb_choice_t sb_profile_current(const sb_profile_t *profile)
{
    return unpack(atomic_load_explicit(&profile->choice, memory_order_acquire));
}

void sb_profile_reset_choice(sb_profile_t *profile)
{
    sb_profile_publish(profile, sb_profile_choose(profile, NULL));
}

const sb_endpoint_t *sb_profile_answer(const sb_profile_t *profile, uint16_t qtype)
{
    sb_choice_t c = sb_profile_current(profile);
    uint16_t i;
    if (!profile->addresses)
        i = c.primary;
    else if (qtype == 1 /* A */)
        i = c.primary;
    else if (qtype == 28 /* AAAA */)
        i = c.v6;
    else
        return NULL;
    return i == SB_PICK_NONE ? NULL : &profile->endpoints[i];
}
