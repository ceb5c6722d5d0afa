/*
 * sb_zonefile_profile — a profile block of a zone file: the profile line
 * (routing method, ttl=), then `monitor` and `endpoint` statements (with
 * continuation lines) up to the closing brace; checked as a whole (a
 * monitor, endpoints, priorities, names, monitor settings against their
 * protocol) and built into the zone with its routing method's default
 * decision published. Every mistake is reported once, at its position.
 *
 * Internal to config/. Thread: one parse, one thread.
 */
#ifndef SB_ZONEFILE_PROFILE_H
#define SB_ZONEFILE_PROFILE_H

#include "sb_lexer.h"
#include "sb_zparse.h"

#include <stdbool.h>

/* Default TTL of a profile's answers when it sets no ttl=N. */
#define SB_PROFILE_DEFAULT_TTL 30
/* A longer ttl=N is a warning: failover would take that long to reach
 * clients whose resolvers cached the answer. */
#define SB_PROFILE_TTL_WARN 300

/* The profile line on `e` (head `h`): opens a block in zp->profile. */
void sb_zonefile_profile_open(sb_zparse_t *zp, const sb_entry_t *e, const sb_zparse_head_t *h);

/* An entry while a block is open: taken as part of the block (true), or
 * not (false: the block was closed or never opened with its brace, and
 * the entry is the zone's). A record or profile line met while the block
 * is open means its '}' is missing: that is one error ("profile X is never
 * closed (missing '}' before line N)"), the block is closed there, and the
 * line is the zone's. */
bool sb_zonefile_profile_line(sb_zparse_t *zp, const sb_entry_t *e);

/* An entry while no block is open: true when it is left over from a block
 * closed for want of its '}' (a block statement, or that block's late
 * '}'), and is skipped, the block having been reported once. */
bool sb_zonefile_profile_stray(sb_zparse_t *zp, const sb_entry_t *e);

/* The file ended with the block open: report it and drop the block. */
void sb_zonefile_profile_unclosed(sb_zparse_t *zp);

/* Drop the open block without building it. */
void sb_zonefile_profile_discard(sb_zparse_t *zp);

#endif
