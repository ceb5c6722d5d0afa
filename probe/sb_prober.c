#include "sb_prober.h"

#include "sb_check.h"
#include "sb_log.h"
#include "sb_monitor.h"
#include "sb_probe_key.h"
#include "sb_probe_metrics.h"
#include "sb_probe_state.h"
#include "sb_probe_status.h"
#include "sb_publish.h"
#include "sb_resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct sb_prober {
    uv_thread_t thread;
    const sb_carry_t *carry; /* during build only */
    size_t carried;
    uv_loop_t loop;
    uv_async_t stop;
    sb_gen_t *gen;
    sb_probe_states_t st;
    sb_check_t *checks;
    size_t check_count;
    char **hosts; /* per check, the URL host */
    sb_http_t *http;
    sb_resolver_t *resolver;
    const char *resolvers; /* sb_prober_config_t's */
    bool stopping;
    /* Probes in flight, and the checks waiting for a slot, oldest first. */
    unsigned inflight;
    unsigned max_inflight;
    sb_check_t *queue_head, *queue_tail;
    size_t queued;
    uint64_t queue_logged_at;
    sb_histogram_t queue_wait; /* each run's wait for a slot (carried over a reload) */
    uint64_t rng;
    /* Calls from other threads (overrides, status, carry), one at a time. */
    uv_async_t call_async;
    struct call *call;
    uv_timer_t expiry; /* ends forced states that were given a duration */
    void (*overrides_changed)(void *arg);
    void *overrides_changed_arg;
    /* Runs whose deadline passed, judged after the next poll (on_deadline). */
    sb_check_t *expiring;
    uv_check_t expire_check;
    uv_idle_t expire_idle;
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

#define JITTER_MAX_MS         100 /* and at most a twentieth of the interval */
#define QUEUE_LOG_EVERY_MS    10000
#define GOLDEN_RATIO_FRACTION 0.6180339887498949

static void run_check(sb_check_t *c);
static void start_next_queued(sb_prober_t *p);

/* Anti-flap: a change of state counts towards the endpoint's flap limit;
 * past it, the endpoint is held down (not answered) for the hold-down
 * period, however its probes go. Returns true when the hold began. */
static bool note_change(sb_ep_state_t *es, uint64_t now)
{
    const sb_monitor_t *m = es->ep->monitor;
    if (m->flap_limit == 0 || !sb_flap_note_change(&es->flap, now))
        return false;
    bool began = !es->held;
    es->held = true;
    char hold[32];
    sb_value_format_duration(sb_flap_held_until(&es->flap) - now, hold, sizeof(hold));
    if (began)
        sb_log(SB_LOG_WARNING, "endpoint-hold-down",
               "profile=%s endpoint=%s changes=%u window_ms=%u hold_for=%s reason=\"state "
               "changed more than %u times in the window\"",
               es->ps->profile->owner_text, es->ep->name, sb_flap_changes_in_window(&es->flap, now),
               m->flap_window_ms, hold, m->flap_limit);
    else
        sb_log(SB_LOG_WARNING, "endpoint-hold-down-extended",
               "profile=%s endpoint=%s hold_for=%s reason=\"state changed while held down\"",
               es->ps->profile->owner_text, es->ep->name, hold);
    return began;
}

/* A hold-down ends at the first result after its time is up. */
static bool hold_ended(sb_ep_state_t *es, uint64_t now)
{
    if (!es->held || sb_flap_held(&es->flap, now))
        return false;
    es->held = false;
    sb_log(SB_LOG_INFO, "endpoint-hold-down-end", "profile=%s endpoint=%s state=%s",
           es->ps->profile->owner_text, es->ep->name, sb_health_state_name(es->health.state));
    return true;
}

static void apply_result(sb_ep_state_t *es, const sb_result_t *r, uint32_t queued_ms, uint64_t now)
{
    sb_health_state_t before = es->health.state;
    es->last = *r;
    sb_history_add(&es->history, sb_probe_state_wall_ms(), r, queued_ms);
    sb_probe_state_count(es, r);
    bool ended = hold_ended(es, now);
    if (!sb_health_feed(&es->health, sb_result_ok(r))) {
        if (ended)
            sb_publish_profile(es->ps, "hold-down-end");
        return;
    }
    char words[256], q[SB_LOG_QUOTE_MAX];
    sb_result_format(r, words, sizeof(words));
    es->since_ms = sb_probe_state_wall_ms();
    es->stats.changes++;
    sb_log(es->health.state == SB_HEALTH_DOWN ? SB_LOG_WARNING : SB_LOG_INFO, "endpoint-state",
           "profile=%s endpoint=%s target=%s from=%s to=%s reason=%s latency_ms=%u%s",
           es->ps->profile->owner_text, es->ep->name, es->ep->target_text,
           sb_health_state_name(before), sb_health_state_name(es->health.state),
           sb_log_quote(q, sizeof(q), words, true), r->latency_ms, es->held ? " held=yes" : "");
    bool began = before != SB_HEALTH_CHECKING && note_change(es, now);
    sb_publish_profile(es->ps, began ? "hold-down" : "probe");
}

