/*
 * sb_probe_status — what `ctl status` and GET /api/v1/status show, as JSON
 * text: the probes in flight and waiting, the zones of the profiles shown,
 * and each profile shown with its routing decision, switchover (who set
 * it, and its end) and endpoints (state, reason, since when, latency,
 * overrides, the last results); and which page of the profiles this is.
 *
 * Written as text as it goes (sb_jsonw), not built as a tree: at 20,000
 * endpoints the tree and its dump cost most of a second of the probe
 * worker's time. Filters and pages keep what a person reads short: the
 * profiles named, those with trouble (--down), a page of them.
 *
 * Thread: the probe worker's (sb_prober_status runs it there).
 */
#ifndef SB_PROBE_STATUS_H
#define SB_PROBE_STATUS_H

#include "sb_gen.h"
#include "sb_probe_state.h"

#include <stdbool.h>
#include <stddef.h>

/* Which profiles a status shows, in generation order. */
typedef struct {
    const bool *selected; /* indexed as st->profiles; NULL: every profile */
    bool down;            /* only profiles in trouble: sb_probe_status_troubled() */
    size_t offset;        /* skip this many of those matching */
    size_t limit;         /* show at most this many; 0: all */
} sb_status_filter_t;

/* Whether the profile is in trouble, as --down selects: an endpoint not up
 * by its probes (down, or no result yet), held down for flapping, or a
 * family answering otherwise than with usable endpoints (failing open or
 * closed, a fallback). */
bool sb_probe_status_troubled(const sb_profile_state_t *ps);

/* The status of `st`, a worker's state for `gen`, for the profiles `f`
 * selects (NULL: all) and the zones they are in: a JSON object with
 * "probes", "zones", "profiles" and "page" ({"matched", "offset",
 * "limit": null for none}). The caller frees the text; NULL when out of
 * memory. */
char *sb_probe_status_text(const sb_probe_states_t *st, const sb_gen_t *gen,
                           const sb_probe_load_t *load, const sb_status_filter_t *f, size_t *len);

#endif
