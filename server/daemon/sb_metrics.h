/*
 * sb_metrics — Prometheus metrics over HTTP (text exposition format 0.0.4).
 *
 * One HTTP listener (`--metrics-listen`) answers GET /metrics with every
 * metric family: the built-in ones (start time, build info, configuration
 * generation and reloads) and those of every registered source. Any other
 * path is 404; any method other than GET or HEAD is 405.
 *
 * HTTP is spoken by libmicrohttpd, not by hand: the port is exposed to
 * monitoring systems and whatever else can reach it, and an HTTP parser of
 * our own there would be one more attack surface to get right (request
 * smuggling, slow clients, oversized headers). The daemon runs one internal
 * thread with epoll (no FD_SETSIZE limit), a small connection cap and an idle
 * timeout.
 *
 * Sources: a module that owns counters registers a function that writes its
 * families into the scrape's buffer with sb_metrics_family() and
 * sb_metrics_sample(). Every scrape renders anew into a growable buffer
 * (allocation is fine here: this is not the query path).
 *
 * Threads:
 *   - Sources are called on the metrics thread (libmicrohttpd's), one scrape
 *     at a time, while the server's other threads run. A source is
 *     responsible for its own synchronisation: read counters with atomic
 *     loads, or take the owning module's lock. A source must be quick (it
 *     delays only the scrape, but the scraper has a timeout), must not block
 *     on the query path's threads, and must not call sb_metrics_add_source().
 *   - sb_metrics_add_source() may be called from any thread, before or after
 *     sb_metrics_start(); the source's `arg` must stay valid until
 *     sb_metrics_stop() returns.
 *   - sb_metrics_set_generation() and sb_metrics_count_reload() are atomic
 *     stores: any thread, any time while the object exists.
 *   - sb_metrics_new/bind/start/listen/stop are for one controlling thread.
 *
 * Ownership: sb_metrics_stop() stops the listener (waiting for a scrape in
 * progress) and frees the object. A buffer from sb_metrics_buf_new() is the
 * caller's to free with sb_metrics_buf_free().
 */
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include "sb_net.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sb_metrics sb_metrics_t;

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

/* ---- the metrics object --------------------------------------------------- */

/* Create, recording now as the start time. Returns 0 or -ENOMEM. */
int sb_metrics_new(sb_metrics_t **out);

/* Add a source; families are written in the order sources were added, after
 * the built-in ones. Returns 0 or -ENOMEM. */
int sb_metrics_add_source(sb_metrics_t *m, sb_metrics_source_fn fn, void *arg);

/* Render every family, built-in and from sources, into `out`. */
void sb_metrics_render(sb_metrics_t *m, sb_metrics_buf_t *out);

/* Bind the HTTP listener on `addr` (port 0 picks a free port; see
 * sb_metrics_bound()), without serving yet: the server binds as root and
 * starts serving, on a thread of libmicrohttpd's, only once it has dropped
 * its privileges. Returns 0 or a negative errno with words in `err`. */
int sb_metrics_bind(sb_metrics_t *m, const sb_listen_addr_t *addr, char *err, size_t errlen);

/* Serve scrapes on the bound listener (starts the metrics thread). Returns
 * 0 or -EIO with words in `err`. */
int sb_metrics_start(sb_metrics_t *m, char *err, size_t errlen);

/* Bind and start at once. */
int sb_metrics_listen(sb_metrics_t *m, const sb_listen_addr_t *addr, char *err, size_t errlen);

/* The address actually bound (port 0 resolved); valid after a successful
 * sb_metrics_bind(). */
const sb_listen_addr_t *sb_metrics_bound(const sb_metrics_t *m);

/* switchboard_config_generation: the generation being served. */
void sb_metrics_set_generation(sb_metrics_t *m, uint64_t generation);

/* switchboard_config_reloads_total{result="success"|"failure"} += 1. */
void sb_metrics_count_reload(sb_metrics_t *m, bool ok);

/* Stop listening and free. Safe with NULL and on an object never started. */
void sb_metrics_stop(sb_metrics_t *m);

#endif
