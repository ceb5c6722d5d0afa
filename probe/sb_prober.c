/*
 * The probe worker (sb_prober.h): its thread and loop, its life, and the
 * calls other threads make into it. Probing is the scheduler's
 * (sb_probe_sched), the state of profiles and endpoints sb_probe_state's.
 */
#include "sb_prober.h"

#include "sb_check_types.h"
#include "sb_log.h"
#include "sb_monitor.h"
#include "sb_probe_build.h"
#include "sb_probe_metrics.h"
#include "sb_probe_report.h"
#include "sb_peers.h"
#include "sb_probe_sched.h"
#include "sb_probe_state.h"
#include "sb_probe_status.h"
#include "sb_publish.h"

#include <urcu/urcu-memb.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct sb_prober {
    uv_thread_t thread;
    uv_loop_t loop;
    uv_async_t stop;
    sb_gen_t *gen;
    const sb_carry_t *carry; /* during build only */
    size_t carried;
    json_t *removed; /* a reload's: the previous configuration's profiles gone */
    sb_probe_states_t st;
    sb_probe_sched_t sched;
    bool sched_open;
    const sb_check_type_t *const *types;
    const char *resolvers; /* sb_prober_config_t's */
    const sb_addr_t *source_v4, *source_v6;
    unsigned max_in_flight;
    sb_latency_detail_t metrics_latency;
    /* Calls from other threads (overrides, status, carry), one at a time. */
    uv_async_t call_async;
    struct call *call;
    uv_timer_t expiry; /* ends forces and switchovers that were given an end */
    /* In a fleet: the other nodes' views, and this node's told every period. */
    const char *fleet_node;
    sb_peers_t peers;
    bool peers_open;
    uv_timer_t summary;
    uv_check_t flush; /* the changed verdicts of a loop turn, told together */
    void (*tell)(void *arg, char *text);
    void *tell_arg;
    void (*overrides_changed)(void *arg);
    void *overrides_changed_arg;
    /* First-round and start-up handshake with the controlling thread. */
    uv_mutex_t lock;
    uv_cond_t cond;
    size_t first_pending;
    bool wait_interrupted; /* sb_prober_interrupt_wait() */
    bool started;
    int start_status;
};

/* A call from another thread, run on the worker's loop. */
typedef struct call {
    void (*run)(sb_prober_t *p, struct call *call);
    bool done;
    int rc;
    const sb_override_t *override;
    char *why;
    size_t why_len;
    json_t *json;
    void *result; /* for calls that return something else */
} call_t;

/* ---- calls from other threads ------------------------------------------ */

static void on_call(uv_async_t *a)
{
    sb_prober_t *p = a->data;
    uv_mutex_lock(&p->lock);
    call_t *call = p->call;
    p->call = NULL;
    uv_mutex_unlock(&p->lock);
    if (call == NULL)
        return;
    call->run(p, call);
    uv_mutex_lock(&p->lock);
    call->done = true;
    uv_cond_broadcast(&p->cond);
    uv_mutex_unlock(&p->lock);
}

static int call_on_worker(sb_prober_t *p, call_t *call)
{
    uv_mutex_lock(&p->lock);
    while (p->call != NULL) /* another thread's call (a metrics scrape) goes first */
        uv_cond_wait(&p->cond, &p->lock);
    call->done = false;
    p->call = call;
    uv_async_send(&p->call_async);
    while (!call->done)
        uv_cond_wait(&p->cond, &p->lock);
    uv_mutex_unlock(&p->lock);
    return call->rc;
}

/* ---- calls from other threads, run on the worker's -------------------- */

static void run_override(sb_prober_t *p, call_t *call)
{
    call->rc = sb_override_apply(&p->st, call->override, call->why, call->why_len);
}

static void run_override_check(sb_prober_t *p, call_t *call)
{
    call->rc = sb_override_check(&p->st, call->override, call->why, call->why_len);
}

static int call_with_override(sb_prober_t *p, void (*run)(sb_prober_t *p, call_t *call),
                              const sb_override_t *o, char *why, size_t why_len)
{
    why[0] = '\0';
    call_t call = {.run = run, .override = o, .why = why, .why_len = why_len};
    return call_on_worker(p, &call);
}

int sb_prober_override(sb_prober_t *p, const sb_override_t *o, char *why, size_t why_len)
{
    return call_with_override(p, run_override, o, why, why_len);
}

int sb_prober_override_check(sb_prober_t *p, const sb_override_t *o, char *why, size_t why_len)
{
    return call_with_override(p, run_override_check, o, why, why_len);
}

