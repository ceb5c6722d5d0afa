/*
 * sb_metrics_http — Prometheus metrics over HTTP (text exposition format
 * 0.0.4, written by sb_metrics).
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
 * families into the scrape's buffer (sb_metrics.h). Every scrape renders
 * anew into a growable buffer (allocation is fine here: this is not the
 * query path).
 *
 * Threads:
 *   - Sources are called on the metrics thread (libmicrohttpd's), one scrape
 *     at a time, while the server's other threads run. A source is
 *     responsible for its own synchronisation: read counters with atomic
 *     loads, or take the owning module's lock. A source must be quick (it
 *     delays only the scrape, but the scraper has a timeout), must not block
 *     on the query path's threads, and must not call
 *     sb_metrics_http_add_source().
 *   - sb_metrics_http_add_source() may be called from any thread, before or
 *     after sb_metrics_http_start(); the source's `arg` must stay valid until
 *     sb_metrics_http_stop() returns.
 *   - sb_metrics_http_set_generation() and sb_metrics_http_count_reload() are
 *     atomic stores: any thread, any time while the object exists.
 *   - sb_metrics_http_new/bind/start/listen/stop are for one controlling
 *     thread.
 *
 * Ownership: sb_metrics_http_stop() stops the listener (waiting for a scrape
 * in progress) and frees the object.
 */
#ifndef SB_METRICS_HTTP_H
#define SB_METRICS_HTTP_H

#include "sb_metrics.h"
#include "sb_listen_addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The port metrics are served on when --metrics-listen names an address
 * alone. Not in the Prometheus exporters' list of default ports
 * (github.com/prometheus/prometheus/wiki/Default-port-allocations), whose
 * range 9100-9999 is taken in full (9153, which our examples used before, is CoreDNS's)
 * and goes on from 10000; not a port another DNS server's tools use, nor
 * one in /etc/services; below the ephemeral ports. 7923 spells SWBD on a
 * phone keypad. docs/running.md#metrics says why at more length. */
#define SB_METRICS_DEFAULT_PORT 7923

typedef struct sb_metrics_http sb_metrics_http_t;

/* Create, recording now as the start time. Returns 0 or -ENOMEM. */
int sb_metrics_http_new(sb_metrics_http_t **out);

/* Add a source; families are written in the order sources were added, after
 * the built-in ones. Returns 0 or -ENOMEM. */
int sb_metrics_http_add_source(sb_metrics_http_t *m, sb_metrics_source_fn fn, void *arg);

/* Render every family, built-in and from sources, into `out`. */
void sb_metrics_http_render(sb_metrics_http_t *m, sb_metrics_buf_t *out);

/* Bind the HTTP listener on `addr` (port 0 picks a free port; see
 * sb_metrics_http_bound()), without serving yet: the server binds as root and
 * starts serving, on a thread of libmicrohttpd's, only once it has dropped
 * its privileges. Returns 0 or a negative errno with words in `err`. */
int sb_metrics_http_bind(sb_metrics_http_t *m, const sb_listen_addr_t *addr, char *err,
                         size_t errlen);

/* Serve scrapes on the bound listener (starts the metrics thread). Returns
 * 0 or -EIO with words in `err`. */
int sb_metrics_http_start(sb_metrics_http_t *m, char *err, size_t errlen);

/* Bind and start at once. */
int sb_metrics_http_listen(sb_metrics_http_t *m, const sb_listen_addr_t *addr, char *err,
                           size_t errlen);

/* The address actually bound (port 0 resolved); valid after a successful
 * sb_metrics_http_bind(). */
const sb_listen_addr_t *sb_metrics_http_bound(const sb_metrics_http_t *m);

/* switchboard_config_generation: the generation being served. */
void sb_metrics_http_set_generation(sb_metrics_http_t *m, uint64_t generation);

/* switchboard_config_reloads_total{result="success"|"failure"} += 1. */
void sb_metrics_http_count_reload(sb_metrics_http_t *m, bool ok);

/* Stop listening and free. Safe with NULL and on an object never started. */
void sb_metrics_http_stop(sb_metrics_http_t *m);

#endif
