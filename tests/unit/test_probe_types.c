/* The probe-type seam: a probe type registered only here ("fake", for
 * `monitor tcp`) is opened, started, cancelled, released and closed by a
 * real probe worker through its operations table alone. The fake never
 * touches the network: each run reports, a moment later on the worker's
 * loop, the verdict the test set for the monitor's port (up, down, or
 * nothing at all). Covered: the first round and probe sharing (the common
 * key and the type's key), results reaching health and the published
 * answer, a run the type never reports (timeout and cancel), what stop
 * releases, and a table with no type for a zone's protocol. */
#include "sb_test.h"

#include "sb_check.h"
#include "sb_prober.h"
#include "sb_route.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <uv.h>

#define WAIT_MS 5000 /* the longest anything asynchronous may take, even under TSan */

/* ---- what the test controls ----------------------------------------------
 * The worker runs the fake on its own thread: everything the test sets, and
 * everything the fake records, is atomic or behind a lock. */

typedef enum {
    VERDICT_UP = 0,
    VERDICT_DOWN,
    VERDICT_SILENT, /* never reports: only the worker's deadline ends the run */
} verdict_t;

#define PORT_BASE  8000
#define PORT_SLOTS 8 /* the test's ports: 8000-8007 */

static atomic_int verdicts[PORT_SLOTS];

/* Whether the fake's key includes the monitor's `send`: two endpoints that
 * differ only in it are then two probes. */
static atomic_bool key_writes_send;

static void set_verdict(uint16_t port, verdict_t v)
{
    atomic_store(&verdicts[port - PORT_BASE], (int)v);
}

/* ---- what the fake records ----------------------------------------------- */

typedef enum {
    ENGINE_OPEN,
    ENGINE_CLOSE,
    ENGINE_FREED, /* the engine's close callback ran */
    START,
    REPORT,
    CANCEL,
    RELEASE,
    TIMER_INIT,  /* per-check timers made... */
    TIMER_FREED, /* ...and freed in their close callbacks */
    KEY,
    VIOLATION, /* a call that broke the contract in sb_check.h */
    COUNTER_COUNT
} counter_t;

static atomic_uint counters[COUNTER_COUNT];
static _Atomic(void *) opened_engine; /* what engine_open handed out */

static void count(counter_t which)
{
    atomic_fetch_add(&counters[which], 1);
}

static unsigned counted(counter_t which)
{
    return atomic_load(&counters[which]);
}

/* The worker broke the contract: counted for the test, told on stderr
 * (assertions only work on the test's own thread). */
static void violation(const char *what)
{
    fprintf(stderr, "probe type contract broken: %s\n", what);
    count(VIOLATION);
}

/* Every check the fake was started for, by its address: its runs, and how
 * each ended. */
typedef struct {
    const sb_check_t *check;
    uint16_t port;
    unsigned runs, reports, cancels;
} seen_t;

#define SEEN_MAX 8

static uv_mutex_t seen_lock;
static seen_t seen[SEEN_MAX];
static size_t seen_count;

typedef enum {
    RUN_STARTED,
    RUN_REPORTED,
    RUN_CANCELLED,
} run_event_t;

static void note_run(const sb_check_t *c, run_event_t event)
{
    uv_mutex_lock(&seen_lock);
    size_t i = 0;
    while (i < seen_count && seen[i].check != c)
        i++;
    if (i == SEEN_MAX) {
        violation("more checks than the test has endpoints");
    } else {
        if (i == seen_count)
            seen[seen_count++] = (seen_t){.check = c, .port = sb_monitor_port(c->monitor)};
        seen[i].runs += event == RUN_STARTED;
        seen[i].reports += event == RUN_REPORTED;
        seen[i].cancels += event == RUN_CANCELLED;
    }
    uv_mutex_unlock(&seen_lock);
}

static size_t checks_started(void)
{
    uv_mutex_lock(&seen_lock);
    size_t n = seen_count;
    uv_mutex_unlock(&seen_lock);
    return n;
}

/* The runs of the checks on `port`: how many started, reported, were
 * cancelled. */
static seen_t runs_on_port(uint16_t port)
{
    seen_t sum = {.port = port};
    uv_mutex_lock(&seen_lock);
    for (size_t i = 0; i < seen_count; i++) {
        if (seen[i].port != port)
            continue;
        sum.runs += seen[i].runs;
        sum.reports += seen[i].reports;
        sum.cancels += seen[i].cancels;
    }
    uv_mutex_unlock(&seen_lock);
    return sum;
}

