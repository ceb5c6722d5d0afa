/*
 * sb_metrics — Prometheus text exposition (format 0.0.4): families and
 * samples written into a growable buffer.
 *
 * A module that owns counters exports a source (sb_metrics_source_fn) that
 * writes its families with sb_metrics_family() and sb_metrics_sample();
 * the metrics listener (sb_metrics_http) calls every source at each scrape.
 * Names and label formats are checked as they are written: a bad one, or
 * running out of memory, fails the buffer, and later writes are ignored.
 *
 * Ownership: a buffer from sb_metrics_buf_new() is the caller's, freed with
 * sb_metrics_buf_free() or handed over by sb_metrics_buf_take().
 * Thread: a buffer belongs to one thread at a time; nothing is shared.
 */
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One scrape's text. Writes after a failure (out of memory, an invalid name
 * or format) are ignored, and the scrape answers 500. */
typedef struct sb_metrics_buf sb_metrics_buf_t;

typedef enum {
    SB_METRICS_COUNTER,
    SB_METRICS_GAUGE,
    SB_METRICS_HISTOGRAM,
    SB_METRICS_SUMMARY,
    SB_METRICS_UNTYPED,
} sb_metrics_type_t;

/* Writes the source's families into `out`. */
typedef void (*sb_metrics_source_fn)(sb_metrics_buf_t *out, void *arg);

/* ---- writing families (from a source) ------------------------------------ */

/* `# HELP name help` and `# TYPE name type`. Write each family once per
 * scrape, before its samples. For a counter, `name` is the sample name,
 * `_total` included; for a histogram it is the base name. `help` is escaped
 * (\\ and \n). */
void sb_metrics_family(sb_metrics_buf_t *out, const char *name, sb_metrics_type_t type,
                       const char *help);

/* One sample: `name{labels} value`. `labels_fmt` is NULL or "" for none,
 * else `label=CONV,label=CONV...` where every CONV is one printf conversion
 * giving a label value: %s %d %u %ld %lu %lld %llu %zu, or %g for a double
 * (+Inf for infinity, as histograms' `le` wants). Each value is quoted and
 * escaped (\\ \" \n) here; do not quote it in the format. Example:
 *
 *     sb_metrics_sample(out, "switchboard_dns_queries_total", "transport=%s,rcode=%s",
 *                       (double)n, "udp", "noerror");
 *
 * Values are written exactly for integers up to 2^53, as the shortest
 * round-tripping decimal otherwise; NaN and infinities as NaN, +Inf, -Inf. */
void sb_metrics_sample(sb_metrics_buf_t *out, const char *name, const char *labels_fmt,
                       double value, ...) __attribute__((format(printf, 3, 5)));

/* ---- buffers (for tests and for rendering without HTTP) ------------------ */

sb_metrics_buf_t *sb_metrics_buf_new(void);
void sb_metrics_buf_free(sb_metrics_buf_t *b);

/* The text written so far (NUL-terminated), or NULL after a failure. */
const char *sb_metrics_buf_text(const sb_metrics_buf_t *b, size_t *len);

/* Whether a write failed (the scrape then answers 500). */
bool sb_metrics_buf_failed(const sb_metrics_buf_t *b);

/* Free the buffer and hand its text over (the caller frees it with free()),
 * or NULL after a failure (the buffer is freed all the same). */
char *sb_metrics_buf_take(sb_metrics_buf_t *b, size_t *len);

#endif
