/*
 * sb_zonedir — a zones directory loaded into one configuration generation
 * (sb_gen) and checked as a whole.
 *
 * One file per zone, named after it: `example.com.zone` holds the zone
 * example.com. Files not ending in `.zone`, and hidden files, are ignored;
 * they are read in name order, so that loading is deterministic.
 *
 * Cross-zone checks run after every zone is read: an endpoint target (or
 * probe target) inside a served zone must exist there with A or AAAA
 * records, which become the addresses the probe worker checks (so that the
 * shipped example needs no outside DNS) — or be another profile's name,
 * which makes the endpoint nested (sb_zonedir_route, which also opens the
 * location database geo and closest profiles need).
 *
 * Ownership: a loaded generation is the caller's (sb_gen_free()).
 * Thread: any thread; nothing shared.
 */
#ifndef SB_ZONEDIR_H
#define SB_ZONEDIR_H

#include "sb_diag.h"
#include "sb_gen.h"

#include <stddef.h>

/* Load every zone file in `zones_dir`, with the location database at
 * `geo_database` (NULL: none; geo and closest profiles are then errors).
 * Returns 0, SB_ECONFIG when errors were recorded in `diag` (nothing is
 * returned then), or -ENOMEM. */
int sb_zonedir_load(sb_gen_t **out, const char *zones_dir, const char *geo_database,
                    sb_diag_t *diag);

/* Load the zone files `paths` (`count` of them, in any directory) as one
 * generation, as `switchboard check FILE...` does: each file holds the zone
 * its name names (NAME.zone), or, when `origin` is not NULL, the zone
 * `origin` (for one file; the caller sees to that). The checks across zones
 * see these zones alone: a target in a zone not given is taken as outside.
 * Returns as sb_zonedir_load() does. */
int sb_zonedir_load_files(sb_gen_t **out, const char *const *paths, size_t count,
                          const char *origin, const char *geo_database, sb_diag_t *diag);

/* Build a generation from zone texts in memory (tests): `files` holds `count`
 * pairs of file name and text, the file name naming the zone as above. */
int sb_zonedir_load_texts(sb_gen_t **out, const char *const *files, size_t count, sb_diag_t *diag);
int sb_zonedir_load_texts_with(sb_gen_t **out, const char *const *files, size_t count,
                               const char *geo_database, sb_diag_t *diag);

#endif