/* Every profile decides again: the fleet's views changed. */
static void decide_all(sb_prober_t *p)
{
    for (size_t i = 0; i < p->st.profile_count; i++)
        sb_publish_profile(&p->st.profiles[i], "fleet");
}

/* Forces and switchovers whose end has come are undone, and other nodes'
 * views grow stale (checked every second). */
static void on_expiry(uv_timer_t *t)
{
    sb_prober_t *p = t->data;
    int64_t now = sb_probe_state_wall_ms();
    /* The state file keeps what is in force: it must be written again. */
    if (sb_override_expire(&p->st, now) && p->overrides_changed != NULL)
        p->overrides_changed(p->overrides_changed_arg);
    if (p->peers_open && sb_peers_expire(&p->peers, now))
        decide_all(p);
}

static void on_flush(uv_check_t *c)
{
    sb_prober_t *p = c->data;
    sb_peers_flush(&p->peers);
}

static void on_summary(uv_timer_t *t)
{
    sb_prober_t *p = t->data;
    sb_peers_summary(&p->peers, &p->st);
}

static void run_peer_message(sb_prober_t *p, call_t *call)
{
    int64_t now = sb_probe_state_wall_ms();
    if (p->peers_open && sb_peers_take(&p->peers, &p->st, call->result, now)) {
        sb_peers_expire(&p->peers, now);
        decide_all(p);
    }
    call->rc = 0;
}

void sb_prober_peer_message(sb_prober_t *p, const sb_verdicts_t *m)
{
    call_t call = {.run = run_peer_message, .result = (void *)m};
    call_on_worker(p, &call);
}

/* In a fleet: the other nodes' views, and this node's told every period. */
static int open_peers(sb_prober_t *p)
{
    if (p->fleet_node == NULL)
        return 0;
    int rc = sb_peers_init(&p->peers, &p->st, p->fleet_node);
    if (rc < 0)
        return rc;
    sb_carry_peers(p->carry, &p->peers, &p->st);
    p->peers.tell = p->tell;
    p->peers.tell_arg = p->tell_arg;
    p->peers_open = true;
    uv_timer_init(&p->loop, &p->summary);
    p->summary.data = p;
    uv_timer_start(&p->summary, on_summary, SB_VERDICTS_PERIOD_MS, SB_VERDICTS_PERIOD_MS);
    uv_check_init(&p->loop, &p->flush);
    p->flush.data = p;
    uv_check_start(&p->flush, on_flush);
    return 0;
}

/* The profiles `names` (call->result) selects, into selected[] (a profile
 * named twice is shown once). */
static int select_profiles(sb_prober_t *p, const json_t *names, bool *selected, call_t *call)
{
    size_t i;
    const json_t *name;
    json_array_foreach(names, i, name)
    {
        sb_profile_state_t *ps;
        int rc = sb_probe_state_resolve_profile(&p->st, json_string_value(name), &ps, call->why,
                                                call->why_len);
        if (rc < 0)
            return rc;
        selected[ps - p->st.profiles] = true;
    }
    return 0;
}

/* A status call's question and answer. */
typedef struct {
    const sb_prober_status_query_t *q;
    char *text;
    size_t len;
} status_call_t;

static void run_status(sb_prober_t *p, call_t *call)
{
    status_call_t *sc = call->result;
    static const sb_prober_status_query_t all = {0};
    const sb_prober_status_query_t *q = sc->q != NULL ? sc->q : &all;
    bool *selected = NULL;
    sb_probe_load_t load = sb_probe_sched_load(&p->sched);
    if (json_array_size(q->names) > 0) {
        if ((selected = calloc(p->st.profile_count + 1, sizeof(*selected))) == NULL) {
            snprintf(call->why, call->why_len, "out of memory");
            call->rc = -ENOMEM;
            return;
        }
        if ((call->rc = select_profiles(p, q->names, selected, call)) < 0) {
            free(selected);
            return;
        }
    }
    sb_status_filter_t f = {selected, q->down, q->offset, q->limit};
    sc->text = sb_probe_status_text(&p->st, p->gen, &load, &f, &sc->len);
    free(selected);
    call->rc = sc->text != NULL ? 0 : -ENOMEM;
    if (sc->text == NULL)
        snprintf(call->why, call->why_len, "out of memory");
}

/* Run `run` on the worker and hand over the JSON it made. */
static json_t *call_for_json(sb_prober_t *p, void (*run)(sb_prober_t *p, call_t *call))
{
    call_t call = {.run = run};
    call_on_worker(p, &call);
    return call.json;
}

