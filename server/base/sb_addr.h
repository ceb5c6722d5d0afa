/*
 * sb_addr — an IPv4 or IPv6 address as bytes (what a profile answers with,
 * what a probe connects to), and its conversions: from and to text, and to
 * a socket address with a port; and address prefixes (192.0.2.0/24).
 *
 * Thread: pure; any thread.
 */
#ifndef SB_ADDR_H
#define SB_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
    uint8_t family; /* 4 or 6 */
    uint8_t bytes[16];
} sb_addr_t;

/* Longest text sb_addr_format() writes, with its terminator. */
#define SB_ADDR_TEXT_MAX 46

/* "192.0.2.1" or "2001:db8::1" (no brackets, no port). Returns 0, or
 * -EINVAL when `text` is not an address literal. */
int sb_addr_parse(const char *text, sb_addr_t *out);

/* The address as text, in `buf` of at least SB_ADDR_TEXT_MAX bytes. */
const char *sb_addr_format(const sb_addr_t *a, char *buf, size_t cap);

/* A socket address for `a` and `port`, and its length. */
socklen_t sb_addr_sockaddr(const sb_addr_t *a, uint16_t port, struct sockaddr_storage *out);

/* An address prefix: 192.0.2.0/24, 2001:db8::/32. */
typedef struct {
    uint8_t family; /* 4 or 6 */
    uint8_t len;    /* prefix length in bits */
    uint8_t addr[16];
} sb_prefix_t;

/* "192.0.2.0/24", "2001:db8::/32", or an address alone (the whole
 * address). Bits past the length must be zero. An IPv4-mapped IPv6 prefix
 * (::ffff:192.0.2.0/120) is the IPv4 prefix it means. Returns 0 or
 * -EINVAL. */
int sb_addr_prefix_parse(const char *text, sb_prefix_t *out);

#endif