/* ---- a run of a check ---------------------------------------------------- */

uint32_t sb_check_elapsed(const sb_check_t *c)
{
    /* The loop's cached time can lag a busy iteration; latency wants now. */
    return (uint32_t)((uv_hrtime() - c->run_started_ns) / 1000000);
}

static void first_round_progress(sb_prober_t *p)
{
    uv_mutex_lock(&p->lock);
    if (p->first_pending > 0 && --p->first_pending == 0)
        uv_cond_broadcast(&p->cond);
    uv_mutex_unlock(&p->lock);
}

static void on_schedule(uv_timer_t *t)
{
    run_check(t->data);
}

/* A little randomness on each run, so that probes that share a phase do
 * not stay in lock-step (xorshift64: cheap, and good enough for this). */
static uint32_t jitter_ms(sb_prober_t *p, uint32_t interval_ms)
{
    uint32_t max = interval_ms / 20 < JITTER_MAX_MS ? interval_ms / 20 : JITTER_MAX_MS;
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    return max == 0 ? 0 : (uint32_t)(p->rng % (max + 1));
}

/* Keep the check's cadence: runs are due at phase + k * interval, however
 * long each took; a slot missed (the loop was busy) is skipped. */
static void schedule_next(sb_check_t *c)
{
    sb_prober_t *p = c->prober;
    uint64_t now = uv_now(&p->loop);
    uint64_t interval = c->monitor->interval_ms;
    c->next_due += interval;
    if (c->next_due <= now)
        c->next_due += ((now - c->next_due) / interval + 1) * interval;
    uint64_t delay = c->next_due - now + jitter_ms(p, c->monitor->interval_ms);
    uv_timer_start(&c->schedule, on_schedule, delay, 0);
}

static void finish(sb_check_t *c, sb_result_t r)
{
    sb_prober_t *p = c->prober;
    uv_timer_stop(&c->deadline);
    c->phase = SB_CHECK_IDLE;
    p->inflight--;
    r.latency_ms = sb_check_elapsed(c);
    if (r.reason == SB_REASON_LOCAL) {
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_ERROR, "probe-local-error", "target=%s reason=%s", c->label,
               sb_log_quote(q, sizeof(q), r.text ? r.text : "unknown", true));
    }
    uint64_t now = uv_now(&p->loop);
    for (size_t i = 0; i < c->sub_count; i++)
        apply_result(c->subs[i], &r, c->queued_ms, now);
    if (!c->first_done) {
        c->first_done = true;
        first_round_progress(p);
    }
    schedule_next(c);
    start_next_queued(p);
}

void sb_check_report(sb_check_t *c, sb_result_t r)
{
    if (c->phase != SB_CHECK_PROBING)
        return; /* a late report for a run that already ended */
    finish(c, r);
}

static sb_result_t start_error(int rc)
{
    sb_result_t r = {.reason = SB_REASON_CONNECT_FAILED, .text = uv_strerror(rc)};
    if (rc == UV_ENOMEM || rc == UV_EMFILE || rc == UV_ENFILE || rc == UV_ENOBUFS)
        r.reason = SB_REASON_LOCAL;
    else if (rc == UV_ENETUNREACH || rc == UV_EHOSTUNREACH)
        r.reason = SB_REASON_UNREACHABLE;
    else if (rc == UV_ECONNREFUSED)
        r.reason = SB_REASON_REFUSED;
    return r;
}

/* The address to probe, by the monitor's family preference; NULL when the
 * name has none of the family required. */
