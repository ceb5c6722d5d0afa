/* A reload's carry (sb_carry): the states of one generation are changed
 * (results, overrides, a switchover, counters, the queue-wait histogram),
 * taken, freed with their generation, and applied to a second generation
 * the way the worker's builder does. An endpoint whose probe is unchanged
 * keeps its health, since, flap state and is marked carried, under the new
 * fall/rise; one whose probe changed starts checking but keeps overrides,
 * history and counters; a new one starts fresh; switchover (with its end)
 * and answering endpoint carry by name; a drain that would now leave a
 * family without an answer, and overrides whose profile or endpoint are
 * gone, are dropped and logged; a NULL carry changes nothing. */
#include "sb_test_route.h"
#include "sb_test.h"
#include "sb_test_carry.h"
#include "sb_test_log.h"

#include "sb_carry.h"
#include "sb_check_types.h"
#include "sb_dns.h"
#include "sb_log.h"
#include "sb_monitor.h"
#include "sb_override.h"
#include "sb_probe_key.h"
#include "sb_probe_result.h"
#include "sb_probe_state.h"
#include "sb_publish.h"

#include <stdlib.h>
#include <unistd.h>

#define RECORDS                                                                                    \
    "north A 127.0.0.12\n"                                                                         \
    "south A 127.0.0.13\n"

/* Before the reload. */
static const char *BEFORE = SB_TEST_HEADER RECORDS
    "www profile priority {\n"
    "    monitor http port=8001 fall=1 rise=1 flap-limit=5 flap-window=1m hold-down=10s\n"
    "    endpoint east east priority=1\n"
    "    endpoint west west priority=2\n"
    "    endpoint north north priority=3\n"
    "    endpoint south south priority=4\n"
    "    endpoint gone ns1 priority=5\n"
    "}\n"
    "api profile priority {\n"
    "    monitor http port=8001 fall=1 rise=1\n"
    "    endpoint a4 192.0.2.1 priority=1\n"
    "    endpoint b4 192.0.2.2 priority=2\n"
    "    endpoint a6 2001:db8::1 priority=3\n"
    "}\n"
    "old profile priority {\n"
    "    monitor none\n"
    "    endpoint east east priority=1\n"
    "    endpoint west west priority=2\n"
    "}\n";

/* After: www has new fall/rise, a new endpoint in second place, west on
 * another port, south on another path, gone removed; api lost a4; old is
 * gone. */
static const char *AFTER = SB_TEST_HEADER RECORDS
    "www profile priority {\n"
    "    monitor http port=8001 fall=2 rise=3 flap-limit=5 flap-window=1m hold-down=10s\n"
    "    endpoint east east priority=1\n"
    "    endpoint fresh west priority=2\n"
    "    endpoint west west priority=3 port=8002\n"
    "    endpoint north north priority=4\n"
    "    endpoint south south priority=5 path=/health\n"
    "}\n"
    "api profile priority {\n"
    "    monitor http port=8001 fall=1 rise=1\n"
    "    endpoint b4 192.0.2.2 priority=1\n"
    "    endpoint a6 2001:db8::1 priority=2\n"
    "}\n";

/* Not probed, before and after. */
static const char *UNPROBED = SB_TEST_HEADER "www profile priority {\n"
                                             "    monitor none\n"
                                             "    endpoint east east priority=1\n"
                                             "    endpoint west west priority=2\n"
                                             "}\n";

#define WWW   "www.example.com."
#define API   "api.example.com."
#define OLD   "old.example.com."
#define LATER 4102444800000LL /* 2100-01-01: a force's or a switchover's end */

/* ---- the log, captured in a temporary file ------------------------------ */

static int capture_log(void **state)
{
    (void)state;
    sb_test_log_start();
    return 0;
}

static int release_log(void **state)
{
    (void)state;
    sb_test_log_stop();
    return 0;
}

/* ---- states and how they are changed ------------------------------------ */

static sb_ep_state_t *endpoint(const sb_probe_states_t *st, const char *profile, const char *name)
{
    sb_profile_state_t *ps = sb_probe_state_find_profile(st, profile);
    assert_non_null(ps);
    sb_ep_state_t *es = sb_probe_state_find_endpoint(ps, name);
    assert_non_null(es);
    return es;
}

static uint64_t loop_ms = 1000000; /* the probe worker's loop clock */

