/*
 * sb_cookie — DNS server cookies (RFC 7873) in the interoperable format of
 * RFC 9018: version 1, three reserved zero bytes, a 32-bit timestamp, and a
 * SipHash-2-4 of the client cookie, those eight bytes and the client's
 * address, keyed with a 16-byte secret. Servers that share the secret (an
 * anycast cluster) accept each other's cookies.
 *
 * SipHash-2-4 comes from libsodium (crypto_shorthash_siphash24): a reviewed
 * implementation of exactly the function RFC 9018 names.
 *
 * Timestamps compare with serial-number arithmetic (RFC 1982), as RFC 9018
 * §4.3 asks: a cookie is valid from 5 minutes in the future (clock skew
 * inside a cluster) to one hour old, and reused while younger than half an
 * hour.
 *
 * Thread: pure functions; any thread. No allocation.
 */
#ifndef SB_COOKIE_H
#define SB_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_COOKIE_SECRET_LEN 16
#define SB_COOKIE_SERVER_LEN 16 /* the server cookie RFC 9018 defines */

typedef struct {
    uint8_t secret[SB_COOKIE_SECRET_LEN];
} sb_cookie_key_t;

/* A fresh random secret (one per process unless configured).
 * Returns 0 or -EIO when no randomness is available. */
int sb_cookie_key_random(sb_cookie_key_t *key);

/* A secret from 32 hex digits. Returns 0 or -EINVAL. */
int sb_cookie_key_parse(sb_cookie_key_t *key, const char *hex);

/* The server cookie for `client_cookie` (8 bytes) sent from `addr` (4 or 16
 * bytes; 0 when unknown) at `now` (Unix seconds), into `out` (16 bytes). */
void sb_cookie_make(const sb_cookie_key_t *key, const uint8_t *client_cookie, const uint8_t *addr,
                    size_t addr_len, uint32_t now, uint8_t *out);

typedef enum {
    SB_COOKIE_BAD,   /* not ours, not for this client, or expired */
    SB_COOKIE_RENEW, /* ours and valid, but old enough to replace */
    SB_COOKIE_FRESH, /* ours, valid, and worth echoing unchanged */
} sb_cookie_verdict_t;

/* Judge the server cookie a client sent back with `client_cookie`. */
sb_cookie_verdict_t sb_cookie_check(const sb_cookie_key_t *key, const uint8_t *client_cookie,
                                    const uint8_t *server_cookie, size_t server_len,
                                    const uint8_t *addr, size_t addr_len, uint32_t now);

#endif
