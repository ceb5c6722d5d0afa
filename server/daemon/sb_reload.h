/*
 * sb_reload — live reload, built off the control loop.
 *
 * A run reads every zone file, takes what the serving probe worker knows
 * (sb_prober_carry_take: health, history, overrides), starts a worker for
 * the new generation and waits for its first round (bounded, as at
 * start-up). All of that happens on a thread of libuv's pool, so the
 * control loop goes on answering `ctl status` and signals meanwhile. Back
 * on the control loop, the server's `finish` swaps the new generation in,
 * or reports why it could not be built.
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
 * hands them to `finish`, which takes them (on success) and serves them.
 * The serving worker passed in the configuration (and then each one
 * installed) must stay running until the reloader is closed.
 * Thread: the control loop's thread only; `finish` and the waiters'
 * callbacks run there too, and must not call back into the reloader.
 */
#ifndef SB_RELOAD_H
#define SB_RELOAD_H

#include "sb_diag.h"
#include "sb_gen.h"
#include "sb_prober.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* What a run produced, for `finish`. */
typedef struct {
    int rc;              /* 0: built; else why not */
    bool probing_failed; /* rc < 0 because the new worker did not start */
    sb_diag_t *diag;     /* the configuration's errors and warnings */
    sb_gen_t *gen;       /* rc 0: the new generation; `finish` takes it */
    sb_prober_t *prober; /* rc 0: its worker, first round over; `finish` takes it */
    bool first_round_complete;
    uint64_t started_ns; /* uv_hrtime() when the run began */
} sb_reload_result_t;

/* On the control loop once a run has ended: serve the new configuration
 * (rc 0) or report why there is none. Returns 0, or a negative code with
 * words for the requesters in `err`; a run that built but could not be
 * served is then freed by the reloader. */
typedef int (*sb_reload_finish_fn)(void *arg, sb_reload_result_t *res, char *err, size_t errlen);

/* A waiter's callback: rc 0 and "reloaded" after a successful run, a
 * negative code and the reason after a failed one; -ECANCELED when the
 * reload was abandoned because the server is stopping. */
typedef void (*sb_reload_reply_fn)(void *waiter, int rc, const char *message);

typedef struct {
    const char *zones_dir;
    sb_prober_config_t probe_cfg;
    uint32_t first_round_slack_ms; /* beyond the largest probe timeout */
    sb_prober_t *serving;          /* the worker serving now */
    sb_reload_finish_fn finish;
    void *arg;
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
