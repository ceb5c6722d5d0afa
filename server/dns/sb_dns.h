/*
 * sb_dns — DNS protocol constants (RFC 1035, 6891, 2308 and friends).
 *
 * Header-only. Constants are named after the registry entries so that they
 * can be checked against IANA's tables at a glance.
 */
#ifndef SB_DNS_H
#define SB_DNS_H

#include <stdint.h>
#include <string.h>

#define SB_DNS_HEADER_LEN     12
#define SB_DNS_UDP_LEGACY_MAX 512 /* without EDNS (RFC 1035 §4.2.1) */
#define SB_DNS_TCP_MAX        65535

/* Header field offsets. */
#define SB_HDR_ID      0
#define SB_HDR_FLAGS   2
#define SB_HDR_QDCOUNT 4
#define SB_HDR_ANCOUNT 6
#define SB_HDR_NSCOUNT 8
#define SB_HDR_ARCOUNT 10

/* Flag bits in the 16-bit flags word. */
#define SB_FLAG_QR      0x8000u
#define SB_FLAG_AA      0x0400u
#define SB_FLAG_TC      0x0200u
#define SB_FLAG_RD      0x0100u
#define SB_FLAG_RA      0x0080u
#define SB_FLAG_Z       0x0040u
#define SB_FLAG_AD      0x0020u
#define SB_FLAG_CD      0x0010u
#define SB_OPCODE_SHIFT 11
#define SB_OPCODE_MASK  0x7800u
#define SB_RCODE_MASK   0x000fu

enum {
    SB_OPCODE_QUERY = 0,
};

enum {
    SB_RCODE_NOERROR = 0,
    SB_RCODE_FORMERR = 1,
    SB_RCODE_SERVFAIL = 2,
    SB_RCODE_NXDOMAIN = 3,
    SB_RCODE_NOTIMP = 4,
    SB_RCODE_REFUSED = 5,
    SB_RCODE_YXDOMAIN = 6,
    SB_RCODE_BADVERS = 16, /* extended: needs OPT */
};

enum {
    SB_CLASS_IN = 1,
    SB_CLASS_CH = 3,
    SB_CLASS_ANY = 255,
};

enum {
    SB_TYPE_A = 1,
    SB_TYPE_NS = 2,
    SB_TYPE_MD = 3,
    SB_TYPE_MF = 4,
    SB_TYPE_CNAME = 5,
    SB_TYPE_SOA = 6,
    SB_TYPE_MB = 7,
    SB_TYPE_MG = 8,
    SB_TYPE_MR = 9,
    SB_TYPE_PTR = 12,
    SB_TYPE_HINFO = 13,
    SB_TYPE_MINFO = 14,
    SB_TYPE_MX = 15,
    SB_TYPE_TXT = 16,
    SB_TYPE_AAAA = 28,
    SB_TYPE_SRV = 33,
    SB_TYPE_DNAME = 39,
    SB_TYPE_OPT = 41,
    SB_TYPE_DS = 43,
    SB_TYPE_RRSIG = 46,
    SB_TYPE_IXFR = 251,
    SB_TYPE_AXFR = 252,
    SB_TYPE_MAILB = 253,
    SB_TYPE_MAILA = 254,
    SB_TYPE_ANY = 255,
};

/* EDNS (RFC 6891). */
#define SB_EDNS_DO 0x8000u

/* EDNS option codes (IANA "DNS EDNS0 Option Codes"). */
enum {
    SB_EDNS_OPT_NSID = 3,    /* RFC 5001 */
    SB_EDNS_OPT_ECS = 8,     /* RFC 7871 */
    SB_EDNS_OPT_COOKIE = 10, /* RFC 7873 */
};

/* Network byte order, at any alignment: one load or store and a byte swap
 * where the compiler would otherwise move a byte at a time. */
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SB_BE16(v) __builtin_bswap16(v)
#define SB_BE32(v) __builtin_bswap32(v)
#elif defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SB_BE16(v) (v)
#define SB_BE32(v) (v)
#endif

#ifdef SB_BE16
static inline uint16_t sb_get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return (uint16_t)SB_BE16(v);
}

static inline uint32_t sb_get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (uint32_t)SB_BE32(v);
}

static inline void sb_put16(uint8_t *p, uint16_t v)
{
    uint16_t be = (uint16_t)SB_BE16(v);
    memcpy(p, &be, 2);
}

static inline void sb_put32(uint8_t *p, uint32_t v)
{
    uint32_t be = (uint32_t)SB_BE32(v);
    memcpy(p, &be, 4);
}
#else
static inline uint16_t sb_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t sb_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void sb_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void sb_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
#endif

#endif
