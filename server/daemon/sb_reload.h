/*
 * sb_reload — live reload, built off the control loop.
 *
 * A run reads every zone file, takes what the serving probe worker knows
 * (sb_prober_carry_take: health, history, overrides), starts a worker for
 * the new generation and waits for its first round (bounded, as at
 * start-up), then takes the new worker's report of what changed (answers
 * moved, endpoints down: sb_prober_reload_report), which every `ctl reload`
 * it covers is told. All of that happens on a thread of libuv's pool, so
 * the control loop goes on answering `ctl status` and signals meanwhile.
 *
 * Back on the control loop, a run that built is swapped in: the new
 * generation's answers are counted from then on (sb_net_counters), the DNS
 * workers move to it with one atomic store, and once no worker can still
 * be reading the old one (urcu_memb_synchronize_rcu) the old counters are
 * retired; the server's generation and probe worker are replaced, the
 * server is told (`finish`), and only then is the old worker stopped and
 * the old generation freed. A run that failed, to build or to be swapped
 * in, changes nothing: the server is told why (`finish`), and goes on
 * serving the previous configuration.
 *
 * One run at a time. Requests made while a run is in progress are
 * coalesced into one more run, started as soon as the current one ends (it
 * reads the files as they are then, so it sees every change those
 * requesters could have meant); each requester is told the outcome of the
 * run that covers its request. sb_reload_after() lets a caller wait until
 * the running reload ends: the control socket holds overrides back that
 * way, since an override given to the old worker mid-run would be lost
 * with it.
 *
 * sb_reload_close() abandons the run in progress: the wait for its first
 * round is cut short, its generation and worker are freed without ever
 * being served, and everyone waiting is told -ECANCELED.
 *
 * Ownership: the reloader owns a run's new generation and worker until it
 * swaps them into the server's (`serving`), and frees the ones they
 * replace. The worker serving (*serving.prober) must stay running until
 * the reloader is closed; the server stops the last one.
 * Thread: the control loop's thread only; `finish` and the waiters'
 * callbacks run there too, and must not call back into the reloader.
 */
#ifndef SB_RELOAD_H
#define SB_RELOAD_H

#include "sb_diag.h"
#include "sb_gen.h"
#include "sb_net.h"
#include "sb_prober.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* What a run produced, for `finish`. */
typedef struct {
    int rc;              /* 0: built and swapped in; else why not */
    bool probing_failed; /* rc < 0 because the new worker did not start */
    bool swap_failed;    /* rc < 0 because it could not be swapped in (`err` says why) */
    sb_diag_t *diag;     /* the configuration's errors and warnings */
    sb_gen_t *gen;       /* the new generation (serving now when rc is 0) */
    sb_prober_t *prober; /* its worker, first round over */
    bool first_round_complete;
    uint64_t started_ns; /* uv_hrtime() when the run began */
    /* What changed (sb_prober_reload_report), taken once the first round
     * was in or its time was up; NULL when the run failed (or out of
     * memory). The run's: borrowed by `finish` and the waiters. */
    json_t *changes;
} sb_reload_result_t;

/* On the control loop once a run has ended, swapped in (rc 0) or not:
 * tell the rest of the server, and log. For a failure, `err` may already
 * say why (swap_failed); otherwise `finish` writes the words the
 * requesters are told into it. */
typedef void (*sb_reload_finish_fn)(void *arg, const sb_reload_result_t *res, char *err,
                                    size_t errlen);

/* On the control loop when a run starts, the first of a request or one
 * more for requests that waited: the server says it is reloading. */
typedef void (*sb_reload_begin_fn)(void *arg);

/* What a successful run replaces: the server's own. */
typedef struct {
    const sb_gen_t *_Atomic *current; /* the generation the DNS workers read */
    sb_net_t *net;                    /* counts answers per endpoint of the generation served */
    sb_gen_t **gen;                   /* the generation served */
    sb_prober_t **prober;             /* its probe worker */
    uv_mutex_t *prober_lock;          /* held while *prober changes (a scrape reads it) */
} sb_reload_serving_t;

/* A waiter's callback: rc 0 and "reloaded" after a successful run, with
 * what it changed (`changes`, sb_prober_reload_report; borrowed: take a
 * reference to keep it; NULL when out of memory); a negative code and the
 * reason after a failed one; -ECANCELED when the reload was abandoned
 * because the server is stopping. `changes` is NULL but after a success,
 * and for sb_reload_after()'s waiters. */
typedef void (*sb_reload_reply_fn)(void *waiter, int rc, const char *message, json_t *changes);

typedef struct {
    const char *zones_dir;
    const char *geo_database; /* NULL: none */
    sb_prober_config_t probe_cfg;
    uint32_t first_round_slack_ms; /* beyond the largest probe timeout */
    sb_reload_serving_t serving;
    sb_reload_begin_fn begin; /* NULL: nobody to tell */
    sb_reload_finish_fn finish;
    void *arg; /* for `begin` and `finish` */
} sb_reload_config_t;

typedef struct sb_reload sb_reload_t;

int sb_reload_new(sb_reload_t **out, uv_loop_t *loop, const sb_reload_config_t *cfg);

/* Ask for a reload on behalf of `by` (logged: event=reload-requested).
 * Unless this fails, reply(waiter, ...) is called (later, never from within
 * this call) when the run that covers the request ends; `reply` may be
 * NULL. Returns 0 when a run starts, 1 when the request waits for the run
 * in progress, -ECANCELED once the reloader is closing, -ENOMEM. */
int sb_reload_request(sb_reload_t *r, const char *by, sb_reload_reply_fn reply, void *waiter);

/* While a run is in progress, call fn(waiter, 0, NULL) once it has ended
 * (after `finish`, before any further run starts), or with -ECANCELED if it
 * is abandoned, and return true. With no run in progress (or out of
 * memory), return false and never call fn. */
bool sb_reload_after(sb_reload_t *r, sb_reload_reply_fn fn, void *waiter);

/* Abandon the run in progress and answer everyone waiting, running the
 * loop until the pool thread has let go; then free the reloader. NULL is
 * allowed. */
void sb_reload_close(sb_reload_t *r);

#endif
