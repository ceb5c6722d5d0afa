/*
 * sb_route — the routing seam: how a profile turns its endpoints' health
 * into the records a query gets.
 *
 * Two halves, on two sides:
 *
 *   decide    on the probe worker, whenever health or an override changes:
 *             from which endpoints are usable, which may answer at all (not
 *             drained) and which one the operator prefers (a switchover), a
 *             decision — per address family, the endpoints answers choose
 *             from, in priority order, and its status (answering, failing
 *             open, closed, falling back). It is the same for every method:
 *             an immutable table, published with one release store;
 *   answer    on a DNS worker, per query: one acquire load of the decision,
 *             then the profile's routing method picks from it with the
 *             query type and the client (its address or EDNS Client
 *             Subnet, cut to the server's limit). No lock, no allocation,
 *             no system call.
 *
 * Each method is a `const` table (sb_route_method_t), listed in
 * sb_route_methods; the common part (status, a switchover pinning every
 * client to one endpoint, the all-down policy) is here, so that every
 * method respects health and overrides the same way.
 *
 * Ownership: sb_route_decide() returns a decision the caller passes to
 * sb_route_publish() (the profile then owns it) or sb_route_discard(). A
 * replaced decision is freed after an RCU grace period (liburcu call_rcu):
 * DNS workers read inside RCU read-side sections. The thread that
 * publishes over an existing decision must be a registered RCU thread.
 *
 * Thread: decide and publish on the probe worker (or while a generation is
 * built, before any reader sees it); answer and the rest on any thread.
 */
#ifndef SB_ROUTE_H
#define SB_ROUTE_H

#include "sb_arena.h"
#include "sb_diag.h"
#include "sb_profile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu/urcu-memb.h>

/* Families: an address profile decides for IPv4 and IPv6 apart; a profile
 * of names has one family (SB_FAMILY_PRIMARY). */
enum { SB_FAMILY_PRIMARY = 0, SB_FAMILY_V6 = 1, SB_FAMILIES = 2 };

typedef enum {
    SB_ROUTE_ANSWERING, /* usable endpoints answer */
    SB_ROUTE_FAIL_OPEN, /* none usable: the eligible ones answer anyway */
    SB_ROUTE_CLOSED,    /* none usable, all-down=fail-closed: NODATA */
    SB_ROUTE_FALLBACK,  /* none usable: the profile's fallback answers */
    SB_ROUTE_NONE,      /* no eligible endpoint of the family (all drained, or none) */
} sb_route_status_t;

/* One family of a decision. */
typedef struct {
    sb_route_status_t status;
    uint16_t pinned; /* a switchover: answers every client, or SB_PICK_NONE */
    uint16_t count;  /* endpoints in order[] */
    uint16_t *order; /* what answers choose from, in priority order */
    uint32_t *cum;   /* running sums of weight along order[] */
    uint32_t total;  /* the sum of their weights */
} sb_route_family_t;

typedef struct sb_route_decision {
    struct rcu_head rcu;
    sb_route_family_t family[SB_FAMILIES];
    uint16_t count; /* the profile's endpoints */
    bool in_arena;  /* the first, made with the generation: freed with it */
    uint8_t *live;  /* per endpoint: 1 when in its family's order[] */
} sb_route_decision_t;

/* What the probe worker knows when it decides, per endpoint of the profile
 * (index as in profile->endpoints). */
typedef struct {
    const bool *usable;   /* up by its probes (or forced up); NULL: every endpoint */
    const bool *eligible; /* may answer at all (not drained); NULL: every endpoint */
    uint16_t preferred;   /* answers every client if it can (a switchover), or SB_PICK_NONE */
} sb_route_input_t;

/* Who asked, as methods may route on it: the client's subnet from EDNS
 * Client Subnet, else its source address, cut to the server's limit. */
typedef struct {
    uint8_t family;   /* 4 or 6; 0: unknown (methods then answer as for anyone) */
    uint8_t prefix;   /* leading bits of addr known: the client's, cut to `cut` */
    uint8_t cut;      /* the server's limit (--ecs-prefix) for the family */
    uint8_t addr[16]; /* zero past prefix */
} sb_route_client_t;

/* Most address records one answer holds. */
#define SB_ROUTE_ANSWER_MAX 16

/* What answers one query. */
typedef struct {
    uint8_t count;
    uint8_t scope; /* bits of the client's address the choice depended on (ECS scope) */
    const sb_endpoint_t *endpoints[SB_ROUTE_ANSWER_MAX];
} sb_route_answer_t;

/* Endpoint and profile settings, by method (sb_route_method_t.settings). */
enum {
    SB_ROUTE_SET_WEIGHT = 1u << 0,   /* weight=N, sticky= */
    SB_ROUTE_SET_SUBNETS = 1u << 1,  /* subnets=CIDR,... */
    SB_ROUTE_SET_REGIONS = 1u << 2,  /* regions=CODE,... */
    SB_ROUTE_SET_LOCATION = 1u << 3, /* location=LAT,LON */
    SB_ROUTE_SET_MAX = 1u << 4,      /* max-answers=N */
    SB_ROUTE_SET_ORDER = 1u << 5,    /* order=rotate|random */
};

