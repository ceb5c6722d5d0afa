#include "sb_route_all.h"

static _Thread_local uint32_t turn;

/* n of f->order's entries, distinct, in a random order. */
static void shuffled(const sb_profile_t *profile, const sb_route_family_t *f, uint16_t n,
                     sb_route_answer_t *out)
{
    uint16_t picked[SB_ROUTE_ANSWER_MAX];
    for (uint16_t k = 0; k < n; k++) {
        uint16_t pos;
        bool taken;
        do { /* n is small beside count or equal to it: few draws */
            pos = (uint16_t)(((uint64_t)sb_route_random() * f->count) >> 32);
            taken = false;
            for (uint16_t j = 0; j < k; j++)
                taken |= picked[j] == pos;
        } while (taken);
        picked[k] = pos;
        sb_route_put(profile, f->order[pos], out);
    }
}

static void answer(const sb_profile_t *profile, const sb_route_decision_t *d,
                   const sb_route_family_t *f, const sb_route_client_t *client,
                   sb_route_answer_t *out)
{
    (void)d;
    (void)client;
    if (f->count == 0)
        return;
    uint16_t n = f->count < profile->max_answers ? f->count : profile->max_answers;
    if (profile->random_order) {
        shuffled(profile, f, n, out);
        return;
    }
    uint32_t start = turn++ % f->count;
    for (uint16_t k = 0; k < n; k++)
        sb_route_put(profile, f->order[(start + k) % f->count], out);
}

const sb_route_method_t sb_route_all = {
    .name = "all",
    .settings = SB_ROUTE_SET_MAX | SB_ROUTE_SET_ORDER,
    .addresses_only = true,
    .answer = answer,
};
