/*
 * The zone-file parser's shared state and helpers (sb_zparse.h).
 */
#include "sb_zparse.h"

#include "sb_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TTL_MAX 2147483647u /* RFC 2181 §8 */

void sb_zparse_error(sb_zparse_t *zp, sb_pos_t pos, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sb_diag_error(zp->diag, pos, "%s", msg);
}

sb_pos_t sb_zparse_pos_plus(sb_pos_t pos, size_t cols)
{
    pos.col += (unsigned)cols;
    return pos;
}

int sb_zparse_set_origin(sb_zparse_t *zp, const uint8_t *name)
{
    size_t len = sb_name_len(name);
    ldns_rdf *rdf = ldns_dname_new_frm_data((uint16_t)len, name);
    if (rdf == NULL)
        return -ENOMEM;
    memcpy(zp->origin, name, len);
    if (zp->origin_rdf != NULL)
        ldns_rdf_deep_free(zp->origin_rdf);
    zp->origin_rdf = rdf;
    return 0;
}

/* True when the name text ends in a dot that is not escaped. */
static bool is_absolute(const char *text, size_t len)
{
    if (len == 0 || text[len - 1] != '.')
        return false;
    size_t slashes = 0;
    for (size_t i = len - 1; i > 0 && text[i - 1] == '\\'; i--)
        slashes++;
    return slashes % 2 == 0;
}

/* Parse a domain name token relative to the current origin. Returns the wire
 * length, or 0 after recording an error. */
size_t sb_zparse_name(sb_zparse_t *zp, const sb_token_t *t, const char *what, uint8_t *out)
{
    if (t->quoted) {
        sb_zparse_error(zp, t->pos, "%s '%s' must not be quoted", what, t->text);
        return 0;
    }
    if (strcmp(t->text, "@") == 0) {
        size_t len = sb_name_len(zp->origin);
        memcpy(out, zp->origin, len);
        return len;
    }
    uint8_t wire[SB_NAME_MAX];
    int n = sb_name_from_text(t->text, wire);
    if (n == SB_ETOOBIG) {
        sb_zparse_error(zp, t->pos, "%s '%s' has a label over 63 bytes or is over 255 bytes", what,
                        t->text);
        return 0;
    }
    if (n < 0) {
        sb_zparse_error(zp, t->pos, "%s '%s' is not a valid domain name", what, t->text);
        return 0;
    }
    if (is_absolute(t->text, t->len)) {
        memcpy(out, wire, (size_t)n);
        return (size_t)n;
    }
    size_t olen = sb_name_len(zp->origin);
    if ((size_t)n - 1 + olen > SB_NAME_MAX) {
        sb_zparse_error(zp, t->pos, "%s '%s' is over 255 bytes once the origin is appended", what,
                        t->text);
        return 0;
    }
    memcpy(out, wire, (size_t)n - 1);
    memcpy(out + n - 1, zp->origin, olen);
    return (size_t)n - 1 + olen;
}

/* A TTL: seconds, or BIND-style units (1h30m, 2d, 1w). */
bool sb_zparse_ttl(const char *text, uint32_t *out)
{
    uint64_t total = 0, value = 0;
    bool digits = false, any_unit = false;
    for (const char *p = text;; p++) {
        char c = *p;
        if (c >= '0' && c <= '9') {
            value = value * 10 + (uint64_t)(c - '0');
            if (value > TTL_MAX)
                return false;
            digits = true;
            continue;
        }
        uint64_t scale;
        switch (c | 0x20) {
        case 's':
            scale = 1;
            break;
        case 'm':
            scale = 60;
            break;
        case 'h':
            scale = 3600;
            break;
        case 'd':
            scale = 86400;
            break;
        case 'w':
            scale = 604800;
            break;
        default:
            scale = 0;
            break;
        }
        if (c == '\0') {
            if (!digits && !any_unit)
                return false;
            if (digits && any_unit)
                return false; /* "1h30" is ambiguous */
            total += value;
            break;
        }
        if (scale == 0 || !digits)
            return false;
        total += value * scale;
        value = 0;
        digits = false;
        any_unit = true;
        if (total > TTL_MAX)
            return false;
    }
    if (total > TTL_MAX)
        return false;
    *out = (uint32_t)total;
    return true;
}

bool sb_zparse_looks_numeric(const char *text)
{
    return text[0] >= '0' && text[0] <= '9';
}

/* Split a `key=value` token; the value is unquoted and unescaped into
 * `value`. Returns false (after an error) for a malformed setting. */
