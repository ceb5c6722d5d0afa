/*
 * sb_probe_metrics — the probe worker's metric families: endpoint state,
 * state changes, failures by class of reason, results by reason per
 * profile, probe latency, which endpoints each profile answers with,
 * operator overrides (how many of each kind, and which endpoint is
 * drained, forced, or switched over to), and the cap on probes in flight
 * at work (running, waiting, and how long runs waited for a slot); in a
 * fleet, how its vote stands.
 *
 * Sized for tens of thousands of endpoints: every family's HELP and TYPE
 * is always written, but a per-endpoint sample only says something —
 * switchboard_endpoint_up for probed endpoints only; state changes and
 * failures once they happen; switchboard_profile_answering for the
 * endpoints answering; override details while in force. Full reasons are
 * counted per profile, latency per probe type unless a finer `detail` is
 * asked for. switchboard_overrides{kind} is always written, for alerts.
 *
 * Thread: the probe worker's (sb_prober_metrics runs it there for a
 * scrape).
 */
#ifndef SB_PROBE_METRICS_H
#define SB_PROBE_METRICS_H

#include "sb_metrics.h"
#include "sb_probe_state.h"

/* How finely switchboard_probe_duration_seconds is labelled: one
 * histogram per probe type ({check="tcp"}, the default), per profile
 * ({profile}), or per endpoint ({profile,endpoint}: 18 lines each). */
typedef enum {
    SB_LATENCY_BY_TYPE = 0,
    SB_LATENCY_BY_PROFILE,
    SB_LATENCY_BY_ENDPOINT,
} sb_latency_detail_t;

/* Write every family of `st` and `load` into `out`. */
void sb_probe_metrics_write(sb_metrics_buf_t *out, const sb_probe_states_t *st,
                            const sb_probe_load_t *load, sb_latency_detail_t detail);

#endif