static const sb_addr_t *pick_address(const sb_monitor_t *m, const sb_addr_t *addrs, size_t count)
{
    uint8_t want = m->family == SB_FAMILY_IPV6_FIRST || m->family == SB_FAMILY_IPV6 ? 6 : 4;
    for (size_t i = 0; i < count; i++) {
        if (addrs[i].family == want)
            return &addrs[i];
    }
    bool strict = m->family == SB_FAMILY_IPV4 || m->family == SB_FAMILY_IPV6;
    return strict || count == 0 ? NULL : &addrs[0];
}

static void begin_probe(sb_check_t *c, const sb_addr_t *addrs, size_t count)
{
    const sb_addr_t *pick = pick_address(c->monitor, addrs, count);
    if (pick == NULL) {
        sb_result_t r = {.reason = SB_REASON_NO_ADDRESS,
                         .text = c->monitor->family == SB_FAMILY_IPV6 ? "no IPv6 address"
                                                                      : "no IPv4 address"};
        finish(c, r);
        return;
    }
    c->addr = *pick;
    c->phase = SB_CHECK_PROBING;
    sb_prober_t *p = c->prober;
    int rc =
        c->monitor->proto == SB_MONITOR_TCP ? sb_tcp_start(&p->loop, c) : sb_http_start(p->http, c);
    if (rc < 0)
        finish(c, start_error(rc));
}

static void on_resolved(void *arg, const char *error, const sb_resolved_t *res)
{
    sb_check_t *c = arg;
    sb_prober_t *p = c->prober;
    c->run_seq &= ~1u; /* clear "lookup outstanding" */
    if (p->stopping)
        return;
    if (error == NULL) {
        uint64_t ttl_ms = (uint64_t)res->ttl * 1000;
        if (ttl_ms < c->monitor->interval_ms)
            ttl_ms = c->monitor->interval_ms;
        memcpy(c->cached, res->addrs, res->count * sizeof(sb_addr_t));
        c->cached_count = res->count;
        c->cache_expires = uv_now(&p->loop) + ttl_ms;
    }
    if (c->phase != SB_CHECK_RESOLVING)
        return;
    if (error != NULL) {
        sb_result_t r = {.reason = SB_REASON_RESOLVE_FAILED, .text = error};
        finish(c, r);
        return;
    }
    begin_probe(c, c->cached, c->cached_count);
}

static void expire(sb_check_t *c)
{
    if (c->phase == SB_CHECK_PROBING) {
        if (c->monitor->proto == SB_MONITOR_TCP)
            sb_tcp_cancel(c);
        else
            sb_http_cancel(c->prober->http, c);
    }
    sb_result_t r = {.reason = SB_REASON_TIMEOUT, .number = c->monitor->timeout_ms};
    finish(c, r);
}

/* After the poll that followed the deadlines: runs whose reply was waiting
 * have ended in it; the rest have really timed out. */
static void on_expire_check(uv_check_t *h)
{
    sb_prober_t *p = h->data;
    sb_check_t *c = p->expiring;
    p->expiring = NULL;
    uv_check_stop(&p->expire_check);
    uv_idle_stop(&p->expire_idle);
    while (c != NULL) {
        sb_check_t *next = c->expiring_next;
        c->expiring_next = NULL;
        c->expiring = false;
        if (c->phase != SB_CHECK_IDLE && !p->stopping)
            expire(c);
        c = next;
    }
}

static void on_expire_idle(uv_idle_t *h)
{
    (void)h; /* only there so that the next poll does not wait */
}

/* A deadline is judged after one more look at the sockets. libuv runs due
 * timers before it polls, so on a busy loop a deadline can come up while
 * the reply that beat it waits, unread, in the kernel: failing the run then
 * would blame the endpoint for the worker's own delay (and at 10,000
 * endpoints a saturated worker took healthy endpoints down that way). The
 * extra look costs nothing when the loop is idle: the poll returns at once. */
static void on_deadline(uv_timer_t *t)
{
    sb_check_t *c = t->data;
    sb_prober_t *p = c->prober;
    if (c->expiring)
        return;
    c->expiring = true;
    c->expiring_next = p->expiring;
    if (p->expiring == NULL) {
        uv_idle_start(&p->expire_idle, on_expire_idle);
        uv_check_start(&p->expire_check, on_expire_check);
    }
    p->expiring = c;
}

