/*
 * sb_route_closest — the `closest` routing method: the usable endpoint
 * nearest to the client by great-circle distance answers. Endpoints carry
 * their location (location=LAT,LON), or take it from the location
 * database by their address (sb_zonedir fills it in at load); the
 * client's location comes from the database. Clients the database cannot
 * place get the first usable endpoint in priority order. The ECS scope is
 * the prefix length of the database's network for the client.
 *
 * Distances compare as dot products of unit vectors computed at load, so a
 * query costs one lookup, two sines and two cosines, and three
 * multiplications per usable endpoint.
 *
 * Thread: pure functions after load; any thread.
 */
#ifndef SB_ROUTE_CLOSEST_H
#define SB_ROUTE_CLOSEST_H

#include "sb_route.h"

extern const sb_route_method_t sb_route_closest;

/* Where (lat, lon) is on the unit sphere, into unit[3]. */
void sb_route_closest_unit(float lat, float lon, float unit[3]);

#endif
