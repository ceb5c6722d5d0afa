/*
 * sb_probe_result — one probe result, taken in by an endpoint: kept as the
 * last result and in the history and counters, fed to the fall/rise state
 * machine (sb_health), and, when the state changes, logged once (old
 * state, new state, reason) and counted towards the anti-flap limit
 * (sb_flap: past it, the endpoint is held down for the hold-down period,
 * whatever its probes say). A change of state, or the end of a hold-down,
 * lets the profile decide and publish again (sb_publish).
 *
 * Thread: the probe worker's.
 */
#ifndef SB_PROBE_RESULT_H
#define SB_PROBE_RESULT_H

#include "sb_probe_state.h"

#include <stdint.h>

/* `queued_ms`: how long the run waited for a free slot; `now`: the loop's
 * clock in ms (hold-downs count in it). */
void sb_probe_result_apply(sb_ep_state_t *es, const sb_result_t *r, uint32_t queued_ms,
                           uint64_t now);

#endif
