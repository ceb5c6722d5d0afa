/*
 * The common types' data without ldns (sb_zonefile_rdata.h). Each field
 * reader returns false for anything it does not take plainly; the caller
 * then leaves the whole record to ldns.
 */
#include "sb_zonefile_rdata.h"

#include "sb_dns.h"
#include "sb_name.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    uint16_t type;
} common_types[] = {
    {"A", SB_TYPE_A},     {"AAAA", SB_TYPE_AAAA}, {"CNAME", SB_TYPE_CNAME},
    {"MX", SB_TYPE_MX},   {"TXT", SB_TYPE_TXT},   {"NS", SB_TYPE_NS},
    {"SRV", SB_TYPE_SRV}, {"PTR", SB_TYPE_PTR},   {"DNAME", SB_TYPE_DNAME},
};

uint16_t sb_zonefile_rdata_type(const char *text)
{
    for (size_t i = 0; i < sizeof(common_types) / sizeof(common_types[0]); i++) {
        if (strcasecmp(text, common_types[i].name) == 0)
            return common_types[i].type;
    }
    return 0;
}

/* Room for `n` more bytes of data. */
static bool fits(const sb_zonefile_rdata_t *out, size_t n)
{
    return n <= (size_t)SB_ZONEFILE_RDATA_MAX - out->len;
}

/* Printable ASCII other than the quote and the backslash: bytes that mean
 * themselves to ldns in every field kind taken here. */
static bool plain_bytes(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\')
            return false;
    }
    return true;
}

static bool put_address(const sb_token_t *t, int family, sb_zonefile_rdata_t *out)
{
    size_t n = family == AF_INET ? 4 : 16;
    if (t->quoted || !fits(out, n) || inet_pton(family, t->text, out->wire + out->len) != 1)
        return false;
    out->len = (uint16_t)(out->len + n);
    return true;
}

static bool put_u16(const sb_token_t *t, sb_zonefile_rdata_t *out)
{
    uint32_t v = 0;
    if (t->quoted || t->len == 0 || t->len > 5 || !fits(out, 2))
        return false;
    for (size_t i = 0; i < t->len; i++) {
        if (t->text[i] < '0' || t->text[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(t->text[i] - '0');
    }
    if (v > 65535)
        return false;
    out->wire[out->len++] = (uint8_t)(v >> 8);
    out->wire[out->len++] = (uint8_t)v;
    return true;
}

/* A domain name as written, relative ones completed with `origin`. Escapes
 * and any `@` are ldns's to read (it takes "@." for the origin, too). */
static bool put_name(const sb_token_t *t, const uint8_t *origin, bool compressible,
                     sb_zonefile_rdata_t *out)
{
    if (t->quoted || !plain_bytes(t->text, t->len) || memchr(t->text, '@', t->len) != NULL)
        return false;
    uint8_t wire[SB_NAME_MAX];
    int n = sb_name_from_text(t->text, wire);
    if (n <= 0)
        return false;
    size_t len = (size_t)n;
    if (t->text[t->len - 1] != '.') {
        size_t olen = sb_name_len(origin);
        if (len - 1 + olen > SB_NAME_MAX)
            return false;
        memcpy(wire + len - 1, origin, olen);
        len += olen - 1;
    }
    if (!fits(out, len))
        return false;
    if (compressible && out->name_count < 2)
        out->name_off[out->name_count++] = out->len;
    memcpy(out->wire + out->len, wire, len);
    out->len = (uint16_t)(out->len + len);
    return true;
}

/* One <character-string>: a token written bare, or quoted whole. */
static bool put_string(const sb_token_t *t, sb_zonefile_rdata_t *out)
{
    const char *s = t->text;
    size_t len = t->len;
    if (t->quoted) {
        if (len < 2 || s[0] != '"' || s[len - 1] != '"')
            return false;
        s++;
        len -= 2;
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < ' ' ||
                (unsigned char)s[i] >= 0x7f)
                return false;
        }
    } else if (!plain_bytes(s, len)) {
        return false;
    }
    if (len == 0 || len > 255 || !fits(out, len + 1))
        return false;
    out->wire[out->len++] = (uint8_t)len;
    memcpy(out->wire + out->len, s, len);
    out->len = (uint16_t)(out->len + len);
    return true;
}

static bool put_strings(const sb_token_t *f, size_t count, sb_zonefile_rdata_t *out)
{
    if (count == 0)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (!put_string(&f[i], out))
            return false;
    }
    return true;
}

bool sb_zonefile_rdata_encode(uint16_t type, const sb_token_t *f, size_t count,
                              const uint8_t *origin, sb_zonefile_rdata_t *out)
{
    out->len = 0;
    out->name_count = 0;
    switch (type) {
    case SB_TYPE_A:
        return count == 1 && put_address(&f[0], AF_INET, out);
    case SB_TYPE_AAAA:
        return count == 1 && put_address(&f[0], AF_INET6, out);
    case SB_TYPE_NS:
    case SB_TYPE_CNAME:
    case SB_TYPE_PTR:
        return count == 1 && put_name(&f[0], origin, true, out);
    case SB_TYPE_DNAME:
        return count == 1 && put_name(&f[0], origin, false, out);
    case SB_TYPE_MX:
        return count == 2 && put_u16(&f[0], out) && put_name(&f[1], origin, true, out);
    case SB_TYPE_SRV:
        return count == 4 && put_u16(&f[0], out) && put_u16(&f[1], out) && put_u16(&f[2], out) &&
               put_name(&f[3], origin, false, out);
    case SB_TYPE_TXT:
        return put_strings(f, count, out);
    default:
        return false;
    }
}
