/* The fleet's views and verdicts (sb_peers), driven through probe results
 * and other nodes' messages: fleet=majority outvotes this node and is
 * outvoted in turn, fleet=local never votes, views drop out when stale
 * (and the node says it is alone), unknown endpoints and this node's own
 * name are ignored, changed verdicts are told together at the end of a
 * loop turn and every verdict in a summary, and a carry keeps the views across a reload. */
#include "sb_test_route.h"
#include "sb_test.h"
#include "sb_test_log.h"

#include "sb_carry.h"
#include "sb_check_types.h"
#include "sb_dns.h"
#include "sb_peers.h"
#include "sb_probe_result.h"
#include "sb_probe_state.h"
#include "sb_publish.h"
#include "sb_route.h"

#include <stdlib.h>

static const char *ZONE = SB_TEST_HEADER "www profile priority {\n"
                                         "    monitor http port=8001 fall=1 rise=1 fleet=majority\n"
                                         "    endpoint east east priority=1\n"
                                         "    endpoint west west priority=2\n"
                                         "}\n"
                                         "app profile priority {\n"
                                         "    monitor http port=8001 fall=1 rise=1\n"
                                         "    endpoint east east priority=1\n"
                                         "    endpoint west west priority=2\n"
                                         "}\n";

static sb_gen_t *gen;
static sb_probe_states_t st;
static sb_peers_t peers;
static char *told[16];
static size_t told_count;

static void tell(void *arg, char *text)
{
    (void)arg;
    if (told_count < 16)
        told[told_count++] = text;
    else
        free(text);
}

static int setup(void **state)
{
    (void)state;
    sb_test_log_start();
    gen = sb_test_load_ok(ZONE);
    assert_int_equal(sb_probe_state_init(&st, gen), 0);
    assert_int_equal(sb_peers_init(&peers, &st, "a"), 0);
    peers.tell = tell;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < told_count; i++)
        free(told[i]);
    told_count = 0;
    sb_peers_free(&peers);
    sb_probe_state_free(&st);
    sb_gen_free(gen);
    sb_test_log_stop();
    return 0;
}

static sb_profile_state_t *profile(const char *name)
{
    sb_profile_state_t *ps = sb_probe_state_find_profile(&st, name);
    assert_non_null(ps);
    return ps;
}

static void report(const char *prof, const char *ep, bool ok)
{
    static const sb_result_t passed = {.reason = SB_REASON_OK, .latency_ms = 4};
    static const sb_result_t refused = {.reason = SB_REASON_REFUSED, .latency_ms = 1};
    sb_ep_state_t *es = sb_probe_state_find_endpoint(profile(prof), ep);
    assert_non_null(es);
    sb_probe_result_apply(es, ok ? &passed : &refused, 0, 1000);
}

static const char *answering(const char *prof)
{
    const sb_endpoint_t *ep = sb_test_answer(profile(prof)->profile, SB_TYPE_A);
    return ep != NULL ? ep->name : "none";
}

/* Node `node` says east is `east_up` (and west up) for both profiles. */
static void hear(const char *node, bool east_up, int64_t now)
{
    sb_verdict_t views[] = {{"www.example.com.", "east", east_up},
                            {"www.example.com.", "west", true},
                            {"app.example.com.", "east", east_up},
                            {"nowhere.example.com.", "east", true}};
    sb_verdicts_t m = {.node = node, .period_ms = 5000, .full = true, .views = views, .count = 4};
    if (sb_peers_take(&peers, &st, &m, now)) {
        sb_peers_expire(&peers, now);
        for (size_t i = 0; i < st.profile_count; i++)
            sb_publish_profile(&st.profiles[i], "fleet");
    }
}

