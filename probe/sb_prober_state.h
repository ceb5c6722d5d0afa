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

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

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
} sb_ep_state_t;

struct profile_state {
    sb_profile_t *profile;
    sb_ep_state_t *eps; /* profile->count of them, in priority order */
    sb_choice_t choice;
    bool decided;        /* every endpoint has had a first result */
    uint16_t switchover; /* answered first (ctl switchover), or SB_PICK_NONE */
    char switchover_by[32];
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
    /* Probes in flight, and the checks waiting for a slot, oldest first. */
    unsigned inflight;
    unsigned max_inflight;
    sb_check_t *queue_head, *queue_tail;
    size_t queued;
    uint64_t queue_logged_at;
    uint64_t rng;
    /* Calls from the controlling thread (overrides, status), one at a time. */
    uv_async_t call_async;
    struct sb_prober_call *call;
    uv_timer_t expiry; /* ends forced states that were given a duration */
    /* First-round and start-up handshake with the controlling thread. */
    uv_mutex_t lock;
    uv_cond_t cond;
    size_t first_pending;
    bool started;
    int start_status;
};

/* A call from the controlling thread, run on the worker's loop. */
typedef struct sb_prober_call {
    void (*run)(sb_prober_t *p, struct sb_prober_call *call);
    bool done;
    int rc;
    const sb_override_t *override;
    char *why;
    size_t why_len;
    json_t *json;
} sb_prober_call_t;

/* Run `call` on the worker's thread and wait for it. */
int sb_prober_call(sb_prober_t *p, sb_prober_call_t *call);

/* Recompute and publish a profile's choice; `why` names the cause in the
 * answer-change log ("probe", "override", ...). */
void sb_prober_reselect(profile_state_t *ps, const char *why);

/* Wall clock, Unix milliseconds. */
int64_t sb_prober_wall_ms(void);

/* sb_override.c, on the worker's thread. */
void sb_override_expire(uv_timer_t *t);

#endif
