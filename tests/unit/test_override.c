/* Operator overrides on the probe worker's state (sb_override): drain,
 * undrain, force and switchover (each with and without an end), unforce
 * and failback each change the answer at once and are logged with who
 * asked (a restored one as from the state file); unknown names, draining
 * the last endpoint of an address family and repeats are refused with
 * their words; profile names match with or without the final dot, in any
 * case; forces and switchovers end when their time is up
 * (sb_override_expire), as unforce and failback would, and so does one
 * read back after its end (sb_override_ended, sb_override_undo); and the
 * list the state file keeps matches what is in force (sb_override_list). */
#include "sb_test_route.h"
#include "sb_test.h"
#include "sb_test_log.h"

#include "sb_dns.h"
#include "sb_log.h"
#include "sb_override.h"
#include "sb_probe_result.h"
#include "sb_probe_state.h"
#include "sb_publish.h"
#include "sb_route.h"

#include <stdlib.h>
#include <unistd.h>

/* A probed name profile, and an address profile with one IPv6 endpoint. */
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
                                         "    endpoint a6 2001:db8::1 priority=2\n"
                                         "    endpoint b4 192.0.2.2 priority=3\n"
                                         "}\n";

#define WWW "www.example.com."
#define API "api.example.com."

/* 2100-01-01: an end that is never reached by itself in these tests. */
#define LATER 4102444800000LL

/* ---- the log, captured in a temporary file ------------------------------ */

/* ---- the state under test ------------------------------------------------ */

static sb_gen_t *gen;
static sb_probe_states_t st;
static char why[256];

static sb_profile_state_t *profile(const char *name)
{
    sb_profile_state_t *ps = sb_probe_state_find_profile(&st, name);
    assert_non_null(ps);
    return ps;
}

static sb_ep_state_t *endpoint(const char *profile_name, const char *name)
{
    sb_ep_state_t *es = sb_probe_state_find_endpoint(profile(profile_name), name);
    assert_non_null(es);
    return es;
}

static void report(const char *name, bool ok)
{
    static const sb_result_t passed = {.reason = SB_REASON_OK, .latency_ms = 4};
    static const sb_result_t refused = {.reason = SB_REASON_REFUSED, .latency_ms = 1};
    sb_probe_result_apply(endpoint(WWW, name), ok ? &passed : &refused, 0, 1000000);
}

/* Every endpoint up and each profile decided, as after a first round; the
 * log starts empty. */
static int setup(void **state)
{
    (void)state;
    sb_test_log_start();
    gen = sb_test_load_ok(ZONE);
    assert_int_equal(sb_probe_state_init(&st, gen), 0);
    report("east", true);
    report("west", true);
    report("north", true);
    sb_publish_profile(profile(API), "probe");
    sb_test_log_forget();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_probe_state_free(&st);
    sb_gen_free(gen);
    sb_test_log_stop();
    return 0;
}

static int apply(sb_override_t o)
{
    strcpy(why, "not cleared");
    return sb_override_apply(&st, &o, why, sizeof(why));
}

/* An override that must be done. */
static void done(sb_override_t o)
{
    assert_int_equal(apply(o), 0);
}

/* Entries of the list the state file keeps. */
static json_t *entry(const char *action, const char *profile_name, const char *name, const char *by)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "action", action, "profile", profile_name, "endpoint",
                     name, "by", by);
}

static json_t *switchover_entry(const char *name, int64_t until_ms, const char *by)
{
    json_t *e = entry("switchover", WWW, name, by);
    json_object_set_new(e, "until_ms", json_integer((json_int_t)until_ms));
    return e;
}

static json_t *force_entry(const char *name, const char *forced, int64_t until_ms, const char *by)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "action", "force", "profile", WWW,
                     "endpoint", name, "state", forced, "until_ms", (json_int_t)until_ms, "by", by);
}

/* The name of the endpoint a query of `qtype` for `profile_name` gets. */
static const char *answering(const char *profile_name, uint16_t qtype)
{
    const sb_endpoint_t *ep = sb_test_answer(profile(profile_name)->profile, qtype);
    return ep != NULL ? ep->name : "none";
}

