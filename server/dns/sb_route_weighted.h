/*
 * sb_route_weighted — the `weighted` routing method: one usable endpoint
 * per answer, chosen in proportion to its weight (0-1000; weight 0 answers
 * only when no endpoint of weight above 0 is usable). Per query at random,
 * or, with sticky=yes, by a hash of the client's subnet (its first
 * sticky-prefix bits) over every endpoint of the family as if all were
 * usable (a table built at load): a client keeps that endpoint while it may
 * answer, and only the clients of one that may not move, spread over those
 * that may by a second hash and weight; every nameserver of a fleet picks
 * the same one (the hash has no per-process seed). A sticky answer's ECS
 * scope is the prefix hashed; a random one's is 0.
 *
 * Thread: pure functions (the random source is per thread); any thread.
 */
#ifndef SB_ROUTE_WEIGHTED_H
#define SB_ROUTE_WEIGHTED_H

#include "sb_route.h"

extern const sb_route_method_t sb_route_weighted;

/* The hash sticky answers use: the first `prefix` bits of `addr`. */
uint64_t sb_route_weighted_hash(const uint8_t addr[16], uint8_t family, uint8_t prefix);

#endif
