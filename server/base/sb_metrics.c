#include "sb_metrics.h"

#include <math.h> /* isnan, isinf: macros, no libm */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_INITIAL 8192
#define NUMBER_MAX  32 /* longest formatted value, "-1.2345678901234567e-308" */

struct sb_metrics_buf {
    char *data;
    size_t len, cap;
    bool failed;
};

/* ---- the buffer ------------------------------------------------------------ */

static bool buf_reserve(sb_metrics_buf_t *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : BUF_INITIAL;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

static void buf_put(sb_metrics_buf_t *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_str(sb_metrics_buf_t *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

/* Escape `s` as the format wants: backslash and newline always, the double
 * quote inside label values only. */
static void buf_escaped(sb_metrics_buf_t *b, const char *s, bool quote)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\\')
            buf_put(b, "\\\\", 2);
        else if (*p == '\n')
            buf_put(b, "\\n", 2);
        else if (*p == '"' && quote)
            buf_put(b, "\\\"", 2);
        else
            buf_put(b, p, 1);
    }
}

sb_metrics_buf_t *sb_metrics_buf_new(void)
{
    return calloc(1, sizeof(sb_metrics_buf_t));
}

void sb_metrics_buf_free(sb_metrics_buf_t *b)
{
    if (b == NULL)
        return;
    free(b->data);
    free(b);
}

const char *sb_metrics_buf_text(const sb_metrics_buf_t *b, size_t *len)
{
    if (b->failed) {
        *len = 0;
        return NULL;
    }
    *len = b->len;
    return b->data != NULL ? b->data : "";
}

bool sb_metrics_buf_failed(const sb_metrics_buf_t *b)
{
    return b->failed;
}

char *sb_metrics_buf_take(sb_metrics_buf_t *b, size_t *len)
{
    char *text = NULL;
    *len = 0;
    if (!b->failed && (text = b->data != NULL ? b->data : strdup("")) != NULL) {
        *len = b->len;
        b->data = NULL;
    }
    sb_metrics_buf_free(b);
    return text;
}

/* ---- writing families ------------------------------------------------------ */

/* [a-zA-Z_:][a-zA-Z0-9_:]* */
static bool valid_name(const char *name)
{
    if (name == NULL || *name == '\0' || (*name >= '0' && *name <= '9'))
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == ':';
        if (!ok)
            return false;
    }
    return true;
}

/* A value as the format wants it: integers exactly, other numbers as the
 * shortest decimal that reads back the same. */
static void format_number(double v, char *out)
{
    if (isnan(v)) {
        strcpy(out, "NaN");
    } else if (isinf(v)) {
        strcpy(out, v > 0 ? "+Inf" : "-Inf");
    } else if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v) {
        snprintf(out, NUMBER_MAX, "%.0f", v);
    } else {
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(out, NUMBER_MAX, "%.*g", digits, v);
            if (strtod(out, NULL) == v)
                break;
        }
    }
}

static const char *const type_names[] = {
    [SB_METRICS_COUNTER] = "counter",     [SB_METRICS_GAUGE] = "gauge",
    [SB_METRICS_HISTOGRAM] = "histogram", [SB_METRICS_SUMMARY] = "summary",
    [SB_METRICS_UNTYPED] = "untyped",
};

void sb_metrics_family(sb_metrics_buf_t *out, const char *name, sb_metrics_type_t type,
                       const char *help)
{
    if (!valid_name(name) || (unsigned)type > SB_METRICS_UNTYPED) {
        out->failed = true;
        return;
    }
    buf_str(out, "# HELP ");
    buf_str(out, name);
    buf_str(out, " ");
    buf_escaped(out, help != NULL ? help : "", false);
    buf_str(out, "\n# TYPE ");
    buf_str(out, name);
    buf_str(out, " ");
    buf_str(out, type_names[type]);
    buf_str(out, "\n");
}

/* One conversion of a label format at `*fmt` (just after the '%'); writes
 * the value, quoted and escaped, and advances `*fmt`. False when the
 * conversion is not one sb_metrics_sample() supports. */
static bool label_value(sb_metrics_buf_t *out, const char **fmt, va_list *ap)
{
    const char *f = *fmt;
    char text[NUMBER_MAX];
    int longs = 0;
    bool size = false;
    while (*f == 'l' && longs < 2)
        f++, longs++;
    if (longs == 0 && *f == 'z')
        f++, size = true;
    char conv = *f;
    if (conv == 's' && longs == 0 && !size) {
        const char *s = va_arg(*ap, const char *);
        buf_str(out, "\"");
        buf_escaped(out, s != NULL ? s : "", true);
        buf_str(out, "\"");
        *fmt = f + 1;
        return true;
    }
    if (conv == 'g' && longs == 0 && !size)
        format_number(va_arg(*ap, double), text);
    else if (conv == 'd' && size)
        return false;
    else if (conv == 'd')
        snprintf(text, sizeof(text), "%lld",
                 longs == 2 ? va_arg(*ap, long long)
                            : (longs == 1 ? va_arg(*ap, long) : va_arg(*ap, int)));
    else if (conv == 'u')
        snprintf(text, sizeof(text), "%llu",
                 size ? va_arg(*ap, size_t)
                      : (longs == 2
                             ? va_arg(*ap, unsigned long long)
                             : (longs == 1 ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned))));
    else
        return false;
    buf_str(out, "\"");
    buf_str(out, text);
    buf_str(out, "\"");
    *fmt = f + 1;
    return true;
}

/* `{label="value",...}` from a label format; false on a bad format. */
static bool write_labels(sb_metrics_buf_t *out, const char *fmt, va_list *ap)
{
    buf_str(out, "{");
    for (const char *p = fmt; *p != '\0';) {
        if (*p == '%') {
            p++;
            if (!label_value(out, &p, ap))
                return false;
            continue;
        }
        /* Between values only label names, '=' and ',' belong. */
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '=' || *p == ',';
        if (!ok)
            return false;
        buf_put(out, p, 1);
        p++;
    }
    buf_str(out, "}");
    return true;
}

void sb_metrics_sample(sb_metrics_buf_t *out, const char *name, const char *labels_fmt,
                       double value, ...)
{
    if (out->failed)
        return;
    if (!valid_name(name)) {
        out->failed = true;
        return;
    }
    buf_str(out, name);
    if (labels_fmt != NULL && *labels_fmt != '\0') {
        va_list ap;
        va_start(ap, value);
        bool ok = write_labels(out, labels_fmt, &ap);
        va_end(ap);
        if (!ok) {
            out->failed = true;
            return;
        }
    }
    char text[NUMBER_MAX];
    format_number(value, text);
    buf_str(out, " ");
    buf_str(out, text);
    buf_str(out, "\n");
}
