/*
 * sb_route_priority — the `priority` routing method: the first usable
 * endpoint in priority order answers, per address family (an address
 * profile chooses its IPv4 and its IPv6 endpoint separately, so that both
 * kinds of client get the best endpoint they can reach). A preferred
 * endpoint (a switchover) is tried before the priority order. With no
 * usable endpoint in a family, the first eligible one answers anyway (fail
 * open); with no eligible one (all drained), none does.
 *
 * The published word holds both choices and their fail-open flags; the
 * client is not looked at.
 *
 * Thread: pure functions; any thread.
 */
#ifndef SB_ROUTE_PRIORITY_H
#define SB_ROUTE_PRIORITY_H

#include "sb_route.h"

extern const sb_route_method_t sb_route_priority;

#endif