/* True when every check started has had exactly one run. */
static bool one_run_each(void)
{
    bool once = true;
    uv_mutex_lock(&seen_lock);
    for (size_t i = 0; i < seen_count; i++)
        once &= seen[i].runs == 1;
    uv_mutex_unlock(&seen_lock);
    return once;
}

/* ---- the fake type ------------------------------------------------------- */

/* The verdict for a run on `port`; up for a port the test does not know. */
static verdict_t verdict_for(uint16_t port)
{
    if (port < PORT_BASE || port >= PORT_BASE + PORT_SLOTS) {
        violation("a port outside the test's");
        return VERDICT_UP;
    }
    return (verdict_t)atomic_load(&verdicts[port - PORT_BASE]);
}

/* Per worker. The timer stands for a real engine's handles (HTTP's curl
 * timer): closed by engine_close, the engine freed in its close callback. */
typedef struct {
    uv_loop_t *loop;
    uv_timer_t handle;
    unsigned runs; /* started through this engine */
} fake_engine_t;

/* Per check (c->proto): the timer that delivers a run's result. */
typedef struct {
    uv_timer_t timer;
    sb_check_t *check;
    bool pending; /* a run started, neither reported nor cancelled */
    sb_result_t result;
} fake_check_t;

static int fake_engine_open(void **engine, uv_loop_t *loop)
{
    fake_engine_t *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -ENOMEM;
    e->loop = loop;
    uv_timer_init(loop, &e->handle);
    e->handle.data = e;
    *engine = e;
    atomic_store(&opened_engine, e);
    count(ENGINE_OPEN);
    return 0;
}

static void on_engine_closed(uv_handle_t *h)
{
    free(h->data);
    count(ENGINE_FREED);
}

static void fake_engine_close(void *engine)
{
    fake_engine_t *e = engine;
    if (e != atomic_load(&opened_engine))
        violation("engine_close given another engine");
    if (e->runs != counted(START))
        violation("some runs were not started through this engine");
    count(ENGINE_CLOSE);
    uv_close((uv_handle_t *)&e->handle, on_engine_closed);
}

static void on_report_due(uv_timer_t *t)
{
    fake_check_t *fc = t->data;
    fc->pending = false;
    fc->check->run = NULL;
    count(REPORT);
    note_run(fc->check, RUN_REPORTED);
    sb_check_report(fc->check, fc->result);
}

/* The per-check state, made by the check's first run. */
static fake_check_t *check_state(fake_engine_t *e, sb_check_t *c)
{
    fake_check_t *fc = c->proto;
    if (fc != NULL)
        return fc;
    if ((fc = calloc(1, sizeof(*fc))) == NULL)
        return NULL;
    uv_timer_init(e->loop, &fc->timer);
    fc->timer.data = fc;
    fc->check = c;
    c->proto = fc;
    count(TIMER_INIT);
    return fc;
}

/* What the worker must have set up before it starts a run. */
static void check_start_contract(const void *engine, const sb_check_t *c)
{
    if (engine != atomic_load(&opened_engine) || c->engine != engine)
        violation("start not given the engine engine_open made");
    if (c->phase != SB_CHECK_PROBING)
        violation("start for a check not probing");
    if (c->proto != NULL && ((const fake_check_t *)c->proto)->pending)
        violation("start while the check's previous run is pending");
}

static int fake_start(void *engine, sb_check_t *c)
{
    fake_engine_t *e = engine;
    count(START);
    check_start_contract(engine, c);
    fake_check_t *fc = check_state(e, c);
    if (fc == NULL)
        return -ENOMEM;
    e->runs++;
    note_run(c, RUN_STARTED);
    fc->pending = true;
    c->run = fc;
    verdict_t v = verdict_for(sb_monitor_port(c->monitor));
    if (v == VERDICT_SILENT)
        return 0;
    fc->result = (sb_result_t){.reason = v == VERDICT_UP ? SB_REASON_OK : SB_REASON_REFUSED};
    /* Later, on the loop, as real I/O would: never from inside start. */
    uv_timer_start(&fc->timer, on_report_due, 1, 0);
    return 0;
}

static void fake_cancel(void *engine, sb_check_t *c)
{
    fake_check_t *fc = c->proto;
    count(CANCEL);
    if (engine != atomic_load(&opened_engine))
        violation("cancel not given the engine engine_open made");
    if (fc == NULL || !fc->pending) {
        violation("cancel without a run pending");
        return;
    }
    note_run(c, RUN_CANCELLED);
    uv_timer_stop(&fc->timer);
    fc->pending = false;
    c->run = NULL;
}

static void on_check_closed(uv_handle_t *h)
{
    free(h->data);
    count(TIMER_FREED);
}

