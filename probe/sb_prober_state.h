/*
 * sb_prober_state — the probe worker's state, shared by its own files
 * (sb_prober.c: probing; sb_override.c: operator overrides and status).
 * Internal to probe/.
 *
 * Thread: everything here belongs to the probe worker's thread; other
 * threads reach it only through sb_prober_call().
 */
#ifndef SB_PROBER_STATE_H
#define SB_PROBER_STATE_H

#include "sb_check.h"
#include "sb_flap.h"
#include "sb_health.h"
#include "sb_history.h"
#include "sb_prober.h"
#include "sb_resolver.h"
#include "sb_route.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* A histogram for metrics (sb_override.c): counts per bucket, made
 * cumulative when written, with the buckets' upper bounds kept apart. */
#define SB_HISTOGRAM_BOUNDS 15 /* at most; +Inf comes after them */

typedef struct {
    const double *bounds; /* seconds, ascending */
    size_t count;         /* at most SB_HISTOGRAM_BOUNDS */
} sb_buckets_t;

typedef struct {
    uint64_t buckets[SB_HISTOGRAM_BOUNDS + 1];
    uint64_t count;
    double sum; /* seconds */
} sb_histogram_t;

extern const sb_buckets_t sb_latency_buckets;    /* a probe's latency: 1 ms to 1 s */
extern const sb_buckets_t sb_queue_wait_buckets; /* a run's wait for a slot: 1 ms to 60 s */

void sb_histogram_add(sb_histogram_t *h, const sb_buckets_t *b, double seconds);

/* Counters for metrics: never reset while the endpoint exists (a reload
 * carries them over). */
typedef struct {
    uint64_t changes;                  /* state changes */
    uint64_t results[SB_REASON_COUNT]; /* probe results by reason */
    sb_histogram_t latency;
} sb_probe_stats_t;

void sb_probe_stats_add(sb_probe_stats_t *st, const sb_result_t *r);

typedef struct profile_state profile_state_t;

typedef struct sb_ep_state {
    sb_endpoint_t *ep;
    profile_state_t *ps;
    sb_health_t health;
    sb_flap_t flap;
    bool held; /* in hold-down: not answered, whatever its health */
    sb_result_t last;
    int64_t since_ms; /* wall clock of the last change of state */
    sb_history_t history;
    /* Operator overrides (sb_override.c). */
    bool drained;           /* never answered */
    int8_t forced;          /* 1 up, -1 down, 0 as probed */
    int64_t force_until_ms; /* wall clock; 0: until undone */
    char force_by[32];
    char drain_by[32];
    bool carried; /* health came from the previous configuration (reload) */
    sb_probe_stats_t stats;
} sb_ep_state_t;

struct profile_state {
    sb_profile_t *profile;
    sb_ep_state_t *eps;  /* profile->count of them, in priority order */
    uint64_t word;       /* the route's decision published last */
    sb_choice_t choice;  /* what it means (for logs, and what a reload carries) */
    bool decided;        /* every endpoint has had a first result */
    bool reloaded;       /* carried from the previous configuration */
    uint16_t switchover; /* answered first (ctl switchover), or SB_PICK_NONE */
    char switchover_by[32];
};

struct sb_prober {
    uv_thread_t thread;
    const sb_prober_carry_t *carry; /* during build only */
    size_t carried;
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
    struct sb_prober_call *call;
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
typedef struct sb_prober_call {
    void (*run)(sb_prober_t *p, struct sb_prober_call *call);
    bool done;
    int rc;
    const sb_override_t *override;
    char *why;
    size_t why_len;
    json_t *json;
    void *result; /* for calls that return something else */
} sb_prober_call_t;

/* Run `call` on the worker's thread and wait for it. */
int sb_prober_call(sb_prober_t *p, sb_prober_call_t *call);

/* Recompute and publish a profile's choice; `why` names the cause in the
 * answer-change log ("probe", "override", ...). */
void sb_prober_reselect(profile_state_t *ps, const char *why);

/* Wall clock, Unix milliseconds. */
int64_t sb_prober_wall_ms(void);

/* sb_carry.c, on the new worker's thread while it builds: take over what
 * the previous configuration knew about an endpoint (health, when its
 * probe is unchanged; overrides, always) and a profile (switchover, the
 * endpoint that was answering). */
void sb_carry_endpoint(const sb_prober_carry_t *carry, sb_ep_state_t *es, const char *probe_key);
void sb_carry_profile(const sb_prober_carry_t *carry, profile_state_t *ps);
/* ... and the worker's own counters (the queue-wait histogram). */
void sb_carry_prober(const sb_prober_carry_t *carry, sb_prober_t *p);

/* Once a profile's endpoints are carried: drop (and log) a carried drain
 * that the new configuration would leave as the last endpoint of its
 * family, since its queries would then get no answer. */
void sb_carry_check_drains(profile_state_t *ps);

/* Once everything is built: log every carried override whose profile or
 * endpoint the new configuration no longer has (event=override-dropped);
 * it is not carried, so the next save of the state file leaves it out. */
void sb_carry_report_dropped(const sb_prober_carry_t *carry, sb_prober_t *p);

/* The probe key of an endpoint (sb_prober.c): equal keys, same probe. */
char *sb_prober_probe_key(const sb_endpoint_t *ep);

/* sb_override.c, on the worker's thread. */
void sb_override_expire(uv_timer_t *t);

/* A profile by name, with or without the final dot; an endpoint of it by
 * name. NULL when there is none. */
profile_state_t *sb_override_find_profile(sb_prober_t *p, const char *name);
sb_ep_state_t *sb_override_find_endpoint(profile_state_t *ps, const char *name);

/* Whether `es` is the only endpoint of its address family in the profile
 * that is not drained: draining it would leave that family's queries
 * without an answer, so ctl, the state file and a reload all refuse it.
 * sb_override_last_words() says so in `why`. */
bool sb_override_last_of_family(const profile_state_t *ps, const sb_ep_state_t *es);
void sb_override_last_words(const profile_state_t *ps, const sb_ep_state_t *es, char *why,
                            size_t why_len);

#endif
