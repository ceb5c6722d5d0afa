#include "sb_probe_sched.h"

#include "sb_check_types.h"
#include "sb_log.h"
#include "sb_monitor.h"
#include "sb_probe_key.h"
#include "sb_probe_result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JITTER_MAX_MS         100 /* and at most a twentieth of the interval */
#define QUEUE_LOG_EVERY_MS    10000
#define GOLDEN_RATIO_FRACTION 0.6180339887498949

static void run_check(sb_probe_run_t *r);
static void start_next_queued(sb_probe_sched_t *s);

static sb_probe_run_t *run_of(sb_check_t *c)
{
    return (sb_probe_run_t *)c; /* the check is a run's first member */
}

/* ---- the schedule ---------------------------------------------------------- */

static void on_schedule(uv_timer_t *t)
{
    run_check(t->data);
}

/* A little randomness on each run, so that probes that share a phase do
 * not stay in lock-step (xorshift64: cheap, and good enough for this). */
static uint32_t jitter_ms(sb_probe_sched_t *s, uint32_t interval_ms)
{
    uint32_t max = interval_ms / 20 < JITTER_MAX_MS ? interval_ms / 20 : JITTER_MAX_MS;
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return max == 0 ? 0 : (uint32_t)(s->rng % (max + 1));
}

/* Keep the check's cadence: runs are due at phase + k * interval, however
 * long each took; a slot missed (the loop was busy) is skipped. */
static void schedule_next(sb_probe_run_t *r)
{
    sb_probe_sched_t *s = r->sched;
    uint64_t now = uv_now(s->loop);
    uint64_t interval = r->check.monitor->interval_ms;
    r->next_due += interval;
    if (r->next_due <= now)
        r->next_due += ((now - r->next_due) / interval + 1) * interval;
    uint64_t delay = r->next_due - now + jitter_ms(s, r->check.monitor->interval_ms);
    uv_timer_start(&r->schedule, on_schedule, delay, 0);
}

/* ---- the end of a run ------------------------------------------------------ */

static void finish(sb_probe_run_t *r, sb_result_t result)
{
    sb_probe_sched_t *s = r->sched;
    sb_check_t *c = &r->check;
    uv_timer_stop(&r->deadline);
    c->phase = SB_CHECK_IDLE;
    s->inflight--;
    result.latency_ms = sb_check_elapsed(c);
    if (result.reason == SB_REASON_LOCAL) {
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_ERROR, "probe-local-error", "target=%s reason=%s", c->label,
               sb_log_quote(q, sizeof(q), result.text ? result.text : "unknown", true));
    }
    uint64_t now = uv_now(s->loop);
    for (size_t i = 0; i < r->sub_count; i++)
        sb_probe_result_apply(r->subs[i], &result, r->queued_ms, now);
    if (!r->first_done) {
        r->first_done = true;
        if (s->first_round_left > 0 && --s->first_round_left == 0)
            s->queue_logged_at = 0; /* a wait from now on is news: say it at once */
        if (s->first_result != NULL)
            s->first_result(s->first_result_arg);
    }
    schedule_next(r);
    start_next_queued(s);
}

