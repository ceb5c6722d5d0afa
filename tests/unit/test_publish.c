/* Choosing and publishing a profile's answer (sb_publish_profile), driven
 * through probe results (sb_probe_result_apply) and by calling it directly
 * after changing an endpoint's state: the default stands until every
 * endpoint has had its first result and the first decision is always
 * published; the priority order, failing open when everything is down
 * (all-down logged once, all-down-end when one recovers), IPv4 and IPv6
 * decided apart, forced states over probes, drained and held-down
 * endpoints, a switchover; an unchanged decision stores and logs nothing;
 * every answer-change carries its cause. */
#include "sb_test_route.h"
#include "sb_test.h"
#include "sb_test_carry.h"
#include "sb_test_log.h"

#include "sb_dns.h"
#include "sb_log.h"
#include "sb_probe_result.h"
#include "sb_probe_state.h"
#include "sb_publish.h"
#include "sb_route.h"

#include <stdlib.h>
#include <unistd.h>

/* Three name endpoints, probed; one result flips an endpoint's state. */
static const char *NAMES = SB_TEST_HEADER "north A 127.0.0.12\n"
                                          "www profile priority {\n"
                                          "    monitor http port=8001 fall=1 rise=1\n"
                                          "    endpoint east east priority=1\n"
                                          "    endpoint west west priority=2\n"
                                          "    endpoint north north priority=3\n"
                                          "}\n";

/* The same with anti-flap: a third change within a minute holds the
 * endpoint down for ten seconds. */
static const char *FLAPPY = SB_TEST_HEADER "north A 127.0.0.12\n"
                                           "www profile priority {\n"
                                           "    monitor http port=8001 fall=1 rise=1 flap-limit=2 "
                                           "flap-window=1m hold-down=10s\n"
                                           "    endpoint east east priority=1\n"
                                           "    endpoint west west priority=2\n"
                                           "    endpoint north north priority=3\n"
                                           "}\n";

/* Addresses of both families, interleaved in priority order. */
static const char *ADDRESSES = SB_TEST_HEADER "api profile priority {\n"
                                              "    monitor http port=8001 fall=1 rise=1\n"
                                              "    endpoint a4 192.0.2.1 priority=1\n"
                                              "    endpoint a6 2001:db8::1 priority=2\n"
                                              "    endpoint b4 192.0.2.2 priority=3\n"
                                              "    endpoint b6 2001:db8::2 priority=4\n"
                                              "}\n";

/* Not probed: every endpoint is up from the start. */
static const char *UNPROBED = SB_TEST_HEADER "www profile priority {\n"
                                             "    monitor none\n"
                                             "    endpoint east east priority=1\n"
                                             "    endpoint west west priority=2\n"
                                             "}\n";

/* ---- the log, captured in a temporary file ------------------------------ */

static int capture_log(void **state)
{
    (void)state;
    sb_test_log_start();
    return 0;
}

/* ---- the state under test ------------------------------------------------ */

static sb_gen_t *gen;
static sb_probe_states_t st;
static uint64_t loop_ms; /* the probe worker's loop clock: hold-downs count in it */

static sb_profile_state_t *load(const char *zone)
{
    gen = sb_test_load_ok(zone);
    assert_int_equal(sb_probe_state_init(&st, gen), 0);
    assert_int_equal(st.profile_count, 1);
    loop_ms = 1000000;
    return &st.profiles[0];
}

static int unload(void **state)
{
    (void)state;
    sb_probe_state_free(&st);
    sb_gen_free(gen);
    gen = NULL;
    sb_test_log_stop();
    return 0;
}

static sb_ep_state_t *endpoint(sb_profile_state_t *ps, const char *name)
{
    sb_ep_state_t *es = sb_probe_state_find_endpoint(ps, name);
    assert_non_null(es);
    return es;
}

static void report(sb_profile_state_t *ps, const char *name, bool ok)
{
    static const sb_result_t passed = {.reason = SB_REASON_OK, .latency_ms = 4};
    static const sb_result_t refused = {.reason = SB_REASON_REFUSED, .latency_ms = 1};
    sb_probe_result_apply(endpoint(ps, name), ok ? &passed : &refused, 0, loop_ms);
}

