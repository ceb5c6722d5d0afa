/* The probe worker's metric families (sb_probe_metrics): operator overrides
 * counted by kind (always written, 0 when none) and named per endpoint or
 * profile only while in force — drain, force up and down (with or without
 * an end), switchover — gone again once undone; no probe series for
 * endpoints never probed; failures by class per endpoint and results by
 * reason per profile, each once it happened, adding up; answering only for
 * the endpoints answering; and the probe-latency histogram's buckets, 1 ms
 * to 60 s and +Inf, by probe type, profile or endpoint. */
#include "sb_test.h"
#include "sb_test_log.h"

#include "sb_override.h"
#include "sb_probe_metrics.h"
#include "sb_probe_result.h"
#include "sb_probe_state.h"
#include "sb_publish.h"

#include <stdlib.h>

static const char *ZONE = SB_TEST_HEADER "north A 127.0.0.12\n"
                                         "www profile priority {\n"
                                         "    monitor http port=8001 fall=1 rise=1\n"
                                         "    endpoint east east priority=1\n"
                                         "    endpoint west west priority=2\n"
                                         "    endpoint north north priority=3\n"
                                         "}\n"
                                         "api profile priority {\n"
                                         "    monitor none\n"
                                         "    endpoint a4 192.0.2.1 priority=1\n"
                                         "    endpoint b4 192.0.2.2 priority=2\n"
                                         "}\n";

#define WWW "www.example.com."
#define API "api.example.com."

/* 2100-01-01: an end not reached in these tests. */
#define LATER 4102444800000LL

static sb_gen_t *gen;
static sb_probe_states_t st;
static sb_histogram_t no_waits;
static char *text; /* the last scrape */

static void report(const char *name, unsigned latency_ms)
{
    sb_result_t ok = {.reason = SB_REASON_OK, .latency_ms = latency_ms};
    sb_profile_state_t *ps = sb_probe_state_find_profile(&st, WWW);
    sb_probe_result_apply(sb_probe_state_find_endpoint(ps, name), &ok, 0, 1000000);
}

static int setup(void **state)
{
    (void)state;
    sb_test_log_start();
    gen = sb_test_load_ok(ZONE);
    assert_int_equal(sb_probe_state_init(&st, gen), 0);
    report("east", 4);
    report("west", 1500); /* slower than the old ladder's last bound, 1 s */
    report("north", 45000);
    sb_publish_profile(sb_probe_state_find_profile(&st, API), "probe");
    text = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(text);
    sb_probe_state_free(&st);
    sb_gen_free(gen);
    sb_test_log_stop();
    return 0;
}

/* Scrape the families into `text`, latency labelled as `detail` says. */
static void scrape_detail(sb_latency_detail_t detail)
{
    free(text);
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    assert_non_null(b);
    sb_probe_load_t load = {.max_in_flight = 8, .waits = &no_waits};
    sb_probe_metrics_write(b, &st, &load, detail);
    size_t len;
    text = sb_metrics_buf_take(b, &len);
    assert_non_null(text);
}

static void scrape(void)
{
    scrape_detail(SB_LATENCY_BY_TYPE);
}

/* How many lines of the scrape start with `prefix`. */
static unsigned lines_starting(const char *prefix)
{
    unsigned n = 0;
    size_t len = strlen(prefix);
    for (const char *line = text; *line != '\0';) {
        n += strncmp(line, prefix, len) == 0;
        const char *end = strchr(line, '\n');
        line = end != NULL ? end + 1 : line + strlen(line);
    }
    return n;
}

static void has_line(const char *line)
{
    char want[512];
    snprintf(want, sizeof(want), "%s\n", line);
    if (lines_starting(want) != 1)
        fail_msg("no line %s in:\n%s", line, text);
}

static void totals(unsigned drain, unsigned up, unsigned down, unsigned switchover)
{
    char line[128];
    const char *kinds[] = {"drain", "force_up", "force_down", "switchover"};
    unsigned want[] = {drain, up, down, switchover};
    for (int k = 0; k < 4; k++) {
        snprintf(line, sizeof(line), "switchboard_overrides{kind=\"%s\"} %u", kinds[k], want[k]);
        has_line(line);
    }
    assert_int_equal(lines_starting("switchboard_overrides{"), 4);
}

static void done(sb_override_op_t op, const char *profile, const char *endpoint, bool up,
                 int64_t until_ms)
{
    char why[256];
    sb_override_t o = {.op = op,
                       .profile = profile,
                       .endpoint = endpoint,
                       .force_up = up,
                       .until_ms = until_ms,
                       .by = "uid=0"};
    assert_int_equal(sb_override_apply(&st, &o, why, sizeof(why)), 0);
}

static void no_override_no_detail(void **state)
{
    (void)state;
    scrape();
    totals(0, 0, 0, 0);
    /* The families are declared, with no sample: none is in force. */
    has_line("# TYPE switchboard_overrides gauge");
    has_line("# TYPE switchboard_endpoint_drained gauge");
    has_line("# TYPE switchboard_endpoint_forced gauge");
    has_line("# TYPE switchboard_profile_switchover gauge");
    assert_int_equal(lines_starting("switchboard_endpoint_drained{"), 0);
    assert_int_equal(lines_starting("switchboard_endpoint_forced{"), 0);
    assert_int_equal(lines_starting("switchboard_profile_switchover{"), 0);
}

