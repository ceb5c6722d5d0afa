/*
 * sb_probe_metrics — the probe worker's metric families: endpoint state,
 * state changes, results by reason, probe latency, which endpoint each
 * profile answers with, operator overrides (how many of each kind, and
 * which endpoint is drained, forced, or switched over to), and the cap on
 * probes in flight at work (running, waiting, and how long runs waited for
 * a slot); in a fleet, how its vote stands.
 *
 * Every family's HELP and TYPE is always written (the fleet's, in a fleet
 * only). Samples are written for
 * every endpoint (0 until something happens), except the override details
 * (switchboard_endpoint_drained, switchboard_endpoint_forced,
 * switchboard_profile_switchover): those only while the override is in
 * force, so that they cost nothing per endpoint at every scrape;
 * switchboard_overrides{kind} is always written, for alerts.
 *
 * Thread: the probe worker's (sb_prober_metrics runs it there for a
 * scrape).
 */
#ifndef SB_PROBE_METRICS_H
#define SB_PROBE_METRICS_H

#include "sb_metrics.h"
#include "sb_probe_state.h"

/* Write every family of `st` and `load` into `out`. */
void sb_probe_metrics_write(sb_metrics_buf_t *out, const sb_probe_states_t *st,
                            const sb_probe_load_t *load);

#endif
