/*
 * sb_gen — a configuration generation: every served zone and traffic-managed
 * name, in one arena.
 *
 * A loader (sb_zonedir) makes a generation, adds each zone built in its
 * arena, and seals it: the zones are indexed by apex (two zones with one
 * apex are an error) and every profile's endpoints are numbered. Sealed, it
 * is immutable, apart from each profile's published choice. Readers find
 * the zone for a name with sb_gen_find_zone().
 *
 * Ownership: the caller owns the generation and frees it with sb_gen_free()
 * once no reader can hold it. Everything reachable from it lives in its
 * arena.
 * Thread: load on any thread; read from any thread after publication.
 */
#ifndef SB_GEN_H
#define SB_GEN_H

#include "sb_arena.h"
#include "sb_diag.h"
#include "sb_name.h"
#include "sb_profile.h"
#include "sb_zone.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sb_gen sb_gen_t;

/* An empty generation with its arena, or NULL when out of memory. */
sb_gen_t *sb_gen_new(void);

/* The arena everything of the generation lives in. */
sb_arena_t *sb_gen_arena(sb_gen_t *gen);

/* Add a zone built in the generation's arena. Returns 0 or -ENOMEM. */
int sb_gen_add_zone(sb_gen_t *gen, sb_zone_t *zone);

/* Index the zones and number the endpoints, once every zone is added;
 * errors (one zone twice) go to `diag`. Returns 0 or -ENOMEM. */
int sb_gen_seal(sb_gen_t *gen, sb_diag_t *diag);

void sb_gen_free(sb_gen_t *gen);

size_t sb_gen_zone_count(const sb_gen_t *gen);
const sb_zone_t *sb_gen_zone(const sb_gen_t *gen, size_t i);

/* The served zone with the longest apex containing `name`, or NULL. */
const sb_zone_t *sb_gen_find_zone(const sb_gen_t *gen, const sb_lname_t *name);

size_t sb_gen_profile_count(const sb_gen_t *gen);
sb_profile_t *sb_gen_profile(const sb_gen_t *gen, size_t i);

/* Endpoints of every profile together; each has its position among them in
 * `id` (0 to this count - 1), so that per-endpoint counters can be arrays. */
size_t sb_gen_endpoint_count(const sb_gen_t *gen);

/* Profiles with a fallback target. Their fallback targets are numbered on
 * from the endpoints: a profile's share one `id`, from
 * sb_gen_endpoint_count() to it plus this count - 1, so that answer
 * counters can count them in the same array. */
size_t sb_gen_fallback_count(const sb_gen_t *gen);

/* Hand the generation the location database its profiles route with; it
 * is closed with the generation. */
void sb_gen_set_geo(sb_gen_t *gen, struct sb_geo *geo);
const struct sb_geo *sb_gen_geo(const sb_gen_t *gen);

/* Memory held by the generation, for reports. */
size_t sb_gen_footprint(const sb_gen_t *gen);

#endif
