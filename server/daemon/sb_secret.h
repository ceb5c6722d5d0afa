/*
 * sb_secret — secrets the server reads once, at start, before it drops
 * root: the DNS Cookie secret, from a file of its own or a systemd
 * credential; the fleet's password or token; and who else could read the
 * file each came from.
 *
 * Also the HTTP API's TLS certificate and key (PEM, read whole).
 *
 * A secret on the command line is visible to every user of the host (ps,
 * /proc/PID/cmdline), so options refuse it there (sb_options); one in a file
 * that others may read is a warning. "Others" means anyone but the owner
 * and the server itself: a file its own group may read (0640 root:GROUP,
 * the usual way to give a service a key) is fine; one readable by another
 * group or by everyone is not.
 *
 * Errors and warnings come back as words (no position): the caller knows
 * where the file was named.
 *
 * Thread: start-up only; blocking file I/O.
 */
#ifndef SB_SECRET_H
#define SB_SECRET_H

#include "sb_cookie.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The largest secret file read: a key is a line of hex digits. */
#define SB_SECRET_MAX_BYTES 4096

/* Read a cookie secret file: 32 hex digits, white space around them
 * allowed. Returns 0; -EINVAL (not a regular file, too large, or not 32
 * hex digits) or another negative errno, with words in `why` that never
 * quote the file. `st` receives the file's status (for
 * sb_secret_exposure()). */
int sb_secret_read_cookie(const char *path, sb_cookie_key_t *key, struct stat *st, char *why,
                          size_t whylen);

/* Read a secret that is one line of printable text (a password, a
 * token), white space around it dropped, into *out (the caller wipes and
 * frees it). Errors as for sb_secret_read_cookie(). */
int sb_secret_read_text(const char *path, char **out, struct stat *st, char *why, size_t whylen);

/* The largest PEM file read: a certificate chain or a private key. */
#define SB_SECRET_PEM_MAX_BYTES 65536

/* Read a PEM file (a certificate chain, a private key) whole into *out
 * (the caller wipes and frees it): it must hold a "-----BEGIN " line.
 * Errors as for sb_secret_read_cookie(). */
int sb_secret_read_pem(const char *path, char **out, struct stat *st, char *why, size_t whylen);

/* Who besides its owner and the server (running with group `server_gid`)
 * may read a file with status `st`: NULL for nobody, else words for a
 * warning, as "is readable by every user (mode 0644)". */
const char *sb_secret_exposure(const struct stat *st, gid_t server_gid, char *buf, size_t cap);

/* The path of the systemd credential `name` (LoadCredential=, SetCredential=)
 * in `buf`, or NULL when the service has no such credential or it holds
 * only white space: the shipped unit's SetCredential= default for a
 * LoadCredential= file that does not exist. */
const char *sb_secret_credential(const char *name, char *buf, size_t cap);

#endif
