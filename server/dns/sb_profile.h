/*
 * sb_profile — a traffic-managed name: its endpoints in priority order, its
 * routing method, and the method's decision published for the DNS side.
 *
 * A profile answers with a CNAME to an endpoint (name endpoints) or with an
 * A/AAAA record (address endpoints). Which endpoints are usable is decided
 * by the probe worker; the profile's routing method (sb_route) turns that
 * into a decision, published with one atomic store, which the DNS side
 * reads with one atomic load — no locks, no waiting on probes. Before the
 * first round of probes the decision is the method's default (every
 * endpoint usable).
 *
 * Ownership: profiles and endpoints live in their configuration generation's
 * arena and are freed with it.
 * Thread: fields other than `published` are immutable after the generation
 * is built; `published` is written through sb_route_publish() and read
 * through sb_route_published().
 */
#ifndef SB_PROFILE_H
#define SB_PROFILE_H

#include "sb_addr.h"
#include "sb_diag.h"
#include "sb_name.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    SB_TARGET_NAME = 0, /* answered with a CNAME */
    SB_TARGET_V4,       /* answered with an A record */
    SB_TARGET_V6,       /* answered with an AAAA record */
} sb_target_kind_t;

struct sb_profile;

typedef struct sb_endpoint {
    const char *name; /* the endpoint's label within its profile, e.g. "east" */
    uint32_t priority;
    uint16_t index; /* position in profile->endpoints (priority order) */
    uint32_t id;    /* position among every endpoint of its generation (sb_gen) */
    sb_target_kind_t kind;
    const uint8_t *target; /* SB_TARGET_NAME: wire name, case as written */
    uint8_t target_len;
    sb_addr_t addr;          /* SB_TARGET_V4 / SB_TARGET_V6 */
    const char *target_text; /* "east.example.com." or "192.0.2.1" */
    /* The profile's monitor with this endpoint's overrides: what the probe
     * worker checks (sb_monitor; the DNS side never looks inside). */
    const struct sb_monitor *monitor;
    /* For a name target inside a served zone: its addresses from the zone
     * data, so probing needs no DNS. NULL otherwise. */
    const sb_addr_t *zone_addrs;
    uint8_t zone_addr_count;
    /* The same for a probe-target name inside a served zone. */
    const sb_addr_t *probe_zone_addrs;
    uint8_t probe_zone_addr_count;
    struct sb_profile *profile;
    sb_pos_t pos;
} sb_endpoint_t;

#define SB_PICK_NONE 0xffffu

typedef struct sb_profile {
    const uint8_t *owner; /* lower-case wire name */
    uint8_t owner_len;
    const char *owner_text;
    uint32_t ttl;
    bool addresses; /* endpoints are addresses rather than names */
    sb_endpoint_t *endpoints;
    uint16_t count;
    sb_pos_t pos;
    const struct sb_route_method *route; /* how it chooses (sb_route) */
    _Atomic uint64_t published;          /* the route's decision, for the DNS side */
} sb_profile_t;

#endif
