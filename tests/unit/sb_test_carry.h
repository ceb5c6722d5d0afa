/*
 * sb_test_carry — a reload's build for unit tests: the states of a
 * generation with what a carry holds applied to them, as the probe
 * worker's builder does (sb_probe_build), checks aside; and a profile's
 * view as a whole (sb_probe_view).
 */
#ifndef SB_TEST_CARRY_H
#define SB_TEST_CARRY_H

#include "sb_test.h"

#include "sb_carry.h"
#include "sb_check_types.h"
#include "sb_monitor.h"
#include "sb_probe_key.h"
#include "sb_probe_state.h"
#include "sb_probe_view.h"

#include <stdlib.h>

/* The whole of a profile's view (sb_probe_view_full), as logs and the
 * report see it, in a static buffer: valid until the next call. */
static inline const sb_route_view_t *sb_test_view(const sb_profile_state_t *ps)
{
    static sb_route_view_t v;
    sb_probe_view_full(&ps->view, ps->profile, sb_route_published(ps->profile), &v);
    return &v;
}

/* Fill `st` for `gen` with `carry` (NULL: none) applied. */
static inline void sb_test_carry_build(sb_probe_states_t *st, sb_gen_t *gen,
                                       const sb_carry_t *carry)
{
    assert_int_equal(sb_probe_state_init(st, gen), 0);
    for (size_t i = 0; i < st->profile_count; i++) {
        sb_profile_state_t *ps = &st->profiles[i];
        sb_carry_profile(carry, ps);
        for (uint16_t k = 0; k < ps->profile->count; k++) {
            sb_ep_state_t *es = &ps->eps[k];
            char *key = es->ep->monitor->proto == SB_MONITOR_NONE
                            ? NULL
                            : sb_probe_key(es->ep, sb_check_types_builtin);
            sb_carry_endpoint(carry, es, key);
            free(key);
        }
        sb_carry_check_drains(ps);
    }
    sb_carry_report_dropped(carry, st);
}

#endif
