/*
 * sb_probe_status — what `ctl status` shows, as JSON: the probes in flight
 * and waiting, every zone, and every profile with its routing decision,
 * switchover (who set it, and its end) and endpoints (state, reason, since
 * when, latency, overrides, the last results).
 *
 * Thread: the probe worker's (sb_prober_status runs it there).
 */
#ifndef SB_PROBE_STATUS_H
#define SB_PROBE_STATUS_H

#include "sb_gen.h"
#include "sb_probe_state.h"

#include <jansson.h>

/* The status of `st`, a worker's state for `gen`: of the profiles whose
 * `selected[i]` is true (indexed as st->profiles) and the zones they are
 * in, or of everything when `selected` is NULL. The caller owns it; NULL
 * when out of memory. */
json_t *sb_probe_status_json(const sb_probe_states_t *st, const sb_gen_t *gen,
                             const sb_probe_load_t *load, const bool *selected);

#endif