static void fake_release(sb_check_t *c)
{
    fake_check_t *fc = c->proto;
    count(RELEASE);
    if (fc == NULL)
        return; /* never started */
    if (fc->pending)
        violation("release of a check whose run was not cancelled");
    uv_close((uv_handle_t *)&fc->timer, on_check_closed);
    c->proto = NULL;
}

static void fake_key(FILE *f, const sb_monitor_t *m)
{
    count(KEY);
    if (atomic_load(&key_writes_send))
        fprintf(f, "\x1f%s", m->send != NULL ? m->send : "");
}

static const sb_check_type_t fake = {
    .name = "fake",
    .protos = 1u << SB_MONITOR_TCP,
    .engine_open = fake_engine_open,
    .engine_close = fake_engine_close,
    .start = fake_start,
    .cancel = fake_cancel,
    .release = fake_release,
    .key = fake_key,
};

/* The same operations, for HTTP only. */
static const sb_check_type_t fake_http_only = {
    .name = "fake-http",
    .protos = 1u << SB_MONITOR_HTTP,
    .engine_open = fake_engine_open,
    .engine_close = fake_engine_close,
    .start = fake_start,
    .cancel = fake_cancel,
    .release = fake_release,
    .key = fake_key,
};

static const sb_check_type_t *const types[] = {&fake, NULL};
static const sb_check_type_t *const http_types[] = {&fake_http_only, NULL};

/* ---- driving a worker ---------------------------------------------------- */

/* The worker under test and its generation. A test that fails midway
 * leaves them to the teardown, so that the next test starts clean. */
static sb_gen_t *gen;
static sb_prober_t *worker;

/* Start a worker with `table` on `zone`; returns sb_prober_start's status. */
static int try_worker(const char *zone, const sb_check_type_t *const *table)
{
    gen = sb_test_load_ok(zone);
    sb_prober_config_t cfg = {.max_in_flight = 16, .check_types = table};
    return sb_prober_start(&worker, gen, &cfg, NULL);
}

static sb_prober_t *start_worker(const char *zone)
{
    assert_int_equal(try_worker(zone, types), 0);
    assert_non_null(worker);
    return worker;
}

static void stop_worker(void)
{
    sb_prober_stop(worker); /* NULL: none started */
    worker = NULL;
    sb_gen_free(gen);
    gen = NULL;
}

static uint64_t deadline_in(unsigned ms)
{
    return uv_hrtime() + (uint64_t)ms * 1000000;
}

/* For `while (!done && keep_waiting(deadline))`: false once the deadline
 * has passed, else true after a short pause. */
static bool keep_waiting(uint64_t deadline)
{
    if (uv_hrtime() >= deadline)
        return false;
    uv_sleep(2);
    return true;
}

/* Wait until the profile's published answer is endpoint `want`. */
static uint16_t wait_primary(const sb_profile_t *profile, uint16_t want)
{
    uint64_t until = deadline_in(WAIT_MS);
    while (sb_route_lead(sb_route_published(profile), SB_FAMILY_PRIMARY) != want &&
           keep_waiting(until))
        ;
    return sb_route_lead(sb_route_published(profile), SB_FAMILY_PRIMARY);
}

static unsigned wait_counted(counter_t which, unsigned want)
{
    uint64_t until = deadline_in(WAIT_MS);
    while (counted(which) < want && keep_waiting(until))
        ;
    return counted(which);
}

/* Endpoint `ep` of the first profile, field `field` of the worker's
 * status, copied into `buf` ("" when absent). */
static const char *endpoint_status(sb_prober_t *p, size_t ep, const char *field, char *buf,
                                   size_t cap)
{
    json_t *status = sb_prober_status(p);
    json_t *profile = json_array_get(json_object_get(status, "profiles"), 0);
    json_t *e = json_array_get(json_object_get(profile, "endpoints"), ep);
    const char *text = json_string_value(json_object_get(e, field));
    snprintf(buf, cap, "%s", text != NULL ? text : "");
    json_decref(status);
    return buf;
}

static int reset(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNTER_COUNT; i++)
        atomic_store(&counters[i], 0);
    for (size_t i = 0; i < PORT_SLOTS; i++)
        atomic_store(&verdicts[i], VERDICT_UP);
    atomic_store(&key_writes_send, false);
    atomic_store(&opened_engine, NULL);
    uv_mutex_lock(&seen_lock);
    seen_count = 0;
    uv_mutex_unlock(&seen_lock);
    return 0;
}

