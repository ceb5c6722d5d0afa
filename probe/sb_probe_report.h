/*
 * sb_probe_report — what a reload changed, as `ctl reload` reports it: the
 * profiles whose answer moved (what answers now differs from what answered
 * in the previous configuration, which the reload carried: sb_carry), the
 * endpoints that went down (up before, or new, and down now), the profiles
 * added and removed, and those still waiting for a first result.
 *
 *   {"answers_moved": [{"profile": "www.example.com.", "from": "east",
 *                       "to": "west"} (address profiles add "family")],
 *    "endpoints_down": [{"profile": ..., "endpoint": "east",
 *                        "was": "up" | "checking" | "new", "reason": "..."}],
 *    "profiles_added": [...], "profiles_removed": [...],
 *    "pending": [...]}
 *
 * Taken once the new worker's first round is in (or its time is up), so
 * that the answers compared are the new configuration's first decisions
 * (the ones logged with cause=reload), and any made since.
 *
 * Thread: the probe worker's (sb_prober_reload_report runs it there).
 */
#ifndef SB_PROBE_REPORT_H
#define SB_PROBE_REPORT_H

#include "sb_probe_state.h"

#include <jansson.h>

/* The report of `st`, a worker's state built with a reload's carry;
 * `removed` (an array of names, may be NULL; copied) lists the profiles
 * the carry had that `st` has not. The caller owns the report, which
 * shares nothing with `st` or `removed`; NULL when out of memory. */
json_t *sb_probe_report_json(const sb_probe_states_t *st, const json_t *removed);

#endif
