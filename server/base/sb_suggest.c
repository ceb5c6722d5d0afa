/*
 * "Did you mean ...?" by edit distance (sb_suggest.h).
 */
#include "sb_suggest.h"

#include "sb_name.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LONGEST 255 /* longer names are never suggested: a DNS name's limit */

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

static int same(char x, char y)
{
    return sb_ascii_lower((uint8_t)x) == sb_ascii_lower((uint8_t)y);
}

size_t sb_suggest_distance(const char *a, size_t alen, const char *b, size_t blen, size_t cap)
{
    if (alen > LONGEST || blen > LONGEST || (alen > blen ? alen - blen : blen - alen) > cap)
        return cap + 1;
    /* Three rows of the optimal-string-alignment table: i-2, i-1, i. */
    size_t rows[3][LONGEST + 1];
    for (size_t j = 0; j <= blen; j++)
        rows[1][j] = j;
    for (size_t i = 1; i <= alen; i++) {
        size_t *cur = rows[(i + 1) % 3], *up = rows[i % 3], *up2 = rows[(i + 2) % 3];
        size_t best = cur[0] = i;
        for (size_t j = 1; j <= blen; j++) {
            size_t cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
            cur[j] = min3(up[j] + 1, cur[j - 1] + 1, up[j - 1] + cost);
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]) &&
                up2[j - 2] + 1 < cur[j])
                cur[j] = up2[j - 2] + 1;
            if (cur[j] < best)
                best = cur[j];
        }
        if (best > cap) /* every path is already too long */
            return cap + 1;
    }
    size_t d = rows[(alen + 1) % 3][blen];
    return d > cap ? cap + 1 : d;
}

void sb_suggest_init(sb_suggest_t *s, const char *typed)
{
    memset(s, 0, sizeof(*s));
    s->typed = typed;
    s->distance = SIZE_MAX;
}

static int kept(const sb_suggest_t *s, const char *shown)
{
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->shown[i], shown) == 0)
            return 1;
    }
    return 0;
}

/* Edits allowed for a difference of `len` typed characters. */
static size_t limit_for(size_t len)
{
    size_t third = len / 3;
    return third < 1 ? 1 : third > 3 ? 3 : third;
}

void sb_suggest_consider(sb_suggest_t *s, const char *compare, size_t len, const char *shown)
{
    const char *a = s->typed;
    size_t alen = strlen(a), pre = 0, post = 0;
    /* What the two share at their start and end costs nothing and says
     * nothing about how close they are: only the rest is weighed. */
    while (pre < alen && pre < len && same(a[pre], compare[pre]))
        pre++;
    while (post < alen - pre && post < len - pre &&
           same(a[alen - 1 - post], compare[len - 1 - post]))
        post++;
    size_t core = alen - pre - post, limit = limit_for(core);
    size_t d = sb_suggest_distance(a + pre, core, compare + pre, len - pre - post, limit);
    if (d > limit || d >= alen || d > s->distance)
        return;
    if (d < s->distance) {
        s->distance = d;
        s->count = 0;
    }
    if (s->count < SB_SUGGEST_MAX && !kept(s, shown))
        s->shown[s->count++] = shown;
}

const char *sb_suggest_text(const sb_suggest_t *s, const char *quote, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->count && used < cap; i++) {
        const char *sep = i == 0 ? "; did you mean " : i + 1 == s->count ? " or " : ", ";
        int n = snprintf(out + used, cap - used, "%s%s%s%s", sep, quote, s->shown[i], quote);
        used += n > 0 ? (size_t)n : 0;
    }
    if (s->count > 0 && used < cap)
        snprintf(out + used, cap - used, "?");
    return out;
}
