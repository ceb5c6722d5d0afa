/*
 * sb_probe_sched — the probe worker's runs: every check on its schedule,
 * through the probe types' table (sb_check_types), within the cap on
 * probes in flight.
 *
 * Scheduling: each check has its own phase within its interval (spread by
 * the golden ratio, so that any number of checks is evenly spread), plus a
 * little jitter per run, and keeps its cadence however long a run takes.
 * The first round runs at once, to decide before serving. At most
 * `max_in_flight` runs probe at once; past that, runs wait in order for a
 * slot, and the wait is logged (at most every 10 s; a warning once the
 * first round is over, when it means the worker falls behind) and kept
 * with each result.
 *
 * A run: the address (an address target or the zone's data; else the
 * resolver, with its answer cached for its TTL, at least an interval),
 * then the probe type's start, then exactly one result — the type's report,
 * a timeout, or a failure to start — handed to every endpoint the check
 * feeds (sb_probe_result). A deadline is judged after one more look at the
 * sockets, so that a reply waiting unread on a busy loop is not taken for a
 * timeout.
 *
 * Ownership: the scheduler owns its runs, their timers and the types'
 * engines; it borrows the endpoints' state and their monitors.
 * Thread: the probe worker's loop only.
 */
#ifndef SB_PROBE_SCHED_H
#define SB_PROBE_SCHED_H

#include "sb_check.h"
#include "sb_histogram.h"
#include "sb_probe_state.h"
#include "sb_resolver.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SB_PROBE_SCHED_MAX_TYPES 8

typedef struct sb_probe_sched sb_probe_sched_t;

/* One check on its schedule: what the probe type sees first, then what the
 * scheduler keeps. */
typedef struct sb_probe_run {
    sb_check_t check;
    sb_probe_sched_t *sched;
    uv_timer_t schedule;
    uv_timer_t deadline;
    char *host;                    /* owned: check.host */
    uint64_t run_started;          /* uv_now() when the run began: the schedule */
    bool lookup_out;               /* a lookup is outstanding; its answer serves the run waiting */
    const sb_addr_t *static_addrs; /* from an address target or the zone data */
    size_t static_count;
    sb_addr_t literal; /* a probe-target written as an address */
    /* The target name's addresses from its last lookup; allocated at the
     * first answer, so that the checks of an address, or of a name in a
     * served zone (most of them), carry none. NULL until then. */
    struct sb_probe_cached *cached;
    sb_ep_state_t **subs; /* owned array: endpoints fed by this check */
    size_t sub_count;
    bool first_done;                    /* had a result, or every endpoint it feeds was carried */
    uint64_t next_due;                  /* uv_now() ms of the next run, before jitter */
    uint32_t phase_ms;                  /* this check's offset within its interval */
    uint64_t queued_at;                 /* uv_now() ms when it started waiting for a slot */
    uint32_t queued_ms;                 /* how long this run waited for a slot */
    struct sb_probe_run *queue_next;    /* in the wait queue */
    bool expiring;                      /* its deadline passed; judged after the next poll */
    struct sb_probe_run *expiring_next; /* in the list of those */
} sb_probe_run_t;

struct sb_probe_sched {
    uv_loop_t *loop;
    const sb_check_type_t *const *types; /* NULL-terminated */
    const sb_addr_t *source_v4, *source_v6;
    void *engines[SB_PROBE_SCHED_MAX_TYPES];
    size_t engines_open;
    sb_resolver_t *resolver;
    sb_probe_run_t *runs;
    size_t run_count, run_cap;
    bool stopping;
    /* Runs probing, and those waiting for a slot, oldest first. */
    unsigned inflight;
    unsigned max_inflight;
    sb_probe_run_t *queue_head, *queue_tail;
    size_t queued;
    uint64_t queue_logged_at;
    size_t first_round_left;   /* runs still without their first result */
    sb_histogram_t queue_wait; /* each run's wait for a slot (carried over a reload) */
    uint64_t rng;
    /* Runs whose deadline passed, judged after the next poll. */
    sb_probe_run_t *expiring;
    uv_check_t expire_check;
    uv_idle_t expire_idle;
    bool expire_open;
    /* Told once per check, at its first result. */
    void (*first_result)(void *arg);
    void *first_result_arg;
};

typedef struct {
    const sb_check_type_t *const *types;    /* NULL-terminated; at most SB_PROBE_SCHED_MAX_TYPES */
    const char *resolvers;                  /* name servers for c-ares, or NULL */
    const sb_addr_t *source_v4, *source_v6; /* probe from these (NULL: any); borrowed */
    unsigned max_in_flight;                 /* at least 1 */
    size_t run_cap;                         /* checks to be added, at most */
    void (*first_result)(void *arg);
    void *first_result_arg;
} sb_probe_sched_config_t;

/* Open the types' engines and the resolver on `loop`, and room for the
 * runs. Returns 0 or a negative errno; call sb_probe_sched_close() either
 * way. */
int sb_probe_sched_open(sb_probe_sched_t *s, uv_loop_t *loop, const sb_probe_sched_config_t *cfg);

/* Add a check feeding `subs` (their endpoints share one probe: their
 * monitor, target and addresses are those of subs[0]). Returns 0, -ENOMEM,
 * or -ENOTSUP when no probe type takes the monitor's protocol. */
int sb_probe_sched_add(sb_probe_sched_t *s, sb_ep_state_t *const *subs, size_t sub_count);

/* How many checks feed an endpoint still waiting for its first result:
 * the first round waits for those only (after a reload, unchanged
 * endpoints already have theirs). Call once every check is added, before
 * sb_probe_sched_start(). */
size_t sb_probe_sched_first_pending(sb_probe_sched_t *s);

/* Spread the checks over their intervals and start the first round. Some
 * results may come at once (an address that cannot be probed), within
 * this call. */
void sb_probe_sched_start(sb_probe_sched_t *s);

/* The probes in flight and waiting, for status and metrics. */
sb_probe_load_t sb_probe_sched_load(const sb_probe_sched_t *s);

/* Stop every run and close every handle (their close callbacks run on the
 * loop's next turns); then, once the loop has run, sb_probe_sched_free(). */
void sb_probe_sched_close(sb_probe_sched_t *s);
void sb_probe_sched_free(sb_probe_sched_t *s);

#endif
