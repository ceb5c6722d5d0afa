/* What a reload changed (sb_probe_report), as `ctl reload` reports it: a
 * generation lives a while (every endpoint up, each profile answering),
 * its state is carried into a second one whose first round then comes in;
 * the report names the profiles whose answer moved (per family for
 * addresses) and those that did not, the endpoints that went down (up
 * before, or new), the profiles added, removed, and still waiting for a
 * first result — and nothing at all for a reload that changed nothing. */
#include "sb_test.h"
#include "sb_test_carry.h"
#include "sb_test_log.h"

#include "sb_carry.h"
#include "sb_check_types.h"
#include "sb_monitor.h"
#include "sb_probe_key.h"
#include "sb_probe_report.h"
#include "sb_probe_result.h"
#include "sb_probe_state.h"
#include "sb_publish.h"

#include <stdlib.h>

#define PROFILES_BEFORE                                                                            \
    "api profile priority {\n"                                                                     \
    "    monitor tcp port=443 fall=1 rise=1\n"                                                     \
    "    endpoint a4 192.0.2.1 priority=1\n"                                                       \
    "    endpoint b4 192.0.2.2 priority=2\n"                                                       \
    "    endpoint a6 2001:db8::1 priority=3\n"                                                     \
    "}\n"                                                                                          \
    "old profile priority {\n    monitor none\n    endpoint e east priority=1\n}\n"

static const char *BEFORE =
    SB_TEST_HEADER PROFILES_BEFORE "www profile priority {\n"
                                   "    monitor http port=8001 fall=1 rise=1\n"
                                   "    endpoint east east priority=1\n"
                                   "    endpoint west west priority=2\n"
                                   "}\n";

/* www's east is probed on another port now, and a new endpoint came in;
 * api's IPv4 primary is second now (its answer moves, IPv6's does not);
 * old is gone; new and slow are new (slow's probe never answers). */
static const char *AFTER = SB_TEST_HEADER
    "api profile priority {\n"
    "    monitor tcp port=443 fall=1 rise=1\n"
    "    endpoint a4 192.0.2.1 priority=2\n"
    "    endpoint b4 192.0.2.2 priority=1\n"
    "    endpoint a6 2001:db8::1 priority=3\n"
    "}\n"
    "www profile priority {\n"
    "    monitor http port=8001 fall=1 rise=1\n"
    "    endpoint east east priority=1 port=8002\n"
    "    endpoint west west priority=2\n"
    "    endpoint fresh west priority=3 path=/fresh\n"
    "}\n"
    "new profile priority {\n    monitor none\n    endpoint e east priority=1\n}\n"
    "slow profile priority {\n    monitor tcp port=1\n    endpoint e east priority=1\n}\n";

static uint64_t loop_ms = 1000000;

static void result(sb_probe_states_t *st, const char *profile, const char *name, bool ok)
{
    static const sb_result_t passed = {.reason = SB_REASON_OK, .latency_ms = 4};
    static const sb_result_t refused = {.reason = SB_REASON_REFUSED, .latency_ms = 1};
    sb_profile_state_t *ps = sb_probe_state_find_profile(st, profile);
    assert_non_null(ps);
    sb_ep_state_t *es = sb_probe_state_find_endpoint(ps, name);
    assert_non_null(es);
    sb_probe_result_apply(es, ok ? &passed : &refused, 0, loop_ms += 1000);
}

/* A generation's states with `carry` applied; then each profile decides,
 * as the worker's start does. */
static void build(sb_probe_states_t *st, sb_gen_t *gen, const sb_carry_t *carry)
{
    sb_test_carry_build(st, gen, carry);
    for (size_t i = 0; i < st->profile_count; i++)
        sb_publish_profile(&st->profiles[i], "probe");
}

/* The BEFORE generation, every endpoint up, carried into `after_text`;
 * `first_round` reports the new probes' first results. The report. */
