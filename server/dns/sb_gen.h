/*
 * sb_gen — a configuration generation: every served zone and traffic-managed
 * name, loaded from the zones directory and checked as a whole.
 *
 * One file per zone, named after it: `example.com.zone` holds the zone
 * example.com. Files not ending in `.zone`, and hidden files, are ignored.
 *
 * Cross-zone checks run after every zone is read: an endpoint target inside a
 * served zone must exist there with A or AAAA records, which become the
 * addresses the probe worker checks (so that the shipped example needs no
 * outside DNS).
 *
 * A generation is immutable once loaded, apart from each profile's published
 * choice. Readers find the zone for a name with sb_gen_find_zone().
 *
 * Ownership: the caller owns the generation and frees it with sb_gen_free()
 * once no reader can hold it. Everything reachable from it lives in its
 * arena.
 * Thread: load on any thread; read from any thread after publication.
 */
#ifndef SB_GEN_H
#define SB_GEN_H

#include "sb_diag.h"
#include "sb_name.h"
#include "sb_profile.h"
#include "sb_zone.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sb_gen sb_gen_t;

/* Load every zone file in `zones_dir`. Returns 0, SB_ECONFIG when errors were
 * recorded in `diag` (nothing is returned then), or -ENOMEM. */
int sb_gen_load(sb_gen_t **out, const char *zones_dir, sb_diag_t *diag);

/* Build a generation from zone texts in memory (tests): `files` holds `count`
 * pairs of file name and text, the file name naming the zone as above. */
int sb_gen_load_texts(sb_gen_t **out, const char *const *files, size_t count, sb_diag_t *diag);

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

/* Memory held by the generation, for reports. */
size_t sb_gen_footprint(const sb_gen_t *gen);

#endif