/* ---- each override, done and undone -------------------------------------- */

static void drain_and_undrain(void **state)
{
    (void)state;
    assert_int_equal(
        apply((sb_override_t){
            .op = SB_OVERRIDE_DRAIN, .profile = WWW, .endpoint = "east", .by = "uid=1000"}),
        0);
    assert_string_equal(why, "");
    assert_string_equal(answering(WWW, SB_TYPE_A), "west");
    assert_true(endpoint(WWW, "east")->drained);
    assert_string_equal(endpoint(WWW, "east")->drain_by, "uid=1000");
    assert_int_equal(sb_test_times_logged("level=info event=override action=drain profile=" WWW
                                          " endpoint=east by=uid=1000\n"),
                     1);
    assert_int_equal(sb_test_times_logged("event=answer-change profile=" WWW
                                          " from=east to=west cause=override\n"),
                     1);
    assert_int_equal(
        apply((sb_override_t){
            .op = SB_OVERRIDE_UNDRAIN, .profile = WWW, .endpoint = "east", .by = "uid=1001"}),
        0);
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
    assert_false(endpoint(WWW, "east")->drained);
    assert_int_equal(sb_test_times_logged("event=override action=undrain profile=" WWW
                                          " endpoint=east by=uid=1001\n"),
                     1);
}

static void force_down_until_undone(void **state)
{
    (void)state;
    assert_int_equal(
        apply((sb_override_t){
            .op = SB_OVERRIDE_FORCE, .profile = WWW, .endpoint = "east", .by = "uid=1000"}),
        0);
    sb_ep_state_t *east = endpoint(WWW, "east");
    assert_int_equal(east->forced, -1);
    assert_int_equal(east->force_until_ms, 0);
    assert_string_equal(east->force_by, "uid=1000");
    assert_string_equal(answering(WWW, SB_TYPE_A), "west");
    assert_int_equal(sb_test_times_logged("event=override action=force profile=" WWW
                                          " endpoint=east state=down by=uid=1000\n"),
                     1);
    assert_int_equal(
        apply((sb_override_t){
            .op = SB_OVERRIDE_UNFORCE, .profile = WWW, .endpoint = "east", .by = "uid=1002"}),
        0);
    assert_int_equal(east->forced, 0);
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("event=override action=unforce profile=" WWW
                                          " endpoint=east by=uid=1002\n"),
                     1);
}

static void force_up_with_an_end(void **state)
{
    (void)state;
    report("east", false);
    assert_string_equal(answering(WWW, SB_TYPE_A), "west");
    assert_int_equal(apply((sb_override_t){.op = SB_OVERRIDE_FORCE,
                                           .profile = WWW,
                                           .endpoint = "east",
                                           .force_up = true,
                                           .until_ms = LATER,
                                           .by = "uid=1000"}),
                     0);
    sb_ep_state_t *east = endpoint(WWW, "east");
    assert_int_equal(east->forced, 1);
    assert_int_equal(east->force_until_ms, LATER);
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
    assert_int_equal(
        sb_test_times_logged("event=override action=force profile=" WWW
                             " endpoint=east state=up until_ms=4102444800000 by=uid=1000\n"),
        1);
    /* Its probes still fail; once unforced, they count again. */
    report("east", false);
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
    assert_int_equal(
        apply((sb_override_t){
            .op = SB_OVERRIDE_UNFORCE, .profile = WWW, .endpoint = "east", .by = "uid=1000"}),
        0);
    assert_string_equal(answering(WWW, SB_TYPE_A), "west");
}

