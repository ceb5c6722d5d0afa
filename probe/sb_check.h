/*
 * sb_check — one health check (an address, a port, a protocol and how to
 * judge the reply) and the contract between the probe worker and the probe
 * types. Internal to probe/.
 *
 * Every probe type has the same shape (relayd check_*.c):
 *   start:     begin I/O for one run towards c->addr; returns 0, or a
 *              negative errno when nothing was started (and then it never
 *              reports);
 *   callbacks: I/O progress on the probe worker's loop;
 *   cleanup:   one helper that releases the run's resources;
 *   report:    exactly one sb_check_report() per started run, unless
 *              cancelled first.
 *   cancel:    stop the run's I/O now; no report follows.
 * Probe types judge one reply; they never count streaks (that is
 * sb_health) and never touch profiles (that is the worker).
 *
 * Thread: the probe worker's loop thread only.
 */
#ifndef SB_CHECK_H
#define SB_CHECK_H

#include "sb_monitor.h"
#include "sb_profile.h"
#include "sb_reason.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct sb_prober;

typedef enum {
    SB_CHECK_IDLE = 0,
    SB_CHECK_RESOLVING,
    SB_CHECK_PROBING,
} sb_check_phase_t;

typedef struct sb_check {
    struct sb_prober *prober;
    const sb_monitor_t *monitor;
    const char *host;        /* URL host, Host header and SNI: a name without the final dot, or an
                                address literal ([v6] in brackets) */
    const char *label;       /* for logs: the target as configured */
    sb_addr_t addr;          /* this run's address */
    uint64_t run_started;    /* uv_now() when the run began: the schedule */
    uint64_t run_started_ns; /* uv_hrtime() when the run began: the latency */
    sb_check_phase_t phase;
    uint32_t run_seq; /* increments per run; stale callbacks compare it */
    void *proto;      /* the probe type's per-check state */
    void *run;        /* the probe type's per-run state */

    /* Owned by the worker. */
    uv_timer_t schedule;
    uv_timer_t deadline;
    const sb_addr_t *static_addrs; /* from an address target or the zone data */
    size_t static_count;
    sb_addr_t literal; /* a probe-target written as an address */
    sb_addr_t cached[16];
    size_t cached_count;
    uint64_t cache_expires;    /* uv_now() ms */
    struct sb_ep_state **subs; /* endpoints fed by this check (shared probes) */
    size_t sub_count;
    bool first_done;
    uint64_t next_due;              /* uv_now() ms of the next run, before jitter */
    uint32_t phase_ms;              /* this check's offset within its interval */
    uint64_t queued_at;             /* uv_now() ms when it started waiting for a slot */
    uint32_t queued_ms;             /* how long this run waited for a slot */
    struct sb_check *queue_next;    /* in the worker's wait queue */
    bool expiring;                  /* its deadline passed; judged after the next poll */
    struct sb_check *expiring_next; /* in the worker's list of those */
} sb_check_t;

/* Called by a probe type when a run ends. */
void sb_check_report(sb_check_t *c, sb_result_t result);

/* Milliseconds since the run began. */
uint32_t sb_check_elapsed(const sb_check_t *c);

/* ---- HTTP and HTTPS (sb_check_http.c), through libcurl's multi API ---- */

typedef struct sb_http sb_http_t;

int sb_http_new(sb_http_t **out, uv_loop_t *loop);
/* Free the engine; every check must have been released first. Handles close
 * asynchronously, so run the loop afterwards. */
void sb_http_close(sb_http_t *http);
int sb_http_start(sb_http_t *http, sb_check_t *c);
void sb_http_cancel(sb_http_t *http, sb_check_t *c);
/* Free the check's per-check state (its curl handle). */
void sb_http_release(sb_check_t *c);

/* ---- TCP connect, send and receive (sb_check_tcp.c) -------------------- */

int sb_tcp_start(uv_loop_t *loop, sb_check_t *c);
void sb_tcp_cancel(sb_check_t *c);
/* Free the check's per-check state (the receive buffer, when the monitor
 * has `receive`); cancel any run first. */
void sb_tcp_release(sb_check_t *c);

#endif