static void report(sb_ep_state_t *es, bool ok)
{
    static const sb_result_t passed = {.reason = SB_REASON_OK, .latency_ms = 4};
    static const sb_result_t refused = {.reason = SB_REASON_REFUSED, .latency_ms = 1};
    sb_probe_result_apply(es, ok ? &passed : &refused, 7, loop_ms);
    loop_ms += 1000;
}

static void override(sb_probe_states_t *st, sb_override_t o)
{
    char why[256];
    assert_int_equal(sb_override_apply(st, &o, why, sizeof(why)), 0);
}

/* A drain or a switchover, by `by`. */
static void operator_did(sb_probe_states_t *st, sb_override_op_t op, const char *profile,
                         const char *name, const char *by)
{
    override(st, (sb_override_t){.op = op, .profile = profile, .endpoint = name, .by = by});
}

static void force_www(sb_probe_states_t *st, const char *name, bool up, int64_t until_ms,
                      const char *by)
{
    override(st, (sb_override_t){.op = SB_OVERRIDE_FORCE,
                                 .profile = WWW,
                                 .endpoint = name,
                                 .force_up = up,
                                 .until_ms = until_ms,
                                 .by = by});
}

/* The first round, then what an operator and the probes did since. */
static void live_a_while(sb_probe_states_t *st)
{
    for (size_t i = 0; i < st->ep_count; i++) {
        if (st->eps[i].ep->monitor->proto != SB_MONITOR_NONE)
            report(&st->eps[i], true);
    }
    for (size_t i = 0; i < st->profile_count; i++)
        sb_publish_profile(&st->profiles[i], "probe");
    sb_ep_state_t *east = endpoint(st, WWW, "east");
    report(east, false);
    east->since_ms -= 60000; /* down a minute ago: a fresh since would differ */
    sb_ep_state_t *west = endpoint(st, WWW, "west");
    report(west, false);
    report(west, true);
    force_www(st, "west", false, LATER, "uid=2");
    operator_did(st, SB_OVERRIDE_DRAIN, WWW, "south", "uid=1");
    override(st, (sb_override_t){.op = SB_OVERRIDE_SWITCHOVER,
                                 .profile = WWW,
                                 .endpoint = "north",
                                 .until_ms = LATER,
                                 .by = "uid=3"});
    operator_did(st, SB_OVERRIDE_DRAIN, WWW, "gone", "uid=4");
    force_www(st, "gone", true, 0, "uid=5");
    operator_did(st, SB_OVERRIDE_DRAIN, API, "b4", "uid=6");
    override(st, (sb_override_t){.op = SB_OVERRIDE_SWITCHOVER,
                                 .profile = API,
                                 .endpoint = "a4",
                                 .until_ms = LATER,
                                 .by = "uid=7"});
    operator_did(st, SB_OVERRIDE_DRAIN, OLD, "east", "uid=8");
    operator_did(st, SB_OVERRIDE_SWITCHOVER, OLD, "west", "uid=9");
}

/* ---- one reload, shared by the tests below ------------------------------- */

/* What the old states held, kept past their freeing for comparison. */
static sb_ep_state_t east_before, west_before, south_before, north_before;
static sb_ep_probe_t east_probe_before, west_probe_before, south_probe_before;
static sb_flap_t east_flap_before;
static sb_histogram_t waits_before;
static sb_gen_t *after_gen;
static sb_probe_states_t after;
static sb_carry_t *carry;
static char reload_log[65536]; /* what the build logged */

static int reload(void **state)
{
    capture_log(state);
    sb_gen_t *gen = sb_test_load_ok(BEFORE);
    sb_probe_states_t before;
    assert_int_equal(sb_probe_state_init(&before, gen), 0);
    live_a_while(&before);
    east_before = *endpoint(&before, WWW, "east");
    west_before = *endpoint(&before, WWW, "west");
    south_before = *endpoint(&before, WWW, "south");
    east_probe_before = *east_before.probe;
    east_flap_before = *east_before.probe->flap;
    west_probe_before = *west_before.probe;
    south_probe_before = *south_before.probe;
    north_before = *endpoint(&before, WWW, "north");
    memset(&waits_before, 0, sizeof(waits_before));
    sb_histogram_add(&waits_before, &sb_histogram_queue_wait, 0.004);
    sb_histogram_add(&waits_before, &sb_histogram_queue_wait, 2.5);
    carry = sb_carry_take(&before, &waits_before, sb_check_types_builtin);
    assert_non_null(carry);
    /* The carry holds copies: the old generation may go first. */
    sb_probe_state_free(&before);
    sb_gen_free(gen);
    sb_test_log_forget();
    after_gen = sb_test_load_ok(AFTER);
    sb_test_carry_build(&after, after_gen, carry);
    snprintf(reload_log, sizeof(reload_log), "%s", sb_test_logged());
    sb_test_log_forget();
    return 0;
}

