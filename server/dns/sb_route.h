/*
 * sb_route — the routing seam: how a profile turns its endpoints' health
 * into the answer a query gets. Each profile has one routing method, a
 * `const` table of three functions:
 *
 *   decide    on the probe worker, whenever health or an override changes:
 *             from which endpoints are usable (and may answer at all, and
 *             which one the operator prefers), the value to publish — one
 *             64-bit word. sb_route_publish() stores it with release order;
 *   answer    on a DNS worker, per query: from the published word (one
 *             acquire load), the query type and the client (its source
 *             address and EDNS Client Subnet, already parsed), the endpoint
 *             that answers, or NULL when the profile has nothing of that
 *             type. It may not lock, allocate or make a system call;
 *   describe  on any thread: what a word means to an operator (logs,
 *             status, metrics, what a reload carries): per address family,
 *             the endpoint answering and whether it was chosen with every
 *             candidate down (fail open).
 *
 * A method whose choice does not fit in a word publishes a pointer to an
 * immutable table of its own, as the word, and frees the one it replaces
 * only after an RCU grace period (liburcu's call_rcu): DNS workers read
 * inside RCU read-side sections, so a table is never freed under them.
 *
 * The methods are listed in one table (sb_route_methods); `priority` is the
 * first (sb_route_priority).
 *
 * Thread: decide and sb_route_publish() on the probe worker (or while a
 * generation is built, before any reader sees it); answer, describe and
 * the rest on any thread.
 */
#ifndef SB_ROUTE_H
#define SB_ROUTE_H

#include "sb_profile.h"
#include "sb_query.h"

#include <stdbool.h>
#include <stdint.h>

/* What a decision means to an operator: which endpoint answers for names
 * (or IPv4) and which for IPv6, and whether either was chosen with every
 * candidate down. */
typedef struct {
    uint16_t primary; /* name or IPv4 endpoint index, or SB_PICK_NONE */
    uint16_t v6;      /* IPv6 endpoint index, or SB_PICK_NONE */
    bool primary_fail_open;
    bool v6_fail_open;
} sb_choice_t;

/* What the probe worker knows when it decides, per endpoint of the profile
 * (index as in profile->endpoints). */
typedef struct {
    const bool *usable;   /* up by its probes (or forced up); NULL: every endpoint */
    const bool *eligible; /* may answer at all (not drained); NULL: every endpoint */
    uint16_t preferred;   /* answers first if it can (a switchover), or SB_PICK_NONE */
} sb_route_input_t;

/* Who asked: what a method may route on. */
typedef struct {
    const uint8_t *addr;       /* source address: 4 or 16 bytes; NULL when unknown */
    uint8_t addr_len;          /* 4, 16 or 0 */
    const sb_query_ecs_t *ecs; /* the query's EDNS Client Subnet, or NULL */
} sb_route_client_t;

typedef struct sb_route_method {
    const char *name; /* as written in a zone file: "www profile priority {" */
    uint64_t (*decide)(const sb_profile_t *profile, const sb_route_input_t *in);
    const sb_endpoint_t *(*answer)(const sb_profile_t *profile, uint64_t word, uint16_t qtype,
                                   const sb_route_client_t *client);
    sb_choice_t (*describe)(const sb_profile_t *profile, uint64_t word);
} sb_route_method_t;

/* The method's decision with every endpoint usable and eligible and none
 * preferred: what a profile answers before the first round of probes. */
uint64_t sb_route_default(const sb_profile_t *profile);

/* Decide with the profile's method. */
uint64_t sb_route_decide(const sb_profile_t *profile, const sb_route_input_t *in);

/* Publish a decision for readers (release store). */
void sb_route_publish(sb_profile_t *profile, uint64_t word);

/* The word published now (acquire load). */
uint64_t sb_route_published(const sb_profile_t *profile);

/* What the published word means (describe). */
sb_choice_t sb_route_current(const sb_profile_t *profile);

/* What `word` means (describe). */
sb_choice_t sb_route_describe(const sb_profile_t *profile, uint64_t word);

/* The endpoint that answers a query of `qtype` from `client` right now, or
 * NULL. The query path: one atomic load and the method's answer. */
const sb_endpoint_t *sb_route_answer(const sb_profile_t *profile, uint16_t qtype,
                                     const sb_route_client_t *client);

#endif
