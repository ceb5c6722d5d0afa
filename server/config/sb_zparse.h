/*
 * sb_zparse — what the parts of the zone-file parser share: the state of
 * one zone being read (the arena and zone built into, $ORIGIN, $TTL, the
 * previous owner, the files being included, an open profile block) and
 * the helpers every part uses (errors at a position, names, TTLs,
 * key=value settings, a record's head: owner, TTL, class, type).
 *
 *   sb_zonefile          the driver and $ directives
 *   sb_zonefile_rr       records, through ldns
 *   sb_zonefile_profile  profile blocks
 *
 * Internal to config/. Thread: one parse, one thread.
 */
#ifndef SB_ZPARSE_H
#define SB_ZPARSE_H

#include "sb_arena.h"
#include "sb_diag.h"
#include "sb_lexer.h"
#include "sb_name.h"
#include "sb_zone.h"

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define SB_ZPARSE_MAX_INCLUDE_DEPTH 8

struct sb_profile_draft;
struct sb_zonefile_rdata;

typedef struct sb_zparse {
    sb_arena_t *arena;
    sb_diag_t *diag;
    sb_zone_t *zone;
    const uint8_t *apex;
    uint8_t origin[SB_NAME_MAX];
    ldns_rdf *origin_rdf;
    uint32_t default_ttl; /* from $TTL */
    bool have_default_ttl;
    uint32_t last_ttl; /* last TTL written on a record (RFC 1035 §5.1) */
    bool have_last_ttl;
    uint8_t prev_owner[SB_NAME_MAX];
    bool have_prev_owner;
    bool prev_owner_bad; /* the last owner written was invalid */
    int depth;
    struct {
        dev_t dev;
        ino_t ino;
    } open_files[SB_ZPARSE_MAX_INCLUDE_DEPTH + 1]; /* the files being read, outermost first */
    int include_count;
    /* One record's data, reused for every record: a buffer per record made
     * the heap grow and shrink each time. */
    struct sb_zonefile_rdata *rdata;
    struct sb_profile_draft *profile; /* open profile block (sb_zonefile_profile), or NULL */
    /* One copy of each distinct monitor of the zone's endpoints
     * (sb_monitor_pool); owned, freed when the zone is loaded. */
    struct sb_monitor_pool *monitors;
    /* A block was closed for want of its '}' (reported once): the block's
     * own lines that follow are skipped, up to a '}' or a zone entry. */
    bool block_unclosed;
    int oom;
} sb_zparse_t;

/* A record's (or profile's) head: owner, TTL and class, and where its type is. */
typedef struct {
    uint8_t owner[SB_NAME_MAX];
    bool ttl_given;
    uint32_t ttl;
    sb_pos_t ttl_pos;
    size_t type_index; /* token index of the type (or "profile") */
} sb_zparse_head_t;

/* Record an error at `pos`. */
void sb_zparse_error(sb_zparse_t *zp, sb_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* `pos` moved right by `cols` columns: just after a token. */
sb_pos_t sb_zparse_pos_plus(sb_pos_t pos, size_t cols);

/* Make `name` the origin relative names are completed with. Returns 0 or
 * -ENOMEM. */
int sb_zparse_set_origin(sb_zparse_t *zp, const uint8_t *name);

/* The token as a wire name (relative ones completed with the origin);
 * `what` names it in errors. Returns its length, or 0 after an error. */
size_t sb_zparse_name(sb_zparse_t *zp, const sb_token_t *t, const char *what, uint8_t *out);

/* A TTL: seconds, or units as in 1h30m; at most 2147483647. */
bool sb_zparse_ttl(const char *text, uint32_t *out);

/* Whether `text` starts like a number (a TTL rather than a class or type). */
bool sb_zparse_looks_numeric(const char *text);

/* A key=value token split in two (the value unquoted), with the value's
 * position; false after an error. */
bool sb_zparse_split_setting(sb_zparse_t *zp, const sb_token_t *t, char *key, size_t keycap,
                             char *value, size_t valuecap, sb_pos_t *vpos);

/* Whether the token is a key=value setting. */
bool sb_zparse_is_setting(const sb_token_t *t);

/* Whether the token is exactly `word`, unquoted. */
bool sb_zparse_is_word(const sb_token_t *t, const char *word);

/* Owner, then TTL and class in either order (RFC 1035 §5.1), then the type.
 * False after an error. */
bool sb_zparse_head(sb_zparse_t *zp, const sb_entry_t *e, sb_zparse_head_t *h);

/* Where the type of the entry would be, read as sb_zparse_head() reads it
 * but quietly (nothing is checked or reported): after the owner (unless the
 * line starts blank), a TTL and a class. e->count when there is none. */
size_t sb_zparse_type_index(const sb_entry_t *e);

#endif
