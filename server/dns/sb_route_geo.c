#include "sb_route_geo.h"

#include "sb_geo.h"

#include <errno.h>
#include <stdlib.h>

typedef struct {
    sb_geo_code_t code;
    uint16_t endpoint;
} place_t;

/* Per answer family: the places listed, sorted by code. */
typedef struct {
    place_t *places[SB_FAMILIES];
    uint32_t count[SB_FAMILIES];
} table_t;

static int cmp_place(const void *a, const void *b)
{
    const place_t *x = a, *y = b;
    if (x->code != y->code)
        return x->code < y->code ? -1 : 1;
    return (x->endpoint > y->endpoint) - (x->endpoint < y->endpoint);
}

/* Two endpoints of a family listing one place: reported at the later. */
static void check_clashes(const sb_profile_t *p, const table_t *t, sb_diag_t *diag)
{
    for (int f = 0; f < SB_FAMILIES; f++) {
        for (uint32_t k = 1; k < t->count[f]; k++) {
            const place_t *a = &t->places[f][k - 1], *b = &t->places[f][k];
            if (a->code != b->code)
                continue;
            char text[SB_GEO_CODE_TEXT_MAX];
            sb_geo_code_text(b->code, text, sizeof(text));
            const sb_endpoint_t *later = &p->endpoints[b->endpoint];
            if (a->endpoint == b->endpoint)
                sb_diag_error(diag, later->route_pos, "endpoint '%s' lists %s twice", later->name,
                              text);
            else
                sb_diag_error(diag, later->route_pos,
                              "endpoint '%s' lists %s, which endpoint '%s' serves already; a "
                              "place has one endpoint (use a nested profile for failover "
                              "within it)",
                              later->name, text, p->endpoints[a->endpoint].name);
        }
    }
}

/* Every client finds an endpoint: one is `default`, or all seven
 * continents are listed, per family that has endpoints. */
static void check_default(const sb_profile_t *p, const table_t *t, sb_diag_t *diag)
{
    for (int f = 0; f < SB_FAMILIES; f++) {
        bool has = false, dflt = false;
        for (uint16_t i = 0; i < p->count; i++) {
            if (sb_route_family_of_endpoint(&p->endpoints[i]) == f) {
                has = true;
                dflt |= p->endpoints[i].in_default;
            }
        }
        unsigned continents = 0;
        for (uint32_t k = 0; k < t->count[f]; k++)
            continents += sb_geo_code_kind(t->places[f][k].code) == SB_GEO_CONTINENT;
        if (has && !dflt && continents < 7)
            sb_diag_error(diag, p->pos,
                          "profile %s: clients from places no endpoint lists have no "
                          "endpoint%s; add 'default' to the regions= of the endpoints that "
                          "serve them",
                          p->owner_text, f == SB_FAMILY_V6 ? " for AAAA" : "");
    }
}

static int build(sb_profile_t *p, sb_arena_t *arena, sb_diag_t *diag)
{
    table_t *t = sb_arena_alloc(arena, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    uint32_t n[SB_FAMILIES] = {0, 0};
    for (uint16_t i = 0; i < p->count; i++)
        n[sb_route_family_of_endpoint(&p->endpoints[i])] += p->endpoints[i].region_count;
    for (int f = 0; f < SB_FAMILIES; f++) {
        t->places[f] = sb_arena_alloc(arena, (n[f] + 1) * sizeof(place_t));
        if (t->places[f] == NULL)
            return -ENOMEM;
        t->count[f] = 0;
    }
    for (uint16_t i = 0; i < p->count; i++) {
        const sb_endpoint_t *ep = &p->endpoints[i];
        int f = sb_route_family_of_endpoint(ep);
        for (uint16_t k = 0; k < ep->region_count; k++)
            t->places[f][t->count[f]++] = (place_t){.code = ep->regions[k], .endpoint = i};
    }
    for (int f = 0; f < SB_FAMILIES; f++)
        qsort(t->places[f], t->count[f], sizeof(place_t), cmp_place);
    check_clashes(p, t, diag);
    check_default(p, t, diag);
    p->method_data = t;
    return 0;
}

static uint16_t find(const table_t *t, int f, sb_geo_code_t code)
{
    uint32_t lo = 0, hi = t->count[f];
    while (code != 0 && lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (t->places[f][mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->count[f] && t->places[f][lo].code == code ? t->places[f][lo].endpoint
                                                             : SB_PICK_NONE;
}

static void answer(const sb_profile_t *profile, const sb_route_decision_t *d,
                   const sb_route_family_t *f, const sb_route_client_t *client,
                   sb_route_answer_t *out)
{
    if (f->count == 0)
        return;
    int fam = (int)(f - d->family);
    sb_geo_place_t where;
    if (client->family != 0 && profile->geo != NULL) {
        bool found =
            sb_geo_lookup(profile->geo, client->family, client->addr, SB_GEO_CODES, &where);
        out->scope = where.prefix;
        const sb_geo_code_t tries[3] = {where.subdivision, where.country, where.continent};
        for (int k = 0; found && k < 3; k++) {
            uint16_t e = find(profile->method_data, fam, tries[k]);
            if (e != SB_PICK_NONE && d->live[e]) {
                sb_route_put(profile, e, out);
                return;
            }
        }
    }
    sb_route_put_default(profile, f, out);
}

const sb_route_method_t sb_route_geo = {
    .name = "geo",
    .settings = SB_ROUTE_SET_REGIONS,
    .routes_on_client = true,
    .needs_geo = true,
    .build = build,
    .answer = answer,
};