static void each_override_shows_while_in_force(void **state)
{
    (void)state;
    done(SB_OVERRIDE_DRAIN, WWW, "north", false, 0);
    done(SB_OVERRIDE_FORCE, WWW, "east", false, 0);
    done(SB_OVERRIDE_FORCE, API, "b4", true, LATER); /* an end changes nothing here */
    done(SB_OVERRIDE_SWITCHOVER, API, "b4", false, 0);
    done(SB_OVERRIDE_DRAIN, API, "a4", false, 0);
    scrape();
    totals(2, 1, 1, 1);
    has_line("switchboard_endpoint_drained{profile=\"" WWW "\",endpoint=\"north\"} 1");
    has_line("switchboard_endpoint_drained{profile=\"" API "\",endpoint=\"a4\"} 1");
    assert_int_equal(lines_starting("switchboard_endpoint_drained{"), 2);
    has_line("switchboard_endpoint_forced{profile=\"" WWW "\",endpoint=\"east\",state=\"down\"} 1");
    has_line("switchboard_endpoint_forced{profile=\"" API "\",endpoint=\"b4\",state=\"up\"} 1");
    assert_int_equal(lines_starting("switchboard_endpoint_forced{"), 2);
    has_line("switchboard_profile_switchover{profile=\"" API "\",endpoint=\"b4\"} 1");
    assert_int_equal(lines_starting("switchboard_profile_switchover{"), 1);
    /* A switchover moves to another endpoint: the sample names it. */
    done(SB_OVERRIDE_SWITCHOVER, WWW, "west", false, LATER);
    done(SB_OVERRIDE_FORCE, WWW, "east", true, 0); /* down to up: one sample still */
    scrape();
    totals(2, 2, 0, 2);
    has_line("switchboard_profile_switchover{profile=\"" WWW "\",endpoint=\"west\"} 1");
    has_line("switchboard_endpoint_forced{profile=\"" WWW "\",endpoint=\"east\",state=\"up\"} 1");
    assert_int_equal(lines_starting("switchboard_endpoint_forced{profile=\"" WWW), 1);
}

static void undone_overrides_vanish(void **state)
{
    (void)state;
    done(SB_OVERRIDE_DRAIN, WWW, "north", false, 0);
    done(SB_OVERRIDE_FORCE, WWW, "east", false, 0);
    done(SB_OVERRIDE_SWITCHOVER, WWW, "west", false, 0);
    scrape();
    totals(1, 0, 1, 1);
    done(SB_OVERRIDE_UNDRAIN, WWW, "north", false, 0);
    done(SB_OVERRIDE_UNFORCE, WWW, "east", false, 0);
    done(SB_OVERRIDE_FAILBACK, WWW, NULL, false, 0);
    scrape();
    totals(0, 0, 0, 0);
    assert_int_equal(lines_starting("switchboard_endpoint_drained{"), 0);
    assert_int_equal(lines_starting("switchboard_endpoint_forced{"), 0);
    assert_int_equal(lines_starting("switchboard_profile_switchover{"), 0);
}

static void an_expired_override_vanishes(void **state)
{
    (void)state;
    int64_t now = sb_probe_state_wall_ms();
    done(SB_OVERRIDE_FORCE, WWW, "west", false, now + 1000);
    done(SB_OVERRIDE_SWITCHOVER, WWW, "north", false, now + 1000);
    scrape();
    totals(0, 0, 1, 1);
    assert_true(sb_override_expire(&st, now + 1000));
    scrape();
    totals(0, 0, 0, 0);
    assert_int_equal(lines_starting("switchboard_endpoint_forced{"), 0);
    assert_int_equal(lines_starting("switchboard_profile_switchover{"), 0);
}

/* By endpoint (--metrics-latency endpoint), every probed endpoint has the
 * whole ladder: 15 bounds and +Inf; the unprobed ones none. */
static void latency_buckets_reach_a_minute(void **state)
{
    (void)state;
    scrape_detail(SB_LATENCY_BY_ENDPOINT);
    const char *b = "switchboard_probe_duration_seconds_bucket{";
    assert_int_equal(lines_starting(b), 3 * 16);
    assert_int_equal(lines_starting("switchboard_probe_duration_seconds_bucket{profile=\"" WWW
                                    "\",endpoint=\"east\","),
                     16);
    has_line("switchboard_probe_duration_seconds_bucket{profile=\"" WWW
             "\",endpoint=\"west\",le=\"1\"} 0");
    has_line("switchboard_probe_duration_seconds_bucket{profile=\"" WWW
             "\",endpoint=\"west\",le=\"2.5\"} 1");
    has_line("switchboard_probe_duration_seconds_bucket{profile=\"" WWW
             "\",endpoint=\"north\",le=\"30\"} 0");
    has_line("switchboard_probe_duration_seconds_bucket{profile=\"" WWW
             "\",endpoint=\"north\",le=\"60\"} 1");
    assert_int_equal(lines_starting("switchboard_probe_duration_seconds_bucket{profile=\"" API), 0);
}

