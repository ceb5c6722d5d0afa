#include "sb_query.h"

#include "sb_dns.h"

#include <string.h>

/* The question name: no compression, labels of at most 63 bytes, at most 255
 * bytes in all. Fills q->qname; returns the offset after the name or 0. */
static size_t parse_qname(const uint8_t *pkt, size_t len, size_t p, sb_lname_t *out)
{
    size_t start = p;
    uint8_t labels = 0;
    for (;;) {
        if (p >= len)
            return 0;
        uint8_t n = pkt[p];
        if (n & 0xc0)
            return 0; /* a pointer or an obsolete label type */
        if (n == 0)
            break;
        if (p + 1 + n >= len || p - start + 1 + n + 1 > SB_NAME_MAX)
            return 0;
        out->off[labels++] = (uint8_t)(p - start);
        out->lc[p - start] = n;
        sb_name_lower(out->lc + (p - start) + 1, pkt + p + 1, n);
        p += 1 + (size_t)n;
    }
    out->off[labels] = (uint8_t)(p - start);
    out->lc[p - start] = 0;
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

static bool options_well_formed(const uint8_t *rdata, size_t rdlen)
{
    size_t p = 0;
    while (p < rdlen) {
        if (p + 4 > rdlen)
            return false;
        size_t olen = sb_get16(rdata + p + 2);
        p += 4 + olen;
    }
    return p == rdlen;
}

static bool parse_opt(sb_query_t *q, bool is_root, const uint8_t *rr, const uint8_t *rdata,
                      size_t rdlen)
{
    if (q->edns || !is_root)
        return false; /* a second OPT, or one not owned by the root */
    if (!options_well_formed(rdata, rdlen))
        return false;
    uint32_t ttl = sb_get32(rr + 4);
    q->edns = true;
    q->edns_udp_size = sb_get16(rr + 2);
    q->edns_version = (uint8_t)(ttl >> 16);
    q->edns_do = (ttl & SB_EDNS_DO) != 0;
    return true;
}

static bool parse_additional(const uint8_t *pkt, size_t len, size_t p, unsigned count,
                             sb_query_t *q)
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
        if (sb_get16(rr) == SB_TYPE_OPT && !parse_opt(q, is_root, rr, rr + 10, rdlen))
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
    bool additional_ok =
        counts_ok && parse_additional(pkt, len, p, sb_get16(pkt + SB_HDR_ARCOUNT), q);
    if (!additional_ok)
        q->edns = false; /* a broken OPT is not echoed */
    if (q->opcode != SB_OPCODE_QUERY)
        return SB_QUERY_NOTIMP;
    return additional_ok ? SB_QUERY_OK : SB_QUERY_FORMERR;
}
