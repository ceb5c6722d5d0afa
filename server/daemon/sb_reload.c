#include "sb_reload.h"

#include "sb_error.h"
#include "sb_log.h"
#include "sb_net_counters.h"
#include "sb_zonedir.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <urcu/urcu-memb.h>

#define ABANDONED "the server is stopping; the reload was abandoned"

typedef struct waiter {
    sb_reload_reply_fn fn; /* NULL: nobody to tell (SIGHUP) */
    void *arg;
    bool after; /* sb_reload_after(): told that the run ended, not how */
    struct waiter *next;
} waiter_t;

/* One run. The pool thread fills `res`; `lock` orders the loop's cancel
 * against the thread publishing the worker it started, so that a cancel
 * either finds the worker (and interrupts its wait) or is seen before the
 * wait begins. */
typedef struct {
    uv_work_t work;
    sb_reload_t *r;
    sb_prober_t *serving; /* carried from; runs until this run has ended */
    sb_diag_t *diag;
    uv_mutex_t lock;
    bool cancelled;
    sb_reload_result_t res;
} run_t;

struct sb_reload {
    uv_loop_t *loop;
    sb_reload_config_t cfg;
    run_t *run;        /* in progress, or NULL */
    waiter_t *waiting; /* told when `run` ends, in the order they came */
    waiter_t *queued;  /* asked during `run`: served by one more run */
    bool closing;
};

/* ---- the pool thread --------------------------------------------------------- */

static bool cancelled(run_t *run)
{
    uv_mutex_lock(&run->lock);
    bool c = run->cancelled;
    uv_mutex_unlock(&run->lock);
    return c;
}

static void build(uv_work_t *w)
{
    run_t *run = w->data;
    const sb_reload_config_t *cfg = &run->r->cfg;
    sb_reload_result_t *res = &run->res;
    int rc = sb_zonedir_load(&res->gen, cfg->zones_dir, cfg->geo_database, run->diag);
    if (rc == 0 && cancelled(run))
        rc = -ECANCELED;
    if (rc < 0) {
        res->rc = rc;
        return;
    }
    sb_carry_t *carry = sb_prober_carry_take(run->serving);
    sb_prober_t *prober = NULL;
    rc = sb_prober_start(&prober, res->gen, &cfg->probe_cfg, carry);
    sb_carry_free(carry);
    if (rc < 0) {
        res->rc = rc;
        res->probing_failed = true;
        return;
    }
    uv_mutex_lock(&run->lock);
    res->prober = prober;
    if (run->cancelled)
        sb_prober_interrupt_wait(prober);
    uv_mutex_unlock(&run->lock);
    uint32_t bound = sb_prober_first_round_bound(res->gen, cfg->probe_cfg.max_in_flight) +
                     cfg->first_round_slack_ms;
    res->first_round_complete = sb_prober_wait_first_round(prober, bound);
    if (!cancelled(run))
        res->changes = sb_prober_reload_report(prober);
}

/* ---- the control loop -------------------------------------------------------- */

static void append(waiter_t **list, waiter_t *w)
{
    while (*list != NULL)
        list = &(*list)->next;
    *list = w;
}

static void tell(waiter_t *list, int rc, const char *message, json_t *changes)
{
    while (list != NULL) {
        waiter_t *w = list;
        list = w->next;
        if (w->fn != NULL && w->after)
            w->fn(w->arg, rc == -ECANCELED ? rc : 0, rc == -ECANCELED ? message : NULL, NULL);
        else if (w->fn != NULL)
            w->fn(w->arg, rc, message, rc == 0 ? changes : NULL);
        free(w);
    }
}

/* A run's leftovers; its generation and worker too unless `finish` took
 * them. */
static void run_free(run_t *run, bool taken)
{
    if (!taken) {
        sb_prober_stop(run->res.prober);
        sb_gen_free(run->res.gen);
    }
    sb_diag_free(run->diag);
    json_decref(run->res.changes);
    uv_mutex_destroy(&run->lock);
    free(run);
}

static void on_built(uv_work_t *w, int status);

static int start_run(sb_reload_t *r)
{
    run_t *run = calloc(1, sizeof(*run));
    if (run == NULL)
        return -ENOMEM;
    if (uv_mutex_init(&run->lock) != 0) {
        free(run);
        return -ENOMEM;
    }
    run->r = r;
    run->serving = *r->cfg.serving.prober;
    run->res.started_ns = uv_hrtime();
    run->work.data = run;
    int rc = (run->diag = sb_diag_new()) == NULL ? -ENOMEM : 0;
    if (rc == 0)
        rc = uv_queue_work(r->loop, &run->work, build, on_built);
    if (rc < 0) {
        run_free(run, false);
        return rc;
    }
    r->run = run;
    if (r->cfg.begin != NULL)
        r->cfg.begin(r->cfg.arg);
    return 0;
}

/* The requests that came during the run just ended get one more run. */
static void start_queued(sb_reload_t *r)
{
    if (r->queued == NULL)
        return;
    r->waiting = r->queued;
    r->queued = NULL;
    int rc = start_run(r);
    if (rc < 0) {
        waiter_t *told = r->waiting;
        r->waiting = NULL;
        sb_log(SB_LOG_ERROR, "reload-failed", "reason=\"cannot start a reload: %s\"",
               uv_strerror(rc));
        tell(told, rc, "cannot start a reload: out of memory", NULL);
    }
}

