/*
 * sb_zonefile_route — the routing settings of a profile block: on the
 * profile line (all-down=, fallback=, max-answers=, order=, sticky=,
 * sticky-prefix=) and on endpoints (weight=, subnets=, regions=,
 * location=, min-usable=). Each is checked as it is read, including
 * whether the profile's routing method takes it, and copied into the built
 * profile; what needs the whole profile (kinds of fallback targets,
 * weights) is checked when the block closes. The method's own load-time
 * checks run in its build (sb_route).
 *
 * Internal to config/. Thread: one parse, one thread.
 */
#ifndef SB_ZONEFILE_ROUTE_H
#define SB_ZONEFILE_ROUTE_H

#include "sb_route.h"
#include "sb_zparse.h"

#include <stdbool.h>

/* Routing settings of one endpoint, as read. */
typedef struct {
    bool weight_set;
    uint16_t weight;
    bool in_default;
    sb_prefix_t *subnets; /* in the arena */
    uint16_t subnet_count;
    sb_geo_code_t *regions; /* in the arena */
    uint16_t region_count;
    bool has_location;
    float lat, lon;
    uint16_t min_usable; /* 0: not given */
    sb_pos_t min_usable_pos;
    sb_pos_t pos; /* the first routing setting */
    bool given;
} sb_route_ep_draft_t;

/* Routing settings of the profile line, as read. */
typedef struct {
    sb_all_down_t all_down;
    bool all_down_set;
    sb_pos_t all_down_pos;
    uint8_t fallback_count;
    sb_endpoint_t fallback[2];               /* kind, target or addr, target_text */
    uint8_t fallback_target[2][SB_NAME_MAX]; /* names, in wire form */
    char fallback_addr[2][SB_ADDR_TEXT_MAX]; /* addresses, as written */
    sb_pos_t fallback_pos;
    uint16_t max_answers; /* 0: not given */
    bool random_order;
    bool sticky;
    bool sticky_prefix_set;
    uint8_t sticky_prefix[2];
    sb_pos_t sticky_pos;
} sb_route_profile_draft_t;

/* A profile-line setting other than ttl=: taken (true; errors reported),
 * or not one of ours (false). */
bool sb_zonefile_route_profile_setting(sb_zparse_t *zp, sb_route_profile_draft_t *r,
                                       const sb_route_method_t *method, const char *key,
                                       const char *value, sb_pos_t kpos, sb_pos_t vpos);

/* An endpoint setting: taken (true; errors reported), or not one of ours. */
bool sb_zonefile_route_endpoint_setting(sb_zparse_t *zp, sb_route_ep_draft_t *r,
                                        const sb_route_method_t *method, const char *key,
                                        const char *value, sb_pos_t kpos, sb_pos_t vpos);

/* The profile-line settings this parser takes, for "supported:" lists. */
#define SB_ZONEFILE_ROUTE_PROFILE_KEYS                                                             \
    "all-down, fallback, max-answers, order, sticky, sticky-prefix"

/* Checks that need the whole block (its kind of endpoints, all weights):
 * `addresses` is whether the endpoints are addresses. */
void sb_zonefile_route_check(sb_zparse_t *zp, const sb_route_profile_draft_t *r,
                             const sb_route_method_t *method, const sb_route_ep_draft_t *const *eps,
                             size_t count, bool addresses, const char *owner, sb_pos_t pos);

/* Copy the settings into the built profile and endpoint; the fallback
 * pseudo-endpoints go into the arena. Returns 0 or -ENOMEM. */
int sb_zonefile_route_apply_profile(sb_zparse_t *zp, const sb_route_profile_draft_t *r,
                                    sb_profile_t *p);
void sb_zonefile_route_apply_endpoint(const sb_route_ep_draft_t *r, sb_endpoint_t *ep);

#endif
