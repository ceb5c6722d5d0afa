/*
 * sb_zonedir_route — the routing checks that need every zone: nested
 * endpoints (an endpoint whose target is another profile's name leads to
 * that profile: not probed, usable while enough of the profile's
 * endpoints are; no cycles, at most SB_NEST_MAX deep), and the location
 * database that geo and closest profiles route with (opened here, handed
 * to the generation; endpoints of closest profiles without location= take
 * it from the database by their address).
 *
 * Internal to config/. Thread: any thread; nothing shared.
 */
#ifndef SB_ZONEDIR_ROUTE_H
#define SB_ZONEDIR_ROUTE_H

#include "sb_diag.h"
#include "sb_gen.h"

/* Profiles nested in one another at most this deep. */
#define SB_NEST_MAX 8

/* An endpoint whose target name is a profile: make it nested. Returns
 * whether it is (the caller then looks no further at its target). */
bool sb_zonedir_route_nest(sb_gen_t *gen, sb_endpoint_t *ep, const sb_profile_t *target,
                           sb_diag_t *diag);

/* Once every endpoint is resolved: the nesting checks, then the location
 * database (`geo_database`, or NULL when the server has none). Returns 0
 * or -ENOMEM; mistakes go to `diag`. */
int sb_zonedir_route_finish(sb_gen_t *gen, const char *geo_database, sb_diag_t *diag);

#endif
