/*
 * sb_profile — a traffic-managed name: its endpoints in priority order, its
 * routing method, and the method's decision published for the DNS side.
 *
 * A profile answers with a CNAME to an endpoint (name endpoints, and
 * nested profiles) or with A/AAAA records (address endpoints). Which
 * endpoints are usable is decided by the probe worker; sb_route turns that
 * into a decision, published with one atomic store, which the DNS side
 * reads with one atomic load — no locks, no waiting on probes — and from
 * which the profile's routing method picks per query. Before the first
 * round of probes the decision is the default (every endpoint usable).
 *
 * Ownership: profiles and endpoints live in their configuration generation's
 * arena and are freed with it.
 * The decision published is the profile's: the first lives in the arena,
 * later ones are malloc'd; sb_route frees a replaced one after an RCU
 * grace period, and sb_gen_free() the last one.
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
struct sb_route_decision;
struct sb_geo;

/* What a profile answers when none of its endpoints is usable. */
typedef enum {
    SB_ALL_DOWN_OPEN = 0, /* the method's choice among eligible endpoints anyway */
    SB_ALL_DOWN_CLOSED,   /* nothing: NODATA with the SOA */
    SB_ALL_DOWN_FALLBACK, /* the profile's fallback target */
} sb_all_down_t;

/* A geographic code an endpoint serves: a continent, a country or a
 * subdivision (sb_geo_code_parse()). */
typedef uint64_t sb_geo_code_t;

#define SB_ENDPOINT_RR_MAX (2 + 10 + 16) /* an AAAA record owned by a pointer */

typedef struct sb_endpoint {
    /* Fields are ordered by size (pointers, 4, 2, then 1 byte) so that no
     * padding falls between them: 208 bytes rather than 240, per endpoint. */
    const char *name;        /* the endpoint's label within its profile, e.g. "east" */
    const uint8_t *target;   /* SB_TARGET_NAME: wire name, case as written */
    const char *target_text; /* "east.example.com." or "192.0.2.1" */
    /* The profile's monitor with this endpoint's overrides: what the probe
     * worker checks (sb_monitor; the DNS side never looks inside). Shared
     * by the zone's endpoints with equal settings (sb_monitor_pool). */
    const struct sb_monitor *monitor;
    /* For a name target inside a served zone: its addresses from the zone
     * data, so probing needs no DNS (zone_addr_count of them). NULL
     * otherwise. */
    const sb_addr_t *zone_addrs;
    /* The same for a probe-target name inside a served zone. */
    const sb_addr_t *probe_zone_addrs;
    struct sb_profile *profile;
    sb_pos_t pos;
    /* Routing settings; each method reads the ones it takes. */
    const sb_prefix_t *subnets;   /* subnet: the client networks it serves */
    const sb_geo_code_t *regions; /* geo: the places it serves */
    sb_pos_t route_pos;           /* where its routing settings were written */
    /* A nested endpoint leads to another profile (a CNAME to its name) and
     * is usable while at least `min_usable` of that profile's endpoints are. */
    struct sb_profile *child;
    uint32_t priority;
    uint32_t id; /* position among every endpoint of its generation (sb_gen) */
    sb_target_kind_t kind;
    float lat, lon;        /* closest: where it is (has_location) */
    float unit[3];         /* closest: the location on the unit sphere */
    uint16_t index;        /* position in profile->endpoints (priority order) */
    uint16_t weight;       /* weighted: 0-1000 */
    uint16_t subnet_count; /* of subnets */
    uint16_t region_count; /* of regions */
    uint16_t min_usable;   /* nested: see child */
    sb_addr_t addr;        /* SB_TARGET_V4 / SB_TARGET_V6 */
    uint8_t target_len;
    uint8_t zone_addr_count;
    uint8_t probe_zone_addr_count;
    bool monitor_given; /* monitor settings of its own on its line */
    bool in_default;    /* subnet, geo: in the default list */
    bool has_location;  /* closest: where it is (given, or from the database) */
    /* An address endpoint's record as it answers the question: a pointer to
     * the question's name, the type, class IN, the profile's TTL and the
     * address, written when the generation is sealed (sb_gen); length 0
     * until then, and for name endpoints. */
    uint8_t answer_rr_len;
    uint8_t answer_rr[SB_ENDPOINT_RR_MAX];
} sb_endpoint_t;

#define SB_PICK_NONE 0xffffu

typedef struct sb_profile {
    const uint8_t *owner; /* lower-case wire name */
    uint32_t id;          /* position among every profile of its generation (sb_gen) */
    uint8_t owner_len;
    const char *owner_text;
    uint32_t ttl;
    bool addresses; /* endpoints are addresses rather than names */
    sb_endpoint_t *endpoints;
    uint16_t count;
    sb_pos_t pos;
    const struct sb_route_method *route; /* how it chooses (sb_route) */
    sb_all_down_t all_down;
    /* all-down=fallback: names or IPv4, and IPv6. Not endpoints (index
     * SB_PICK_NONE, name "fallback"), but numbered as they are: both share
     * the profile's one `id` after every endpoint's (sb_gen), so that
     * answers given with them are counted too. */
    sb_endpoint_t *fallback[2];
    uint16_t max_answers;     /* address records in one answer */
    bool sticky;              /* weighted: per client subnet rather than per query */
    uint8_t sticky_prefix[2]; /* weighted sticky: IPv4, IPv6 prefix hashed */
    bool random_order;        /* all: shuffled rather than rotated */
    const void *method_data;  /* built by the method at load (sb_route) */
    const struct sb_geo *geo; /* geo, closest: the location database */
    _Atomic(struct sb_route_decision *) published; /* for the DNS side */
} sb_profile_t;

#endif
