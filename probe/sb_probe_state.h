/*
 * sb_probe_state — what the probe worker knows about each profile and
 * endpoint of its generation: health (fall/rise), anti-flap hold-down, the
 * last result and the history, operator overrides, counters for metrics,
 * and, per profile, the routing decision published last.
 *
 * The worker builds one sb_probe_states_t per generation (sb_probe_build);
 * probe results (sb_probe_result), overrides (sb_override), publishing
 * (sb_publish), status (sb_probe_status), metrics (sb_probe_metrics) and a
 * reload's carry (sb_carry) all work on it.
 *
 * Thread: the probe worker's only; other threads reach it through the
 * worker's calls (sb_prober).
 */
#ifndef SB_PROBE_STATE_H
#define SB_PROBE_STATE_H

#include "sb_flap.h"
#include "sb_gen.h"
#include "sb_health.h"
#include "sb_histogram.h"
#include "sb_history.h"
#include "sb_probe_view.h"
#include "sb_profile.h"
#include "sb_reason.h"
#include "sb_route.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Counters for metrics: never reset while the endpoint exists (a reload
 * carries them over). */
typedef struct {
    uint64_t changes;                  /* state changes */
    uint64_t results[SB_REASON_COUNT]; /* probe results by reason */
    sb_histogram_t latency;
} sb_probe_stats_t;

typedef struct sb_profile_state sb_profile_state_t;

/* What only an endpoint with probes of its own needs (a monitor other than
 * none, not nested): its anti-flap ring (only with a flap-limit: 832
 * bytes), its last results and its counters. Endpoints without have none:
 * at tens of thousands of endpoints these were most of the bytes of the
 * state of every one. */
typedef struct {
    sb_flap_t *flap; /* NULL when the monitor has no flap-limit */
    sb_history_t history;
    sb_probe_stats_t stats;
} sb_ep_probe_t;

/* sb_ep_state_t.before of an endpoint the previous configuration did not
 * have. */
#define SB_EP_NEW (-1)

typedef struct sb_ep_state {
    sb_endpoint_t *ep;
    sb_profile_state_t *ps;
    sb_health_t health;
    sb_ep_probe_t *probe; /* probed endpoints only; NULL for the others */
    bool held;            /* in hold-down: not answered, whatever its health */
    sb_result_t last;
    int64_t since_ms; /* wall clock of the last change of state */
    /* Operator overrides (sb_override). */
    bool drained;           /* never answered */
    int8_t forced;          /* 1 up, -1 down, 0 as probed */
    int64_t force_until_ms; /* wall clock; 0: until undone */
    /* Who set them (sb_override_set_by), owned; freed with the state;
     * NULL until one was set: two fixed buffers were 224 bytes an endpoint,
     * for overrides that are few. */
    char *force_by;
    char *drain_by;
    bool carried; /* health came from the previous configuration (reload) */
    /* Its health in the previous configuration (a sb_health_state_t), or
     * SB_EP_NEW: not in it (or no reload). A reload's report compares. */
    int8_t before;
    /* In a fleet (sb_peers): the other nodes' views of it, and this node's
     * verdict as last told to them (-1: not yet). NULL without a fleet. */
    uint8_t *peer_views;
    int8_t told;
} sb_ep_state_t;

struct sb_profile_state {
    sb_profile_t *profile;
    sb_ep_state_t *eps;     /* profile->count of them, in priority order */
    sb_probe_view_t view;   /* what the decision published last means (logs, carry) */
    bool decided;           /* every endpoint has had a first result */
    bool reloaded;          /* carried from the previous configuration */
    sb_probe_view_t before; /* reloaded: what answered in it (the report compares) */
    uint16_t switchover;    /* answered first (ctl switchover), or SB_PICK_NONE */
    struct sb_peers *peers; /* the fleet's views (sb_peers); NULL without a fleet */
    char *switchover_by;    /* as force_by */
    /* When the switchover ends by itself (wall clock); 0: at failback. */
    int64_t switchover_until_ms;
    /* Profiles with a nested endpoint leading here: they decide again
     * when this one's decision changes. */
    sb_profile_state_t **parents;
    uint16_t parent_count;
    /* Room to decide into before knowing whether anything changed
     * (sb_route_decide_scratch), shared by every profile of the worker:
     * sized for the largest. NULL: decide by allocating. */
    void *scratch;
};