static void switchover_and_failback(void **state)
{
    (void)state;
    assert_int_equal(
        apply((sb_override_t){
            .op = SB_OVERRIDE_SWITCHOVER, .profile = WWW, .endpoint = "north", .by = "uid=1000"}),
        0);
    sb_profile_state_t *ps = profile(WWW);
    assert_int_equal(ps->switchover, 2);
    assert_string_equal(ps->switchover_by, "uid=1000");
    assert_string_equal(answering(WWW, SB_TYPE_A), "north");
    assert_int_equal(sb_test_times_logged("event=override action=switchover profile=" WWW
                                          " endpoint=north by=uid=1000\n"),
                     1);
    assert_int_equal(
        apply((sb_override_t){.op = SB_OVERRIDE_FAILBACK, .profile = WWW, .by = "uid=1003"}), 0);
    assert_int_equal(ps->switchover, SB_PICK_NONE);
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("event=override action=failback profile=" WWW
                                          " endpoint=- by=uid=1003\n"),
                     1);
}

static void switchover_with_an_end(void **state)
{
    (void)state;
    sb_override_t over = {.op = SB_OVERRIDE_SWITCHOVER,
                          .profile = WWW,
                          .endpoint = "north",
                          .until_ms = LATER,
                          .by = "uid=1000"};
    assert_int_equal(apply(over), 0);
    sb_profile_state_t *ps = profile(WWW);
    assert_int_equal(ps->switchover, 2);
    assert_int_equal(ps->switchover_until_ms, LATER);
    assert_string_equal(answering(WWW, SB_TYPE_A), "north");
    assert_int_equal(sb_test_times_logged("level=info event=override action=switchover profile=" WWW
                                          " endpoint=north until_ms=4102444800000 by=uid=1000\n"),
                     1);
    /* As with a force, the same again is news only when the end changes:
     * a new end, or none. */
    assert_int_equal(apply(over), -EALREADY);
    over.until_ms = LATER + 1;
    assert_int_equal(apply(over), 0);
    assert_int_equal(ps->switchover_until_ms, LATER + 1);
    over.until_ms = 0;
    assert_int_equal(apply(over), 0);
    assert_int_equal(ps->switchover_until_ms, 0);
    assert_int_equal(sb_test_times_logged("action=switchover profile=" WWW " endpoint=north by="),
                     1);
    /* Failback forgets the end with the switchover. */
    over.until_ms = LATER;
    assert_int_equal(apply(over), 0);
    assert_int_equal(apply((sb_override_t){.op = SB_OVERRIDE_FAILBACK, .profile = WWW}), 0);
    assert_int_equal(ps->switchover, SB_PICK_NONE);
    assert_int_equal(ps->switchover_until_ms, 0);
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
}

static void a_restored_override_names_the_state_file(void **state)
{
    (void)state;
    assert_int_equal(apply((sb_override_t){.op = SB_OVERRIDE_DRAIN,
                                           .profile = WWW,
                                           .endpoint = "east",
                                           .by = "uid=1000",
                                           .restored = true}),
                     0);
    assert_string_equal(endpoint(WWW, "east")->drain_by, "uid=1000");
    assert_string_equal(answering(WWW, SB_TYPE_A), "west");
    assert_int_equal(sb_test_times_logged("event=override action=drain profile=" WWW
                                          " endpoint=east by=state-file set_by=\"uid=1000\"\n"),
                     1);
    /* Nobody named: "unknown". */
    assert_int_equal(
        apply((sb_override_t){.op = SB_OVERRIDE_SWITCHOVER, .profile = WWW, .endpoint = "north"}),
        0);
    assert_string_equal(profile(WWW)->switchover_by, "unknown");
    assert_int_equal(
        sb_test_times_logged("action=switchover profile=" WWW " endpoint=north by=unknown\n"), 1);
}

/* ---- refusals ------------------------------------------------------------ */

