/*
 * sb_geo_code — the places a `geo` endpoint serves, as written in a zone
 * file and as a location database names them: a continent
 * (`continent:EU`; AF AN AS EU NA OC SA), a country (`DE`, ISO 3166-1
 * alpha-2, checked against the list of assigned codes) or a subdivision
 * (`US-CA`: a country, '-', and 1-3 letters or digits, ISO 3166-2). Each
 * packs into one sb_geo_code_t, so that a profile's table of codes is a
 * sorted array searched per query.
 *
 * Thread: pure; any thread.
 */
#ifndef SB_GEO_CODE_H
#define SB_GEO_CODE_H

#include "sb_profile.h"

#include <stddef.h>

typedef enum {
    SB_GEO_CONTINENT = 1,
    SB_GEO_COUNTRY = 2,
    SB_GEO_SUBDIVISION = 3,
} sb_geo_kind_t;

/* Longest text sb_geo_code_text() writes, with its terminator. */
#define SB_GEO_CODE_TEXT_MAX 16

/* Parse one code as written in a zone file. Returns 0, or -EINVAL with the
 * reason in `why` (SB_WHY_MAX bytes). */
int sb_geo_code_parse(const char *text, sb_geo_code_t *out, char *why);

/* A code from a database's fields: `kind`, the continent or country code,
 * and for a subdivision its own part ("CA" of US-CA). 0 when malformed. */
sb_geo_code_t sb_geo_code_make(sb_geo_kind_t kind, const char *code, size_t len, const char *sub,
                               size_t sub_len);

sb_geo_kind_t sb_geo_code_kind(sb_geo_code_t code);

/* "continent:EU", "DE", "US-CA". */
const char *sb_geo_code_text(sb_geo_code_t code, char *buf, size_t cap);

#endif
