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

/* Who a histogram's samples are labelled with: nothing, an endpoint
 * (profile and endpoint), a profile, or a probe type. */
typedef enum { BY_NONE, BY_ENDPOINT, BY_PROFILE, BY_CHECK } label_kind_t;

typedef struct {
    label_kind_t kind;
    const char *first, *second; /* the profile or probe type; the endpoint */
} labels_t;

/* One sample, with `l`'s labels and, for a bucket, `le` (literal formats,
 * so that the compiler checks them). */
static void sample(sb_metrics_buf_t *out, const char *name, double v, const labels_t *l,
                   const double *le)
{
    switch (l->kind) {
    case BY_NONE:
        if (le != NULL)
            sb_metrics_sample(out, name, "le=%g", v, *le);
        else
            sb_metrics_sample(out, name, NULL, v);
        break;
    case BY_ENDPOINT:
        if (le != NULL)
            sb_metrics_sample(out, name, "profile=%s,endpoint=%s,le=%g", v, l->first, l->second,
                              *le);
        else
            sb_metrics_sample(out, name, "profile=%s,endpoint=%s", v, l->first, l->second);
        break;
    case BY_PROFILE:
        if (le != NULL)
            sb_metrics_sample(out, name, "profile=%s,le=%g", v, l->first, *le);
        else
            sb_metrics_sample(out, name, "profile=%s", v, l->first);
        break;
    case BY_CHECK:
        if (le != NULL)
            sb_metrics_sample(out, name, "check=%s,le=%g", v, l->first, *le);
        else
            sb_metrics_sample(out, name, "check=%s", v, l->first);
        break;
    }
}

static void write_labelled(sb_metrics_buf_t *out, const char *base, const sb_histogram_t *h,
                           const sb_buckets_t *b, const labels_t *l)
{
    char name[96];
    uint64_t cumulative = 0;
    snprintf(name, sizeof(name), "%s_bucket", base);
    for (size_t i = 0; i <= b->count; i++) {
        cumulative += h->buckets[i];
        double le = i < b->count ? b->bounds[i] : 1.0 / 0.0;
        sample(out, name, (double)cumulative, l, &le);
    }
    snprintf(name, sizeof(name), "%s_sum", base);
    sample(out, name, h->sum, l, NULL);
    snprintf(name, sizeof(name), "%s_count", base);
    sample(out, name, (double)h->count, l, NULL);
}

void sb_histogram_write(sb_metrics_buf_t *out, const char *base, const sb_histogram_t *h,
                        const sb_buckets_t *b, const char *profile, const char *endpoint)
{
    labels_t l = {profile != NULL ? BY_ENDPOINT : BY_NONE, profile, endpoint};
    write_labelled(out, base, h, b, &l);
}

void sb_histogram_write_one(sb_metrics_buf_t *out, const char *base, const sb_histogram_t *h,
                            const sb_buckets_t *b, bool by_profile, const char *value)
{
    labels_t l = {by_profile ? BY_PROFILE : BY_CHECK, value, NULL};
    write_labelled(out, base, h, b, &l);
}

void sb_histogram_merge(sb_histogram_t *dst, const sb_histogram_t *src)
{
    for (size_t i = 0; i <= SB_HISTOGRAM_BOUNDS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
}