char *sb_prober_status_text(sb_prober_t *p, const sb_prober_status_query_t *q, size_t *len,
                            char *why, size_t why_len)
{
    why[0] = '\0';
    status_call_t sc = {.q = q};
    call_t call = {.run = run_status, .result = &sc, .why = why, .why_len = why_len};
    call_on_worker(p, &call);
    *len = sc.len;
    return sc.text;
}

json_t *sb_prober_status(sb_prober_t *p)
{
    char why[64];
    size_t len;
    char *text = sb_prober_status_text(p, NULL, &len, why, sizeof(why));
    json_t *tree = text != NULL ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    return tree;
}

static void run_resolve(sb_prober_t *p, call_t *call)
{
    const sb_override_t *o = call->override; /* the names asked for */
    sb_prober_names_t *out = call->result;
    sb_profile_state_t *ps;
    sb_ep_state_t *es = NULL;
    call->rc = sb_probe_state_resolve_profile(&p->st, o->profile, &ps, call->why, call->why_len);
    if (call->rc == 0 && o->endpoint != NULL)
        call->rc = sb_probe_state_resolve_endpoint(ps, o->endpoint, &es, call->why, call->why_len);
    if (call->rc < 0)
        return;
    snprintf(out->profile, sizeof(out->profile), "%s", ps->profile->owner_text);
    snprintf(out->endpoint, sizeof(out->endpoint), "%s", es != NULL ? es->ep->name : "");
}

int sb_prober_resolve(sb_prober_t *p, const char *profile, const char *endpoint,
                      sb_prober_names_t *out, char *why, size_t why_len)
{
    sb_override_t asked = {.profile = profile, .endpoint = endpoint};
    why[0] = '\0';
    call_t call = {
        .run = run_resolve, .override = &asked, .result = out, .why = why, .why_len = why_len};
    return call_on_worker(p, &call);
}

static void run_overrides(sb_prober_t *p, call_t *call)
{
    call->json = sb_override_list(&p->st);
    call->rc = call->json != NULL ? 0 : -ENOMEM;
}

json_t *sb_prober_overrides(sb_prober_t *p)
{
    return call_for_json(p, run_overrides);
}

static void run_report(sb_prober_t *p, call_t *call)
{
    call->json = sb_probe_report_json(&p->st, p->removed);
    call->rc = call->json != NULL ? 0 : -ENOMEM;
}

json_t *sb_prober_reload_report(sb_prober_t *p)
{
    return call_for_json(p, run_report);
}

static void run_metrics(sb_prober_t *p, call_t *call)
{
    sb_probe_load_t load = sb_probe_sched_load(&p->sched);
    sb_probe_metrics_write(call->result, &p->st, &load, p->metrics_latency);
    call->rc = 0;
}

void sb_prober_metrics(sb_prober_t *p, sb_metrics_buf_t *out)
{
    call_t call = {.run = run_metrics, .result = out};
    call_on_worker(p, &call);
}

static void run_count(sb_prober_t *p, call_t *call)
{
    size_t *counts = call->result;
    for (size_t i = 0; i < p->st.ep_count; i++)
        counts[p->st.eps[i].health.state]++;
    call->rc = 0;
}

void sb_prober_count_states(sb_prober_t *p, size_t counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    call_t call = {.run = run_count, .result = counts};
    call_on_worker(p, &call);
}

static void run_take(sb_prober_t *p, call_t *call)
{
    call->result = sb_carry_take(&p->st, &p->sched.queue_wait, p->sched.types);
    call->rc = call->result != NULL ? 0 : -ENOMEM;
}

sb_carry_t *sb_prober_carry_take(sb_prober_t *p)
{
    call_t call = {.run = run_take};
    call_on_worker(p, &call);
    return call.result;
}

/* ---- the thread ---------------------------------------------------------- */

/* A check's first result: one fewer for the first round to wait for. */
static void first_round_progress(void *arg)
{
    sb_prober_t *p = arg;
    uv_mutex_lock(&p->lock);
    if (p->first_pending > 0 && --p->first_pending == 0)
        uv_cond_broadcast(&p->cond);
    uv_mutex_unlock(&p->lock);
}

/* Close everything the thread opened; the loop then runs until every
 * handle's close callback has run. */