static int unload(void **state)
{
    sb_carry_free(carry);
    sb_probe_state_free(&after);
    sb_gen_free(after_gen);
    return release_log(state);
}

static unsigned times_in_reload_log(const char *words)
{
    unsigned n = 0;
    for (const char *p = reload_log; (p = strstr(p, words)) != NULL; p++)
        n++;
    return n;
}

/* ---- the tests ----------------------------------------------------------- */

static void an_unchanged_probe_keeps_its_health(void **state)
{
    (void)state;
    sb_ep_state_t *east = endpoint(&after, WWW, "east");
    assert_true(east->carried);
    assert_int_equal(east->health.state, SB_HEALTH_DOWN);
    assert_int_equal(east->since_ms, east_before.since_ms);
    assert_int_equal(east->probe->flap->count, 1);
    assert_memory_equal(east->probe->flap, &east_flap_before, sizeof(*east->probe->flap));
    assert_memory_equal(&east->probe->history, &east_probe_before.history,
                        sizeof(east->probe->history));
    assert_int_equal(sb_history_count(sb_ep_history(east)), 2);
    assert_memory_equal(&east->probe->stats, &east_probe_before.stats, sizeof(east->probe->stats));
    assert_int_equal(east->probe->stats.changes,
                     1); /* up to down (the first result is not counted) */
    assert_int_equal(east->probe->stats.results[SB_REASON_REFUSED], 1);
    sb_ep_state_t *north = endpoint(&after, WWW, "north");
    assert_true(north->carried);
    assert_int_equal(north->health.state, SB_HEALTH_UP);
    assert_int_equal(north->since_ms, north_before.since_ms);
}

static void the_new_fall_and_rise_count(void **state)
{
    (void)state;
    sb_ep_state_t *east = endpoint(&after, WWW, "east");
    assert_int_equal(east->health.fall, 2);
    assert_int_equal(east->health.rise, 3);
    report(east, true);
    report(east, true);
    assert_int_equal(east->health.state, SB_HEALTH_DOWN); /* rise=1 before the reload */
    report(east, true);
    assert_int_equal(east->health.state, SB_HEALTH_UP);
    report(east, false);
    assert_int_equal(east->health.state, SB_HEALTH_UP); /* fall=1 before */
    report(east, false);
    assert_int_equal(east->health.state, SB_HEALTH_DOWN);
}

static void a_changed_probe_starts_afresh_but_keeps_the_rest(void **state)
{
    (void)state;
    sb_ep_state_t *west = endpoint(&after, WWW, "west"); /* another port */
    assert_false(west->carried);
    assert_int_equal(west->health.state, SB_HEALTH_CHECKING);
    assert_int_equal(west->probe->flap->count, 0);
    assert_int_equal(west->forced, -1);
    assert_int_equal(west->force_until_ms, LATER);
    assert_string_equal(west->force_by, "uid=2");
    assert_memory_equal(&west->probe->history, &west_probe_before.history,
                        sizeof(west->probe->history));
    assert_int_equal(sb_history_count(sb_ep_history(west)), 3);
    assert_memory_equal(&west->probe->stats, &west_probe_before.stats, sizeof(west->probe->stats));
    assert_int_equal(west->probe->stats.changes, 2);       /* the first result is not counted */
    sb_ep_state_t *south = endpoint(&after, WWW, "south"); /* another path */
    assert_false(south->carried);
    assert_int_equal(south->health.state, SB_HEALTH_CHECKING);
    assert_true(south->drained);
    assert_string_equal(south->drain_by, "uid=1");
    assert_memory_equal(&south->probe->history, &south_probe_before.history,
                        sizeof(south->probe->history));
    assert_int_equal(south->probe->stats.results[SB_REASON_OK], 1);
}

static void a_new_endpoint_starts_fresh(void **state)
{
    (void)state;
    sb_ep_state_t *fresh = endpoint(&after, WWW, "fresh");
    assert_false(fresh->carried);
    assert_int_equal(fresh->health.state, SB_HEALTH_CHECKING);
    assert_int_equal(sb_history_count(sb_ep_history(fresh)), 0);
    assert_int_equal(fresh->probe->stats.changes, 0);
    assert_int_equal(fresh->probe->stats.latency.count, 0);
    assert_false(fresh->drained);
    assert_int_equal(fresh->forced, 0);
}