/* The probe type's report (sb_check_report), for a run still probing. */
static void on_result(sb_check_t *c, sb_result_t result)
{
    finish(run_of(c), result);
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

/* ---- probing --------------------------------------------------------------- */

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

static void begin_probe(sb_probe_run_t *r, const sb_addr_t *addrs, size_t count)
{
    sb_check_t *c = &r->check;
    const sb_addr_t *pick = pick_address(c->monitor, addrs, count);
    if (pick == NULL) {
        sb_result_t result = {.reason = SB_REASON_NO_ADDRESS,
                              .text = c->monitor->family == SB_FAMILY_IPV6 ? "no IPv6 address"
                                                                           : "no IPv4 address"};
        finish(r, result);
        return;
    }
    c->addr = *pick;
    c->phase = SB_CHECK_PROBING;
    int rc = c->type->start(c->engine, c);
    if (rc < 0)
        finish(r, start_error(rc));
}

/* A name's addresses, kept for the run after (sb_probe_run_t.cached). */
struct sb_probe_cached {
    uint64_t expires; /* uv_now() ms */
    size_t count;
    sb_addr_t addrs[SB_RESOLVE_MAX];
};

/* Keep a lookup's answer for its TTL, at least an interval. False out of
 * memory. */
static bool cache_answer(sb_probe_run_t *r, const sb_resolved_t *res)
{
    if (r->cached == NULL && (r->cached = malloc(sizeof(*r->cached))) == NULL)
        return false;
    uint64_t ttl_ms = (uint64_t)res->ttl * 1000;
    if (ttl_ms < r->check.monitor->interval_ms)
        ttl_ms = r->check.monitor->interval_ms;
    memcpy(r->cached->addrs, res->addrs, res->count * sizeof(sb_addr_t));
    r->cached->count = res->count;
    r->cached->expires = uv_now(r->sched->loop) + ttl_ms;
    return true;
}

static void on_resolved(void *arg, const char *error, const sb_resolved_t *res)
{
    sb_probe_run_t *r = arg;
    r->lookup_out = false;
    if (r->sched->stopping)
        return;
    bool kept = error == NULL && cache_answer(r, res);
    if (r->check.phase != SB_CHECK_RESOLVING)
        return;
    if (error != NULL) {
        sb_result_t result = {.reason = SB_REASON_RESOLVE_FAILED, .text = error};
        finish(r, result);
        return;
    }
    if (!kept) {
        finish(r, start_error(-ENOMEM));
        return;
    }
    begin_probe(r, r->cached->addrs, r->cached->count);
}

/* ---- deadlines ------------------------------------------------------------- */

static void expire(sb_probe_run_t *r)
{
    sb_check_t *c = &r->check;
    if (c->phase == SB_CHECK_PROBING)
        c->type->cancel(c->engine, c);
    sb_result_t result = {.reason = SB_REASON_TIMEOUT, .number = c->monitor->timeout_ms};
    finish(r, result);
}

/* After the poll that followed the deadlines: runs whose reply was waiting
 * have ended in it; the rest have really timed out. */
static void on_expire_check(uv_check_t *h)
{
    sb_probe_sched_t *s = h->data;
    sb_probe_run_t *r = s->expiring;
    s->expiring = NULL;
    uv_check_stop(&s->expire_check);
    uv_idle_stop(&s->expire_idle);
    while (r != NULL) {
        sb_probe_run_t *next = r->expiring_next;
        r->expiring_next = NULL;
        r->expiring = false;
        if (r->check.phase != SB_CHECK_IDLE && !s->stopping)
            expire(r);
        r = next;
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
    sb_probe_run_t *r = t->data;
    sb_probe_sched_t *s = r->sched;
    if (r->expiring)
        return;
    r->expiring = true;
    r->expiring_next = s->expiring;
    if (s->expiring == NULL) {
        uv_idle_start(&s->expire_idle, on_expire_idle);
        uv_check_start(&s->expire_check, on_expire_check);
    }
    s->expiring = r;
}

/* ---- starting a run -------------------------------------------------------- */

static void start_run(sb_probe_run_t *r)
{
    sb_probe_sched_t *s = r->sched;
    sb_check_t *c = &r->check;
    s->inflight++;
    sb_histogram_add(&s->queue_wait, &sb_histogram_queue_wait, r->queued_ms / 1000.0);
    /* The loop's cached time may be a whole busy pass old; a deadline
     * counted from it would cut this run's timeout short. */
    uv_update_time(s->loop);
    r->run_started = uv_now(s->loop);
    c->run_started_ns = uv_hrtime();
    c->phase = SB_CHECK_RESOLVING;
    uv_timer_start(&r->deadline, on_deadline, c->monitor->timeout_ms, 0);
    if (r->static_count > 0) {
        begin_probe(r, r->static_addrs, r->static_count);
        return;
    }
    if (r->cached != NULL && r->cached->count > 0 && r->cached->expires > r->run_started) {
        begin_probe(r, r->cached->addrs, r->cached->count);
        return;
    }
    if (r->lookup_out)
        return; /* the previous lookup is still out; its answer serves this run */
    r->lookup_out = true;
    int rc = sb_resolver_lookup(s->resolver, c->host, on_resolved, r);
    if (rc < 0) {
        r->lookup_out = false;
        finish(r, start_error(rc));
    }
}

/* The wait for a slot, said at most every 10 s. In the first round every
 * check probes at once, so a large configuration always waits then: the
 * cap doing its job, said at info. Afterwards a wait means the worker
 * falls behind its schedule: a warning. */
static void log_queue(const sb_probe_sched_t *s, uint64_t now)
{
    bool first_round = s->first_round_left > 0;
    sb_log(
        first_round ? SB_LOG_INFO : SB_LOG_WARNING, "probe-queue",
        "waiting=%zu in_flight=%u max_in_flight=%u oldest_wait_ms=%llu%s reason=\"%s\"", s->queued,
        s->inflight, s->max_inflight, (unsigned long long)(now - s->queue_head->queued_at),
        first_round ? " first_round=yes" : "",
        first_round ? "the first round probes every check at once" : "probes wait for a free slot");
}

/* Past the cap on probes in flight a run waits for a slot rather than
 * failing: a slow moment must not look like an outage. The wait is kept
 * with the result and logged so that it is visible. */
static void enqueue(sb_probe_sched_t *s, sb_probe_run_t *r)
{
    uint64_t now = uv_now(s->loop);
    r->queued_at = now;
    r->queue_next = NULL;
    if (s->queue_tail != NULL)
        s->queue_tail->queue_next = r;
    else
        s->queue_head = r;
    s->queue_tail = r;
    s->queued++;
    if (s->queue_logged_at == 0 || now - s->queue_logged_at >= QUEUE_LOG_EVERY_MS) {
        s->queue_logged_at = now;
        log_queue(s, now);
    }
}

static void start_next_queued(sb_probe_sched_t *s)
{
    while (s->queue_head != NULL && s->inflight < s->max_inflight && !s->stopping) {
        sb_probe_run_t *r = s->queue_head;
        s->queue_head = r->queue_next;
        if (s->queue_head == NULL)
            s->queue_tail = NULL;
        s->queued--;
        r->queued_ms = (uint32_t)(uv_now(s->loop) - r->queued_at);
        start_run(r);
    }
}

static void run_check(sb_probe_run_t *r)
{
    sb_probe_sched_t *s = r->sched;
    if (s->inflight >= s->max_inflight) {
        enqueue(s, r);
        return;
    }
    r->queued_ms = 0;
    start_run(r);
}

/* ---- adding checks --------------------------------------------------------- */

/* The URL host (and Host header, and TLS name) of a probe: the target
 * without its final dot, an IPv6 address in brackets. */
static char *url_host(const sb_endpoint_t *ep)
{
    char buf[SB_NAME_TEXT_MAX + 4];
    const char *text = sb_probe_key_target(ep);
    size_t n = strlen(text);
    sb_addr_t literal;
    if (sb_addr_parse(text, &literal) == 0 && literal.family == 6)
        snprintf(buf, sizeof(buf), "[%s]", text);
    else if (n > 1 && text[n - 1] == '.')
        snprintf(buf, sizeof(buf), "%.*s", (int)(n - 1), text);
    else
        snprintf(buf, sizeof(buf), "%s", text);
    return strdup(buf);
}

/* Addresses known without DNS: an address target or probe-target, or a
 * name's addresses from the served zones. */
static void static_addresses(sb_probe_run_t *r, const sb_endpoint_t *ep)
{
    const char *probe = ep->monitor->probe_host;
    if (probe != NULL) {
        if (sb_addr_parse(probe, &r->literal) == 0) {
            r->static_addrs = &r->literal;
            r->static_count = 1;
        } else {
            r->static_addrs = ep->probe_zone_addrs;
            r->static_count = ep->probe_zone_addr_count;
        }
    } else if (ep->kind != SB_TARGET_NAME) {
        r->static_addrs = &ep->addr;
        r->static_count = 1;
    } else {
        r->static_addrs = ep->zone_addrs;
        r->static_count = ep->zone_addr_count;
    }
}

/* The engine of `type` on this worker, by its place in the table. */
static void *engine_of(const sb_probe_sched_t *s, const sb_check_type_t *type)
{
    for (size_t i = 0; i < s->engines_open; i++) {
        if (s->types[i] == type)
            return s->engines[i];
    }
    return NULL;
}

int sb_probe_sched_add(sb_probe_sched_t *s, sb_ep_state_t *const *subs, size_t sub_count)
{
    const sb_endpoint_t *ep = subs[0]->ep;
    const sb_check_type_t *type = sb_check_types_find(s->types, ep->monitor->proto);
    if (type == NULL) {
        sb_log(SB_LOG_ERROR, "probe-type-missing",
               "profile=%s endpoint=%s protocol=%s reason=\"no probe type takes the protocol\"",
               ep->profile->owner_text, ep->name, sb_monitor_proto_name(ep->monitor->proto));
        return -ENOTSUP;
    }
    if (s->run_count == s->run_cap)
        return -ENOMEM;
    sb_probe_run_t *r = &s->runs[s->run_count];
    r->host = url_host(ep);
    r->subs = malloc(sub_count * sizeof(*r->subs));
    if (r->host == NULL || r->subs == NULL) {
        free(r->host);
        free(r->subs);
        r->host = NULL;
        r->subs = NULL;
        return -ENOMEM;
    }
    s->run_count++;
    memcpy(r->subs, subs, sub_count * sizeof(*r->subs));
    r->sub_count = sub_count;
    r->sched = s;
    r->check = (sb_check_t){.type = type,
                            .engine = engine_of(s, type),
                            .monitor = ep->monitor,
                            .host = r->host,
                            .label = sb_probe_key_target(ep),
                            .source_v4 = s->source_v4,
                            .source_v6 = s->source_v6,
                            .on_result = on_result};
    static_addresses(r, ep);
    uv_timer_init(s->loop, &r->schedule);
    uv_timer_init(s->loop, &r->deadline);
    r->schedule.data = r;
    r->deadline.data = r;
    return 0;
}

/* ---- the scheduler's life -------------------------------------------------- */

int sb_probe_sched_open(sb_probe_sched_t *s, uv_loop_t *loop, const sb_probe_sched_config_t *cfg)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->types = cfg->types;
    s->source_v4 = cfg->source_v4;
    s->source_v6 = cfg->source_v6;
    s->max_inflight = cfg->max_in_flight > 0 ? cfg->max_in_flight : 1;
    s->first_result = cfg->first_result;
    s->first_result_arg = cfg->first_result_arg;
    s->rng = uv_hrtime() | 1;
    uv_check_init(loop, &s->expire_check);
    uv_idle_init(loop, &s->expire_idle);
    s->expire_check.data = s;
    s->expire_open = true;
    s->runs = calloc(cfg->run_cap + 1, sizeof(*s->runs));
    if (s->runs == NULL)
        return -ENOMEM;
    s->run_cap = cfg->run_cap;
    for (size_t i = 0; s->types[i] != NULL; i++) {
        if (i == SB_PROBE_SCHED_MAX_TYPES)
            return -E2BIG;
        const sb_check_type_t *t = s->types[i];
        int rc = t->engine_open != NULL ? t->engine_open(&s->engines[i], loop) : 0;
        if (t->engine_open == NULL)
            s->engines[i] = loop;
        if (rc < 0)
            return rc;
        s->engines_open = i + 1;
    }
    return sb_resolver_new(&s->resolver, loop, cfg->resolvers);
}

size_t sb_probe_sched_first_pending(sb_probe_sched_t *s)
{
    size_t pending = 0;
    for (size_t i = 0; i < s->run_count; i++) {
        sb_probe_run_t *r = &s->runs[i];
        r->first_done = true;
        for (size_t k = 0; k < r->sub_count; k++)
            r->first_done &= r->subs[k]->carried;
        pending += !r->first_done;
    }
    return pending;
}

/* Spread the checks over their intervals: each gets its own phase, by the
 * golden ratio, so that any number of checks is evenly spread and the first
 * round (which runs at once, to decide before serving) is not repeated in
 * lock-step. */
static void assign_phases(sb_probe_sched_t *s)
{
    for (size_t i = 0; i < s->run_count; i++) {
        sb_probe_run_t *r = &s->runs[i];
        double frac = (double)i * GOLDEN_RATIO_FRACTION;
        frac -= (double)(uint64_t)frac;
        r->phase_ms = (uint32_t)(frac * r->check.monitor->interval_ms);
    }
}

void sb_probe_sched_start(sb_probe_sched_t *s)
{
    assign_phases(s);
    uv_update_time(s->loop); /* the clock may date from before a long build */
    uint64_t t0 = uv_now(s->loop);
    s->first_round_left = 0;
    for (size_t i = 0; i < s->run_count; i++)
        s->first_round_left += !s->runs[i].first_done;
    for (size_t i = 0; i < s->run_count; i++) {
        sb_probe_run_t *r = &s->runs[i];
        /* The first round runs now; the next run comes at the check's phase
         * in the following interval. */
        r->next_due = t0 + r->phase_ms;
        run_check(r);
    }
}

sb_probe_load_t sb_probe_sched_load(const sb_probe_sched_t *s)
{
    sb_probe_load_t load = {
        .in_flight = s->inflight,
        .max_in_flight = s->max_inflight,
        .waiting = s->queued,
        .oldest_wait_ms = s->queue_head != NULL ? uv_now(s->loop) - s->queue_head->queued_at : 0,
        .waits = &s->queue_wait,
    };
    return load;
}

static void close_run(sb_probe_run_t *r)
{
    sb_check_t *c = &r->check;
    if (c->phase == SB_CHECK_PROBING)
        c->type->cancel(c->engine, c);
    c->phase = SB_CHECK_IDLE;
    c->type->release(c);
    uv_close((uv_handle_t *)&r->schedule, NULL);
    uv_close((uv_handle_t *)&r->deadline, NULL);
}

void sb_probe_sched_close(sb_probe_sched_t *s)
{
    s->stopping = true;
    for (size_t i = 0; i < s->run_count; i++)
        close_run(&s->runs[i]);
    for (size_t i = 0; i < s->engines_open; i++) {
        if (s->types[i]->engine_close != NULL)
            s->types[i]->engine_close(s->engines[i]);
    }
    s->engines_open = 0;
    sb_resolver_close(s->resolver);
    s->resolver = NULL;
    if (s->expire_open) {
        uv_close((uv_handle_t *)&s->expire_check, NULL);
        uv_close((uv_handle_t *)&s->expire_idle, NULL);
        s->expire_open = false;
    }
}

void sb_probe_sched_free(sb_probe_sched_t *s)
{
    for (size_t i = 0; i < s->run_count; i++) {
        free(s->runs[i].subs);
        free(s->runs[i].host);
        free(s->runs[i].cached);
    }
    free(s->runs);
    s->runs = NULL;
    s->run_count = 0;
}