bool sb_zparse_split_setting(sb_zparse_t *zp, const sb_token_t *t, char *key, size_t keycap,
                             char *value, size_t valcap, sb_pos_t *value_pos)
{
    const char *eq = strchr(t->text, '=');
    size_t klen = (size_t)(eq - t->text);
    if (klen == 0 || klen >= keycap || memchr(t->text, '"', klen) != NULL) {
        sb_zparse_error(zp, t->pos, "malformed setting '%s' (expected key=value)", t->text);
        return false;
    }
    memcpy(key, t->text, klen);
    key[klen] = '\0';
    *value_pos = sb_zparse_pos_plus(t->pos, klen + 1);
    size_t o = 0;
    for (const char *p = eq + 1; *p != '\0';) {
        if (*p == '"') {
            p++;
            continue;
        }
        int c = (unsigned char)*p++;
        if (c == '\\') {
            if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                p[2] <= '9') {
                c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                p += 3;
            } else {
                c = (unsigned char)*p++;
            }
        }
        if (c == 0 || c > 255 || o + 1 >= valcap) {
            sb_zparse_error(zp, *value_pos, "value of '%s' is malformed or too long", key);
            return false;
        }
        value[o++] = (char)c;
    }
    value[o] = '\0';
    if (o == 0) {
        sb_zparse_error(zp, *value_pos, "'%s=' needs a value", key);
        return false;
    }
    return true;
}

bool sb_zparse_is_setting(const sb_token_t *t)
{
    return strchr(t->text, '=') != NULL;
}

bool sb_zparse_is_word(const sb_token_t *t, const char *word)
{
    return !t->quoted && strcmp(t->text, word) == 0;
}

/* ---- a record's head ------------------------------------------------------ */

static bool is_class(const char *text)
{
    if (strcasecmp(text, "IN") == 0 || strcasecmp(text, "CH") == 0 || strcasecmp(text, "CS") == 0 ||
        strcasecmp(text, "HS") == 0)
        return true;
    if (strncasecmp(text, "CLASS", 5) != 0 || text[5] == '\0')
        return false;
    for (const char *p = text + 5; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    return true;
}

static bool owner_of(sb_zparse_t *zp, const sb_entry_t *e, sb_zparse_head_t *h)
{
    if (e->blank_owner) {
        if (zp->prev_owner_bad)
            return false; /* its owner was already reported */
        if (!zp->have_prev_owner) {
            sb_zparse_error(zp, e->tokens[0].pos,
                            "record has no owner name (the line starts with white space and no "
                            "earlier record names one)");
            return false;
        }
        memcpy(h->owner, zp->prev_owner, sb_name_len(zp->prev_owner));
        return true;
    }
    /* Lines that repeat this owner share its fate: a bad owner is reported
     * once and its following lines are skipped, never inherited. */
    zp->prev_owner_bad = true;
    if (sb_zparse_name(zp, &e->tokens[0], "owner name", h->owner) == 0)
        return false;
    if (!sb_name_is_within(h->owner, zp->apex)) {
        char o[SB_NAME_TEXT_MAX];
        sb_name_to_text(h->owner, o, sizeof(o));
        sb_zparse_error(zp, e->tokens[0].pos, "owner name %s is outside the zone %s", o,
                        sb_zone_apex_text(zp->zone));
        return false;
    }
    memcpy(zp->prev_owner, h->owner, sb_name_len(h->owner));
    zp->have_prev_owner = true;
    zp->prev_owner_bad = false;
    return true;
}

/* Owner, then TTL and class in either order (RFC 1035 §5.1), then the type. */
bool sb_zparse_head(sb_zparse_t *zp, const sb_entry_t *e, sb_zparse_head_t *h)
{
    memset(h, 0, sizeof(*h));
    if (!owner_of(zp, e, h))
        return false;
    size_t i = e->blank_owner ? 0 : 1;
    bool class_seen = false;
    for (int k = 0; k < 2 && i < e->count; k++) {
        const sb_token_t *t = &e->tokens[i];
        if (!h->ttl_given && sb_zparse_looks_numeric(t->text)) {
            if (!sb_zparse_ttl(t->text, &h->ttl)) {
                sb_zparse_error(zp, t->pos,
                                "bad TTL '%s' (seconds up to 2147483647, or units as in 1h30m)",
                                t->text);
                return false;
            }
            h->ttl_given = true;
            h->ttl_pos = t->pos;
        } else if (!class_seen && is_class(t->text)) {
            if (strcasecmp(t->text, "IN") != 0) {
                sb_zparse_error(zp, t->pos, "class %s is not served; records must be class IN",
                                t->text);
                return false;
            }
            class_seen = true;
        } else {
            break;
        }
        i++;
    }
    if (i >= e->count) {
        const sb_token_t *last = &e->tokens[e->count - 1];
        sb_zparse_error(zp, sb_zparse_pos_plus(last->pos, last->len), "record has no type");
        return false;
    }
    h->type_index = i;
    return true;
}

size_t sb_zparse_type_index(const sb_entry_t *e)
{
    size_t i = e->blank_owner ? 0 : 1;
    bool ttl_seen = false, class_seen = false;
    for (; i < e->count; i++) {
        const char *text = e->tokens[i].text;
        if (!ttl_seen && sb_zparse_looks_numeric(text))
            ttl_seen = true;
        else if (!class_seen && is_class(text))
            class_seen = true;
        else
            break;
    }
    return i;
}
