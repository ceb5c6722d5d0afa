/*
 * sb_geo — the location database geographic routing reads: a MaxMind DB
 * file (GeoIP2/GeoLite2 City or Country, or any database with the same
 * fields), through libmaxminddb, memory-mapped. A lookup gives the place
 * of an address — continent, country and first subdivision codes, and its
 * coordinates when the database has them — and the prefix length of the
 * database's network that holds it (the scope of an answer made from it).
 *
 * Fields read (GeoIP2 names): continent.code, country.iso_code (else
 * registered_country.iso_code), subdivisions.0.iso_code, location.latitude,
 * location.longitude.
 *
 * The file is copied into a sealed memfd when it is opened, and the copy
 * is what is mapped: rewriting or truncating the file in place cannot
 * change a running generation's answers or crash it; a reload reads it
 * again. The copy costs memory the size of the file (two during a reload).
 *
 * Ownership: a generation opens one (sb_zonedir) and closes it when it is
 * freed. Thread: lookups from any thread at once (libmaxminddb reads the
 * mapped file only); no allocation, no lock, no system call.
 */
#ifndef SB_GEO_H
#define SB_GEO_H

#include "sb_geo_code.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sb_geo sb_geo_t;

/* Where an address is. Codes are 0 when the database does not say. */
typedef struct {
    sb_geo_code_t continent, country, subdivision;
    bool has_location;
    float lat, lon;
    uint8_t prefix; /* bits of the address the database's network covers */
} sb_geo_place_t;

/* Open the database at `path`. Returns 0, or -EINVAL with the reason in
 * `why` (at least 256 bytes; the path is the caller's to name). */
int sb_geo_open(const char *path, sb_geo_t **out, char *why);

void sb_geo_close(sb_geo_t *geo);

/* What a lookup decodes: each field read costs (geo reads the codes,
 * closest the location). */
typedef enum {
    SB_GEO_CODES = 1,    /* continent, country, subdivision */
    SB_GEO_LOCATION = 2, /* latitude, longitude */
} sb_geo_fields_t;

/* The place of `addr` (4 or 16 bytes by `family` 4 or 6), with `fields`
 * decoded (the others are 0). False when the database has nothing for it;
 * out->prefix is set either way. */
bool sb_geo_lookup(const sb_geo_t *geo, uint8_t family, const uint8_t *addr, sb_geo_fields_t fields,
                   sb_geo_place_t *out);

/* What the database is, for logs: "GeoLite2-City, built 2026-11-28". */
const char *sb_geo_describe(const sb_geo_t *geo, char *buf, size_t cap);

#endif