/* Every profile and endpoint of one generation. */
typedef struct sb_probe_states {
    sb_profile_state_t *profiles; /* in generation order: profiles[p->id] is p's */
    size_t profile_count;
    sb_profile_state_t **parent_links; /* storage of every profile's parents[] */
    void *scratch;                     /* every profile's scratch (above) */
    sb_ep_state_t *eps;                /* every profile's, profile by profile */
    size_t ep_count;
    sb_ep_probe_t *probes; /* storage of the probed endpoints' sb_ep_probe_t */
    sb_flap_t *flaps;      /* storage of their flap rings */
} sb_probe_states_t;

/* The endpoint's counters for metrics; NULL when it is not probed. */
static inline const sb_probe_stats_t *sb_ep_stats(const sb_ep_state_t *es)
{
    return es->probe != NULL ? &es->probe->stats : NULL;
}

/* The endpoint's last results, newest first; NULL when it is not probed
 * (sb_history_count() and sb_history_get() take NULL as empty). */
static inline const sb_history_t *sb_ep_history(const sb_ep_state_t *es)
{
    return es->probe != NULL ? &es->probe->history : NULL;
}

/* The probes in flight and waiting for a slot, as status and metrics show
 * them (the worker's scheduler fills it in). */
typedef struct {
    unsigned in_flight;
    unsigned max_in_flight;
    size_t waiting;
    uint64_t oldest_wait_ms;
    const sb_histogram_t *waits; /* each run's wait for a slot */
} sb_probe_load_t;

/* Every profile and endpoint of `gen`, fresh: endpoints checking (those
 * with no monitor up), no override, each profile's decision the one
 * published now. Returns 0 or -ENOMEM (free `st` either way). */
int sb_probe_state_init(sb_probe_states_t *st, sb_gen_t *gen);

/* Free the arrays of `st` (not the generation they point into). */
void sb_probe_state_free(sb_probe_states_t *st);

/* Wall clock, Unix milliseconds. */
int64_t sb_probe_state_wall_ms(void);

/* Count one probe result in the endpoint's counters (a probed one's). */
void sb_probe_state_count(sb_ep_state_t *es, const sb_result_t *r);

/* A profile by name, with or without the final dot; an endpoint of it by
 * name. NULL when there is none. Exact: for names the server wrote itself
 * (the state file, a reload's carry, the fleet's records). */
sb_profile_state_t *sb_probe_state_find_profile(const sb_probe_states_t *st, const char *name);
sb_ep_state_t *sb_probe_state_find_endpoint(const sb_profile_state_t *ps, const char *name);

/* A profile by the name an operator typed (every ctl command goes through
 * this): its whole name, with or without the final dot, in any case; or,
 * for a name without the final dot, a relative one — its first labels
 * (`www` or `www.example` for www.example.com.) — when one profile only
 * has them. Returns 0 with *out set; -ENOENT when no profile has that name
 * (the words add "did you mean www.example.com.?" when one is a slip of the
 * finger away, sb_suggest), or -EINVAL when several have it (the words
 * name them). Words in `why` either way. */
int sb_probe_state_resolve_profile(const sb_probe_states_t *st, const char *name,
                                   sb_profile_state_t **out, char *why, size_t why_len);

/* An endpoint of `ps` by the name an operator typed: its name, in any case;
 * or a whole word of it at its start or end, words being split at '-' and
 * '_' (`east` or `us` for us-east), when one endpoint only has it. Returns
 * as sb_probe_state_resolve_profile() does. */
int sb_probe_state_resolve_endpoint(const sb_profile_state_t *ps, const char *name,
                                    sb_ep_state_t **out, char *why, size_t why_len);

/* Whether `es` is the only endpoint of its address family in the profile
 * that is not drained: draining it would leave that family's queries
 * without an answer, so ctl, the state file and a reload all refuse it.
 * sb_probe_state_last_words() says so in `why`. */
bool sb_probe_state_last_of_family(const sb_profile_state_t *ps, const sb_ep_state_t *es);
void sb_probe_state_last_words(const sb_profile_state_t *ps, const sb_ep_state_t *es, char *why,
                               size_t why_len);

#endif
