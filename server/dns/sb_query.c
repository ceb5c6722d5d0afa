#include "sb_query.h"

#include "sb_dns.h"

#include <string.h>

/* The question name: no compression, labels of at most 63 bytes, at most 255
 * bytes in all. Fills q->qname; returns the offset after the name or 0.
 * One check per label for both bounds: a label's last byte may lie
 * neither at the packet's last byte or beyond (the root byte must follow)
 * nor past the 254th byte of the name. */
static size_t parse_qname(const uint8_t *pkt, size_t len, size_t p, sb_lname_t *out)
{
    size_t start = p;
    if (p >= len)
        return 0;
    size_t last = len - 1 < start + SB_NAME_MAX - 1 ? len - 1 : start + SB_NAME_MAX - 1;
    uint8_t labels = 0;
    for (;;) {
        unsigned n = pkt[p];
        if (n - 1u >= SB_LABEL_MAX) {
            if (n == 0)
                break;
            return 0; /* a pointer or an obsolete label type */
        }
        if (p + n >= last)
            return 0;
        out->off[labels++] = (uint8_t)(p - start);
        p += 1 + (size_t)n;
    }
    /* All at once, length bytes too: they are below 64, never letters. */
    sb_name_lower(out->lc, pkt + start, p - start + 1);
    out->off[labels] = (uint8_t)(p - start);
    out->len = (uint8_t)(p - start + 1);
    out->labels = labels;
    return p + 1;
}

/* Skip a name that may be compressed; returns the offset after it, or 0. */
static size_t skip_name(const uint8_t *pkt, size_t len, size_t p, bool *is_root)
{
    size_t total = 0;
    *is_root = p < len && pkt[p] == 0;
    for (;;) {
        if (p >= len)
            return 0;
        uint8_t n = pkt[p];
        if ((n & 0xc0) == 0xc0)
            return p + 2 <= len ? p + 2 : 0;
        if (n & 0xc0)
            return 0;
        if (n == 0)
            return p + 1;
        total += (size_t)n + 1;
        if (total > SB_NAME_MAX)
            return 0;
        p += 1 + (size_t)n;
    }
}

/* RFC 7871 §6: family, source prefix, scope prefix (0 in queries), then
 * exactly the address bytes the source prefix covers, unused bits zero. */
static bool parse_ecs(const uint8_t *d, size_t len, sb_query_ecs_t *ecs)
{
    if (len < 4)
        return false;
    uint16_t family = sb_get16(d);
    unsigned source = d[2];
    unsigned max_prefix = family == 1 ? 32 : family == 2 ? 128 : 0;
    if (max_prefix == 0 || source > max_prefix || d[3] != 0)
        return false;
    size_t addr_len = (source + 7) / 8;
    if (len - 4 != addr_len)
        return false;
    if (source % 8 != 0 && (d[4 + addr_len - 1] & (0xffu >> (source % 8))) != 0)
        return false;
    ecs->family = family;
    ecs->source_prefix = (uint8_t)source;
    ecs->addr_len = (uint8_t)addr_len;
    ecs->addr = d + 4;
    return true;
}

/* RFC 7873 §4: a client cookie of 8 bytes, optionally followed by a
 * server cookie of 8 to 32 bytes. */
static bool cookie_length_ok(size_t len)
{
    return len == SB_COOKIE_CLIENT_LEN || (len >= SB_COOKIE_CLIENT_LEN + SB_COOKIE_SERVER_MIN_LEN &&
                                           len <= SB_COOKIE_CLIENT_LEN + SB_COOKIE_SERVER_MAX_LEN);
}

/* One option we act on; false when its content is invalid. */
static bool parse_option(sb_query_t *q, uint16_t code, const uint8_t *data, size_t len)
{
    switch (code) {
    case SB_EDNS_OPT_NSID:
        q->nsid_requested = true; /* RFC 5001 §2.3: the payload is ignored */
        return true;
    case SB_EDNS_OPT_ECS:
        if (q->has_ecs || !parse_ecs(data, len, &q->ecs))
            return false;
        q->has_ecs = true;
        return true;
    case SB_EDNS_OPT_COOKIE:
        if (q->cookie != NULL || !cookie_length_ok(len))
            return false;
        q->cookie = data;
        q->cookie_len = (uint8_t)len;
        return true;
    default:
        return true; /* RFC 6891 §6.1.2: unknown options are ignored */
    }
}

