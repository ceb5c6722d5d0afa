#include "sb_name.h"

#include "sb_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const uint8_t *sb_name_suffix(const uint8_t *name, unsigned keep)
{
    unsigned labels = sb_name_labels(name);
    const uint8_t *p = name;
    for (unsigned skip = labels - keep; skip > 0; skip--)
        p += *p + 1;
    return p;
}

bool sb_name_is_within(const uint8_t *name, const uint8_t *apex)
{
    unsigned nl = sb_name_labels(name);
    unsigned al = sb_name_labels(apex);
    if (nl < al)
        return false;
    return sb_name_equal(sb_name_suffix(name, al), apex);
}

static bool needs_escape(uint8_t c)
{
    return c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' ||
           c == '$';
}

size_t sb_name_to_text(const uint8_t *name, char *buf, size_t cap)
{
    size_t o = 0;
    if (*name == 0) {
        snprintf(buf, cap, ".");
        return 1;
    }
    for (const uint8_t *p = name; *p != 0; p += *p + 1) {
        for (uint8_t i = 1; i <= *p && o + 6 < cap; i++) {
            uint8_t c = p[i];
            if (c <= ' ' || c >= 0x7f)
                o += (size_t)snprintf(buf + o, cap - o, "\\%03u", c);
            else if (needs_escape(c)) {
                buf[o++] = '\\';
                buf[o++] = (char)c;
            } else
                buf[o++] = (char)c;
        }
        if (o + 1 < cap)
            buf[o++] = '.';
    }
    buf[o < cap ? o : cap - 1] = '\0';
    return o;
}

/* Reads one possibly escaped character of presentation text at *s; advances
 * *s. Returns the byte value or -1 for a malformed escape. */
static int read_text_char(const char **s)
{
    const char *p = *s;
    if (*p != '\\') {
        *s = p + 1;
        return (uint8_t)*p;
    }
    if (p[1] >= '0' && p[1] <= '9') {
        if (!(p[2] >= '0' && p[2] <= '9' && p[3] >= '0' && p[3] <= '9'))
            return -1;
        int v = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
        *s = p + 4;
        return v > 255 ? -1 : v;
    }
    if (p[1] == '\0')
        return -1;
    *s = p + 2;
    return (uint8_t)p[1];
}

int sb_name_from_text(const char *text, uint8_t out[SB_NAME_MAX])
{
    if (strcmp(text, ".") == 0) {
        out[0] = 0;
        return 1;
    }
    if (*text == '\0' || *text == '.')
        return -EINVAL;
    size_t o = 0;
    const char *s = text;
    while (*s != '\0') {
        size_t len_at = o++;
        unsigned label = 0;
        while (*s != '\0' && *s != '.') {
            int c = read_text_char(&s);
            if (c < 0)
                return -EINVAL;
            if (++label > SB_LABEL_MAX || o >= SB_NAME_MAX - 1)
                return SB_ETOOBIG;
            out[o++] = (uint8_t)c;
        }
        if (label == 0)
            return -EINVAL; /* empty label, as in "a..b" */
        out[len_at] = (uint8_t)label;
        if (*s == '.')
            s++;
    }
    out[o++] = 0;
    return (int)o;
}

void sb_name_to_lname(sb_lname_t *out, const uint8_t *wire)
{
    uint8_t o = 0, labels = 0;
    while (wire[o] != 0) {
        out->off[labels++] = o;
        o = (uint8_t)(o + wire[o] + 1);
    }
    /* All at once, length bytes too: they are below 64, never letters. */
    sb_name_lower(out->lc, wire, (size_t)o + 1);
    out->off[labels] = o;
    out->len = (uint8_t)(o + 1);
    out->labels = labels;
}
