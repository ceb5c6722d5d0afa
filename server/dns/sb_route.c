#include "sb_route.h"

#include <stdatomic.h>
#include <stddef.h>

uint64_t sb_route_default(const sb_profile_t *profile)
{
    sb_route_input_t all = {.usable = NULL, .eligible = NULL, .preferred = SB_PICK_NONE};
    return profile->route->decide(profile, &all);
}

uint64_t sb_route_decide(const sb_profile_t *profile, const sb_route_input_t *in)
{
    return profile->route->decide(profile, in);
}

void sb_route_publish(sb_profile_t *profile, uint64_t word)
{
    atomic_store_explicit(&profile->published, word, memory_order_release);
}

uint64_t sb_route_published(const sb_profile_t *profile)
{
    return atomic_load_explicit(&profile->published, memory_order_acquire);
}

sb_choice_t sb_route_current(const sb_profile_t *profile)
{
    return profile->route->describe(profile, sb_route_published(profile));
}

sb_choice_t sb_route_describe(const sb_profile_t *profile, uint64_t word)
{
    return profile->route->describe(profile, word);
}

const sb_endpoint_t *sb_route_answer(const sb_profile_t *profile, uint16_t qtype,
                                     const sb_route_client_t *client)
{
    return profile->route->answer(profile, sb_route_published(profile), qtype, client);
}
