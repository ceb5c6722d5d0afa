/*
 * Routing settings of profile blocks (sb_zonefile_route.h).
 */
#include "sb_zonefile_route.h"

#include "sb_geo_code.h"
#include "sb_route_methods.h"
#include "sb_value.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTE_MAX_ANSWERS_LIMIT SB_ROUTE_ANSWER_MAX
#define ROUTE_LIST_MAX          1000 /* networks or places per endpoint */

/* Whether `method` takes the setting (`bit` 0: every method does); says
 * which methods do when it does not. */
static bool applies(sb_zparse_t *zp, const sb_route_method_t *method, unsigned bit, const char *key,
                    sb_pos_t kpos)
{
    if (method == NULL || bit == 0 || (method->settings & bit))
        return true;
    char which[128];
    sb_route_methods_taking(bit, which, sizeof(which));
    sb_zparse_error(zp, kpos, "%s= does not apply to routing method %s (it is for: %s)", key,
                    method->name, which);
    return false;
}

/* ---- profile line ------------------------------------------------------- */

static void all_down(sb_zparse_t *zp, sb_route_profile_draft_t *r, const char *value, sb_pos_t kpos,
                     sb_pos_t vpos)
{
    if (strcmp(value, "fail-open") == 0)
        r->all_down = SB_ALL_DOWN_OPEN;
    else if (strcmp(value, "fail-closed") == 0)
        r->all_down = SB_ALL_DOWN_CLOSED;
    else {
        sb_zparse_error(zp, vpos,
                        "bad all-down '%s' (fail-open, fail-closed; for a fallback target, "
                        "write fallback=TARGET)",
                        value);
        return;
    }
    r->all_down_set = true;
    r->all_down_pos = kpos;
}

/* One fallback target: a name (relative ones completed with the origin)
 * or an address. */
static void fallback_one(sb_zparse_t *zp, sb_route_profile_draft_t *r, const char *text,
                         sb_pos_t vpos)
{
    if (r->fallback_count == 2) {
        sb_zparse_error(zp, vpos, "at most two fallback targets (an IPv4 and an IPv6 address)");
        return;
    }
    sb_endpoint_t *f = &r->fallback[r->fallback_count];
    memset(f, 0, sizeof(*f));
    if (sb_addr_parse(text, &f->addr) == 0) {
        f->kind = f->addr.family == 4 ? SB_TARGET_V4 : SB_TARGET_V6;
        snprintf(r->fallback_addr[r->fallback_count], SB_ADDR_TEXT_MAX, "%s", text);
    } else {
        sb_token_t t = {.text = text, .len = strlen(text), .pos = vpos, .quoted = false};
        size_t len =
            sb_zparse_name(zp, &t, "fallback target", r->fallback_target[r->fallback_count]);
        if (len == 0)
            return;
        f->kind = SB_TARGET_NAME;
        f->target_len = (uint8_t)len;
    }
    r->fallback_count++;
}

static void fallback(sb_zparse_t *zp, sb_route_profile_draft_t *r, const char *value, sb_pos_t kpos,
                     sb_pos_t vpos)
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", value);
    r->fallback_pos = kpos;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save))
        fallback_one(zp, r, item, vpos);
}

static void sticky(sb_zparse_t *zp, sb_route_profile_draft_t *r, const char *value, sb_pos_t kpos,
                   sb_pos_t vpos)
{
    if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
        sb_zparse_error(zp, vpos, "bad sticky '%s' (yes or no)", value);
        return;
    }
    r->sticky = value[0] == 'y';
    r->sticky_pos = kpos;
}

/* sticky-prefix=V4,V6: the client bits hashed. */
static void sticky_prefix(sb_zparse_t *zp, sb_route_profile_draft_t *r, const char *value,
                          sb_pos_t vpos)
{
    unsigned v4, v6;
    char end;
    if (sscanf(value, "%u,%u%c", &v4, &v6, &end) != 2 || v4 < 1 || v4 > 32 || v6 < 1 || v6 > 128) {
        sb_zparse_error(
            zp, vpos, "bad sticky-prefix '%s' (IPv4 and IPv6 prefix lengths, as in 24,56)", value);
        return;
    }
    r->sticky_prefix[0] = (uint8_t)v4;
    r->sticky_prefix[1] = (uint8_t)v6;
    r->sticky_prefix_set = true;
}

