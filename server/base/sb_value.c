#include "sb_value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *parse_digits(const char *p, uint64_t *value, int *digits)
{
    *value = 0;
    *digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (*value > (UINT64_MAX - 9) / 10)
            return NULL;
        *value = *value * 10 + (uint64_t)(*p - '0');
        (*digits)++;
        p++;
    }
    return p;
}

int sb_value_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *why)
{
    uint64_t v;
    int digits;
    const char *end = parse_digits(text, &v, &digits);
    if (end == NULL || digits == 0 || *end != '\0') {
        snprintf(why, SB_WHY_MAX, "must be a whole number from %" PRIu64 " to %" PRIu64, min, max);
        return -EINVAL;
    }
    if (v < min || v > max) {
        snprintf(why, SB_WHY_MAX, "must be from %" PRIu64 " to %" PRIu64, min, max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static uint64_t unit_ms(const char *unit)
{
    if (strcmp(unit, "ms") == 0)
        return 1;
    if (strcmp(unit, "s") == 0)
        return 1000;
    if (strcmp(unit, "m") == 0)
        return 60 * 1000;
    if (strcmp(unit, "h") == 0)
        return 3600 * 1000;
    return 0;
}

int sb_value_duration_ms(const char *text, uint64_t *out, char *why)
{
    uint64_t whole, frac = 0;
    int digits, frac_digits = 0;
    const char *p = parse_digits(text, &whole, &digits);
    if (p == NULL || digits == 0) {
        snprintf(why, SB_WHY_MAX, "must be a number with a unit, such as 500ms, 2s, 5m or 1h");
        return -EINVAL;
    }
    if (*p == '.') {
        p = parse_digits(p + 1, &frac, &frac_digits);
        if (p == NULL || frac_digits == 0 || frac_digits > 3) {
            snprintf(why, SB_WHY_MAX, "has a malformed fraction (at most 3 decimals)");
            return -EINVAL;
        }
    }
    uint64_t scale = unit_ms(p);
    if (scale == 0) {
        snprintf(why, SB_WHY_MAX, "needs a unit: ms, s, m or h (as in 2s)");
        return -EINVAL;
    }
    uint64_t ms = 0;
    if (whole > UINT64_MAX / scale / 2) {
        snprintf(why, SB_WHY_MAX, "is too large");
        return -EINVAL;
    }
    ms = whole * scale;
    if (frac_digits > 0) {
        uint64_t div = frac_digits == 1 ? 10 : frac_digits == 2 ? 100 : 1000;
        uint64_t part = frac * scale;
        if (part % div != 0) {
            snprintf(why, SB_WHY_MAX, "is finer than one millisecond");
            return -EINVAL;
        }
        ms += part / div;
    }
    *out = ms;
    return 0;
}

static int parse_status(const char **p, uint16_t *code, char *why)
{
    uint64_t v;
    int digits;
    const char *end = parse_digits(*p, &v, &digits);
    if (end == NULL || digits == 0 || v < 100 || v > 599) {
        snprintf(why, SB_WHY_MAX,
                 "must list HTTP status codes (100-599) or ranges, as in 200-299,301");
        return -EINVAL;
    }
    *code = (uint16_t)v;
    *p = end;
    return 0;
}

int sb_value_status_ranges(const char *text, sb_status_range_t *out, size_t max, size_t *count,
                           char *why)
{
    size_t n = 0;
    const char *p = text;
    for (;;) {
        sb_status_range_t r;
        if (parse_status(&p, &r.lo, why) < 0)
            return -EINVAL;
        r.hi = r.lo;
        if (*p == '-') {
            p++;
            if (parse_status(&p, &r.hi, why) < 0)
                return -EINVAL;
            if (r.hi < r.lo) {
                snprintf(why, SB_WHY_MAX, "has a range whose end %u is below its start %u", r.hi,
                         r.lo);
                return -EINVAL;
            }
        }
        if (n == max) {
            snprintf(why, SB_WHY_MAX, "has more than %zu ranges", max);
            return -EINVAL;
        }
        out[n++] = r;
        if (*p == '\0')
            break;
        if (*p != ',') {
            snprintf(why, SB_WHY_MAX,
                     "must list HTTP status codes (100-599) or ranges, as in 200-299,301");
            return -EINVAL;
        }
        p++;
    }
    *count = n;
    return 0;
}

void sb_value_format_duration(uint64_t ms, char *buf, size_t cap)
{
    if (ms != 0 && ms % 3600000 == 0)
        snprintf(buf, cap, "%" PRIu64 "h", ms / 3600000);
    else if (ms != 0 && ms % 60000 == 0)
        snprintf(buf, cap, "%" PRIu64 "m", ms / 60000);
    else if (ms % 1000 == 0)
        snprintf(buf, cap, "%" PRIu64 "s", ms / 1000);
    else
        snprintf(buf, cap, "%" PRIu64 "ms", ms);
}