static void start_run(sb_check_t *c)
{
    sb_prober_t *p = c->prober;
    p->inflight++;
    sb_histogram_add(&p->queue_wait, &sb_histogram_queue_wait, c->queued_ms / 1000.0);
    /* The loop's cached time may be a whole busy pass old; a deadline
     * counted from it would cut this run's timeout short. */
    uv_update_time(&p->loop);
    c->run_started = uv_now(&p->loop);
    c->run_started_ns = uv_hrtime();
    c->phase = SB_CHECK_RESOLVING;
    uv_timer_start(&c->deadline, on_deadline, c->monitor->timeout_ms, 0);
    if (c->static_count > 0) {
        begin_probe(c, c->static_addrs, c->static_count);
        return;
    }
    if (c->cached_count > 0 && c->cache_expires > c->run_started) {
        begin_probe(c, c->cached, c->cached_count);
        return;
    }
    if (c->run_seq & 1u)
        return; /* the previous lookup is still out; its answer serves this run */
    c->run_seq |= 1u;
    int rc = sb_resolver_lookup(p->resolver, c->host, on_resolved, c);
    if (rc < 0) {
        c->run_seq &= ~1u;
        finish(c, start_error(rc));
    }
}

/* Past the cap on probes in flight a run waits for a slot rather than
 * failing: a slow moment must not look like an outage. The wait is kept
 * with the result and logged (at most every 10 s) so that it is visible. */
static void enqueue(sb_prober_t *p, sb_check_t *c)
{
    uint64_t now = uv_now(&p->loop);
    c->queued_at = now;
    c->queue_next = NULL;
    if (p->queue_tail != NULL)
        p->queue_tail->queue_next = c;
    else
        p->queue_head = c;
    p->queue_tail = c;
    p->queued++;
    if (p->queue_logged_at == 0 || now - p->queue_logged_at >= QUEUE_LOG_EVERY_MS) {
        p->queue_logged_at = now;
        sb_log(SB_LOG_WARNING, "probe-queue",
               "waiting=%zu in_flight=%u max_in_flight=%u oldest_wait_ms=%llu "
               "reason=\"probes wait for a free slot\"",
               p->queued, p->inflight, p->max_inflight,
               (unsigned long long)(now - p->queue_head->queued_at));
    }
}

static void start_next_queued(sb_prober_t *p)
{
    while (p->queue_head != NULL && p->inflight < p->max_inflight && !p->stopping) {
        sb_check_t *c = p->queue_head;
        p->queue_head = c->queue_next;
        if (p->queue_head == NULL)
            p->queue_tail = NULL;
        p->queued--;
        c->queued_ms = (uint32_t)(uv_now(&p->loop) - c->queued_at);
        start_run(c);
    }
}

static void run_check(sb_check_t *c)
{
    sb_prober_t *p = c->prober;
    if (p->inflight >= p->max_inflight) {
        enqueue(p, c);
        return;
    }
    c->queued_ms = 0;
    start_run(c);
}

/* ---- building the worker's view of a generation ------------------------- */

static char *url_host(const sb_endpoint_t *ep)
{
    char buf[SB_NAME_TEXT_MAX + 4];
    const char *text = sb_probe_key_target(ep);
    size_t n = strlen(text);
    struct in6_addr a6;
    if (inet_pton(AF_INET6, text, &a6) == 1)
        snprintf(buf, sizeof(buf), "[%s]", text);
    else if (n > 1 && text[n - 1] == '.')
        snprintf(buf, sizeof(buf), "%.*s", (int)(n - 1), text);
    else
        snprintf(buf, sizeof(buf), "%s", text);
    return strdup(buf);
}

/* Addresses known without DNS: an address target or probe-target, or a
 * name's addresses from the served zones. */
static void static_addresses(sb_check_t *c, const sb_endpoint_t *ep)
{
    const char *probe = ep->monitor->probe_host;
    if (probe != NULL) {
        if (inet_pton(AF_INET, probe, c->literal.bytes) == 1) {
            c->literal.family = 4;
        } else if (inet_pton(AF_INET6, probe, c->literal.bytes) == 1) {
            c->literal.family = 6;
        } else {
            c->static_addrs = ep->probe_zone_addrs;
            c->static_count = ep->probe_zone_addr_count;
            return;
        }
        c->static_addrs = &c->literal;
        c->static_count = 1;
    } else if (ep->kind != SB_TARGET_NAME) {
        c->static_addrs = &ep->addr;
        c->static_count = 1;
    } else {
        c->static_addrs = ep->zone_addrs;
        c->static_count = ep->zone_addr_count;
    }
}