/* The option list. Returns false when its framing is broken; sets *invalid
 * when an option we act on is malformed. Options of EDNS versions we do not
 * speak are not interpreted (the answer is BADVERS anyway). */
static bool parse_options(sb_query_t *q, const uint8_t *rdata, size_t rdlen, bool *invalid)
{
    size_t p = 0;
    while (p < rdlen) {
        if (p + 4 > rdlen)
            return false;
        uint16_t code = sb_get16(rdata + p);
        size_t olen = sb_get16(rdata + p + 2);
        if (p + 4 + olen > rdlen)
            return false;
        if (q->edns_version == 0 && !parse_option(q, code, rdata + p + 4, olen))
            *invalid = true;
        p += 4 + olen;
    }
    return true;
}

static bool parse_opt(sb_query_t *q, bool is_root, const uint8_t *rr, const uint8_t *rdata,
                      size_t rdlen, bool *invalid)
{
    if (q->edns || !is_root)
        return false; /* a second OPT, or one not owned by the root */
    uint32_t ttl = sb_get32(rr + 4);
    q->edns = true;
    q->edns_udp_size = sb_get16(rr + 2);
    q->edns_version = (uint8_t)(ttl >> 16);
    q->edns_do = (ttl & SB_EDNS_DO) != 0;
    return parse_options(q, rdata, rdlen, invalid);
}

static bool parse_additional(const uint8_t *pkt, size_t len, size_t p, unsigned count,
                             sb_query_t *q, bool *invalid)
{
    for (unsigned i = 0; i < count; i++) {
        bool is_root;
        p = skip_name(pkt, len, p, &is_root);
        if (p == 0 || p + 10 > len)
            return false;
        const uint8_t *rr = pkt + p;
        size_t rdlen = sb_get16(rr + 8);
        if (p + 10 + rdlen > len)
            return false;
        if (sb_get16(rr) == SB_TYPE_OPT && !parse_opt(q, is_root, rr, rr + 10, rdlen, invalid))
            return false;
        p += 10 + rdlen;
    }
    return p == len;
}

sb_query_status_t sb_query_parse(const uint8_t *pkt, size_t len, sb_query_t *q)
{
    memset(q, 0, offsetof(sb_query_t, qname));
    if (len < SB_DNS_HEADER_LEN)
        return SB_QUERY_DROP;
    q->id = sb_get16(pkt + SB_HDR_ID);
    q->flags = sb_get16(pkt + SB_HDR_FLAGS);
    if (q->flags & SB_FLAG_QR)
        return SB_QUERY_DROP;
    q->opcode = (uint8_t)((q->flags & SB_OPCODE_MASK) >> SB_OPCODE_SHIFT);
    unsigned qd = sb_get16(pkt + SB_HDR_QDCOUNT);
    size_t p = SB_DNS_HEADER_LEN;
    if (qd == 1) {
        size_t end = parse_qname(pkt, len, p, &q->qname);
        if (end != 0 && end + 4 <= len) {
            q->have_question = true;
            q->question = pkt + p;
            q->question_len = (uint16_t)(end + 4 - p);
            q->qtype = sb_get16(pkt + end);
            q->qclass = sb_get16(pkt + end + 2);
            p = end + 4;
        }
    }
    bool counts_ok = qd == 1 && q->have_question && sb_get16(pkt + SB_HDR_ANCOUNT) == 0 &&
                     sb_get16(pkt + SB_HDR_NSCOUNT) == 0;
    bool invalid_option = false;
    bool additional_ok = counts_ok && parse_additional(pkt, len, p, sb_get16(pkt + SB_HDR_ARCOUNT),
                                                       q, &invalid_option);
    if (!additional_ok)
        q->edns = false; /* a broken OPT is not echoed */
    if (q->opcode != SB_OPCODE_QUERY)
        return SB_QUERY_NOTIMP;
    return additional_ok && !invalid_option ? SB_QUERY_OK : SB_QUERY_FORMERR;
}
