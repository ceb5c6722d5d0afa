/*
 * sb_route_subnet — the `subnet` routing method: each endpoint lists the
 * client networks it serves (subnets=192.0.2.0/24,2001:db8::/32, IPv4 and
 * IPv6); the client's subnet (ECS, else its address) picks the endpoint
 * with the longest matching prefix, from a binary trie built at load (per
 * answer family and client family; one walk of at most the client's prefix
 * bits per query). When nothing matches, or the match is not usable, the
 * endpoints marked `default` answer in priority order, and failing those
 * the first usable one.
 *
 * The ECS scope is the number of leading bits the answer holds for: the
 * matched prefix's length, or more when more specific networks of the
 * profile lie inside it (longer than the client's prefix when they go
 * deeper than it, up to the server's limit: the client's address is then
 * taken zero-filled). Networks longer than the limit (--ecs-prefix) never
 * match: the server does not look that far into an address.
 *
 * At load: two endpoints of one family cannot list the same network; a
 * profile needs a `default` endpoint unless it covers 0.0.0.0/0 and ::/0.
 *
 * Thread: pure functions after load; any thread.
 */
#ifndef SB_ROUTE_SUBNET_H
#define SB_ROUTE_SUBNET_H

#include "sb_route.h"

extern const sb_route_method_t sb_route_subnet;

#endif
