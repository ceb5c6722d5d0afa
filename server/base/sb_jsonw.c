#include "sb_jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_jsonw_init(sb_jsonw_t *w)
{
    memset(w, 0, sizeof(*w));
}

void sb_jsonw_free(sb_jsonw_t *w)
{
    sb_textbuf_free(&w->text);
    sb_jsonw_init(w);
}

char *sb_jsonw_take(sb_jsonw_t *w, size_t *len)
{
    char *text = sb_textbuf_take(&w->text, len);
    sb_jsonw_init(w);
    return text;
}

static void put(sb_jsonw_t *w, const char *s, size_t n)
{
    sb_textbuf_put(&w->text, s, n);
}

/* Whether any of the 8 bytes at `p` is a control character, '"' or '\\'
 * (the bytes JSON escapes): the usual bit tricks, a word at a time. */
static bool word_needs_escape(const char *p)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    uint64_t below_space = (x - ones * 0x20) & ~x;
    uint64_t zero_quote = (quote - ones) & ~quote, zero_backslash = (backslash - ones) & ~backslash;
    return ((below_space | zero_quote | zero_backslash) & highs) != 0;
}

/* Whether `s` (`n` bytes) has a byte JSON escapes: words, the last one
 * overlapping the one before; a string shorter than a word padded with
 * bytes that need none. */
static bool needs_escape(const char *s, size_t n)
{
    if (n < 8) {
        char word[8] = "aaaaaaaa";
        memcpy(word, s, n);
        return word_needs_escape(word);
    }
    for (size_t i = 0; i + 8 < n; i += 8)
        if (word_needs_escape(s + i))
            return true;
    return word_needs_escape(s + n - 8);
}

/* `s` (`n` bytes) quoted, escaped byte by byte. */
static void put_escaped(sb_jsonw_t *w, const char *s, size_t n)
{
    if (!sb_textbuf_reserve(&w->text, 6 * n + 2)) /* \u00XX at worst */
        return;
    char *o = w->text.data + w->text.len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + n; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(o, "\\u00", 4);
            o[4] = hex[*p >> 4];
            o[5] = hex[*p & 15];
            o += 6;
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = '\0';
    w->text.len = (size_t)(o - w->text.data);
}

/* `s` quoted and escaped. Nearly every string of a status (keys, names,
 * reasons, times) has nothing to escape: found so a word at a time, it is
 * copied whole. */
static void put_string(sb_jsonw_t *w, const char *s)
{
    size_t n = strlen(s);
    if (needs_escape(s, n)) {
        put_escaped(w, s, n);
        return;
    }
    sb_textbuf_t *b = &w->text;
    if (!sb_textbuf_room(b, n + 2))
        return;
    char *o = b->data + b->len;
    o[0] = '"';
    memcpy(o + 1, s, n);
    o[n + 1] = '"';
    o[n + 2] = '\0';
    b->len += n + 2;
}

/* The comma before a value that is not its container's first, and the
 * member's key. */
static void begin_value(sb_jsonw_t *w, const char *key)
{
    uint64_t bit = (uint64_t)1 << (w->depth % SB_JSONW_DEPTH);
    if (w->has_values & bit)
        put(w, ",", 1);
    w->has_values |= bit;
    if (key != NULL) {
        put_string(w, key);
        put(w, ":", 1);
    }
}

static void open_container(sb_jsonw_t *w, const char *key, char bracket)
{
    begin_value(w, key);
    if (w->depth + 1 >= SB_JSONW_DEPTH) {
        w->text.failed = true;
        return;
    }
    put(w, &bracket, 1);
    w->depth++;
    uint64_t bit = (uint64_t)1 << w->depth;
    w->has_values &= ~bit;
    w->arrays = bracket == '[' ? w->arrays | bit : w->arrays & ~bit;
}

void sb_jsonw_object(sb_jsonw_t *w, const char *key)
{
    open_container(w, key, '{');
}

void sb_jsonw_array(sb_jsonw_t *w, const char *key)
{
    open_container(w, key, '[');
}

void sb_jsonw_end(sb_jsonw_t *w)
{
    if (w->depth == 0 || w->text.failed) {
        w->text.failed = true;
        return;
    }
    char close = (w->arrays >> w->depth) & 1 ? ']' : '}';
    put(w, &close, 1);
    w->depth--;
}

void sb_jsonw_string(sb_jsonw_t *w, const char *key, const char *s)
{
    begin_value(w, key);
    if (s != NULL)
        put_string(w, s);
    else
        put(w, "null", 4);
}

void sb_jsonw_int(sb_jsonw_t *w, const char *key, int64_t v)
{
    char text[24], *p = text + sizeof(text); /* digits right to left: no printf */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    begin_value(w, key);
    put(w, p, (size_t)(text + sizeof(text) - p));
}

void sb_jsonw_real(sb_jsonw_t *w, const char *key, double v)
{
    if (!isfinite(v)) {
        sb_jsonw_null(w, key);
        return;
    }
    char text[40];
    int n = snprintf(text, sizeof(text), "%.17g", v);
    /* a real stays a real for readers that tell them apart: 50 -> 50.0 */
    if (strpbrk(text, ".eE") == NULL)
        n += snprintf(text + n, sizeof(text) - (size_t)n, ".0");
    begin_value(w, key);
    put(w, text, (size_t)n);
}

void sb_jsonw_bool(sb_jsonw_t *w, const char *key, bool v)
{
    begin_value(w, key);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void sb_jsonw_null(sb_jsonw_t *w, const char *key)
{
    begin_value(w, key);
    put(w, "null", 4);
}

void sb_jsonw_raw(sb_jsonw_t *w, const char *key, const char *json, size_t len)
{
    begin_value(w, key);
    put(w, json, len);
}