/* Every test ends with the worker gone, and nothing left open. */
static int stop_and_check(void **state)
{
    (void)state;
    if (gen != NULL)
        stop_worker();
    assert_int_equal(counted(VIOLATION), 0);
    assert_int_equal(counted(ENGINE_CLOSE), counted(ENGINE_OPEN));
    assert_int_equal(counted(ENGINE_FREED), counted(ENGINE_OPEN));
    assert_int_equal(counted(TIMER_FREED), counted(TIMER_INIT));
    return 0;
}

/* ---- the tests ----------------------------------------------------------- */

/* Two endpoints on one address: `second` is what the second endpoint's line
 * adds (its own port, its own send). A long interval: one run per check. */
#define PAIR_ZONE(second)                                                                          \
    SB_TEST_HEADER "api profile priority ttl=30 {\n"                                               \
                   "    monitor tcp port=8001 interval=10s send=hello\n"                           \
                   "    endpoint east 127.0.0.10 priority=1\n"                                     \
                   "    endpoint east-again 127.0.0.10 priority=2" second "\n"                     \
                   "}\n"

/* Start a worker on `zone`, run the first round and return how many checks
 * it made, after showing that the round went through the table: one
 * engine, one run per check, a result for every endpoint. */
static size_t first_round_checks(const char *zone, bool type_key_has_send)
{
    reset(NULL);
    atomic_store(&key_writes_send, type_key_has_send);
    sb_prober_t *p = start_worker(zone);
    assert_true(sb_prober_wait_first_round(p, WAIT_MS));
    size_t checks = sb_prober_check_count(p);
    assert_int_equal(counted(ENGINE_OPEN), 1);
    assert_int_equal(counted(START), checks);
    assert_int_equal(checks_started(), checks);
    assert_true(one_run_each());
    assert_true(counted(KEY) >= sb_prober_endpoint_count(p));
    size_t states[3];
    sb_prober_count_states(p, states);
    assert_int_equal(states[SB_HEALTH_CHECKING], 0);
    assert_int_equal(states[SB_HEALTH_UP], sb_prober_endpoint_count(p));
    stop_and_check(NULL);
    return checks;
}

static void first_round_goes_through_the_table(void **state)
{
    (void)state;
    /* Same address, port and send: one probe feeds both endpoints. */
    assert_int_equal(first_round_checks(PAIR_ZONE(""), true), 1);
    /* Another port: the common key tells them apart. */
    assert_int_equal(first_round_checks(PAIR_ZONE(" port=8002"), true), 2);
    /* Another send: only the type's key tells them apart... */
    assert_int_equal(first_round_checks(PAIR_ZONE(" send=bye"), true), 2);
    /* ...and when it leaves send out, they are one probe again. */
    assert_int_equal(first_round_checks(PAIR_ZONE(" send=bye"), false), 1);
}

/* Two endpoints, each its own check, probed often; one result decides. */
static const char *FAILOVER_ZONE =
    SB_TEST_HEADER "api profile priority ttl=30 {\n"
                   "    monitor tcp port=8001 interval=100ms timeout=50ms fall=1 rise=1\n"
                   "    endpoint east 127.0.0.10 priority=1\n"
                   "    endpoint west 127.0.0.11 priority=2 port=8002\n"
                   "}\n";

static void results_reach_health_and_the_answer(void **state)
{
    (void)state;
    sb_prober_t *p = start_worker(FAILOVER_ZONE);
    const sb_profile_t *api = sb_gen_profile(gen, 0);
    assert_true(sb_prober_wait_first_round(p, WAIT_MS));
    assert_int_equal(wait_primary(api, 0), 0);
    set_verdict(8001, VERDICT_DOWN);
    assert_int_equal(wait_primary(api, 1), 1);
    char buf[64];
    assert_string_equal(endpoint_status(p, 0, "state", buf, sizeof(buf)), "down");
    assert_string_equal(endpoint_status(p, 0, "reason", buf, sizeof(buf)), "connect refused");
    set_verdict(8001, VERDICT_UP);
    assert_int_equal(wait_primary(api, 0), 0);
    assert_string_equal(endpoint_status(p, 0, "state", buf, sizeof(buf)), "up");
    stop_worker();
    /* Every run ended in the fake's report, but for one per check that may
     * have been pending at stop. */
    for (uint16_t port = 8001; port <= 8002; port++) {
        seen_t runs = runs_on_port(port);
        assert_true(runs.cancels <= 1);
        assert_int_equal(runs.reports + runs.cancels, runs.runs);
    }
}

