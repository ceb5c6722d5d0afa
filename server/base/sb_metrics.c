#include "sb_metrics.h"

#include <math.h> /* isnan, isinf: macros, no libm */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_textbuf.h"

#define NUMBER_MAX 32 /* longest formatted value, "-1.2345678901234567e-308" */

struct sb_metrics_buf {
    sb_textbuf_t text;
};

/* ---- the buffer ------------------------------------------------------------ */

/* Escape `s` as the format wants: backslash and newline always, the double
 * quote inside label values only. */
static void buf_escaped(sb_metrics_buf_t *b, const char *s, bool quote)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\\')
            sb_textbuf_put(&b->text, "\\\\", 2);
        else if (*p == '\n')
            sb_textbuf_put(&b->text, "\\n", 2);
        else if (*p == '"' && quote)
            sb_textbuf_put(&b->text, "\\\"", 2);
        else
            sb_textbuf_put(&b->text, p, 1);
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
    sb_textbuf_free(&b->text);
    free(b);
}

const char *sb_metrics_buf_text(const sb_metrics_buf_t *b, size_t *len)
{
    if (b->text.failed) {
        *len = 0;
        return NULL;
    }
    *len = b->text.len;
    return b->text.data != NULL ? b->text.data : "";
}

bool sb_metrics_buf_failed(const sb_metrics_buf_t *b)
{
    return b->text.failed;
}

char *sb_metrics_buf_take(sb_metrics_buf_t *b, size_t *len)
{
    bool failed = b->text.failed;
    char *text = sb_textbuf_take(&b->text, len);
    if (text == NULL && !failed)
        text = strdup(""); /* nothing written is an empty text, not a failure */
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
        out->text.failed = true;
        return;
    }
    sb_textbuf_puts(&out->text, "# HELP ");
    sb_textbuf_puts(&out->text, name);
    sb_textbuf_puts(&out->text, " ");
    buf_escaped(out, help != NULL ? help : "", false);
    sb_textbuf_puts(&out->text, "\n# TYPE ");
    sb_textbuf_puts(&out->text, name);
    sb_textbuf_puts(&out->text, " ");
    sb_textbuf_puts(&out->text, type_names[type]);
    sb_textbuf_puts(&out->text, "\n");
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
        sb_textbuf_puts(&out->text, "\"");
        buf_escaped(out, s != NULL ? s : "", true);
        sb_textbuf_puts(&out->text, "\"");
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
    sb_textbuf_puts(&out->text, "\"");
    sb_textbuf_puts(&out->text, text);
    sb_textbuf_puts(&out->text, "\"");
    *fmt = f + 1;
    return true;
}

/* `{label="value",...}` from a label format; false on a bad format. */
static bool write_labels(sb_metrics_buf_t *out, const char *fmt, va_list *ap)
{
    sb_textbuf_puts(&out->text, "{");
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
        sb_textbuf_put(&out->text, p, 1);
        p++;
    }
    sb_textbuf_puts(&out->text, "}");
    return true;
}

void sb_metrics_sample(sb_metrics_buf_t *out, const char *name, const char *labels_fmt,
                       double value, ...)
{
    if (out->text.failed)
        return;
    if (!valid_name(name)) {
        out->text.failed = true;
        return;
    }
    sb_textbuf_puts(&out->text, name);
    if (labels_fmt != NULL && *labels_fmt != '\0') {
        va_list ap;
        va_start(ap, value);
        bool ok = write_labels(out, labels_fmt, &ap);
        va_end(ap);
        if (!ok) {
            out->text.failed = true;
            return;
        }
    }
    char text[NUMBER_MAX];
    format_number(value, text);
    sb_textbuf_puts(&out->text, " ");
    sb_textbuf_puts(&out->text, text);
    sb_textbuf_puts(&out->text, "\n");
}
