#include "sb_histogram.h"

#include <assert.h>
#include <stdio.h>

/* A fixed ladder, the same for every endpoint, every configuration and
 * every nameserver of a fleet, so that buckets add up across them (sum by
 * le) and across a reload. It reaches 60 s: past the 5 s a timeout is at
 * most by default, and past the timeouts probes are given in practice; a
 * monitor's timeout may be up to 1 h, and a probe slower than 60 s lands in
 * +Inf, still in _sum and _count. 15 bounds: 18 lines per endpoint. */
static const double latency_bounds[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
};
static const double queue_wait_bounds[] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
};
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
static_assert(COUNT_OF(latency_bounds) <= SB_HISTOGRAM_BOUNDS, "too many buckets");
static_assert(COUNT_OF(queue_wait_bounds) <= SB_HISTOGRAM_BOUNDS, "too many buckets");

const sb_buckets_t sb_histogram_latency = {latency_bounds, COUNT_OF(latency_bounds)};
const sb_buckets_t sb_histogram_queue_wait = {queue_wait_bounds, COUNT_OF(queue_wait_bounds)};

void sb_histogram_add(sb_histogram_t *h, const sb_buckets_t *b, double seconds)
{
    size_t i = 0;
    while (i < b->count && seconds > b->bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += seconds;
}

/* One sample, with the endpoint's labels when `profile` is not NULL. */
static void endpoint_sample(sb_metrics_buf_t *out, const char *name, double value,
                            const char *profile, const char *endpoint)
{
    if (profile != NULL)
        sb_metrics_sample(out, name, "profile=%s,endpoint=%s", value, profile, endpoint);
    else
        sb_metrics_sample(out, name, NULL, value);
}

void sb_histogram_write(sb_metrics_buf_t *out, const char *base, const sb_histogram_t *h,
                        const sb_buckets_t *b, const char *profile, const char *endpoint)
{
    char name[96];
    uint64_t cumulative = 0;
    snprintf(name, sizeof(name), "%s_bucket", base);
    for (size_t i = 0; i <= b->count; i++) {
        cumulative += h->buckets[i];
        double le = i < b->count ? b->bounds[i] : 1.0 / 0.0;
        if (profile != NULL)
            sb_metrics_sample(out, name, "profile=%s,endpoint=%s,le=%g", (double)cumulative,
                              profile, endpoint, le);
        else
            sb_metrics_sample(out, name, "le=%g", (double)cumulative, le);
    }
    snprintf(name, sizeof(name), "%s_sum", base);
    endpoint_sample(out, name, h->sum, profile, endpoint);
    snprintf(name, sizeof(name), "%s_count", base);
    endpoint_sample(out, name, (double)h->count, profile, endpoint);
}