/* By type (the default) and by profile: one histogram each, the endpoints'
 * probes added up. */
static void latency_by_type_and_by_profile(void **state)
{
    (void)state;
    scrape();
    assert_int_equal(lines_starting("switchboard_probe_duration_seconds_bucket{"), 16);
    has_line("switchboard_probe_duration_seconds_bucket{check=\"http\",le=\"0.005\"} 1");
    has_line("switchboard_probe_duration_seconds_bucket{check=\"http\",le=\"+Inf\"} 3");
    has_line("switchboard_probe_duration_seconds_count{check=\"http\"} 3");
    scrape_detail(SB_LATENCY_BY_PROFILE);
    assert_int_equal(lines_starting("switchboard_probe_duration_seconds_bucket{"), 16);
    has_line("switchboard_probe_duration_seconds_bucket{profile=\"" WWW "\",le=\"2.5\"} 2");
    has_line("switchboard_probe_duration_seconds_count{profile=\"" WWW "\"} 3");
}

/* Endpoints without a monitor have no probe series; probed ones are up or
 * not; answering is written for the endpoints answering only. */
static void unprobed_endpoints_have_no_probe_series(void **state)
{
    (void)state;
    scrape();
    assert_int_equal(lines_starting("switchboard_endpoint_up{"), 3);
    assert_int_equal(lines_starting("switchboard_endpoint_up{profile=\"" API), 0);
    has_line("switchboard_endpoint_up{profile=\"" WWW "\",endpoint=\"east\"} 1");
    assert_int_equal(lines_starting("switchboard_endpoint_state_changes_total{"), 0);
    assert_int_equal(lines_starting("switchboard_endpoint_probe_failures_total{"), 0);
    assert_int_equal(lines_starting("switchboard_probe_results_total{profile=\"" API), 0);
    has_line("switchboard_profile_answering{profile=\"" API
             "\",address_family=\"ipv4\",endpoint=\"a4\"} 1");
    assert_int_equal(lines_starting("switchboard_profile_answering{profile=\"" API), 1);
}

static void report_failure(const char *name, sb_reason_t reason)
{
    sb_result_t r = {.reason = reason, .number = 1000, .latency_ms = 1000};
    sb_profile_state_t *ps = sb_probe_state_find_profile(&st, WWW);
    sb_probe_result_apply(sb_probe_state_find_endpoint(ps, name), &r, 0, 1000000);
}

/* Failures per endpoint by class, results per profile by reason: each once
 * it happened, and the classes add up to the reasons. */
static void failures_by_class_add_up_to_reasons(void **state)
{
    (void)state;
    report_failure("east", SB_REASON_REFUSED);
    report_failure("east", SB_REASON_RESET);
    report_failure("east", SB_REASON_TIMEOUT);
    report_failure("west", SB_REASON_HTTP_STATUS);
    scrape();
    const char *f = "switchboard_endpoint_probe_failures_total{profile=\"" WWW;
    has_line("switchboard_endpoint_probe_failures_total{profile=\"" WWW
             "\",endpoint=\"east\",class=\"connect\"} 2");
    has_line("switchboard_endpoint_probe_failures_total{profile=\"" WWW
             "\",endpoint=\"east\",class=\"timeout\"} 1");
    has_line("switchboard_endpoint_probe_failures_total{profile=\"" WWW
             "\",endpoint=\"west\",class=\"response\"} 1");
    assert_int_equal(lines_starting(f), 3);
    has_line("switchboard_probe_results_total{profile=\"" WWW "\",reason=\"ok\"} 3");
    has_line("switchboard_probe_results_total{profile=\"" WWW "\",reason=\"refused\"} 1");
    has_line("switchboard_probe_results_total{profile=\"" WWW "\",reason=\"reset\"} 1");
    has_line("switchboard_probe_results_total{profile=\"" WWW "\",reason=\"timeout\"} 1");
    has_line("switchboard_probe_results_total{profile=\"" WWW "\",reason=\"http_status\"} 1");
    assert_int_equal(lines_starting("switchboard_probe_results_total{"), 5);
    /* fall=1: east and west went down, a change each after the first */
    has_line("switchboard_endpoint_state_changes_total{profile=\"" WWW "\",endpoint=\"east\"} 1");
    assert_int_equal(lines_starting("switchboard_endpoint_state_changes_total{"), 2);
    has_line("switchboard_endpoint_up{profile=\"" WWW "\",endpoint=\"east\"} 0");
}

int main(void)
{
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(no_override_no_detail),
        TEST(each_override_shows_while_in_force),
        TEST(undone_overrides_vanish),
        TEST(an_expired_override_vanishes),
        TEST(latency_buckets_reach_a_minute),
        TEST(latency_by_type_and_by_profile),
        TEST(unprobed_endpoints_have_no_probe_series),
        TEST(failures_by_class_add_up_to_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