static void teardown(sb_prober_t *p)
{
    if (p->sched_open)
        sb_probe_sched_close(&p->sched);
    if (p->call_async.loop != NULL && !uv_is_closing((uv_handle_t *)&p->call_async))
        uv_close((uv_handle_t *)&p->call_async, NULL);
    if (p->expiry.loop != NULL && !uv_is_closing((uv_handle_t *)&p->expiry))
        uv_close((uv_handle_t *)&p->expiry, NULL);
    if (p->summary.loop != NULL && !uv_is_closing((uv_handle_t *)&p->summary))
        uv_close((uv_handle_t *)&p->summary, NULL);
    if (p->flush.loop != NULL && !uv_is_closing((uv_handle_t *)&p->flush))
        uv_close((uv_handle_t *)&p->flush, NULL);
    if (!uv_is_closing((uv_handle_t *)&p->stop))
        uv_close((uv_handle_t *)&p->stop, NULL);
}

static void on_stop(uv_async_t *a)
{
    teardown(a->data);
}

/* Endpoints with a monitor: the most checks the scheduler may be given (a
 * run is 864 bytes; sized by every endpoint, the unprobed ones cost as
 * much as the probed). */
static size_t monitored_endpoints(const sb_gen_t *gen)
{
    size_t n = 0;
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        const sb_profile_t *prof = sb_gen_profile(gen, i);
        for (uint16_t k = 0; k < prof->count; k++)
            n += prof->endpoints[k].monitor->proto != SB_MONITOR_NONE;
    }
    return n;
}

static int open_scheduler(sb_prober_t *p)
{
    sb_probe_sched_config_t cfg = {
        .types = p->types,
        .resolvers = p->resolvers,
        .source_v4 = p->source_v4,
        .source_v6 = p->source_v6,
        .max_in_flight = p->max_in_flight,
        .run_cap = monitored_endpoints(p->gen),
        .first_result = first_round_progress,
        .first_result_arg = p,
    };
    p->sched_open = true;
    return sb_probe_sched_open(&p->sched, &p->loop, &cfg);
}

static int thread_setup(sb_prober_t *p)
{
    int rc;
    if ((rc = uv_async_init(&p->loop, &p->call_async, on_call)) < 0)
        return rc;
    p->call_async.data = p;
    uv_timer_init(&p->loop, &p->expiry);
    p->expiry.data = p;
    uv_timer_start(&p->expiry, on_expiry, 1000, 1000);
    if ((rc = open_scheduler(p)) < 0)
        return rc;
    if ((rc = sb_probe_build(&p->st, &p->sched, p->gen, p->carry, &p->carried)) < 0)
        return rc;
    if (p->carry != NULL) /* out of memory: the report lists none */
        p->removed = sb_carry_removed(p->carry, &p->st);
    if ((rc = open_peers(p)) < 0)
        return rc;
    for (size_t i = 0; i < p->st.profile_count; i++)
        sb_publish_profile(&p->st.profiles[i],
                           "probe"); /* endpoints with no monitor are known at once */
    return 0;
}

static void thread_main(void *arg)
{
    sb_prober_t *p = arg;
    /* Publishing a routing decision hands the one it replaces to call_rcu,
     * which wants a registered thread. */
    urcu_memb_register_thread();
    int rc = uv_async_init(&p->loop, &p->stop, on_stop);
    p->stop.data = p;
    if (rc == 0)
        rc = thread_setup(p);
    size_t pending = rc == 0 ? sb_probe_sched_first_pending(&p->sched) : 0;
    uv_mutex_lock(&p->lock);
    p->start_status = rc;
    p->carry = NULL; /* the caller may free it once started */
    p->started = true;
    p->first_pending = pending;
    uv_cond_broadcast(&p->cond);
    uv_mutex_unlock(&p->lock);
    if (rc == 0) {
        sb_probe_sched_start(&p->sched); /* results may come at once: after the unlock */
    } else {
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_ERROR, "prober-failed", "reason=%s",
               sb_log_quote(q, sizeof(q),
                            rc == -ENOTSUP ? "a monitor has no probe type" : uv_strerror(rc),
                            true));
        if (p->stop.loop != NULL)
            teardown(p);
    }
    uv_run(&p->loop, UV_RUN_DEFAULT);
    urcu_memb_unregister_thread();
}

static void prober_free(sb_prober_t *p)
{
    sb_probe_sched_free(&p->sched);
    sb_peers_free(&p->peers);
    sb_probe_state_free(&p->st);
    json_decref(p->removed);
    uv_mutex_destroy(&p->lock);
    uv_cond_destroy(&p->cond);
    free(p);
}

/* The loop, the lock and the condition the caller and the thread share;
 * nothing left made when one fails. */
