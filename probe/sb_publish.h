/*
 * sb_publish — a profile's routing decision made from its endpoints' state
 * and published for the DNS side.
 *
 * An endpoint is usable when it is up by its probes and not held down, or
 * forced up; eligible when it is not drained; a switchover names the
 * endpoint preferred; a nested endpoint is usable while enough of its
 * profile's endpoints are. sb_route decides from that; a decision that
 * differs from the one published is published with one atomic store and
 * logged once: per family, the endpoints that may answer (event=
 * answer-change, with its cause), and the start and end of having nothing
 * usable (event=all-down with the policy applied, all-down-end). Then the
 * profiles with a nested endpoint leading here decide again (cause nested).
 *
 * Until every endpoint has had its first result the default decision
 * stands, so that the first round does not move answers back and forth;
 * the first decision is always published.
 *
 * Thread: the probe worker's.
 */
#ifndef SB_PUBLISH_H
#define SB_PUBLISH_H

#include "sb_probe_state.h"

/* Whether nested endpoint `ep` is usable: at least ep->min_usable of its
 * profile's endpoints are, those its published decision answers from
 * without failing open (their number into *usable, if not NULL). */
bool sb_publish_nested_usable(const sb_endpoint_t *ep, unsigned *usable);

/* Decide and, when the decision changed, publish and log; `why` names the
 * cause in the log ("probe", "override", "hold-down", ...). */
void sb_publish_profile(sb_profile_state_t *ps, const char *why);

#endif