static void switchover_and_answer_carry_by_name(void **state)
{
    (void)state;
    sb_profile_state_t *www = sb_probe_state_find_profile(&after, WWW);
    assert_true(www->reloaded);
    assert_int_equal(www->switchover, 3); /* north: third before, fourth now */
    assert_string_equal(www->switchover_by, "uid=3");
    assert_int_equal(www->switchover_until_ms, LATER); /* its end with it */
    assert_string_equal(sb_test_view(www)->answering[SB_FAMILY_PRIMARY], "north");
    assert_int_equal(sb_test_view(www)->status[SB_FAMILY_PRIMARY], SB_ROUTE_ANSWERING);
    assert_string_equal(sb_test_view(www)->answering[SB_FAMILY_V6], "none");
    sb_profile_state_t *api = sb_probe_state_find_profile(&after, API);
    assert_true(api->reloaded);
    assert_int_equal(api->switchover, SB_PICK_NONE); /* a4 is gone */
    assert_int_equal(api->switchover_until_ms, 0);   /* and so is its end */
    /* What answered before the reload, a4, whatever has become of it. */
    assert_string_equal(sb_test_view(api)->answering[SB_FAMILY_PRIMARY], "a4");
    assert_string_equal(sb_test_view(api)->answering[SB_FAMILY_V6], "a6");
}

static void the_first_decision_after_a_reload_keeps_the_answer_quiet(void **state)
{
    (void)state;
    sb_profile_state_t *www = sb_probe_state_find_profile(&after, WWW);
    report(endpoint(&after, WWW, "fresh"), true);
    assert_false(www->decided); /* south is still checking */
    report(endpoint(&after, WWW, "south"), true);
    assert_true(www->decided);
    assert_string_equal(sb_test_answer(www->profile, SB_TYPE_A)->name, "north");
    /* North answered before the reload and still does: no news. */
    assert_int_equal(sb_test_times_logged("event=answer-change"), 0);
}

static void overrides_that_no_longer_fit_are_dropped(void **state)
{
    (void)state;
    /* b4 is api's last IPv4 endpoint now that a4 is gone. */
    assert_false(endpoint(&after, API, "b4")->drained);
    assert_int_equal(times_in_reload_log("level=warning event=override-dropped action=drain "
                                         "profile=" API " endpoint=b4 reason=\"endpoint 'b4' is "
                                         "the last one of api.example.com. left to answer; "
                                         "draining it would leave queries without an answer\"\n"),
                     1);
    assert_int_equal(times_in_reload_log("level=warning event=override-dropped action=drain "
                                         "profile=" WWW " endpoint=gone reason=\"the endpoint is "
                                         "not in the new configuration\"\n"),
                     1);
    assert_int_equal(times_in_reload_log("level=warning event=override-dropped action=force "
                                         "profile=" WWW " endpoint=gone reason=\"the endpoint is "
                                         "not in the new configuration\"\n"),
                     1);
    assert_int_equal(times_in_reload_log("level=warning event=override-dropped action=switchover "
                                         "profile=" API " endpoint=a4 reason=\"the endpoint is "
                                         "not in the new configuration\"\n"),
                     1);
    assert_int_equal(times_in_reload_log("level=warning event=override-dropped action=drain "
                                         "profile=" OLD " endpoint=east reason=\"the profile is "
                                         "not in the new configuration\"\n"),
                     1);
    assert_int_equal(times_in_reload_log("level=warning event=override-dropped action=switchover "
                                         "profile=" OLD " endpoint=west reason=\"the profile is "
                                         "not in the new configuration\"\n"),
                     1);
    assert_int_equal(times_in_reload_log("event=override-dropped"), 6);
    /* Those carried are not reported. */
    assert_int_equal(times_in_reload_log("endpoint=south"), 0);
    assert_int_equal(times_in_reload_log("endpoint=north"), 0);
}

static void the_queue_wait_histogram_carries(void **state)
{
    (void)state;
    sb_histogram_t waits = {0};
    sb_carry_queue_wait(carry, &waits);
    assert_int_equal(waits.count, 2);
    assert_memory_equal(&waits, &waits_before, sizeof(waits));
}

/* ---- without a reload ----------------------------------------------------- */

