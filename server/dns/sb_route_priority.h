/*
 * sb_route_priority — the `priority` routing method: the first usable
 * endpoint in priority order answers, per address family (an address
 * profile chooses its IPv4 and its IPv6 endpoints apart, so that both kinds
 * of client get the best endpoint they can reach). Address endpoints that
 * share the top usable priority are all answered, one RRset, so that equal
 * primaries share the load (up to max-answers). The client is not looked
 * at: scope 0.
 *
 * Thread: pure functions; any thread.
 */
#ifndef SB_ROUTE_PRIORITY_H
#define SB_ROUTE_PRIORITY_H

#include "sb_route.h"

extern const sb_route_method_t sb_route_priority;

#endif