static void abandon(sb_reload_t *r, run_t *run, waiter_t *told)
{
    sb_log(SB_LOG_INFO, "reload-abandoned", "reason=\"the server is stopping\" elapsed_ms=%llu",
           (unsigned long long)((uv_hrtime() - run->res.started_ns) / 1000000));
    run_free(run, false);
    tell(told, -ECANCELED, ABANDONED, NULL);
    told = r->queued;
    r->queued = NULL;
    tell(told, -ECANCELED, ABANDONED, NULL);
}

/* Serve what the run built. Returns 0, or a negative code with words in
 * `err`, nothing changed. The old generation and worker are the caller's
 * to free (after `finish`). */
static int swap_in(sb_reload_t *r, sb_reload_result_t *res, char *err, size_t errlen)
{
    const sb_reload_serving_t *sv = &r->cfg.serving;
    int rc = sb_net_counters_track(sv->net, res->gen);
    if (rc < 0) {
        snprintf(err, errlen, "cannot count the new configuration's answers: %s", sb_strerror(rc));
        return rc;
    }
    atomic_store_explicit(sv->current, res->gen, memory_order_release);
    urcu_memb_synchronize_rcu(); /* no DNS worker reads the old generation now */
    sb_net_counters_retire(sv->net);
    uv_mutex_lock(sv->prober_lock);
    *sv->prober = res->prober;
    uv_mutex_unlock(sv->prober_lock);
    *sv->gen = res->gen;
    return 0;
}

static void on_built(uv_work_t *w, int status)
{
    (void)status; /* never cancelled with uv_cancel(): the run always ran */
    run_t *run = w->data;
    sb_reload_t *r = run->r;
    waiter_t *told = r->waiting;
    r->run = NULL;
    r->waiting = NULL;
    if (r->closing) {
        abandon(r, run, told);
        return;
    }
    char err[1024] = "";
    sb_reload_result_t *res = &run->res;
    res->diag = run->diag;
    sb_gen_t *old_gen = *r->cfg.serving.gen;
    sb_prober_t *old_prober = *r->cfg.serving.prober;
    if (res->rc == 0 && (res->rc = swap_in(r, res, err, sizeof(err))) < 0)
        res->swap_failed = true;
    r->cfg.finish(r->cfg.arg, res, err, sizeof(err));
    bool swapped = res->rc == 0;
    if (swapped) { /* nothing reads them now: the server moved to the new ones */
        sb_prober_stop(old_prober);
        sb_gen_free(old_gen);
    }
    /* Building left free memory in the pool thread's malloc arena (the
     * load's scratch, a failed generation), which glibc keeps once a large
     * block has raised its thresholds: hand it back, so that RSS returns
     * to what the generation serving needs. */
    malloc_trim(0);
    tell(told, res->rc, res->rc == 0 ? "reloaded" : err, res->changes);
    run_free(run, swapped);
    start_queued(r);
}

/* ---- the interface ------------------------------------------------------------- */

int sb_reload_new(sb_reload_t **out, uv_loop_t *loop, const sb_reload_config_t *cfg)
{
    sb_reload_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -ENOMEM;
    r->loop = loop;
    r->cfg = *cfg;
    *out = r;
    return 0;
}

int sb_reload_request(sb_reload_t *r, const char *by, sb_reload_reply_fn reply, void *waiter)
{
    if (r->closing)
        return -ECANCELED;
    waiter_t *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    w->fn = reply;
    w->arg = waiter;
    bool busy = r->run != NULL;
    sb_log(SB_LOG_INFO, "reload-requested", "by=%s%s", by, busy ? " queued=yes" : "");
    append(busy ? &r->queued : &r->waiting, w);
    if (busy)
        return 1;
    int rc = start_run(r);
    if (rc < 0) {
        r->waiting = NULL;
        free(w);
        sb_log(SB_LOG_ERROR, "reload-failed", "reason=\"cannot start a reload: %s\"",
               uv_strerror(rc));
    }
    return rc;
}

bool sb_reload_after(sb_reload_t *r, sb_reload_reply_fn fn, void *waiter)
{
    if (r == NULL || r->run == NULL)
        return false;
    waiter_t *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return false;
    w->fn = fn;
    w->arg = waiter;
    w->after = true;
    append(&r->waiting, w);
    return true;
}

void sb_reload_close(sb_reload_t *r)
{
    if (r == NULL)
        return;
    r->closing = true;
    run_t *run = r->run;
    if (run != NULL) {
        uv_mutex_lock(&run->lock);
        run->cancelled = true;
        if (run->res.prober != NULL)
            sb_prober_interrupt_wait(run->res.prober);
        uv_mutex_unlock(&run->lock);
    }
    /* The pool thread ends soon: a load in progress finishes, a wait for a
     * first round returns at once. on_built then discards the run. */
    while (r->run != NULL)
        uv_run(r->loop, UV_RUN_ONCE);
    free(r);
}
