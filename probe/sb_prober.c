#include "sb_prober.h"

#include "sb_check.h"
#include "sb_health.h"
#include "sb_log.h"
#include "sb_resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct profile_state profile_state_t;

typedef struct sb_ep_state {
    sb_endpoint_t *ep;
    profile_state_t *ps;
    sb_health_t health;
    sb_result_t last;
} sb_ep_state_t;

struct profile_state {
    sb_profile_t *profile;
    sb_ep_state_t *eps; /* profile->count of them, in priority order */
    sb_choice_t choice;
    bool decided; /* every endpoint has had a first result */
};

struct sb_prober {
    uv_thread_t thread;
    uv_loop_t loop;
    uv_async_t stop;
    sb_gen_t *gen;
    profile_state_t *profiles;
    size_t profile_count;
    sb_ep_state_t *eps;
    size_t ep_count;
    sb_check_t *checks;
    size_t check_count;
    char **hosts; /* per check, the URL host */
    sb_http_t *http;
    sb_resolver_t *resolver;
    bool stopping;
    /* First-round and start-up handshake with the controlling thread. */
    uv_mutex_t lock;
    uv_cond_t cond;
    size_t first_pending;
    bool started;
    int start_status;
};

static void run_check(sb_check_t *c);

/* ---- choosing and publishing -------------------------------------------- */

static const char *endpoint_name(const sb_profile_t *p, uint16_t i)
{
    return i == SB_PICK_NONE ? "none" : p->endpoints[i].name;
}

static void log_choice_change(const profile_state_t *ps, uint16_t from, uint16_t to,
                              bool fail_open_before, bool fail_open, const char *family,
                              const char *cause)
{
    const sb_profile_t *p = ps->profile;
    bool first = strcmp(cause, "first-round") == 0;
    if (to == SB_PICK_NONE && from == SB_PICK_NONE)
        return; /* no endpoint of this family */
    if (first)
        from = SB_PICK_NONE; /* nothing was answered before the first round */
    if (from != to)
        sb_log(SB_LOG_INFO, "answer-change", "profile=%s%s from=%s to=%s cause=%s", p->owner_text,
               family, endpoint_name(p, from), endpoint_name(p, to), cause);
    if (fail_open && !fail_open_before)
        sb_log(SB_LOG_WARNING, "all-down",
               "profile=%s%s answering=%s reason=\"every endpoint is down; failing open to the "
               "highest priority\"",
               p->owner_text, family, endpoint_name(p, to));
    else if (!fail_open && fail_open_before)
        sb_log(SB_LOG_INFO, "all-down-end", "profile=%s%s answering=%s", p->owner_text, family,
               endpoint_name(p, to));
}

/* Recompute and publish the profile's choice. Until every endpoint has had
 * its first result the default choice stands, so that the first round does
 * not move answers back and forth. */
static void reselect(profile_state_t *ps)
{
    const sb_profile_t *p = ps->profile;
    bool usable[p->count];
    for (uint16_t i = 0; i < p->count; i++) {
        if (ps->eps[i].health.state == SB_HEALTH_CHECKING)
            return;
        usable[i] = ps->eps[i].health.state == SB_HEALTH_UP;
    }
    const char *cause = ps->decided ? "probe" : "first-round";
    ps->decided = true;
    sb_choice_t c = sb_profile_choose(p, usable);
    sb_choice_t old = ps->choice;
    if (memcmp(&c, &old, sizeof(c)) == 0 && strcmp(cause, "probe") == 0)
        return;
    sb_profile_publish(ps->profile, c);
    ps->choice = c;
    const char *v4 = p->addresses ? " family=ipv4" : "";
    log_choice_change(ps, old.primary, c.primary, old.primary_fail_open, c.primary_fail_open, v4,
                      cause);
    if (p->addresses)
        log_choice_change(ps, old.v6, c.v6, old.v6_fail_open, c.v6_fail_open, " family=ipv6",
                          cause);
}

