/*
 * The cross-zone routing pass (sb_zonedir_route.h).
 */
#include "sb_zonedir_route.h"

#include "sb_geo.h"
#include "sb_monitor.h"
#include "sb_route.h"
#include "sb_route_closest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sb_zonedir_route_nest(sb_gen_t *gen, sb_endpoint_t *ep, const sb_profile_t *target,
                           sb_diag_t *diag)
{
    if (ep->monitor_given)
        sb_diag_error(diag, ep->pos,
                      "endpoint '%s' leads to the profile %s and is not probed: its health is "
                      "that profile's (set min-usable=N); remove its monitor settings",
                      ep->name, target->owner_text);
    if (ep->min_usable > target->count)
        sb_diag_error(diag, ep->route_pos,
                      "endpoint '%s' needs min-usable=%u of the profile %s, which has %u "
                      "endpoints",
                      ep->name, ep->min_usable, target->owner_text, target->count);
    sb_monitor_t none;
    sb_monitor_init(&none, SB_MONITOR_NONE, ep->pos);
    const sb_monitor_t *m = sb_arena_memdup(sb_gen_arena(gen), &none, sizeof(none));
    if (m != NULL)
        ep->monitor = m;
    ep->child = (sb_profile_t *)target;
    if (ep->min_usable == 0)
        ep->min_usable = 1;
    return true;
}

typedef struct {
    uint8_t *mark;   /* per profile id: 0 unseen, 1 on the path walked, 2 done */
    uint8_t *height; /* per profile id, once done: 1 + the deepest nesting below */
    sb_diag_t *diag;
} walk_t;

/* Depth-first through nested endpoints: an endpoint leading back to a
 * profile on the path walked closes a loop (reported there, once). */
static void walk(walk_t *w, const sb_profile_t *p)
{
    w->mark[p->id] = 1;
    unsigned height = 1;
    for (uint16_t i = 0; i < p->count; i++) {
        const sb_endpoint_t *ep = &p->endpoints[i];
        if (ep->child == NULL)
            continue;
        if (w->mark[ep->child->id] == 1) {
            sb_diag_error(w->diag, ep->pos,
                          "endpoint '%s' leads back to the profile %s through nested profiles: "
                          "a loop",
                          ep->name, ep->child->owner_text);
            continue;
        }
        if (w->mark[ep->child->id] == 0)
            walk(w, ep->child);
        if (w->height[ep->child->id] + 1u > height)
            height = w->height[ep->child->id] + 1u;
    }
    w->height[p->id] = (uint8_t)(height > 250 ? 250 : height);
    w->mark[p->id] = 2;
    if (height == SB_NEST_MAX + 1)
        sb_diag_error(w->diag, p->pos, "profile %s nests profiles more than %d deep", p->owner_text,
                      SB_NEST_MAX);
}

static int check_nesting(sb_gen_t *gen, sb_diag_t *diag)
{
    size_t n = sb_gen_profile_count(gen);
    walk_t w = {.mark = calloc(n + 1, 1), .height = calloc(n + 1, 1), .diag = diag};
    if (w.mark == NULL || w.height == NULL) {
        free(w.mark);
        free(w.height);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const sb_profile_t *p = sb_gen_profile(gen, i);
        if (w.mark[p->id] == 0)
            walk(&w, p);
        for (uint16_t k = 0; k < p->count; k++) {
            const sb_endpoint_t *ep = &p->endpoints[k];
            if (ep->child == NULL && ep->min_usable != 0)
                sb_diag_error(diag, ep->route_pos,
                              "endpoint '%s': min-usable= is for endpoints that lead to another "
                              "profile",
                              ep->name);
        }
    }
    free(w.mark);
    free(w.height);
    return 0;
}

/* A closest endpoint without location=: where the database puts its
 * address (an address endpoint's own, a name's from the served zone). */
static void locate(const sb_geo_t *geo, sb_endpoint_t *ep, sb_diag_t *diag)
{
    const sb_addr_t *addr = ep->kind != SB_TARGET_NAME ? &ep->addr
                            : ep->zone_addr_count > 0  ? &ep->zone_addrs[0]
                                                       : NULL;
    sb_geo_place_t where;
    if (addr != NULL && sb_geo_lookup(geo, addr->family, addr->bytes, SB_GEO_LOCATION, &where) &&
        where.has_location) {
        ep->has_location = true;
        ep->lat = where.lat;
        ep->lon = where.lon;
        sb_route_closest_unit(ep->lat, ep->lon, ep->unit);
        return;
    }
    char text[SB_ADDR_TEXT_MAX];
    if (ep->child != NULL)
        sb_diag_error(diag, ep->pos,
                      "endpoint '%s' leads to the profile %s, which has no one place; give it "
                      "location=LAT,LON",
                      ep->name, ep->child->owner_text);
    else if (addr != NULL)
        sb_diag_error(diag, ep->pos,
                      "endpoint '%s' has no location=LAT,LON and the location database has no "
                      "coordinates for its address %s; give it one",
                      ep->name, sb_addr_format(addr, text, sizeof(text)));
    else
        sb_diag_error(diag, ep->pos,
                      "endpoint '%s' has no location=LAT,LON, and its target is outside the "
                      "served zones (no address to place); give it one",
                      ep->name);
}

static void attach(sb_gen_t *gen, const sb_geo_t *geo, sb_diag_t *diag)
{
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        sb_profile_t *p = sb_gen_profile(gen, i);
        if (!p->route->needs_geo)
            continue;
        if (geo == NULL) {
            sb_diag_error(diag, p->pos,
                          "profile %s routes by location (%s) but the server has no location "
                          "database; start it with --geo-database PATH",
                          p->owner_text, p->route->name);
            continue;
        }
        p->geo = geo;
        for (uint16_t k = 0; k < p->count; k++) {
            if ((p->route->settings & SB_ROUTE_SET_LOCATION) && !p->endpoints[k].has_location)
                locate(geo, &p->endpoints[k], diag);
        }
    }
}

int sb_zonedir_route_finish(sb_gen_t *gen, const char *geo_database, sb_diag_t *diag)
{
    if (check_nesting(gen, diag) < 0)
        return -ENOMEM;
    if (geo_database != NULL) {
        sb_geo_t *geo;
        char why[256];
        int rc = sb_geo_open(geo_database, &geo, why);
        if (rc == -ENOMEM)
            return rc;
        if (rc < 0) {
            sb_pos_t at = {geo_database, 0, 0};
            sb_diag_error(diag, at, "%s", why);
            return 0; /* the profiles that need it would only say so again */
        }
        sb_gen_set_geo(gen, geo);
    }
    attach(gen, sb_gen_geo(gen), diag);
    return 0;
}