static int add_check(sb_prober_t *p, sb_ep_state_t **subs, size_t sub_count)
{
    sb_endpoint_t *ep = subs[0]->ep;
    sb_check_t *c = &p->checks[p->check_count];
    char *host = url_host(ep);
    sb_ep_state_t **own = malloc(sub_count * sizeof(*own));
    if (host == NULL || own == NULL) {
        free(host);
        free(own);
        return -ENOMEM;
    }
    memcpy(own, subs, sub_count * sizeof(*own));
    p->hosts[p->check_count++] = host;
    c->prober = p;
    c->monitor = ep->monitor;
    c->host = host;
    c->label = sb_probe_key_target(ep);
    static_addresses(c, ep);
    c->subs = own;
    c->sub_count = sub_count;
    uv_timer_init(&p->loop, &c->schedule);
    uv_timer_init(&p->loop, &c->deadline);
    c->schedule.data = c;
    c->deadline.data = c;
    return 0;
}

/* ---- shared probes -------------------------------------------------------- */

typedef struct {
    char *key;
    sb_ep_state_t *es;
} keyed_t;

static int cmp_keyed(const void *a, const void *b)
{
    return strcmp(((const keyed_t *)a)->key, ((const keyed_t *)b)->key);
}

/* One check per distinct probe, feeding every endpoint that has it. */
static int add_checks(sb_prober_t *p, keyed_t *probed, size_t n)
{
    if (n > 1)
        qsort(probed, n, sizeof(*probed), cmp_keyed);
    sb_ep_state_t **group = malloc((n + 1) * sizeof(*group));
    if (group == NULL)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t j = i;
        while (j < n && strcmp(probed[j].key, probed[i].key) == 0) {
            group[j - i] = probed[j].es;
            j++;
        }
        rc = add_check(p, group, j - i);
        i = j;
    }
    free(group);
    return rc;
}

/* The first round waits only for checks that feed an endpoint with no
 * health yet: after a reload, unchanged endpoints already have theirs. */
static void first_round_pending(sb_prober_t *p)
{
    p->first_pending = 0;
    for (size_t i = 0; i < p->check_count; i++) {
        sb_check_t *c = &p->checks[i];
        c->first_done = true;
        for (size_t k = 0; k < c->sub_count; k++)
            c->first_done &= c->subs[k]->carried;
        p->first_pending += !c->first_done;
    }
}

/* Spread the checks over their intervals: each gets its own phase, by the
 * golden ratio, so that any number of checks is evenly spread and the first
 * round (which runs at once, to decide before serving) is not repeated in
 * lock-step. */
static void assign_phases(sb_prober_t *p)
{
    for (size_t i = 0; i < p->check_count; i++) {
        sb_check_t *c = &p->checks[i];
        double frac = (double)i * GOLDEN_RATIO_FRACTION;
        frac -= (double)(uint64_t)frac;
        c->phase_ms = (uint32_t)(frac * c->monitor->interval_ms);
    }
}

static int build(sb_prober_t *p)
{
    size_t n_profiles = sb_gen_profile_count(p->gen), n_eps = 0, n_probed = 0;
    for (size_t i = 0; i < n_profiles; i++)
        n_eps += sb_gen_profile(p->gen, i)->count;
    sb_carry_queue_wait(p->carry, &p->queue_wait);
    p->st.profiles = calloc(n_profiles + 1, sizeof(*p->st.profiles));
    p->st.eps = calloc(n_eps + 1, sizeof(*p->st.eps));
    p->checks = calloc(n_eps + 1, sizeof(*p->checks));
    p->hosts = calloc(n_eps + 1, sizeof(*p->hosts));
    keyed_t *probed = calloc(n_eps + 1, sizeof(*probed));
    int rc = -ENOMEM;
    if (!p->st.profiles || !p->st.eps || !p->checks || !p->hosts || !probed)
        goto out;
    for (size_t i = 0; i < n_profiles; i++) {
        sb_profile_state_t *ps = &p->st.profiles[p->st.profile_count++];
        ps->profile = sb_gen_profile(p->gen, i);
        ps->eps = &p->st.eps[p->st.ep_count];
        ps->choice = sb_route_current(ps->profile);
        ps->switchover = SB_PICK_NONE;
        sb_carry_profile(p->carry, ps);
        for (uint16_t k = 0; k < ps->profile->count; k++) {
            sb_ep_state_t *es = &p->st.eps[p->st.ep_count++];
            const sb_monitor_t *m = ps->profile->endpoints[k].monitor;
            es->ep = &ps->profile->endpoints[k];
            es->ps = ps;
            es->since_ms = sb_probe_state_wall_ms();
            sb_health_init(&es->health, m->fall, m->rise);
            sb_flap_init(&es->flap, m->flap_limit, m->flap_window_ms, m->hold_down_ms);
            if (m->proto == SB_MONITOR_NONE) {
                sb_health_force(&es->health, SB_HEALTH_UP);
                sb_carry_endpoint(p->carry, es, NULL);
                continue;
            }
            probed[n_probed].es = es;
            if ((probed[n_probed].key = sb_probe_key(es->ep)) == NULL)
                goto out;
            sb_carry_endpoint(p->carry, es, probed[n_probed++].key);
            p->carried += es->carried;
        }
        sb_carry_check_drains(ps);
    }
    sb_carry_report_dropped(p->carry, &p->st);
    rc = add_checks(p, probed, n_probed);
    assign_phases(p);
    first_round_pending(p);
out:
    for (size_t i = 0; probed != NULL && i < n_probed; i++)
        free(probed[i].key);
    free(probed);
    return rc;
}