static void max_answers(sb_zparse_t *zp, sb_route_profile_draft_t *r, const char *value,
                        sb_pos_t vpos)
{
    uint64_t v;
    char why[SB_WHY_MAX];
    if (sb_value_uint(value, 1, ROUTE_MAX_ANSWERS_LIMIT, &v, why) < 0)
        sb_zparse_error(zp, vpos, "bad max-answers '%s': max-answers %s", value, why);
    else
        r->max_answers = (uint16_t)v;
}

static void order(sb_zparse_t *zp, sb_route_profile_draft_t *r, const char *value, sb_pos_t vpos)
{
    if (strcmp(value, "rotate") == 0 || strcmp(value, "random") == 0)
        r->random_order = value[1] == 'a';
    else
        sb_zparse_error(zp, vpos, "bad order '%s' (rotate or random)", value);
}

bool sb_zonefile_route_profile_setting(sb_zparse_t *zp, sb_route_profile_draft_t *r,
                                       const sb_route_method_t *method, const char *key,
                                       const char *value, sb_pos_t kpos, sb_pos_t vpos)
{
    if (strcmp(key, "all-down") == 0)
        all_down(zp, r, value, kpos, vpos);
    else if (strcmp(key, "fallback") == 0)
        fallback(zp, r, value, kpos, vpos);
    else if (strcmp(key, "max-answers") == 0) {
        if (applies(zp, method, SB_ROUTE_SET_MAX, key, kpos))
            max_answers(zp, r, value, vpos);
    } else if (strcmp(key, "order") == 0) {
        if (applies(zp, method, SB_ROUTE_SET_ORDER, key, kpos))
            order(zp, r, value, vpos);
    } else if (strcmp(key, "sticky") == 0) {
        if (applies(zp, method, SB_ROUTE_SET_WEIGHT, key, kpos))
            sticky(zp, r, value, kpos, vpos);
    } else if (strcmp(key, "sticky-prefix") == 0) {
        if (applies(zp, method, SB_ROUTE_SET_WEIGHT, key, kpos))
            sticky_prefix(zp, r, value, vpos);
    } else
        return false;
    return true;
}

/* ---- endpoints ------------------------------------------------------------ */

/* Grow an arena array by one element (arrays of settings are short: the
 * old copy stays in the arena until the generation goes). */
static void *append(sb_zparse_t *zp, void *items, uint16_t count, size_t size)
{
    void *grown = sb_arena_alloc(zp->arena, (count + 1u) * size);
    if (grown == NULL) {
        zp->oom = 1;
        return NULL;
    }
    if (count > 0)
        memcpy(grown, items, count * size);
    return grown;
}

static void subnet_one(sb_zparse_t *zp, sb_route_ep_draft_t *r, const char *item, sb_pos_t vpos)
{
    sb_prefix_t net;
    if (strcmp(item, "default") == 0) {
        r->in_default = true;
        return;
    }
    if (sb_addr_prefix_parse(item, &net) < 0) {
        sb_zparse_error(zp, vpos,
                        "bad subnet '%s' (a network such as 192.0.2.0/24 or 2001:db8::/32, "
                        "no bits set past its length; or default)",
                        item);
        return;
    }
    sb_prefix_t *grown = append(zp, r->subnets, r->subnet_count, sizeof(net));
    if (grown == NULL)
        return;
    grown[r->subnet_count++] = net;
    r->subnets = grown;
}

static void region_one(sb_zparse_t *zp, sb_route_ep_draft_t *r, const char *item, sb_pos_t vpos)
{
    sb_geo_code_t code;
    char why[SB_WHY_MAX];
    if (strcmp(item, "default") == 0) {
        r->in_default = true;
        return;
    }
    if (sb_geo_code_parse(item, &code, why) < 0) {
        sb_zparse_error(zp, vpos, "bad region '%s': %s", item, why);
        return;
    }
    sb_geo_code_t *grown = append(zp, r->regions, r->region_count, sizeof(code));
    if (grown == NULL)
        return;
    grown[r->region_count++] = code;
    r->regions = grown;
}