static int init_sync(sb_prober_t *p)
{
    int rc = uv_loop_init(&p->loop);
    if (rc < 0)
        return rc;
    if ((rc = uv_mutex_init(&p->lock)) < 0) {
        uv_loop_close(&p->loop);
        return rc;
    }
    if ((rc = uv_cond_init(&p->cond)) < 0) {
        uv_mutex_destroy(&p->lock);
        uv_loop_close(&p->loop);
    }
    return rc;
}

/* Every handle must be closed by now: one left open is a probe type that
 * broke its contract (release or engine_close forgot a handle). */
static void close_loop(sb_prober_t *p)
{
    int rc = uv_loop_close(&p->loop);
    if (rc < 0)
        sb_log(SB_LOG_ERROR, "prober-leak",
               "reason=\"a handle was left open on the probe worker's loop: %s\"", uv_strerror(rc));
}

/* ---- the API -------------------------------------------------------------- */

int sb_prober_start(sb_prober_t **out, sb_gen_t *gen, const sb_prober_config_t *cfg,
                    const sb_carry_t *carry)
{
    sb_prober_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    p->gen = gen;
    p->carry = carry;
    p->max_in_flight = cfg->max_in_flight;
    p->metrics_latency = cfg->metrics_latency;
    p->resolvers = cfg->resolvers;
    p->source_v4 = cfg->source_v4;
    p->source_v6 = cfg->source_v6;
    p->fleet_node = cfg->fleet_node;
    p->tell = cfg->tell;
    p->tell_arg = cfg->tell_arg;
    p->types = cfg->check_types != NULL ? cfg->check_types : sb_check_types_builtin;
    p->overrides_changed = cfg->overrides_changed;
    p->overrides_changed_arg = cfg->overrides_changed_arg;
    int rc = init_sync(p);
    if (rc < 0) {
        free(p);
        return rc;
    }
    if ((rc = uv_thread_create(&p->thread, thread_main, p)) < 0) {
        close_loop(p);
        prober_free(p);
        return rc;
    }
    uv_mutex_lock(&p->lock);
    while (!p->started)
        uv_cond_wait(&p->cond, &p->lock);
    rc = p->start_status;
    uv_mutex_unlock(&p->lock);
    if (rc < 0) {
        uv_thread_join(&p->thread);
        close_loop(p);
        prober_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

uint32_t sb_prober_first_round_bound(const sb_gen_t *gen, unsigned max_in_flight)
{
    uint32_t longest = 0;
    size_t endpoints = 0;
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        const sb_profile_t *p = sb_gen_profile(gen, i);
        endpoints += p->count;
        for (uint16_t k = 0; k < p->count; k++) {
            if (p->endpoints[k].monitor->timeout_ms > longest)
                longest = p->endpoints[k].monitor->timeout_ms;
        }
    }
    size_t waves = max_in_flight == 0 ? endpoints : (endpoints + max_in_flight - 1) / max_in_flight;
    uint64_t bound = (uint64_t)longest * (waves > 0 ? waves : 1);
    return bound > UINT32_MAX ? UINT32_MAX : (uint32_t)bound;
}

bool sb_prober_wait_first_round(sb_prober_t *p, uint32_t timeout_ms)
{
    uint64_t deadline = uv_hrtime() + (uint64_t)timeout_ms * 1000000;
    uv_mutex_lock(&p->lock);
    while (p->first_pending > 0 && !p->wait_interrupted) {
        uint64_t now = uv_hrtime();
        if (now >= deadline || uv_cond_timedwait(&p->cond, &p->lock, deadline - now) != 0)
            break;
    }
    bool done = p->first_pending == 0;
    uv_mutex_unlock(&p->lock);
    return done;
}

void sb_prober_interrupt_wait(sb_prober_t *p)
{
    uv_mutex_lock(&p->lock);
    p->wait_interrupted = true;
    uv_cond_broadcast(&p->cond);
    uv_mutex_unlock(&p->lock);
}

size_t sb_prober_endpoint_count(const sb_prober_t *p)
{
    return p->st.ep_count;
}

size_t sb_prober_check_count(const sb_prober_t *p)
{
    return p->sched.run_count;
}

size_t sb_prober_carried_count(const sb_prober_t *p)
{
    return p->carried;
}

void sb_prober_stop(sb_prober_t *p)
{
    if (p == NULL)
        return;
    uv_async_send(&p->stop);
    uv_thread_join(&p->thread);
    close_loop(p);
    prober_free(p);
}
