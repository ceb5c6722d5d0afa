/*
 * sb_route_geo — the `geo` routing method: each endpoint lists the places
 * it serves (regions=continent:EU,DE,US-CA; sb_geo_code), matched against
 * the client's place from the location database (sb_geo): its subdivision
 * first, then its country, then its continent — the most specific listed
 * place whose endpoint is usable answers. Clients from places no endpoint
 * lists, or whose endpoints are all unusable, get the endpoints marked
 * `default` in priority order, and failing those the first usable one.
 * The ECS scope is the prefix length of the database's network for the
 * client.
 *
 * At load: a place belongs to one endpoint per family (failover within a
 * place is a nested profile's job); a profile needs a `default` endpoint
 * unless it lists all seven continents; the server needs a location
 * database (checked where the generation is put together, sb_zonedir).
 *
 * Thread: pure functions after load; any thread.
 */
#ifndef SB_ROUTE_GEO_H
#define SB_ROUTE_GEO_H

#include "sb_route.h"

extern const sb_route_method_t sb_route_geo;

#endif