/* A comma-separated list, each item through `one`, at its own column. */
static void each_item(sb_zparse_t *zp, sb_route_ep_draft_t *r, const char *value, sb_pos_t vpos,
                      void (*one)(sb_zparse_t *, sb_route_ep_draft_t *, const char *, sb_pos_t))
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", value);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        if (r->subnet_count + r->region_count >= ROUTE_LIST_MAX) {
            sb_zparse_error(zp, vpos, "at most %d networks or places per endpoint", ROUTE_LIST_MAX);
            return;
        }
        one(zp, r, item, sb_zparse_pos_plus(vpos, (size_t)(item - copy)));
    }
}

static void location(sb_zparse_t *zp, sb_route_ep_draft_t *r, const char *value, sb_pos_t vpos)
{
    double lat, lon;
    char end;
    if (sscanf(value, "%lf,%lf%c", &lat, &lon, &end) != 2 || !isfinite(lat) || !isfinite(lon) ||
        lat < -90 || lat > 90 || lon < -180 || lon > 180) {
        sb_zparse_error(
            zp, vpos, "bad location '%s' (latitude,longitude in degrees, as in 50.11,8.68)", value);
        return;
    }
    r->has_location = true;
    r->lat = (float)lat;
    r->lon = (float)lon;
}

/* Returns whether `value` was a number in range (else reported). */
static bool number(sb_zparse_t *zp, const char *key, const char *value, uint64_t min, uint64_t max,
                   sb_pos_t vpos, uint16_t *out)
{
    uint64_t v;
    char why[SB_WHY_MAX];
    if (sb_value_uint(value, min, max, &v, why) < 0) {
        sb_zparse_error(zp, vpos, "bad %s '%s': %s %s", key, value, key, why);
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

bool sb_zonefile_route_endpoint_setting(sb_zparse_t *zp, sb_route_ep_draft_t *r,
                                        const sb_route_method_t *method, const char *key,
                                        const char *value, sb_pos_t kpos, sb_pos_t vpos)
{
    static const struct {
        const char *key;
        unsigned bit;
    } keys[] = {
        {"weight", SB_ROUTE_SET_WEIGHT},
        {"subnets", SB_ROUTE_SET_SUBNETS},
        {"regions", SB_ROUTE_SET_REGIONS},
        {"location", SB_ROUTE_SET_LOCATION},
        {"min-usable", 0},
    };
    size_t k = 0;
    while (k < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[k].key, key) != 0)
        k++;
    if (k == sizeof(keys) / sizeof(keys[0]))
        return false;
    if (!applies(zp, method, keys[k].bit, key, kpos))
        return true;
    if (!r->given)
        r->pos = kpos;
    r->given = true;
    if (keys[k].bit == SB_ROUTE_SET_WEIGHT) {
        /* A bad weight is not a weight of 0 (the all-zero check). */
        r->weight_set = number(zp, key, value, 0, 1000, vpos, &r->weight);
    } else if (keys[k].bit == SB_ROUTE_SET_SUBNETS)
        each_item(zp, r, value, vpos, subnet_one);
    else if (keys[k].bit == SB_ROUTE_SET_REGIONS)
        each_item(zp, r, value, vpos, region_one);
    else if (keys[k].bit == SB_ROUTE_SET_LOCATION)
        location(zp, r, value, vpos);
    else {
        number(zp, key, value, 1, 1000, vpos, &r->min_usable);
        r->min_usable_pos = kpos;
    }
    return true;
}

/* ---- the whole block ---------------------------------------------------- */

static void check_fallback(sb_zparse_t *zp, const sb_route_profile_draft_t *r, bool addresses)
{
    if (r->fallback_count > 0 && r->all_down_set)
        sb_zparse_error(zp, r->all_down_pos,
                        "all-down= and fallback= together: a fallback target is itself the "
                        "all-down policy");
    bool seen[3] = {false, false, false};
    for (uint8_t i = 0; i < r->fallback_count; i++) {
        sb_target_kind_t kind = r->fallback[i].kind;
        if ((kind == SB_TARGET_NAME) == addresses)
            sb_zparse_error(zp, r->fallback_pos,
                            "fallback= must be %s, like the profile's endpoints",
                            addresses ? "an address (one per family)" : "one name");
        else if (seen[kind])
            sb_zparse_error(zp, r->fallback_pos, "fallback= gives two targets of one kind");
        seen[kind] = true;
    }
}

void sb_zonefile_route_check(sb_zparse_t *zp, const sb_route_profile_draft_t *r,
                             const sb_route_method_t *method, const sb_route_ep_draft_t *const *eps,
                             size_t count, bool addresses, const char *owner, sb_pos_t pos)
{
    check_fallback(zp, r, addresses);
    if (method == NULL)
        return;
    if (method->addresses_only && !addresses)
        sb_zparse_error(zp, pos,
                        "profile %s: routing method %s answers with several address records; a "
                        "profile of names answers with one CNAME (use priority or weighted)",
                        owner, method->name);
    if (r->sticky_prefix_set && !r->sticky)
        sb_zparse_error(zp, pos, "profile %s: sticky-prefix= needs sticky=yes", owner);
    if (!(method->settings & SB_ROUTE_SET_WEIGHT) || count == 0)
        return;
    for (size_t i = 0; i < count; i++) {
        if (!eps[i]->weight_set || eps[i]->weight > 0)
            return;
    }
    sb_zparse_error(zp, pos,
                    "profile %s: every endpoint has weight=0; weight 0 answers only when no "
                    "endpoint of weight above 0 can, so at least one needs more",
                    owner);
}

int sb_zonefile_route_apply_profile(sb_zparse_t *zp, const sb_route_profile_draft_t *r,
                                    sb_profile_t *p)
{
    p->all_down = r->fallback_count > 0 ? SB_ALL_DOWN_FALLBACK : r->all_down;
    p->max_answers = r->max_answers ? r->max_answers : 8;
    p->random_order = r->random_order;
    p->sticky = r->sticky;
    p->sticky_prefix[0] = r->sticky_prefix_set ? r->sticky_prefix[0] : 24;
    p->sticky_prefix[1] = r->sticky_prefix_set ? r->sticky_prefix[1] : 56;
    for (uint8_t i = 0; i < r->fallback_count; i++) {
        sb_endpoint_t *f = sb_arena_memdup(zp->arena, &r->fallback[i], sizeof(*f));
        if (f == NULL)
            return -ENOMEM;
        char text[SB_NAME_TEXT_MAX];
        if (f->kind == SB_TARGET_NAME) {
            f->target = sb_arena_memdup(zp->arena, r->fallback_target[i], f->target_len);
            sb_name_to_text(r->fallback_target[i], text, sizeof(text));
        } else {
            snprintf(text, sizeof(text), "%s", r->fallback_addr[i]);
        }
        f->name = "fallback";
        f->index = SB_PICK_NONE;
        f->profile = p;
        f->target_text = sb_arena_strdup(zp->arena, text);
        if (f->target_text == NULL || (f->kind == SB_TARGET_NAME && f->target == NULL))
            return -ENOMEM;
        p->fallback[f->kind == SB_TARGET_V6 ? SB_FAMILY_V6 : SB_FAMILY_PRIMARY] = f;
    }
    return 0;
}

void sb_zonefile_route_apply_endpoint(const sb_route_ep_draft_t *r, sb_endpoint_t *ep)
{
    ep->weight = r->weight_set ? r->weight : 1;
    ep->in_default = r->in_default;
    ep->subnets = r->subnets;
    ep->subnet_count = r->subnet_count;
    ep->regions = r->regions;
    ep->region_count = r->region_count;
    ep->has_location = r->has_location;
    ep->lat = r->lat;
    ep->lon = r->lon;
    ep->min_usable = r->min_usable;
    ep->route_pos = r->given ? r->pos : ep->pos;
}