static void unknown_names_are_not_found(void **state)
{
    (void)state;
    assert_int_equal(apply((sb_override_t){.op = SB_OVERRIDE_DRAIN,
                                           .profile = "nope.example.com.",
                                           .endpoint = "east",
                                           .by = "uid=0"}),
                     -ENOENT);
    assert_string_equal(why, "no profile named nope.example.com.");
    assert_int_equal(
        apply((sb_override_t){.op = SB_OVERRIDE_FAILBACK, .profile = "nope", .by = "uid=0"}),
        -ENOENT);
    assert_string_equal(why, "no profile named nope");
    assert_int_equal(
        apply((sb_override_t){
            .op = SB_OVERRIDE_FORCE, .profile = WWW, .endpoint = "south", .by = "uid=0"}),
        -ENOENT);
    assert_string_equal(why, "profile www.example.com. has no endpoint named 'south'");
    /* Endpoint names are exact. */
    assert_int_equal(
        apply((sb_override_t){
            .op = SB_OVERRIDE_DRAIN, .profile = WWW, .endpoint = "East", .by = "uid=0"}),
        -ENOENT);
    assert_string_equal(why, "profile www.example.com. has no endpoint named 'East'");
    assert_string_equal(sb_test_logged(), "");
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
}

static void the_last_of_a_family_cannot_be_drained(void **state)
{
    (void)state;
    assert_int_equal(apply((sb_override_t){
                         .op = SB_OVERRIDE_DRAIN, .profile = API, .endpoint = "a6", .by = "uid=0"}),
                     -EINVAL);
    assert_string_equal(why, "endpoint 'a6' is the last one of api.example.com. left to answer; "
                             "draining it would leave queries without an answer");
    assert_false(endpoint(API, "a6")->drained);
    /* IPv4 has two: the first may go, not the second. */
    assert_int_equal(apply((sb_override_t){
                         .op = SB_OVERRIDE_DRAIN, .profile = API, .endpoint = "a4", .by = "uid=0"}),
                     0);
    assert_string_equal(answering(API, SB_TYPE_A), "b4");
    assert_string_equal(answering(API, SB_TYPE_AAAA), "a6");
    assert_int_equal(apply((sb_override_t){
                         .op = SB_OVERRIDE_DRAIN, .profile = API, .endpoint = "b4", .by = "uid=0"}),
                     -EINVAL);
    assert_string_equal(why, "endpoint 'b4' is the last one of api.example.com. left to answer; "
                             "draining it would leave queries without an answer");
    /* Names are one family. */
    done((sb_override_t){.op = SB_OVERRIDE_DRAIN, .profile = WWW, .endpoint = "east"});
    done((sb_override_t){.op = SB_OVERRIDE_DRAIN, .profile = WWW, .endpoint = "west"});
    assert_int_equal(
        apply((sb_override_t){.op = SB_OVERRIDE_DRAIN, .profile = WWW, .endpoint = "north"}),
        -EINVAL);
    assert_string_equal(answering(WWW, SB_TYPE_A), "north");
    assert_int_equal(sb_test_times_logged("event=override action=drain "), 3);
}

static void a_repeat_is_already_so(void **state)
{
    (void)state;
    sb_override_t drain = {
        .op = SB_OVERRIDE_DRAIN, .profile = WWW, .endpoint = "west", .by = "uid=0"};
    assert_int_equal(apply(drain), 0);
    assert_int_equal(apply(drain), -EALREADY);
    assert_string_equal(why, "");
    drain.op = SB_OVERRIDE_UNDRAIN;
    assert_int_equal(apply(drain), 0);
    assert_int_equal(apply(drain), -EALREADY);
    sb_override_t force = {
        .op = SB_OVERRIDE_FORCE, .profile = WWW, .endpoint = "west", .until_ms = LATER};
    assert_int_equal(apply(force), 0);
    assert_int_equal(apply(force), -EALREADY);
    force.until_ms = LATER + 1; /* a new end is news */
    assert_int_equal(apply(force), 0);
    assert_int_equal(endpoint(WWW, "west")->force_until_ms, LATER + 1);
    force.force_up = true; /* so is the other state */
    assert_int_equal(apply(force), 0);
    assert_int_equal(endpoint(WWW, "west")->forced, 1);
    force.op = SB_OVERRIDE_UNFORCE;
    assert_int_equal(apply(force), 0);
    assert_int_equal(apply(force), -EALREADY);
    sb_override_t over = {.op = SB_OVERRIDE_SWITCHOVER, .profile = WWW, .endpoint = "west"};
    assert_int_equal(apply(over), 0);
    assert_int_equal(apply(over), -EALREADY);
    over.op = SB_OVERRIDE_FAILBACK;
    assert_int_equal(apply(over), 0);
    assert_int_equal(apply(over), -EALREADY);
    assert_string_equal(why, "");
    /* Only what was done is logged: eight of the fourteen. */
    assert_int_equal(sb_test_times_logged("event=override "), 8);
}

