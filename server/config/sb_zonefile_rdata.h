/*
 * sb_zonefile_rdata — the data of the record types that make up nearly all
 * of a large zone (A, AAAA, NS, CNAME, PTR, DNAME, MX, SRV, TXT) put into
 * wire form directly, without ldns.
 *
 * ldns parses a record through buffers of 64 KiB that it allocates and
 * frees each time; at half a million records that cost more than the rest
 * of loading together (glibc gave the heap's top back to the kernel and
 * took it again, three system calls a record). This takes only data written
 * plainly: no escapes, no `@`, no RFC 3597 `\#`, each field well formed and
 * none missing or left over. Anything else is declined and goes to ldns as
 * before, which parses it or reports the error at its position. So what
 * this accepts is what ldns would have made of it, byte for byte (the unit
 * tests compare the two), and every message stays the same.
 *
 * Internal to config/. Pure: no allocation, any thread.
 */
#ifndef SB_ZONEFILE_RDATA_H
#define SB_ZONEFILE_RDATA_H

#include "sb_lexer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest data a record may have (RDLENGTH is 16 bits). */
#define SB_ZONEFILE_RDATA_MAX 65535

typedef struct sb_zonefile_rdata {
    uint8_t wire[SB_ZONEFILE_RDATA_MAX];
    uint16_t len;
    uint16_t name_off[2]; /* where compressible names start (RFC 3597 §4) */
    uint8_t name_count;
} sb_zonefile_rdata_t;

/* The type number of the common type `text` names (any case), or 0. */
uint16_t sb_zonefile_rdata_type(const char *text);

/* The data of a record of `type` from its `count` field tokens, relative
 * names completed with `origin` (a wire name). True with `out` filled;
 * false when the type or the way it is written is not one taken here. */
bool sb_zonefile_rdata_encode(uint16_t type, const sb_token_t *fields, size_t count,
                              const uint8_t *origin, sb_zonefile_rdata_t *out);

#endif
