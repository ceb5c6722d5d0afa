/*
 * sb_zonefile — reads one zone file: RFC 1035 master-file records plus
 * Switchboard's profile blocks for traffic-managed names.
 *
 *     $ORIGIN example.com.
 *     $TTL 3600
 *     @    SOA  ns1 hostmaster 2026112101 7200 900 1209600 60
 *     www  profile priority ttl=30 {
 *              monitor http port=8001 path=/health interval=2s timeout=1s
 *                      fall=3 rise=2 expect=200-299
 *              endpoint east  east.example.com.  priority=1
 *              endpoint west  west.example.com.  priority=2
 *          }
 *
 * Records are parsed by ldns, so every type ldns knows (and RFC 3597 generic
 * TYPEnnn \# syntax) is accepted. $ORIGIN, $TTL and $INCLUDE are supported.
 * The grammar of profile blocks is documented in docs/zone-format.md.
 *
 * Every problem is recorded in the diagnostics as `file:line:col: message`
 * and parsing continues, so that one run reports all of them. A profile
 * ttl= over SB_PROFILE_TTL_WARN (sb_zonefile_profile.h) is a warning, not
 * an error.
 *
 * Ownership: the zone, its profiles and every string they hold live in
 * `arena`; file names used in positions are copied there too.
 * Thread: any thread, one parse at a time per arena.
 */
#ifndef SB_ZONEFILE_H
#define SB_ZONEFILE_H

#include "sb_arena.h"
#include "sb_diag.h"
#include "sb_zone.h"

#include <stdint.h>

/* Parse `path` as the zone `apex` (wire name). Returns 0, SB_ECONFIG when
 * errors were recorded, or -ENOMEM. With SB_ECONFIG *out still holds the
 * finished zone, so that checks across zones can run and report too; such a
 * zone must never be served. */
int sb_zonefile_load(const char *path, const uint8_t *apex, sb_arena_t *arena, sb_diag_t *diag,
                     sb_zone_t **out);

/* The same for text in memory; `name` stands for the file name. */
int sb_zonefile_load_text(const char *name, const char *text, const uint8_t *apex,
                          sb_arena_t *arena, sb_diag_t *diag, sb_zone_t **out);

#endif