static void profile_names_match_with_or_without_the_dot_in_any_case(void **state)
{
    (void)state;
    assert_int_equal(apply((sb_override_t){.op = SB_OVERRIDE_DRAIN,
                                           .profile = "WWW.Example.COM",
                                           .endpoint = "east",
                                           .by = "uid=0"}),
                     0);
    assert_true(endpoint(WWW, "east")->drained);
    assert_int_equal(apply((sb_override_t){.op = SB_OVERRIDE_UNDRAIN,
                                           .profile = "www.EXAMPLE.com.",
                                           .endpoint = "east"}),
                     0);
    assert_int_equal(apply((sb_override_t){.op = SB_OVERRIDE_DRAIN,
                                           .profile = "www.example.com",
                                           .endpoint = "east",
                                           .by = "uid=0"}),
                     0);
    /* The log names the profile as configured. */
    assert_int_equal(sb_test_times_logged("profile=" WWW " endpoint=east "), 3);
    assert_int_equal(sb_test_times_logged("WWW"), 0);
}

/* ---- forced states that end by themselves --------------------------------- */

static void an_ended_force_is_undone(void **state)
{
    (void)state;
    done((sb_override_t){.op = SB_OVERRIDE_FORCE,
                         .profile = WWW,
                         .endpoint = "east",
                         .until_ms = 1000,
                         .by = "uid=0"});
    done((sb_override_t){.op = SB_OVERRIDE_FORCE,
                         .profile = WWW,
                         .endpoint = "north",
                         .force_up = true,
                         .until_ms = 2000,
                         .by = "uid=0"});
    done((sb_override_t){.op = SB_OVERRIDE_FORCE,
                         .profile = WWW,
                         .endpoint = "west",
                         .force_up = true,
                         .by = "uid=0"});
    assert_string_equal(answering(WWW, SB_TYPE_A), "west");
    sb_test_log_forget();
    assert_false(sb_override_expire(&st, 999));
    assert_int_equal(endpoint(WWW, "east")->forced, -1);
    assert_string_equal(sb_test_logged(), "");
    /* At its end exactly: east is probed again, and answers. */
    assert_true(sb_override_expire(&st, 1000));
    assert_int_equal(endpoint(WWW, "east")->forced, 0);
    assert_int_equal(endpoint(WWW, "east")->force_until_ms, 0);
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("level=info event=override action=unforce profile=" WWW
                                          " endpoint=east by=expiry\n"),
                     1);
    assert_int_equal(sb_test_times_logged("event=answer-change profile=" WWW
                                          " from=west to=east cause=override-expired\n"),
                     1);
    /* One not yet due stays; one with no end stays. */
    assert_int_equal(endpoint(WWW, "north")->forced, 1);
    assert_false(sb_override_expire(&st, 1999));
    assert_true(sb_override_expire(&st, 2000));
    assert_int_equal(endpoint(WWW, "north")->forced, 0);
    assert_false(sb_override_expire(&st, INT64_MAX));
    assert_int_equal(endpoint(WWW, "west")->forced, 1);
    assert_int_equal(sb_test_times_logged("by=expiry"), 2);
}