static void a_run_never_reported_times_out_and_is_cancelled(void **state)
{
    (void)state;
    set_verdict(8001, VERDICT_SILENT);
    sb_prober_t *p = start_worker(FAILOVER_ZONE);
    const sb_profile_t *api = sb_gen_profile(gen, 0);
    /* A timeout is a result too: the first round completes. */
    assert_true(sb_prober_wait_first_round(p, WAIT_MS));
    char buf[64];
    assert_string_equal(endpoint_status(p, 0, "state", buf, sizeof(buf)), "down");
    assert_string_equal(endpoint_status(p, 0, "reason", buf, sizeof(buf)), "timeout after 50 ms");
    assert_string_equal(endpoint_status(p, 1, "state", buf, sizeof(buf)), "up");
    assert_true(counted(CANCEL) >= 1);
    assert_int_equal(wait_primary(api, 1), 1);
    stop_worker();
    /* Each silent run was cancelled exactly once (by its deadline, or by
     * stop) and none reported; west's runs reported, but for one that may
     * have been pending at stop. */
    seen_t east = runs_on_port(8001), west = runs_on_port(8002);
    assert_true(east.runs >= 1);
    assert_int_equal(east.reports, 0);
    assert_int_equal(east.cancels, east.runs);
    assert_true(west.cancels <= 1);
    assert_int_equal(west.reports + west.cancels, west.runs);
}

/* Three endpoints, two checks; west's run is still pending at stop. */
static const char *STOP_ZONE = SB_TEST_HEADER "api profile priority ttl=30 {\n"
                                              "    monitor tcp port=8001 interval=10s timeout=5s\n"
                                              "    endpoint east 127.0.0.10 priority=1\n"
                                              "    endpoint east-again 127.0.0.10 priority=2\n"
                                              "    endpoint west 127.0.0.11 priority=3 port=8002\n"
                                              "}\n";

static void stop_cancels_releases_and_closes(void **state)
{
    (void)state;
    set_verdict(8002, VERDICT_SILENT);
    sb_prober_t *p = start_worker(STOP_ZONE);
    size_t checks = sb_prober_check_count(p);
    assert_int_equal(checks, 2);
    assert_int_equal(wait_counted(START, 2), 2);
    assert_int_equal(wait_counted(REPORT, 1), 1);
    assert_int_equal(counted(RELEASE), 0);
    assert_int_equal(counted(ENGINE_CLOSE), 0);
    stop_worker();
    assert_int_equal(counted(CANCEL), 1); /* west's pending run */
    assert_int_equal(counted(RELEASE), checks);
    assert_int_equal(counted(ENGINE_CLOSE), 1);
    /* Their handles closed before the worker's thread ended. */
    assert_int_equal(counted(ENGINE_FREED), 1);
    assert_int_equal(counted(TIMER_FREED), checks);
}

/* The worker for `zone`, with the HTTP-only table, must fail to start. */
static void refused_without_a_type(const char *zone)
{
    reset(NULL);
    assert_int_equal(try_worker(zone, http_types), -ENOTSUP);
    assert_null(worker);
    assert_int_equal(counted(START), 0);
    stop_worker();
}

static void a_protocol_without_a_type_is_refused(void **state)
{
    (void)state;
    refused_without_a_type(FAILOVER_ZONE);
    assert_int_equal(counted(ENGINE_OPEN), 1);
    assert_int_equal(counted(RELEASE), 0);
    stop_and_check(NULL);
    /* An HTTP check added before the TCP one is refused: it is released. */
    refused_without_a_type(SB_TEST_HEADER "web profile priority ttl=30 {\n"
                                          "    monitor http port=8003\n"
                                          "    endpoint east 127.0.0.10 priority=1\n"
                                          "}\n"
                                          "api profile priority ttl=30 {\n"
                                          "    monitor tcp port=8001\n"
                                          "    endpoint east 127.0.0.10 priority=1\n"
                                          "}\n");
    assert_int_equal(counted(RELEASE), 1);
}

static int group_setup(void **state)
{
    (void)state;
    return uv_mutex_init(&seen_lock);
}

static int group_teardown(void **state)
{
    (void)state;
    uv_mutex_destroy(&seen_lock);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(first_round_goes_through_the_table, reset, stop_and_check),
        cmocka_unit_test_setup_teardown(results_reach_health_and_the_answer, reset, stop_and_check),
        cmocka_unit_test_setup_teardown(a_run_never_reported_times_out_and_is_cancelled, reset,
                                        stop_and_check),
        cmocka_unit_test_setup_teardown(stop_cancels_releases_and_closes, reset, stop_and_check),
        cmocka_unit_test_setup_teardown(a_protocol_without_a_type_is_refused, reset,
                                        stop_and_check),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