/* ---- the thread ---------------------------------------------------------- */

static void close_check(sb_prober_t *p, sb_check_t *c)
{
    if (c->phase == SB_CHECK_PROBING) {
        if (c->monitor->proto == SB_MONITOR_TCP)
            sb_tcp_cancel(c);
        else
            sb_http_cancel(p->http, c);
    }
    c->phase = SB_CHECK_IDLE;
    if (c->monitor->proto == SB_MONITOR_TCP)
        sb_tcp_release(c);
    else
        sb_http_release(c);
    uv_close((uv_handle_t *)&c->schedule, NULL);
    uv_close((uv_handle_t *)&c->deadline, NULL);
}

/* Close everything the thread opened; the loop then runs until every
 * handle's close callback has run. */
static void teardown(sb_prober_t *p)
{
    p->stopping = true;
    for (size_t i = 0; i < p->check_count; i++)
        close_check(p, &p->checks[i]);
    sb_http_close(p->http);
    sb_resolver_close(p->resolver);
    if (p->call_async.loop != NULL && !uv_is_closing((uv_handle_t *)&p->call_async))
        uv_close((uv_handle_t *)&p->call_async, NULL);
    if (p->expiry.loop != NULL && !uv_is_closing((uv_handle_t *)&p->expiry))
        uv_close((uv_handle_t *)&p->expiry, NULL);
    if (p->expire_check.loop != NULL && !uv_is_closing((uv_handle_t *)&p->expire_check)) {
        uv_close((uv_handle_t *)&p->expire_check, NULL);
        uv_close((uv_handle_t *)&p->expire_idle, NULL);
    }
    if (!uv_is_closing((uv_handle_t *)&p->stop))
        uv_close((uv_handle_t *)&p->stop, NULL);
}

static void on_stop(uv_async_t *a)
{
    teardown(a->data);
}

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

int sb_prober_override(sb_prober_t *p, const sb_override_t *o, char *why, size_t why_len)
{
    why[0] = '\0';
    call_t call = {.run = run_override, .override = o, .why = why, .why_len = why_len};
    return call_on_worker(p, &call);
}

/* Forced states given a duration end by themselves (checked every second). */
static void on_expiry(uv_timer_t *t)
{
    sb_prober_t *p = t->data;
    /* The state file keeps what is in force: it must be written again. */
    if (sb_override_expire(&p->st, sb_probe_state_wall_ms()) && p->overrides_changed != NULL)
        p->overrides_changed(p->overrides_changed_arg);
}

static sb_probe_load_t load_of(const sb_prober_t *p)
{
    sb_probe_load_t load = {
        .in_flight = p->inflight,
        .max_in_flight = p->max_inflight,
        .waiting = p->queued,
        .oldest_wait_ms = p->queue_head != NULL ? uv_now(&p->loop) - p->queue_head->queued_at : 0,
        .waits = &p->queue_wait,
    };
    return load;
}

static void run_status(sb_prober_t *p, call_t *call)
{
    sb_probe_load_t load = load_of(p);
    call->json = sb_probe_status_json(&p->st, p->gen, &load);
    call->rc = call->json != NULL ? 0 : -ENOMEM;
}

/* Run `run` on the worker and hand over the JSON it made. */
static json_t *call_for_json(sb_prober_t *p, void (*run)(sb_prober_t *p, call_t *call))
{
    call_t call = {.run = run};
    call_on_worker(p, &call);
    return call.json;
}

