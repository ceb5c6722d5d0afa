/*
 * sb_probe_metrics — the probe worker's metric families: endpoint state,
 * state changes, results by reason, probe latency, which endpoint each
 * profile answers with, and the cap on probes in flight at work (running,
 * waiting, and how long runs waited for a slot).
 *
 * Thread: the probe worker's (sb_prober_metrics runs it there for a
 * scrape).
 */
#ifndef SB_PROBE_METRICS_H
#define SB_PROBE_METRICS_H

#include "sb_metrics.h"
#include "sb_probe_state.h"

void sb_probe_metrics_write(sb_metrics_buf_t *out, const sb_probe_states_t *st,
                            const sb_probe_load_t *load);

#endif
