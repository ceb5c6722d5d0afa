/*
 * sb_check — one health check (an address, a port, a protocol and how to
 * judge the reply) and the contract between the probe worker and the probe
 * types: one `const` operations table per type (sb_check_type_t), listed
 * in sb_check_types. The worker calls through the table and never tests
 * which protocol it has.
 *
 * Every probe type has the same shape (relayd check_*.c):
 *   engine:    what the type keeps per worker, on the worker's loop (HTTP's
 *              curl engine), opened when the worker starts and closed
 *              after every check is released;
 *   start:     begin I/O for one run towards c->addr; returns 0, or a
 *              negative errno when nothing was started (and then it never
 *              reports);
 *   callbacks: I/O progress on the probe worker's loop;
 *   cleanup:   one helper that releases the run's resources;
 *   report:    exactly one sb_check_report() per started run, unless
 *              cancelled first;
 *   cancel:    stop the run's I/O now; no report may follow (the worker
 *              cannot tell a late report from the next run's);
 *   release:   free the type's per-check state (c->proto), the run
 *              cancelled first;
 *   key:       the monitor settings that make two probes of the type the
 *              same probe (sb_probe_key), so that endpoints share one.
 * Probe types judge one reply; they never count streaks (that is
 * sb_health) and never touch profiles (that is the worker).
 *
 * Thread: the probe worker's loop thread only.
 */
#ifndef SB_CHECK_H
#define SB_CHECK_H

#include "sb_addr.h"
#include "sb_monitor.h"
#include "sb_reason.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

typedef enum {
    SB_CHECK_IDLE = 0,
    SB_CHECK_RESOLVING,
    SB_CHECK_PROBING,
} sb_check_phase_t;

typedef struct sb_check sb_check_t;

typedef struct sb_check_type {
    const char *name; /* for logs */
    uint32_t protos;  /* bit (1 << sb_monitor_proto_t) for each protocol it probes */
    /* Per worker; NULL engine_open: the type needs no engine, and is given
     * the worker's loop as its engine. */
    int (*engine_open)(void **engine, uv_loop_t *loop);
    void (*engine_close)(void *engine); /* handles close on the loop's next turns */
    int (*start)(void *engine, sb_check_t *c);
    void (*cancel)(void *engine, sb_check_t *c);
    void (*release)(sb_check_t *c);
    void (*key)(FILE *f, const sb_monitor_t *m);
} sb_check_type_t;

struct sb_check {
    const sb_check_type_t *type;
    void *engine; /* the type's engine on this worker */
    const sb_monitor_t *monitor;
    const char *host;  /* URL host, Host header and SNI: a name without the final dot, or an
                          address literal ([v6] in brackets) */
    const char *label; /* for logs: the target as configured */
    sb_addr_t addr;    /* this run's address */
    /* The server's local address to probe from, per family (NULL: the
     * kernel's choice), unless the monitor gives its own (source=): a
     * multi-homed host probes from the right network, and each nameserver
     * of a fleet from its own vantage point. Probe types bind to
     * sb_check_source(c) before they connect. */
    const sb_addr_t *source_v4, *source_v6;
    uint64_t run_started_ns; /* uv_hrtime() when the run began: the latency */
    sb_check_phase_t phase;
    void *proto; /* the probe type's per-check state */
    void *run;   /* the probe type's per-run state */
    /* The worker's, called by sb_check_report() for a run still probing. */
    void (*on_result)(sb_check_t *c, sb_result_t result);
};

/* Called by a probe type when a run ends. A report while the check is not
 * probing (its run timed out, and no new one has started) is dropped; a
 * type must not report after cancel. */
void sb_check_report(sb_check_t *c, sb_result_t result);

/* The source address for this run's address family, or NULL. */
const sb_addr_t *sb_check_source(const sb_check_t *c);

/* Milliseconds since the run began. */
uint32_t sb_check_elapsed(const sb_check_t *c);

#endif
