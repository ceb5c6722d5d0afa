/*
 * sb_probe_build — the probe worker's view of a generation: the state of
 * every profile and endpoint, with what the previous configuration knew
 * (a reload's carry), and one check per distinct probe: endpoints whose
 * probes are the same (sb_probe_key) share one, each keeping its own
 * health from the shared results.
 *
 * Ownership: the states' arrays are the caller's (sb_probe_state_free);
 * the checks are the scheduler's.
 * Thread: the probe worker's, before its first round.
 */
#ifndef SB_PROBE_BUILD_H
#define SB_PROBE_BUILD_H

#include "sb_carry.h"
#include "sb_gen.h"
#include "sb_probe_sched.h"
#include "sb_probe_state.h"

#include <stddef.h>

/* Fill `st` for `gen` and add its checks to `s` (opened, with room for
 * every endpoint). `carry` may be NULL; `*carried` counts the endpoints
 * that kept their health. Returns 0, -ENOMEM, or -ENOTSUP for a monitor no
 * probe type of `s` takes. */
int sb_probe_build(sb_probe_states_t *st, sb_probe_sched_t *s, sb_gen_t *gen,
                   const sb_carry_t *carry, size_t *carried);

#endif