/* The first round: every endpoint's first result, all passing. */
static void all_pass(sb_profile_state_t *ps)
{
    for (uint16_t i = 0; i < ps->profile->count; i++)
        report(ps, ps->eps[i].ep->name, true);
}

/* The name of the endpoint a query of `qtype` gets now, or "none". */
static const char *answering(const sb_profile_state_t *ps, uint16_t qtype)
{
    const sb_endpoint_t *ep = sb_test_answer(ps->profile, qtype);
    return ep != NULL ? ep->name : "none";
}

static bool failing_open(const sb_profile_state_t *ps, int fam)
{
    return sb_test_status(ps->profile, fam) == SB_ROUTE_FAIL_OPEN;
}

/* ---- the tests ----------------------------------------------------------- */

static void the_default_stands_until_every_endpoint_has_a_result(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    const sb_route_decision_t *before = sb_route_published(ps->profile);
    sb_route_decision_t *dflt = sb_route_decide(ps->profile, NULL);
    assert_true(sb_route_same(before, dflt));
    sb_route_discard(dflt);
    /* East is down and west up, but north has not been heard from. */
    report(ps, "east", false);
    report(ps, "west", true);
    assert_false(ps->decided);
    assert_ptr_equal(sb_route_published(ps->profile), before);
    assert_string_equal(answering(ps, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("event=answer-change"), 0);
    /* North's first result completes the round: the decision is made. */
    report(ps, "north", true);
    assert_true(ps->decided);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    assert_string_equal(sb_test_view(ps)->answering[SB_FAMILY_PRIMARY], "west");
    assert_int_equal(sb_test_times_logged("event=answer-change"), 1);
    assert_int_equal(sb_test_times_logged("level=info event=answer-change profile=www.example.com. "
                                          "from=none to=west cause=first-round\n"),
                     1);
}

static void the_first_decision_is_published_even_when_it_is_the_default(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(UNPROBED);
    const sb_route_decision_t *dflt = sb_route_published(ps->profile);
    assert_false(ps->decided);
    /* As the worker does at start: endpoints with no monitor are known.
     * The decision is the default's, but published all the same. */
    sb_publish_profile(ps, "probe");
    assert_true(ps->decided);
    assert_ptr_not_equal(sb_route_published(ps->profile), dflt);
    assert_string_equal(answering(ps, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("level=info event=answer-change profile=www.example.com. "
                                          "from=none to=east cause=first-round\n"),
                     1);
    /* From then on the same decision is not news. */
    sb_publish_profile(ps, "probe");
    assert_int_equal(sb_test_times_logged("event=answer-change"), 1);
}

static void a_reloaded_profile_first_decides_with_cause_reload(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(UNPROBED);
    ps->reloaded = true;
    sb_route_view_t was = *sb_test_view(ps);
    snprintf(was.answering[SB_FAMILY_PRIMARY], SB_ROUTE_TEXT_MAX,
             "west"); /* west was answering before the reload */
    assert_int_equal(sb_probe_view_keep(&ps->view, &was), 0);
    sb_publish_profile(ps, "probe");
    assert_int_equal(sb_test_times_logged("level=info event=answer-change profile=www.example.com. "
                                          "from=west to=east cause=reload\n"),
                     1);
}

static void a_primary_down_hands_over_in_priority_order(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    all_pass(ps);
    assert_string_equal(answering(ps, SB_TYPE_A), "east");
    report(ps, "east", false);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    assert_int_equal(sb_test_times_logged("level=info event=answer-change profile=www.example.com. "
                                          "from=east to=west cause=probe\n"),
                     1);
    report(ps, "west", false);
    assert_string_equal(answering(ps, SB_TYPE_A), "north");
    assert_false(failing_open(ps, SB_FAMILY_PRIMARY));
    /* The highest priority takes over again as soon as it is back. */
    report(ps, "east", true);
    assert_string_equal(answering(ps, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("level=info event=answer-change profile=www.example.com. "
                                          "from=north to=east cause=probe\n"),
                     1);
    assert_int_equal(sb_test_times_logged("event=all-down"), 0);
}

static void everything_down_fails_open_to_the_highest_priority(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    all_pass(ps);
    report(ps, "east", false);
    report(ps, "west", false);
    report(ps, "north", false);
    assert_string_equal(answering(ps, SB_TYPE_A), "east");
    assert_true(failing_open(ps, SB_FAMILY_PRIMARY));
    assert_int_equal(
        sb_test_times_logged("level=warning event=all-down profile=www.example.com. "
                             "answering=east policy=fail-open reason=\"every endpoint is down; "
                             "failing open\"\n"),
        1);
    /* Staying down is not news. */
    report(ps, "east", false);
    sb_publish_profile(ps, "probe");
    assert_int_equal(sb_test_times_logged("event=all-down "), 1);
    assert_int_equal(sb_test_times_logged("event=all-down-end"), 0);
    /* One back: it answers, and failing open ends. */
    report(ps, "west", true);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    assert_false(failing_open(ps, SB_FAMILY_PRIMARY));
    assert_int_equal(sb_test_times_logged("level=info event=all-down-end profile=www.example.com. "
                                          "answering=west\n"),
                     1);
    assert_int_equal(sb_test_times_logged("event=all-down "), 1);
}

static void address_families_are_decided_apart(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(ADDRESSES);
    all_pass(ps);
    assert_string_equal(answering(ps, SB_TYPE_A), "a4");
    assert_string_equal(answering(ps, SB_TYPE_AAAA), "a6");
    /* Every IPv6 endpoint down: IPv6 fails open, IPv4 is not touched. */
    report(ps, "a6", false);
    assert_string_equal(answering(ps, SB_TYPE_AAAA), "b6");
    report(ps, "b6", false);
    assert_false(failing_open(ps, SB_FAMILY_PRIMARY));
    assert_true(failing_open(ps, SB_FAMILY_V6));
    assert_string_equal(answering(ps, SB_TYPE_A), "a4");
    assert_string_equal(answering(ps, SB_TYPE_AAAA), "a6");
    assert_int_equal(sb_test_times_logged("level=info event=answer-change profile=api.example.com. "
                                          "family=ipv6 from=b6 to=a6 cause=probe\n"),
                     1);
    assert_int_equal(sb_test_times_logged("level=warning event=all-down profile=api.example.com. "
                                          "family=ipv6 answering=a6 "),
                     1);
    assert_int_equal(sb_test_times_logged("family=ipv4 answering="), 0);
    /* IPv4 moves on its own while IPv6 still fails open. */
    report(ps, "a4", false);
    assert_string_equal(answering(ps, SB_TYPE_A), "b4");
    assert_false(failing_open(ps, SB_FAMILY_PRIMARY));
    assert_true(failing_open(ps, SB_FAMILY_V6));
    assert_int_equal(sb_test_times_logged("family=ipv4 from=a4 to=b4 cause=probe\n"), 1);
    /* Names of neither family are answered by an address profile. */
    assert_string_equal(answering(ps, SB_TYPE_TXT), "none");
}

static void a_forced_state_beats_the_probes(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    all_pass(ps);
    endpoint(ps, "east")->forced = -1; /* up by its probes */
    sb_publish_profile(ps, "override");
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    report(ps, "east", true); /* a passing probe does not lift it */
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    report(ps, "west", false);
    assert_string_equal(answering(ps, SB_TYPE_A), "north");
    endpoint(ps, "west")->forced = 1; /* down by its probes */
    sb_publish_profile(ps, "override");
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    assert_false(failing_open(ps, SB_FAMILY_PRIMARY));
}

static void a_forced_endpoint_needs_no_first_result(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    endpoint(ps, "east")->forced = -1;
    endpoint(ps, "west")->forced = 1;
    sb_publish_profile(ps, "override");
    assert_false(ps->decided); /* north still unknown */
    report(ps, "north", true);
    assert_true(ps->decided);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
}

static void a_drained_endpoint_is_never_chosen(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    all_pass(ps);
    endpoint(ps, "east")->drained = true;
    sb_publish_profile(ps, "override");
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    /* Not even to fail open: the first one not drained does. */
    report(ps, "east", false);
    report(ps, "west", false);
    report(ps, "north", false);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    assert_true(failing_open(ps, SB_FAMILY_PRIMARY));
    assert_int_equal(
        sb_test_times_logged("event=all-down profile=www.example.com. answering=west "), 1);
    /* Up by its probes changes nothing either. */
    report(ps, "east", true);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    assert_true(failing_open(ps, SB_FAMILY_PRIMARY));
}

static void a_switchover_answers_first_while_usable(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    all_pass(ps);
    ps->switchover = endpoint(ps, "north")->ep->index;
    sb_publish_profile(ps, "override");
    assert_string_equal(answering(ps, SB_TYPE_A), "north");
    assert_int_equal(sb_test_times_logged("from=east to=north cause=override\n"), 1);
    /* Down, it gives way to the priority order... */
    report(ps, "north", false);
    assert_string_equal(answering(ps, SB_TYPE_A), "east");
    report(ps, "east", false);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    /* ...and takes over again when it is back. */
    report(ps, "north", true);
    assert_string_equal(answering(ps, SB_TYPE_A), "north");
}

static void a_held_down_endpoint_is_not_usable(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    all_pass(ps);
    endpoint(ps, "east")->held = true;
    sb_publish_profile(ps, "hold-down");
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    assert_int_equal(sb_test_times_logged("from=east to=west cause=hold-down\n"), 1);
}

static void a_flapping_endpoint_is_held_down_until_its_time_is_up(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(FLAPPY);
    all_pass(ps); /* the first result is not a change of state */
    report(ps, "east", false);
    loop_ms += 1000;
    report(ps, "east", true);
    loop_ms += 1000;
    report(ps, "east", false); /* a third change within the window: held */
    sb_ep_state_t *east = endpoint(ps, "east");
    assert_true(east->held);
    assert_int_equal(sb_test_times_logged("from=east to=west cause=hold-down\n"), 1);
    loop_ms += 1000;
    report(ps, "east", true); /* up, but held: it extends the hold */
    assert_int_equal(east->health.state, SB_HEALTH_UP);
    assert_true(east->held);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    loop_ms += 9999;
    report(ps, "east", true);
    assert_string_equal(answering(ps, SB_TYPE_A), "west");
    loop_ms += 1; /* ten seconds after the last change */
    report(ps, "east", true);
    assert_false(east->held);
    assert_string_equal(answering(ps, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("from=west to=east cause=hold-down-end\n"), 1);
}

static void an_unchanged_decision_publishes_nothing(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    all_pass(ps);
    const sb_route_decision_t *before = sb_route_published(ps->profile);
    sb_test_log_forget();
    /* Nothing changed: the decision in place stays. */
    sb_publish_profile(ps, "override");
    assert_ptr_equal(sb_route_published(ps->profile), before);
    /* West going down changes what answers could fall back to, but not
     * the answer: a new decision, and no answer-change. */
    report(ps, "west", false);
    assert_ptr_not_equal(sb_route_published(ps->profile), before);
    assert_string_equal(answering(ps, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("event=answer-change"), 0);
    assert_int_equal(sb_test_times_logged("event=endpoint-state"), 1); /* west's change is logged */
}

static void the_cause_given_is_logged(void **state)
{
    (void)state;
    sb_profile_state_t *ps = load(NAMES);
    all_pass(ps);
    endpoint(ps, "east")->forced = -1;
    sb_publish_profile(ps, "maintenance");
    assert_int_equal(sb_test_times_logged("level=info event=answer-change profile=www.example.com. "
                                          "from=east to=west cause=maintenance\n"),
                     1);
}

int main(void)
{
#define TEST(f) cmocka_unit_test_setup_teardown(f, capture_log, unload)
    const struct CMUnitTest tests[] = {
        TEST(the_default_stands_until_every_endpoint_has_a_result),
        TEST(the_first_decision_is_published_even_when_it_is_the_default),
        TEST(a_reloaded_profile_first_decides_with_cause_reload),
        TEST(a_primary_down_hands_over_in_priority_order),
        TEST(everything_down_fails_open_to_the_highest_priority),
        TEST(address_families_are_decided_apart),
        TEST(a_forced_state_beats_the_probes),
        TEST(a_forced_endpoint_needs_no_first_result),
        TEST(a_drained_endpoint_is_never_chosen),
        TEST(a_switchover_answers_first_while_usable),
        TEST(a_held_down_endpoint_is_not_usable),
        TEST(a_flapping_endpoint_is_held_down_until_its_time_is_up),
        TEST(an_unchanged_decision_publishes_nothing),
        TEST(the_cause_given_is_logged),
    };
#undef TEST
    return cmocka_run_group_tests(tests, NULL, NULL);
}