static void a_null_carry_changes_nothing(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(AFTER);
    sb_probe_states_t plain, built;
    assert_int_equal(sb_probe_state_init(&plain, gen), 0);
    sb_test_carry_build(&built, gen, NULL);
    assert_int_equal(built.ep_count, plain.ep_count);
    for (size_t i = 0; i < built.ep_count; i++) {
        sb_ep_state_t *es = &built.eps[i];
        es->since_ms = plain.eps[i].since_ms; /* the wall clock moved on */
        es->ps = plain.eps[i].ps;             /* each points into its own array */
        assert_int_equal(es->probe == NULL, plain.eps[i].probe == NULL);
        if (es->probe != NULL) {
            sb_ep_probe_t *a = es->probe, *b = plain.eps[i].probe;
            assert_int_equal(a->flap == NULL, b->flap == NULL);
            if (a->flap != NULL)
                assert_memory_equal(a->flap, b->flap, sizeof(*a->flap));
            assert_memory_equal(&a->history, &b->history, sizeof(a->history));
            assert_memory_equal(&a->stats, &b->stats, sizeof(a->stats));
        }
        sb_ep_probe_t *own = es->probe; /* each points into its own array */
        es->probe = plain.eps[i].probe;
        assert_memory_equal(es, &plain.eps[i], sizeof(*es));
        es->probe = own;
    }
    assert_int_equal(built.profile_count, plain.profile_count);
    for (size_t i = 0; i < built.profile_count; i++) {
        assert_false(built.profiles[i].reloaded);
        assert_int_equal(built.profiles[i].switchover, SB_PICK_NONE);
        assert_memory_equal(&built.profiles[i].view, &plain.profiles[i].view,
                            sizeof(sb_probe_view_t));
    }
    sb_histogram_t waits = {.count = 42};
    sb_carry_queue_wait(NULL, &waits);
    assert_int_equal(waits.count, 42);
    assert_string_equal(sb_test_logged(), "");
    sb_carry_free(NULL);
    sb_probe_state_free(&plain);
    sb_probe_state_free(&built);
    sb_gen_free(gen);
}

static void an_unprobed_endpoint_keeps_its_overrides(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(UNPROBED);
    sb_probe_states_t before, now;
    assert_int_equal(sb_probe_state_init(&before, gen), 0);
    sb_publish_profile(&before.profiles[0], "probe");
    operator_did(&before, SB_OVERRIDE_DRAIN, WWW, "east", "uid=1");
    sb_histogram_t no_waits = {0};
    sb_carry_t *c = sb_carry_take(&before, &no_waits, sb_check_types_builtin);
    assert_non_null(c);
    sb_probe_state_free(&before);
    sb_gen_free(gen);
    gen = sb_test_load_ok(UNPROBED);
    sb_test_carry_build(&now, gen, c);
    sb_ep_state_t *east = endpoint(&now, WWW, "east");
    assert_true(east->drained);
    assert_string_equal(east->drain_by, "uid=1");
    assert_int_equal(east->health.state, SB_HEALTH_UP); /* never probed: up, not carried */
    assert_false(east->carried);
    assert_string_equal(sb_test_view(&now.profiles[0])->answering[SB_FAMILY_PRIMARY],
                        "west"); /* west was answering */
    sb_carry_free(c);
    sb_probe_state_free(&now);
    sb_gen_free(gen);
}

int main(void)
{
#define RELOADED(f) cmocka_unit_test_setup_teardown(f, reload, unload)
#define PLAIN(f)    cmocka_unit_test_setup_teardown(f, capture_log, release_log)
    const struct CMUnitTest tests[] = {
        RELOADED(an_unchanged_probe_keeps_its_health),
        RELOADED(the_new_fall_and_rise_count),
        RELOADED(a_changed_probe_starts_afresh_but_keeps_the_rest),
        RELOADED(a_new_endpoint_starts_fresh),
        RELOADED(switchover_and_answer_carry_by_name),
        RELOADED(the_first_decision_after_a_reload_keeps_the_answer_quiet),
        RELOADED(overrides_that_no_longer_fit_are_dropped),
        RELOADED(the_queue_wait_histogram_carries),
        PLAIN(a_null_carry_changes_nothing),
        PLAIN(an_unprobed_endpoint_keeps_its_overrides),
    };
#undef RELOADED
#undef PLAIN
    return cmocka_run_group_tests(tests, NULL, NULL);
}
