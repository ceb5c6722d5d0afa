/*
 * sb_route_all — the `all` routing method (multivalue): every usable
 * address endpoint of the family, up to max-answers (default 8), one
 * RRset, in an order that rotates from query to query (order=rotate, the
 * default; each DNS worker keeps its own turn) or is shuffled
 * (order=random). Name endpoints cannot use it: a name has one CNAME. The
 * client is not looked at: scope 0.
 *
 * Thread: pure functions (the turn and random source are per thread).
 */
#ifndef SB_ROUTE_ALL_H
#define SB_ROUTE_ALL_H

#include "sb_route.h"

extern const sb_route_method_t sb_route_all;

#endif
