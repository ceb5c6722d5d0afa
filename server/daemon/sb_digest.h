/*
 * sb_digest — a digest of the configuration this nameserver loaded, for the
 * fleet to compare (sb_fleet_nodes): BLAKE2b-256, in hex, over every zone
 * file of the zones directory (NAME.zone, in name order), each file's name
 * and length and bytes, then the location database's (geo and closest
 * profiles answer by it). Two nameservers with the same zone files and
 * database have the same digest; a file's $INCLUDEd files are not part of
 * it (documented in docs/fleet.md).
 *
 * Thread: any; blocking file I/O (at start and after a reload).
 */
#ifndef SB_DIGEST_H
#define SB_DIGEST_H

#include <stddef.h>

#define SB_DIGEST_HEX 65 /* 64 hex digits and a NUL */

/* The digest of the zone files in `dir` and of the location database at
 * `geo_database` (NULL: none) into `hex`. Returns 0, or a negative errno
 * with words in `why`. */
int sb_digest_zones(const char *dir, const char *geo_database, char hex[SB_DIGEST_HEX], char *why,
                    size_t why_len);

#endif