static void majority_outvotes_and_local_does_not_vote(void **state)
{
    (void)state;
    int64_t now = sb_probe_state_wall_ms();
    for (const char *p = "www"; p != NULL; p = strcmp(p, "www") == 0 ? "app" : NULL) {
        char name[64];
        snprintf(name, sizeof(name), "%s.example.com.", p);
        report(name, "east", true);
        report(name, "west", true);
    }
    assert_int_equal(told_count, 0); /* gathered until the loop turn ends */
    sb_peers_flush(&peers);
    assert_int_equal(told_count, 1); /* every first verdict in one message */
    sb_verdicts_t first;
    assert_int_equal(sb_verdicts_decode(told[0], strlen(told[0]), &first), 0);
    assert_int_equal(first.count, 4);
    assert_false(first.full);
    sb_verdicts_free(&first);
    hear("b", true, now);
    hear("c", true, now);
    /* This node alone sees east down: majority keeps it, local moves. */
    report("www.example.com.", "east", false);
    report("app.example.com.", "east", false);
    assert_string_equal(answering("www.example.com."), "east");
    assert_string_equal(answering("app.example.com."), "west");
    unsigned up, reporting;
    const sb_ep_state_t *es = sb_probe_state_find_endpoint(profile("www.example.com."), "east");
    assert_true(sb_peers_verdict(&peers, es, false, now, &up, &reporting));
    assert_int_equal(up, 2);
    assert_int_equal(reporting, 3);
    /* One more sees it down: two of three. */
    hear("b", false, now);
    assert_string_equal(answering("www.example.com."), "west");
    /* This node's own name in a message is not another view. */
    assert_false(sb_peers_take(&peers, &st,
                               &(sb_verdicts_t){.node = "a", .period_ms = 5000, .count = 0}, now));
    assert_int_equal(peers.count, 2);
}

static void stale_views_drop_out_and_the_node_says_it_is_alone(void **state)
{
    (void)state;
    int64_t now = sb_probe_state_wall_ms();
    report("www.example.com.", "east", true);
    report("www.example.com.", "west", true);
    report("app.example.com.", "east", true);
    report("app.example.com.", "west", true);
    hear("b", false, now);
    hear("c", false, now);
    assert_string_equal(answering("www.example.com."), "west"); /* outvoted: east down */
    /* Three periods later nobody is fresh: this node's own view again. */
    int64_t later = now + 3 * 5000 + 1;
    assert_true(sb_peers_expire(&peers, later));
    assert_int_equal(peers.fresh, 0);
    assert_int_equal(sb_test_times_logged("level=warning event=fleet-health-alone"), 1);
    unsigned up, reporting;
    const sb_ep_state_t *es = sb_probe_state_find_endpoint(profile("www.example.com."), "east");
    assert_true(sb_peers_verdict(&peers, es, true, later, &up, &reporting));
    assert_int_equal(reporting, 1);
    hear("b", false, later);
    /* Joined when b and c were first heard, and again now. */
    assert_int_equal(sb_test_times_logged("level=info event=fleet-health-joined nodes=1"), 2);
}

static void summaries_carry_every_verdict(void **state)
{
    (void)state;
    report("www.example.com.", "east", true);
    report("www.example.com.", "west", false);
    report("app.example.com.", "east", true);
    report("app.example.com.", "west", true);
    sb_peers_flush(&peers);
    size_t before = told_count;
    sb_peers_summary(&peers, &st);
    assert_int_equal(told_count, before + 1);
    sb_verdicts_t m;
    const char *text = told[told_count - 1];
    assert_int_equal(sb_verdicts_decode(text, strlen(text), &m), 0);
    assert_true(m.full);
    assert_int_equal(m.count, 4);
    assert_string_equal(m.node, "a");
    assert_false(m.views[1].up);
    sb_verdicts_free(&m);
}

static void a_reload_keeps_the_views(void **state)
{
    (void)state;
    int64_t now = sb_probe_state_wall_ms();
    report("www.example.com.", "east", true);
    report("www.example.com.", "west", true);
    hear("b", false, now);
    sb_histogram_t waits = {0};
    sb_carry_t *carry = sb_carry_take(&st, &waits, sb_check_types_builtin);
    assert_non_null(carry);
    sb_probe_states_t st2;
    assert_int_equal(sb_probe_state_init(&st2, gen), 0);
    sb_peers_t p2;
    assert_int_equal(sb_peers_init(&p2, &st2, "a"), 0);
    sb_carry_peers(carry, &p2, &st2);
    assert_int_equal(p2.count, 1);
    assert_string_equal(p2.names[0], "b");
    const sb_ep_state_t *es =
        sb_probe_state_find_endpoint(sb_probe_state_find_profile(&st2, "www.example.com."), "east");
    assert_int_equal(es->peer_views[0], SB_VIEW_DOWN);
    sb_peers_free(&p2);
    sb_probe_state_free(&st2);
    sb_carry_free(carry);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(majority_outvotes_and_local_does_not_vote, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_views_drop_out_and_the_node_says_it_is_alone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(summaries_carry_every_verdict, setup, teardown),
        cmocka_unit_test_setup_teardown(a_reload_keeps_the_views, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