typedef struct sb_route_method {
    const char *name;  /* as written in a zone file: "www profile weighted {" */
    unsigned settings; /* SB_ROUTE_SET_* it takes */
    bool addresses_only;
    bool top_only;         /* answers only the first priority of order[] */
    bool routes_on_client; /* answer reads the client: scope may not be 0 */
    bool needs_geo;        /* needs the location database */
    /* At load, after the profile is built: the method's own structures
     * (method_data) and checks, reported at their position. NULL: none.
     * Returns 0 or -ENOMEM. */
    int (*build)(sb_profile_t *profile, sb_arena_t *arena, sb_diag_t *diag);
    /* Per query: the endpoints of `f` (status answering or failing open,
     * none pinned) that answer `client`, into out (scope included). */
    void (*answer)(const sb_profile_t *profile, const sb_route_decision_t *d,
                   const sb_route_family_t *f, const sb_route_client_t *client,
                   sb_route_answer_t *out);
} sb_route_method_t;

/* Decide from `in` (NULL: every endpoint usable and eligible, none
 * preferred — the default before the first round of probes). NULL when
 * out of memory. */
sb_route_decision_t *sb_route_decide(const sb_profile_t *profile, const sb_route_input_t *in);

/* The bytes a decision for `count` endpoints takes. */
size_t sb_route_decision_size(uint16_t count);

/* Decide into `buf` (sb_route_decision_size() bytes, aligned as malloc's),
 * to compare with the one published before allocating one to publish: a
 * decision that did not change costs no allocation. Never published. */
const sb_route_decision_t *sb_route_decide_scratch(const sb_profile_t *profile,
                                                   const sb_route_input_t *in, void *buf);

/* The default decision (every endpoint usable and eligible), in the
 * generation's arena: a profile's first. NULL when out of memory. */
sb_route_decision_t *sb_route_first(const sb_profile_t *profile, sb_arena_t *arena);

/* Whether two decisions answer alike (either may be NULL). */
bool sb_route_same(const sb_route_decision_t *a, const sb_route_decision_t *b);

/* Publish `d` for readers (release store); the one replaced is freed after
 * a grace period. */
void sb_route_publish(sb_profile_t *profile, sb_route_decision_t *d);

/* Free a decision never published. */
void sb_route_discard(sb_route_decision_t *d);

/* Free the published decision at once (unless it is the arena's): the
 * generation is going away and no reader can hold it. */
void sb_route_release(sb_profile_t *profile);

/* The decision published now (acquire load). */
const sb_route_decision_t *sb_route_published(const sb_profile_t *profile);

/* The family an endpoint answers for (names and IPv4: primary). */
int sb_route_family_of_endpoint(const sb_endpoint_t *endpoint);

/* The family a query type is answered from, or -1 when the profile has
 * nothing of that type (an address profile asked for MX). */
int sb_route_family_of(const sb_profile_t *profile, uint16_t qtype);

/* The endpoints that answer a query of `qtype` from `client` right now
 * (none: NODATA). The query path: one atomic load and the method. */
void sb_route_answer(const sb_profile_t *profile, uint16_t qtype, const sb_route_client_t *client,
                     sb_route_answer_t *out);

/* The endpoint a family's answers lead with, as operators see it: the
 * pinned one, else the first in order[] (the fallback and none:
 * SB_PICK_NONE). */
uint16_t sb_route_lead(const sb_route_decision_t *d, int family);

/* Whether endpoint `i` answers some client now (metrics, status). */
bool sb_route_may_answer(const sb_profile_t *profile, const sb_route_decision_t *d, uint16_t i);

/* What a decision means to an operator, per family: its status and the
 * endpoints that may answer ("east,west"; "fallback"; "none"), for logs,
 * status and what a reload carries. */
#define SB_ROUTE_TEXT_MAX 96
typedef struct {
    sb_route_status_t status[SB_FAMILIES];
    char answering[SB_FAMILIES][SB_ROUTE_TEXT_MAX];
} sb_route_view_t;

void sb_route_view(const sb_profile_t *profile, const sb_route_decision_t *d, sb_route_view_t *out);

/* Whether a status means nothing usable (failing open, closed, fallback). */
bool sb_route_status_down(sb_route_status_t status);

/* The status's name: "answering", "fail-open", ... */
const char *sb_route_status_name(sb_route_status_t status);

/* Helpers for methods. */

/* Put endpoint `i` in out (if there is room). */
void sb_route_put(const sb_profile_t *profile, uint16_t i, sb_route_answer_t *out);

/* The first endpoint of f->order and every other one of the same priority
 * (an RRset of equal primaries; names: the first only). */
void sb_route_put_top(const sb_profile_t *profile, const sb_route_family_t *f,
                      sb_route_answer_t *out);

/* The first endpoint of f->order marked `default` (subnet, geo), else the
 * first of f->order. */
void sb_route_put_default(const sb_profile_t *profile, const sb_route_family_t *f,
                          sb_route_answer_t *out);

/* The position in running sums `cum` (of `count` entries, the last the
 * total) of the range that holds `point` (0 to the total - 1). */
uint16_t sb_route_weight_index(const uint32_t *cum, uint16_t count, uint32_t point);

/* The entry of f->order whose weight range holds `point` (0 to
 * f->total - 1); f->total must not be 0. */
uint16_t sb_route_by_weight(const sb_route_family_t *f, uint32_t point);

/* The share of a family's answers endpoint `i` gets now by weight, in
 * percent (100 when pinned; 0 when it may not answer, or weighs 0 while
 * another endpoint weighs more). For methods that take weights. */
double sb_route_share(const sb_profile_t *profile, const sb_route_decision_t *d, uint16_t i);

/* A fast per-thread pseudo-random number (not for secrets). */
uint32_t sb_route_random(void);

#endif