static void an_ended_switchover_fails_back(void **state)
{
    (void)state;
    done((sb_override_t){.op = SB_OVERRIDE_SWITCHOVER,
                         .profile = WWW,
                         .endpoint = "north",
                         .until_ms = 1000,
                         .by = "uid=0"});
    done((sb_override_t){
        .op = SB_OVERRIDE_SWITCHOVER, .profile = API, .endpoint = "b4", .by = "uid=0"});
    assert_string_equal(answering(WWW, SB_TYPE_A), "north");
    sb_test_log_forget();
    assert_false(sb_override_expire(&st, 999));
    assert_int_equal(profile(WWW)->switchover, 2);
    assert_string_equal(sb_test_logged(), "");
    /* At its end exactly: priority order again, logged as a failback by
     * expiry, the way an ended force is logged as an unforce. */
    assert_true(sb_override_expire(&st, 1000));
    assert_int_equal(profile(WWW)->switchover, SB_PICK_NONE);
    assert_int_equal(profile(WWW)->switchover_until_ms, 0);
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("level=info event=override action=failback profile=" WWW
                                          " endpoint=- by=expiry\n"),
                     1);
    assert_int_equal(sb_test_times_logged("event=answer-change profile=" WWW
                                          " from=north to=east cause=override-expired\n"),
                     1);
    /* One with no end stays. */
    assert_false(sb_override_expire(&st, INT64_MAX));
    assert_string_equal(answering(API, SB_TYPE_A), "b4");
    assert_int_equal(sb_test_times_logged("by=expiry"), 1);
}

static void a_switchover_and_a_force_end_in_one_pass(void **state)
{
    (void)state;
    done((sb_override_t){.op = SB_OVERRIDE_SWITCHOVER,
                         .profile = WWW,
                         .endpoint = "west",
                         .until_ms = 500,
                         .by = "uid=0"});
    done((sb_override_t){
        .op = SB_OVERRIDE_FORCE, .profile = WWW, .endpoint = "east", .until_ms = 700, .by = "u"});
    assert_string_equal(answering(WWW, SB_TYPE_A), "west");
    sb_test_log_forget();
    assert_true(sb_override_expire(&st, 800));
    assert_string_equal(answering(WWW, SB_TYPE_A), "east");
    assert_int_equal(sb_test_times_logged("action=failback profile=" WWW " endpoint=- by=expiry\n"),
                     1);
    assert_int_equal(
        sb_test_times_logged("action=unforce profile=" WWW " endpoint=east by=expiry\n"), 1);
    assert_false(sb_override_expire(&st, 900));
}

/* What a restart or a fleet value read back after its end is: ended, and
 * undone by the undoing kind. Only a force and a switchover have ends. */
static void ended_and_undone_read_back(void **state)
{
    (void)state;
    sb_override_t o = {.op = SB_OVERRIDE_SWITCHOVER, .until_ms = 1000};
    assert_false(sb_override_ended(&o, 999));
    assert_true(sb_override_ended(&o, 1000));
    o.until_ms = 0; /* no end */
    assert_false(sb_override_ended(&o, INT64_MAX));
    o = (sb_override_t){.op = SB_OVERRIDE_FORCE, .until_ms = 5};
    assert_true(sb_override_ended(&o, 5));
    o.op = SB_OVERRIDE_DRAIN; /* an end means nothing to a drain */
    assert_false(sb_override_ended(&o, 5));
    assert_true(sb_override_timed(SB_OVERRIDE_FORCE));
    assert_true(sb_override_timed(SB_OVERRIDE_SWITCHOVER));
    assert_false(sb_override_timed(SB_OVERRIDE_DRAIN));
    assert_false(sb_override_timed(SB_OVERRIDE_FAILBACK));
    assert_int_equal(sb_override_undo(SB_OVERRIDE_DRAIN), SB_OVERRIDE_UNDRAIN);
    assert_int_equal(sb_override_undo(SB_OVERRIDE_FORCE), SB_OVERRIDE_UNFORCE);
    assert_int_equal(sb_override_undo(SB_OVERRIDE_SWITCHOVER), SB_OVERRIDE_FAILBACK);
    assert_int_equal(sb_override_undo(SB_OVERRIDE_FAILBACK), SB_OVERRIDE_FAILBACK);
    assert_int_equal(sb_override_undo(SB_OVERRIDE_UNFORCE), SB_OVERRIDE_UNFORCE);
}

