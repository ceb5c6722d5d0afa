/* Histograms (sb_histogram): the two ladders (a probe's latency from 1 ms
 * to 60 s, a run's wait for a slot from 1 ms to 60 s), a value counted in
 * the first bucket whose bound it does not exceed (bounds are inclusive,
 * as Prometheus's `le` says) and past the last in +Inf, and the samples
 * written: cumulative buckets, +Inf last, _sum and _count, with and
 * without the endpoint's labels. */
#include "sb_test.h"

#include "sb_histogram.h"
#include "sb_metrics.h"

#include <stdlib.h>

static void ascending_within_the_cap(const sb_buckets_t *b)
{
    assert_true(b->count >= 1);
    assert_true(b->count <= SB_HISTOGRAM_BOUNDS);
    for (size_t i = 1; i < b->count; i++)
        assert_true(b->bounds[i - 1] < b->bounds[i]);
}

static void latency_ladder_reaches_a_minute(void **state)
{
    (void)state;
    static const double want[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                  0.5,   1.0,    2.5,   5.0,  10.0,  30.0, 60.0};
    const sb_buckets_t *b = &sb_histogram_latency;
    ascending_within_the_cap(b);
    assert_int_equal(b->count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < b->count; i++)
        assert_true(b->bounds[i] == want[i]);
    /* The default timeout is at most 5 s; the ladder goes well past it. */
    assert_true(b->bounds[b->count - 1] == 60.0);
}

static void queue_wait_ladder(void **state)
{
    (void)state;
    ascending_within_the_cap(&sb_histogram_queue_wait);
    assert_true(sb_histogram_queue_wait.bounds[0] == 0.001);
    assert_true(sb_histogram_queue_wait.bounds[sb_histogram_queue_wait.count - 1] == 60.0);
}

/* Where each value lands: its bucket index (b->count is +Inf). */
static size_t bucket_of(double seconds)
{
    sb_histogram_t h = {0};
    sb_histogram_add(&h, &sb_histogram_latency, seconds);
    assert_int_equal(h.count, 1);
    for (size_t i = 0; i <= sb_histogram_latency.count; i++) {
        if (h.buckets[i] == 1)
            return i;
    }
    fail_msg("%g counted nowhere", seconds);
    return 0;
}

static void values_land_in_their_bucket(void **state)
{
    (void)state;
    const size_t inf = sb_histogram_latency.count;
    assert_int_equal(bucket_of(0.0), 0);
    assert_int_equal(bucket_of(0.001), 0); /* a bound is inclusive */
    assert_int_equal(bucket_of(0.0011), 1);
    assert_int_equal(bucket_of(1.0), 9);
    assert_int_equal(bucket_of(1.001), 10);  /* a 1 s timeout that fired: le=2.5 */
    assert_int_equal(bucket_of(5.002), 12);  /* the default cap, fired: le=10 */
    assert_int_equal(bucket_of(30.0), 13);   /* le=30 */
    assert_int_equal(bucket_of(59.999), 14); /* le=60 */
    assert_int_equal(bucket_of(60.0), 14);
    assert_int_equal(bucket_of(60.001), inf); /* a timeout of up to 1 h: +Inf */
    assert_int_equal(bucket_of(3600.0), inf);
}

static void sum_and_count(void **state)
{
    (void)state;
    sb_histogram_t h = {0};
    sb_histogram_add(&h, &sb_histogram_latency, 0.5);
    sb_histogram_add(&h, &sb_histogram_latency, 2.0);
    sb_histogram_add(&h, &sb_histogram_latency, 120.0);
    assert_int_equal(h.count, 3);
    assert_true(h.sum == 122.5);
}

static char *written(const sb_histogram_t *h, const char *profile, const char *endpoint)
{
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    assert_non_null(b);
    sb_metrics_family(b, "x_seconds", SB_METRICS_HISTOGRAM, "x");
    sb_histogram_write(b, "x_seconds", h, &sb_histogram_latency, profile, endpoint);
    size_t len;
    char *text = sb_metrics_buf_take(b, &len);
    assert_non_null(text);
    return text;
}

static void writes_cumulative_buckets(void **state)
{
    (void)state;
    sb_histogram_t h = {0};
    sb_histogram_add(&h, &sb_histogram_latency, 0.002);
    sb_histogram_add(&h, &sb_histogram_latency, 7.0);
    sb_histogram_add(&h, &sb_histogram_latency, 90.0);
    char *text = written(&h, "www.example.com.", "east");
    assert_string_equal(
        text, "# HELP x_seconds x\n"
              "# TYPE x_seconds histogram\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.001\"} 0\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.0025\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.005\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.01\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.025\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.05\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.1\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.25\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"0.5\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"1\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"2.5\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"5\"} 1\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"10\"} 2\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"30\"} 2\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"60\"} 2\n"
              "x_seconds_bucket{profile=\"www.example.com.\",endpoint=\"east\",le=\"+Inf\"} 3\n"
              "x_seconds_sum{profile=\"www.example.com.\",endpoint=\"east\"} 97.002\n"
              "x_seconds_count{profile=\"www.example.com.\",endpoint=\"east\"} 3\n");
    free(text);
}

static void writes_without_labels(void **state)
{
    (void)state;
    sb_histogram_t h = {0};
    char *text = written(&h, NULL, NULL);
    assert_non_null(strstr(text, "\nx_seconds_bucket{le=\"0.001\"} 0\n"));
    assert_non_null(strstr(text, "\nx_seconds_bucket{le=\"60\"} 0\n"));
    assert_non_null(strstr(text, "\nx_seconds_bucket{le=\"+Inf\"} 0\nx_seconds_sum 0\n"
                                 "x_seconds_count 0\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(latency_ladder_reaches_a_minute), cmocka_unit_test(queue_wait_ladder),
        cmocka_unit_test(values_land_in_their_bucket),     cmocka_unit_test(sum_and_count),
        cmocka_unit_test(writes_cumulative_buckets),       cmocka_unit_test(writes_without_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