static void apply_result(sb_ep_state_t *es, const sb_result_t *r)
{
    sb_health_state_t before = es->health.state;
    es->last = *r;
    if (!sb_health_feed(&es->health, sb_result_ok(r)))
        return;
    char words[256];
    sb_result_format(r, words, sizeof(words));
    sb_log(es->health.state == SB_HEALTH_DOWN ? SB_LOG_WARNING : SB_LOG_INFO, "endpoint-state",
           "profile=%s endpoint=%s target=%s from=%s to=%s reason=\"%s\" latency_ms=%u",
           es->ps->profile->owner_text, es->ep->name, es->ep->target_text,
           sb_health_state_name(before), sb_health_state_name(es->health.state), words,
           r->latency_ms);
    reselect(es->ps);
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

static void finish(sb_check_t *c, sb_result_t r)
{
    sb_prober_t *p = c->prober;
    uv_timer_stop(&c->deadline);
    c->phase = SB_CHECK_IDLE;
    r.latency_ms = sb_check_elapsed(c);
    if (r.reason == SB_REASON_LOCAL)
        sb_log(SB_LOG_ERROR, "probe-local-error", "target=%s reason=\"%s\"", c->label,
               r.text ? r.text : "unknown");
    for (size_t i = 0; i < c->sub_count; i++)
        apply_result(c->subs[i], &r);
    if (!c->first_done) {
        c->first_done = true;
        first_round_progress(p);
    }
    uint64_t now = uv_now(&p->loop);
    uint64_t next = c->run_started + c->monitor->interval_ms;
    uv_timer_start(&c->schedule, on_schedule, next > now ? next - now : 0, 0);
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

static void begin_probe(sb_check_t *c, const sb_addr_t *addrs, size_t count)
{
    const sb_addr_t *pick = NULL;
    for (size_t i = 0; i < count && pick == NULL; i++) {
        if (addrs[i].family == 4)
            pick = &addrs[i];
    }
    if (pick == NULL)
        pick = &addrs[0];
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

static void on_deadline(uv_timer_t *t)
{
    sb_check_t *c = t->data;
    if (c->phase == SB_CHECK_PROBING) {
        if (c->monitor->proto == SB_MONITOR_TCP)
            sb_tcp_cancel(c);
        else
            sb_http_cancel(c->prober->http, c);
    }
    sb_result_t r = {.reason = SB_REASON_TIMEOUT, .number = c->monitor->timeout_ms};
    finish(c, r);
}

static void run_check(sb_check_t *c)
{
    sb_prober_t *p = c->prober;
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

/* ---- building the worker's view of a generation ------------------------- */

static char *url_host(const sb_endpoint_t *ep)
{
    char buf[SB_NAME_TEXT_MAX + 4];
    size_t n = strlen(ep->target_text);
    if (ep->kind == SB_TARGET_V6)
        snprintf(buf, sizeof(buf), "[%s]", ep->target_text);
    else if (ep->kind == SB_TARGET_NAME && n > 1 && ep->target_text[n - 1] == '.')
        snprintf(buf, sizeof(buf), "%.*s", (int)(n - 1), ep->target_text);
    else
        snprintf(buf, sizeof(buf), "%s", ep->target_text);
    return strdup(buf);
}

static int add_check(sb_prober_t *p, sb_ep_state_t *es)
{
    sb_endpoint_t *ep = es->ep;
    sb_check_t *c = &p->checks[p->check_count];
    char *host = url_host(ep);
    sb_ep_state_t **subs = malloc(sizeof(*subs));
    if (host == NULL || subs == NULL) {
        free(host);
        free(subs);
        return -ENOMEM;
    }
    p->hosts[p->check_count++] = host;
    c->prober = p;
    c->monitor = &ep->monitor;
    c->host = host;
    c->label = ep->target_text;
    if (ep->kind != SB_TARGET_NAME) {
        c->static_addrs = &ep->addr;
        c->static_count = 1;
    } else {
        c->static_addrs = ep->zone_addrs;
        c->static_count = ep->zone_addr_count;
    }
    subs[0] = es;
    c->subs = subs;
    c->sub_count = 1;
    uv_timer_init(&p->loop, &c->schedule);
    uv_timer_init(&p->loop, &c->deadline);
    c->schedule.data = c;
    c->deadline.data = c;
    return 0;
}

static int build(sb_prober_t *p)
{
    size_t n_profiles = sb_gen_profile_count(p->gen), n_eps = 0;
    for (size_t i = 0; i < n_profiles; i++)
        n_eps += sb_gen_profile(p->gen, i)->count;
    p->profiles = calloc(n_profiles + 1, sizeof(*p->profiles));
    p->eps = calloc(n_eps + 1, sizeof(*p->eps));
    p->checks = calloc(n_eps + 1, sizeof(*p->checks));
    p->hosts = calloc(n_eps + 1, sizeof(*p->hosts));
    if (!p->profiles || !p->eps || !p->checks || !p->hosts)
        return -ENOMEM;
    for (size_t i = 0; i < n_profiles; i++) {
        profile_state_t *ps = &p->profiles[p->profile_count++];
        ps->profile = sb_gen_profile(p->gen, i);
        ps->eps = &p->eps[p->ep_count];
        ps->choice = sb_profile_current(ps->profile);
        for (uint16_t k = 0; k < ps->profile->count; k++) {
            sb_ep_state_t *es = &p->eps[p->ep_count++];
            es->ep = &ps->profile->endpoints[k];
            es->ps = ps;
            sb_health_init(&es->health, es->ep->monitor.fall, es->ep->monitor.rise);
            if (es->ep->monitor.proto == SB_MONITOR_NONE) {
                sb_health_force(&es->health, SB_HEALTH_UP);
                continue;
            }
            int rc = add_check(p, es);
            if (rc < 0)
                return rc;
        }
    }
    p->first_pending = p->check_count;
    return 0;
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
    if (!uv_is_closing((uv_handle_t *)&p->stop))
        uv_close((uv_handle_t *)&p->stop, NULL);
}

static void on_stop(uv_async_t *a)
{
    teardown(a->data);
}

static int thread_setup(sb_prober_t *p)
{
    int rc;
    if ((rc = sb_http_new(&p->http, &p->loop)) < 0)
        return rc;
    if ((rc = sb_resolver_new(&p->resolver, &p->loop)) < 0)
        return rc;
    if ((rc = build(p)) < 0)
        return rc;
    for (size_t i = 0; i < p->profile_count; i++)
        reselect(&p->profiles[i]); /* endpoints with no monitor are known at once */
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
    p->started = true;
    if (rc < 0)
        p->first_pending = 0;
    uv_cond_broadcast(&p->cond);
    uv_mutex_unlock(&p->lock);
    if (rc < 0) {
        sb_log(SB_LOG_ERROR, "prober-failed", "reason=\"%s\"", uv_strerror(rc));
        if (p->stop.loop != NULL)
            teardown(p);
        uv_run(&p->loop, UV_RUN_DEFAULT);
        return;
    }
    uv_update_time(&p->loop); /* the clock dates from uv_loop_init on another thread */
    for (size_t i = 0; i < p->check_count; i++)
        run_check(&p->checks[i]);
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
    free(p->eps);
    free(p->profiles);
    uv_mutex_destroy(&p->lock);
    uv_cond_destroy(&p->cond);
    free(p);
}

int sb_prober_start(sb_prober_t **out, sb_gen_t *gen)
{
    sb_prober_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    p->gen = gen;
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

uint32_t sb_prober_first_round_bound(const sb_gen_t *gen)
{
    uint32_t bound = 0;
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        const sb_profile_t *p = sb_gen_profile(gen, i);
        for (uint16_t k = 0; k < p->count; k++) {
            if (p->endpoints[k].monitor.timeout_ms > bound)
                bound = p->endpoints[k].monitor.timeout_ms;
        }
    }
    return bound;
}

bool sb_prober_wait_first_round(sb_prober_t *p, uint32_t timeout_ms)
{
    uint64_t deadline = uv_hrtime() + (uint64_t)timeout_ms * 1000000;
    uv_mutex_lock(&p->lock);
    while (p->first_pending > 0) {
        uint64_t now = uv_hrtime();
        if (now >= deadline || uv_cond_timedwait(&p->cond, &p->lock, deadline - now) != 0)
            break;
    }
    bool done = p->first_pending == 0;
    uv_mutex_unlock(&p->lock);
    return done;
}

size_t sb_prober_endpoint_count(const sb_prober_t *p)
{
    return p->ep_count;
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