static json_t *reload(const char *after_text, void (*first_round)(sb_probe_states_t *))
{
    sb_test_log_start();
    sb_gen_t *gen = sb_test_load_ok(BEFORE), *after_gen = sb_test_load_ok(after_text);
    sb_probe_states_t before, after;
    build(&before, gen, NULL);
    for (size_t i = 0; i < before.ep_count; i++) {
        if (before.eps[i].ep->monitor->proto != SB_MONITOR_NONE)
            sb_probe_result_apply(&before.eps[i], &(sb_result_t){.reason = SB_REASON_OK}, 0,
                                  loop_ms += 1000);
    }
    sb_carry_t *carry = sb_carry_take(&before, &(sb_histogram_t){0}, sb_check_types_builtin);
    assert_non_null(carry);
    build(&after, after_gen, carry);
    if (first_round != NULL)
        first_round(&after);
    json_t *removed = sb_carry_removed(carry, &after);
    json_t *report = sb_probe_report_json(&after, removed);
    json_decref(removed);
    sb_carry_free(carry);
    sb_probe_state_free(&before);
    sb_probe_state_free(&after);
    sb_gen_free(gen);
    sb_gen_free(after_gen);
    sb_test_log_stop();
    assert_non_null(report);
    return report;
}

static void assert_json(json_t *got, const char *want_text)
{
    json_error_t err;
    json_t *want = json_loads(want_text, 0, &err);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *text = json_dumps(got, JSON_INDENT(2) | JSON_SORT_KEYS);
        fail_msg("report: %s", text);
    }
    json_decref(want);
    json_decref(got);
}

/* east's new probe fails at once: www moves to west; the new endpoint
 * fails too; api's new priorities move IPv4 to b4. */
static void east_fails(sb_probe_states_t *st)
{
    result(st, "www.example.com.", "east", false);
    result(st, "www.example.com.", "fresh", false);
}

static void what_a_reload_changed(void **state)
{
    (void)state;
    assert_json(reload(AFTER, east_fails),
                "{\"answers_moved\": ["
                " {\"profile\": \"api.example.com.\", \"family\": \"ipv4\", \"from\": \"a4\","
                "  \"to\": \"b4\"},"
                " {\"profile\": \"www.example.com.\", \"from\": \"east\", \"to\": \"west\"}],"
                " \"endpoints_down\": ["
                " {\"profile\": \"www.example.com.\", \"endpoint\": \"east\", \"was\": \"up\","
                "  \"reason\": \"connect refused\"},"
                " {\"profile\": \"www.example.com.\", \"endpoint\": \"fresh\", \"was\": \"new\","
                "  \"reason\": \"connect refused\"}],"
                " \"profiles_added\": [\"new.example.com.\", \"slow.example.com.\"],"
                " \"profiles_removed\": [\"old.example.com.\"],"
                " \"pending\": [\"slow.example.com.\"]}");
}

/* Until its new probe answers, www has not decided: pending, not moved. */
static void undecided_profiles_are_pending(void **state)
{
    (void)state;
    json_t *report = reload(AFTER, NULL);
    json_t *pending = json_object_get(report, "pending");
    assert_int_equal(json_array_size(pending), 2);
    assert_string_equal(json_string_value(json_array_get(pending, 0)), "www.example.com.");
    assert_int_equal(json_array_size(json_object_get(report, "answers_moved")), 1); /* api */
    assert_int_equal(json_array_size(json_object_get(report, "endpoints_down")), 0);
    json_decref(report);
}

static void a_reload_that_changes_nothing_says_so(void **state)
{
    (void)state;
    assert_json(reload(BEFORE, NULL), "{\"answers_moved\": [], \"endpoints_down\": [],"
                                      " \"profiles_added\": [], \"profiles_removed\": [],"
                                      " \"pending\": []}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(what_a_reload_changed),
        cmocka_unit_test(undecided_profiles_are_pending),
        cmocka_unit_test(a_reload_that_changes_nothing_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
