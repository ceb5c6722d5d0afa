/*
 * sb_profile — a traffic-managed name: its endpoints in priority order and
 * the choice of which one answers, published for the DNS side.
 *
 * A profile answers with a CNAME to its chosen endpoint (name endpoints) or
 * with an A/AAAA record (address endpoints; IPv4 and IPv6 are chosen
 * separately, so that both kinds of client get the best endpoint they can
 * reach). Which endpoints are usable is decided by the probe worker; this
 * module turns that into a choice (sb_profile_choose) and publishes it with
 * one atomic store (sb_profile_publish). The DNS side reads it with one
 * atomic load (sb_profile_current) — no locks, no waiting on probes.
 *
 * Before the first publication the choice is the highest-priority endpoint.
 *
 * Ownership: profiles and endpoints live in their configuration generation's
 * arena and are freed with it.
 * Thread: fields other than the choice are immutable after the generation is
 * built. sb_profile_publish() is called by the probe worker only;
 * sb_profile_current() by any thread.
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

/* The published choice: which endpoint answers for names (or IPv4) and
 * which for IPv6, and whether either was chosen with every candidate down. */
typedef struct {
    uint16_t primary; /* name or IPv4 endpoint index, or SB_PICK_NONE */
    uint16_t v6;      /* IPv6 endpoint index, or SB_PICK_NONE */
    bool primary_fail_open;
    bool v6_fail_open;
} sb_choice_t;

typedef struct sb_profile {
    const uint8_t *owner; /* lower-case wire name */
    uint8_t owner_len;
    const char *owner_text;
    uint32_t ttl;
    bool addresses; /* endpoints are addresses rather than names */
    sb_endpoint_t *endpoints;
    uint16_t count;
    sb_pos_t pos;
    _Atomic uint64_t choice; /* packed sb_choice_t */
} sb_profile_t;

/* Decide which endpoints answer given which are usable (`usable[i]` for
 * endpoint i). Within each family the first usable endpoint in priority
 * order wins; if none is usable, the first of that family answers anyway
 * (fail open) and the choice says so. */
sb_choice_t sb_profile_choose(const sb_profile_t *profile, const bool *usable);

/* What an operator changed (drain, switchover) on top of health. */
typedef struct {
    const bool *usable;   /* NULL: every endpoint is usable */
    const bool *eligible; /* may answer at all, even failing open (not
                             drained); NULL: every endpoint */
    uint16_t preferred;   /* tried before the priority order (a switchover),
                             or SB_PICK_NONE */
} sb_choose_input_t;

/* As sb_profile_choose(), with the preferred endpoint tried first and
 * ineligible endpoints never chosen; a family with no eligible endpoint
 * gets SB_PICK_NONE. */
sb_choice_t sb_profile_choose_with(const sb_profile_t *profile, const sb_choose_input_t *in);

/* Publish a choice for readers (release store). Probe worker only. */
void sb_profile_publish(sb_profile_t *profile, sb_choice_t choice);

/* The current choice (acquire load). Any thread. */
sb_choice_t sb_profile_current(const sb_profile_t *profile);

/* The endpoint that answers a query of `qtype` right now, or NULL when this
 * profile has nothing of that type (an IPv4-only profile asked for AAAA). */
const sb_endpoint_t *sb_profile_answer(const sb_profile_t *profile, uint16_t qtype);

/* Set the initial choice (highest priority per family). Called once when the
 * generation is built. */
void sb_profile_reset_choice(sb_profile_t *profile);

#endif
