#include "sb_route_closest.h"

#include "sb_geo.h"

#include <math.h>

void sb_route_closest_unit(float lat, float lon, float unit[3])
{
    const float rad = (float)(M_PI / 180.0);
    float clat = cosf(lat * rad);
    unit[0] = clat * cosf(lon * rad);
    unit[1] = clat * sinf(lon * rad);
    unit[2] = sinf(lat * rad);
}

static int build(sb_profile_t *p, sb_arena_t *arena, sb_diag_t *diag)
{
    (void)arena;
    (void)diag;
    for (uint16_t i = 0; i < p->count; i++) {
        sb_endpoint_t *ep = &p->endpoints[i];
        if (ep->has_location)
            sb_route_closest_unit(ep->lat, ep->lon, ep->unit);
    }
    return 0;
}

/* The usable endpoint nearest to `unit`: the largest dot product. */
static uint16_t nearest(const sb_profile_t *p, const sb_route_family_t *f, const float unit[3])
{
    uint16_t best = f->order[0];
    float best_dot = -2.0f;
    for (uint16_t k = 0; k < f->count; k++) {
        const sb_endpoint_t *ep = &p->endpoints[f->order[k]];
        float dot = ep->unit[0] * unit[0] + ep->unit[1] * unit[1] + ep->unit[2] * unit[2];
        if (ep->has_location && dot > best_dot) {
            best_dot = dot;
            best = f->order[k];
        }
    }
    return best;
}

static void answer(const sb_profile_t *profile, const sb_route_decision_t *d,
                   const sb_route_family_t *f, const sb_route_client_t *client,
                   sb_route_answer_t *out)
{
    (void)d;
    if (f->count == 0)
        return;
    sb_geo_place_t where;
    if (client->family != 0 && profile->geo != NULL) {
        bool found =
            sb_geo_lookup(profile->geo, client->family, client->addr, SB_GEO_LOCATION, &where);
        out->scope = where.prefix;
        if (found && where.has_location) {
            float unit[3];
            sb_route_closest_unit(where.lat, where.lon, unit);
            sb_route_put(profile, nearest(profile, f, unit), out);
            return;
        }
    }
    sb_route_put(profile, f->order[0], out);
}

const sb_route_method_t sb_route_closest = {
    .name = "closest",
    .settings = SB_ROUTE_SET_LOCATION,
    .routes_on_client = true,
    .needs_geo = true,
    .build = build,
    .answer = answer,
};
