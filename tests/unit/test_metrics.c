/* The exposition text: families, samples, label escaping, number formats,
 * growth, and handing the text over. */
#include "sb_test.h"

#include "sb_metrics.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void expect_text(sb_metrics_buf_t *b, const char *want)
{
    size_t len;
    const char *text = sb_metrics_buf_text(b, &len);
    assert_non_null(text);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
}

/* Formats that are wrong on purpose, or empty. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-zero-length"

static void family_and_samples(void **state)
{
    (void)state;
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    sb_metrics_family(b, "x_requests_total", SB_METRICS_COUNTER, "Requests, by code.");
    sb_metrics_sample(b, "x_requests_total", "code=%s,port=%u", 3, "ok", 53u);
    sb_metrics_sample(b, "x_requests_total", NULL, 0);
    sb_metrics_family(b, "x_up", SB_METRICS_GAUGE, "");
    sb_metrics_sample(b, "x_up", "", 1);
    expect_text(b, "# HELP x_requests_total Requests, by code.\n"
                   "# TYPE x_requests_total counter\n"
                   "x_requests_total{code=\"ok\",port=\"53\"} 3\n"
                   "x_requests_total 0\n"
                   "# HELP x_up \n"
                   "# TYPE x_up gauge\n"
                   "x_up 1\n");
    sb_metrics_buf_free(b);
}

static void escapes_label_values_and_help(void **state)
{
    (void)state;
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    sb_metrics_family(b, "x_info", SB_METRICS_GAUGE, "a \\ back\nslash \"quoted\"");
    sb_metrics_sample(b, "x_info", "path=%s,name=%s", 1, "C:\\dir\\", "say \"hi\"\nbye");
    expect_text(b, "# HELP x_info a \\\\ back\\nslash \"quoted\"\n"
                   "# TYPE x_info gauge\n"
                   "x_info{path=\"C:\\\\dir\\\\\",name=\"say \\\"hi\\\"\\nbye\"} 1\n");
    sb_metrics_buf_free(b);
}

static void formats_numbers(void **state)
{
    (void)state;
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    sb_metrics_sample(b, "v", NULL, 0.25);
    sb_metrics_sample(b, "v", NULL, 0.1);
    sb_metrics_sample(b, "v", NULL, -3);
    sb_metrics_sample(b, "v", NULL, 18446744073709551615.0);
    sb_metrics_sample(b, "v", NULL, 9007199254740991.0);
    sb_metrics_sample(b, "v", NULL, INFINITY);
    sb_metrics_sample(b, "v", NULL, -INFINITY);
    sb_metrics_sample(b, "v", NULL, NAN);
    sb_metrics_sample(b, "h_bucket", "le=%g", 4, 0.005);
    sb_metrics_sample(b, "h_bucket", "le=%g", 5, INFINITY);
    sb_metrics_sample(b, "n", "a=%d,b=%ld,c=%lld,d=%lu,e=%llu,f=%zu", 1, -1, -2L, -3LL, 4UL, 5ULL,
                      (size_t)6);
    expect_text(b, "v 0.25\n"
                   "v 0.1\n"
                   "v -3\n"
                   "v 1.8446744073709552e+19\n"
                   "v 9007199254740991\n"
                   "v +Inf\n"
                   "v -Inf\n"
                   "v NaN\n"
                   "h_bucket{le=\"0.005\"} 4\n"
                   "h_bucket{le=\"+Inf\"} 5\n"
                   "n{a=\"-1\",b=\"-2\",c=\"-3\",d=\"4\",e=\"5\",f=\"6\"} 1\n");
    sb_metrics_buf_free(b);
}

/* A programming error in a source fails the scrape (500) rather than
 * producing text a scraper would reject. */
static void rejects_bad_names_and_formats(void **state)
{
    (void)state;
    const char *bad_names[] = {"", "1x", "x-y", "x y", "x{}"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        sb_metrics_buf_t *b = sb_metrics_buf_new();
        sb_metrics_sample(b, bad_names[i], NULL, 1);
        size_t len;
        assert_null(sb_metrics_buf_text(b, &len));
        sb_metrics_buf_free(b);
        b = sb_metrics_buf_new();
        sb_metrics_family(b, bad_names[i], SB_METRICS_GAUGE, "h");
        assert_null(sb_metrics_buf_text(b, &len));
        sb_metrics_buf_free(b);
    }
    /* Quotes in the format (the helper adds them), a width, an unsupported
     * conversion: each fails, and later writes are ignored. */
    const char *formats[] = {"a=\"%s\"", "a=%5s", "a=%x", "a=%f", "a b=%s", "a=%"};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        sb_metrics_buf_t *b = sb_metrics_buf_new();
        sb_metrics_sample(b, "x", formats[i], 1, "v");
        sb_metrics_sample(b, "y", NULL, 1);
        size_t len;
        assert_null(sb_metrics_buf_text(b, &len));
        assert_int_equal(len, 0);
        sb_metrics_buf_free(b);
    }
}

/* Large output grows the buffer. */
static void grows(void **state)
{
    (void)state;
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    for (unsigned i = 0; i < 5000; i++)
        sb_metrics_sample(b, "x_total", "i=%u", i, i);
    size_t len;
    const char *text = sb_metrics_buf_text(b, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "x_total{i=\"0\"} 0\nx_total{i=\"1\"} 1\n"));
    assert_non_null(strstr(text, "x_total{i=\"4999\"} 4999\n"));
    sb_metrics_buf_free(b);
}

static void take_hands_the_text_over(void **state)
{
    (void)state;
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    size_t len = 99;
    char *text = sb_metrics_buf_take(b, &len);
    assert_string_equal(text, "");
    assert_int_equal(len, 0);
    free(text);
    b = sb_metrics_buf_new();
    sb_metrics_sample(b, "x_total", NULL, 7);
    text = sb_metrics_buf_take(b, &len);
    assert_string_equal(text, "x_total 7\n");
    assert_int_equal(len, 10);
    free(text);
    b = sb_metrics_buf_new();
    sb_metrics_sample(b, "bad name", NULL, 1);
    assert_true(sb_metrics_buf_failed(b));
    assert_null(sb_metrics_buf_take(b, &len));
    assert_int_equal(len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(family_and_samples),
        cmocka_unit_test(escapes_label_values_and_help),
        cmocka_unit_test(formats_numbers),
        cmocka_unit_test(rejects_bad_names_and_formats),
        cmocka_unit_test(grows),
        cmocka_unit_test(take_hands_the_text_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