/* ---- what the state file keeps -------------------------------------------- */

static void the_list_is_what_is_in_force(void **state)
{
    (void)state;
    json_t *list = sb_override_list(&st);
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    done((sb_override_t){
        .op = SB_OVERRIDE_DRAIN, .profile = WWW, .endpoint = "west", .by = "uid=1"});
    done((sb_override_t){
        .op = SB_OVERRIDE_FORCE, .profile = WWW, .endpoint = "west", .by = "uid=2"});
    done((sb_override_t){.op = SB_OVERRIDE_FORCE,
                         .profile = WWW,
                         .endpoint = "east",
                         .force_up = true,
                         .until_ms = LATER,
                         .by = "uid=3"});
    done((sb_override_t){.op = SB_OVERRIDE_SWITCHOVER,
                         .profile = WWW,
                         .endpoint = "north",
                         .until_ms = LATER,
                         .by = "uid=4"});
    done((sb_override_t){.op = SB_OVERRIDE_DRAIN, .profile = API, .endpoint = "a4", .by = "uid=5"});
    /* Per profile: its switchover, then each endpoint's drain and force;
     * the end of a force and of a switchover, 0 for none. */
    json_t *expected = json_array();
    json_array_append_new(expected, switchover_entry("north", LATER, "uid=4"));
    json_array_append_new(expected, force_entry("east", "up", LATER, "uid=3"));
    json_array_append_new(expected, entry("drain", WWW, "west", "uid=1"));
    json_array_append_new(expected, force_entry("west", "down", 0, "uid=2"));
    json_array_append_new(expected, entry("drain", API, "a4", "uid=5"));
    assert_non_null(expected);
    list = sb_override_list(&st);
    if (!json_equal(list, expected)) {
        char *text = json_dumps(list, JSON_INDENT(1));
        fprintf(stderr, "got %s\n", text);
        free(text);
    }
    assert_true(json_equal(list, expected));
    json_decref(list);
    json_decref(expected);
    done((sb_override_t){.op = SB_OVERRIDE_SWITCHOVER, .profile = WWW, .endpoint = "west"});
    list = sb_override_list(&st);
    expected = switchover_entry("west", 0, "unknown");
    assert_true(json_equal(json_array_get(list, 0), expected));
    json_decref(list);
    json_decref(expected);
    /* Undone, they are gone. */
    done((sb_override_t){.op = SB_OVERRIDE_UNDRAIN, .profile = WWW, .endpoint = "west"});
    done((sb_override_t){.op = SB_OVERRIDE_UNFORCE, .profile = WWW, .endpoint = "west"});
    done((sb_override_t){.op = SB_OVERRIDE_UNFORCE, .profile = WWW, .endpoint = "east"});
    done((sb_override_t){.op = SB_OVERRIDE_FAILBACK, .profile = WWW});
    done((sb_override_t){.op = SB_OVERRIDE_UNDRAIN, .profile = API, .endpoint = "a4"});
    list = sb_override_list(&st);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
}

int main(void)
{
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(drain_and_undrain),
        TEST(force_down_until_undone),
        TEST(force_up_with_an_end),
        TEST(switchover_and_failback),
        TEST(switchover_with_an_end),
        TEST(a_restored_override_names_the_state_file),
        TEST(unknown_names_are_not_found),
        TEST(the_last_of_a_family_cannot_be_drained),
        TEST(a_repeat_is_already_so),
        TEST(profile_names_match_with_or_without_the_dot_in_any_case),
        TEST(an_ended_force_is_undone),
        TEST(an_ended_switchover_fails_back),
        TEST(a_switchover_and_a_force_end_in_one_pass),
        TEST(ended_and_undone_read_back),
        TEST(the_list_is_what_is_in_force),
    };
#undef TEST
    return cmocka_run_group_tests(tests, NULL, NULL);
}
