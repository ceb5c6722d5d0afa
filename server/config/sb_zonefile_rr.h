/*
 * sb_zonefile_rr — one resource record of a zone file: its type known, its
 * data put into wire form — the common types written plainly by
 * sb_zonefile_rdata, everything else (and every error) by ldns, after its
 * fields are checked (a clear error for a field ldns would misread) — and
 * added to the zone, with the positions of its compressible names.
 *
 * Internal to config/. Thread: one parse, one thread.
 */
#ifndef SB_ZONEFILE_RR_H
#define SB_ZONEFILE_RR_H

#include "sb_lexer.h"
#include "sb_zparse.h"

#include <stdbool.h>

/* The record on the entry `e`, whose head is `h`. Errors go to the parse's
 * diagnostics; running out of memory sets zp->oom. */
void sb_zonefile_rr_parse(sb_zparse_t *zp, const sb_entry_t *e, const sb_zparse_head_t *h);

/* Whether `text` names a record type: one ldns knows, or TYPEnnn. */
bool sb_zonefile_rr_known_type(const char *text);

#endif