json_t *sb_prober_status(sb_prober_t *p)
{
    return call_for_json(p, run_status);
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

static void run_metrics(sb_prober_t *p, call_t *call)
{
    sb_probe_load_t load = load_of(p);
    sb_probe_metrics_write(call->result, &p->st, &load);
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
    call->result = sb_carry_take(&p->st, &p->queue_wait);
    call->rc = call->result != NULL ? 0 : -ENOMEM;
}

sb_carry_t *sb_prober_carry_take(sb_prober_t *p)
{
    call_t call = {.run = run_take};
    call_on_worker(p, &call);
    return call.result;
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
    uv_check_init(&p->loop, &p->expire_check);
    uv_idle_init(&p->loop, &p->expire_idle);
    p->expire_check.data = p;
    if ((rc = sb_http_new(&p->http, &p->loop)) < 0)
        return rc;
    if ((rc = sb_resolver_new(&p->resolver, &p->loop, p->resolvers)) < 0)
        return rc;
    if ((rc = build(p)) < 0)
        return rc;
    for (size_t i = 0; i < p->st.profile_count; i++)
        sb_publish_profile(&p->st.profiles[i],
                           "probe"); /* endpoints with no monitor are known at once */
    return 0;
}

static void thread_main(void *arg)
{
    sb_prober_t *p = arg;
    int rc = uv_async_init(&p->loop, &p->stop, on_stop);
    p->stop.data = p;
    if (rc == 0)
        rc = thread_setup(p);
    uv_mutex_lock(&p->lock);
    p->start_status = rc;
    p->carry = NULL; /* the caller may free it once started */
    p->started = true;
    if (rc < 0)
        p->first_pending = 0;
    uv_cond_broadcast(&p->cond);
    uv_mutex_unlock(&p->lock);
    if (rc < 0) {
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_ERROR, "prober-failed", "reason=%s",
               sb_log_quote(q, sizeof(q), uv_strerror(rc), true));
        if (p->stop.loop != NULL)
            teardown(p);
        uv_run(&p->loop, UV_RUN_DEFAULT);
        return;
    }
    uv_update_time(&p->loop); /* the clock dates from uv_loop_init on another thread */
    uint64_t t0 = uv_now(&p->loop);
    p->rng = uv_hrtime() | 1;
    for (size_t i = 0; i < p->check_count; i++) {
        sb_check_t *c = &p->checks[i];
        /* The first round runs now; the next run comes at the check's phase
         * in the following interval. */
        c->next_due = t0 + c->phase_ms;
        run_check(c);
    }
    uv_run(&p->loop, UV_RUN_DEFAULT);
}

static void prober_free(sb_prober_t *p)
{
    for (size_t i = 0; i < p->check_count; i++) {
        free(p->checks[i].subs);
        free(p->hosts[i]);
    }
    free(p->hosts);
    free(p->checks);
    free(p->st.eps);
    free(p->st.profiles);
    uv_mutex_destroy(&p->lock);
    uv_cond_destroy(&p->cond);
    free(p);
}

int sb_prober_start(sb_prober_t **out, sb_gen_t *gen, const sb_prober_config_t *cfg,
                    const sb_carry_t *carry)
{
    sb_prober_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    p->gen = gen;
    p->carry = carry;
    p->max_inflight = cfg->max_in_flight > 0 ? cfg->max_in_flight : 1;
    p->resolvers = cfg->resolvers;
    p->overrides_changed = cfg->overrides_changed;
    p->overrides_changed_arg = cfg->overrides_changed_arg;
    int rc = uv_loop_init(&p->loop);
    if (rc == 0)
        rc = uv_mutex_init(&p->lock);
    if (rc == 0)
        rc = uv_cond_init(&p->cond);
    if (rc == 0)
        rc = uv_thread_create(&p->thread, thread_main, p);
    if (rc < 0) {
        free(p);
        return rc;
    }
    uv_mutex_lock(&p->lock);
    while (!p->started)
        uv_cond_wait(&p->cond, &p->lock);
    rc = p->start_status;
    uv_mutex_unlock(&p->lock);
    if (rc < 0) {
        uv_thread_join(&p->thread);
        uv_loop_close(&p->loop);
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
    return p->check_count;
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
    uv_loop_close(&p->loop);
    prober_free(p);
}
