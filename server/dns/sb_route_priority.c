#include "sb_route_priority.h"

static void answer(const sb_profile_t *profile, const sb_route_decision_t *d,
                   const sb_route_family_t *f, const sb_route_client_t *client,
                   sb_route_answer_t *out)
{
    (void)d;
    (void)client;
    sb_route_put_top(profile, f, out);
}

const sb_route_method_t sb_route_priority = {
    .name = "priority",
    .settings = SB_ROUTE_SET_MAX,
    .top_only = true,
    .answer = answer,
};
