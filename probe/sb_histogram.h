/*
 * sb_histogram — a Prometheus histogram kept by the probe worker: counts
 * per bucket (made cumulative when written), their sum and count, with the
 * buckets' upper bounds kept apart so that histograms of one kind share
 * them.
 *
 * Thread: plain data; the owner's thread.
 */
#ifndef SB_HISTOGRAM_H
#define SB_HISTOGRAM_H

#include "sb_metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_HISTOGRAM_BOUNDS 15 /* at most; +Inf comes after them */

typedef struct {
    const double *bounds; /* seconds, ascending */
    size_t count;         /* at most SB_HISTOGRAM_BOUNDS */
} sb_buckets_t;

typedef struct {
    uint64_t buckets[SB_HISTOGRAM_BOUNDS + 1];
    uint64_t count;
    double sum; /* seconds */
} sb_histogram_t;

extern const sb_buckets_t sb_histogram_latency;    /* a probe's latency: 1 ms to 60 s */
extern const sb_buckets_t sb_histogram_queue_wait; /* a run's wait for a slot: 1 ms to 60 s */

void sb_histogram_add(sb_histogram_t *h, const sb_buckets_t *b, double seconds);

/* The histogram's samples: `base`_bucket (cumulative, +Inf last), _sum and
 * _count, labelled with the endpoint when `profile` is not NULL. The
 * family (sb_metrics_family) is the caller's to write, once. */
void sb_histogram_write(sb_metrics_buf_t *out, const char *base, const sb_histogram_t *h,
                        const sb_buckets_t *b, const char *profile, const char *endpoint);

/* The same, labelled with one label alone: profile="`value`" when
 * `by_profile`, else check="`value`" (a probe type). */
void sb_histogram_write_one(sb_metrics_buf_t *out, const char *base, const sb_histogram_t *h,
                            const sb_buckets_t *b, bool by_profile, const char *value);

/* Add `src`'s counts into `dst` (the same buckets). */
void sb_histogram_merge(sb_histogram_t *dst, const sb_histogram_t *src);

#endif
