/*
 * sb_probe_view — what a profile's published routing decision means, as
 * the probe worker keeps it per profile: each family's status, and the
 * endpoints answering as text ("east,west", "fallback", "none") only where
 * it cannot be written again from the decision published now.
 *
 * The worker compares what answered before a decision with what answers
 * after it (the answer-change and all-down logs, sb_publish), what a reload
 * moved (sb_probe_report), and carries what answered across a reload
 * (sb_carry). A whole sb_route_view_t is 200 bytes, and a profile kept two
 * (now and before a reload); a view here is 16. Its text is the published
 * decision's, written on demand (sb_probe_view_full), except for a view
 * carried from the previous generation, whose decision is gone: that one
 * owns a copy of its text until the profile publishes again.
 *
 * Ownership: a view owns its text; sb_probe_view_clear() frees it, and a
 * view is set again only through these calls (which free the old text).
 * A zeroed view is empty and valid.
 * Thread: the probe worker's.
 */
#ifndef SB_PROBE_VIEW_H
#define SB_PROBE_VIEW_H

#include "sb_profile.h"
#include "sb_route.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sb_probe_view {
    /* carried: both families' text, "east,west\0none\0", owned (NULL when
     * it could not be copied: "unknown"). Not carried: NULL. */
    char *text;
    uint8_t status[SB_FAMILIES]; /* sb_route_status_t */
    bool carried;                /* from the previous generation */
} sb_probe_view_t;

/* `v` describes `d` (NULL: nothing published), which is published or about
 * to be; frees a carried text. */
void sb_probe_view_set(sb_probe_view_t *v, const sb_route_decision_t *d);

/* `v` describes `full`, a decision of another generation, keeping its text.
 * Returns 0, or -ENOMEM (the statuses are kept, the text reads
 * "unknown"). */
int sb_probe_view_keep(sb_probe_view_t *v, const sb_route_view_t *full);

/* The whole view, in `out`: the carried text, or else that of `d`, the
 * decision `v` was set from (the one `p` publishes now). */
void sb_probe_view_full(const sb_probe_view_t *v, const sb_profile_t *p,
                        const sb_route_decision_t *d, sb_route_view_t *out);

/* Free a carried text; `v` becomes empty. */
void sb_probe_view_clear(sb_probe_view_t *v);

#endif
