/*
 * sb_prober — the probe worker: one thread with its own libuv loop that
 * checks every endpoint of a generation, keeps each endpoint's health
 * (sb_health's fall/rise) and, when an endpoint changes state, recomputes its
 * profile's choice and publishes it (sb_profile_publish: one atomic store).
 *
 * The DNS side never waits on this thread: it only reads published choices.
 *
 * Every state change is logged once (endpoint, old and new state, reason),
 * and so is every change of the answering endpoint and every time a profile
 * has to fail open because all its endpoints are down.
 *
 * Scheduling: endpoints whose probes are identical (target, port, protocol,
 * request, timing) share one check, run once per interval. Each check has
 * its own phase within its interval, plus a little jitter per run, so that
 * probes are spread rather than fired together. At most `max_in_flight`
 * probes run at once; past that, probes wait in order for a slot, and the
 * wait is logged and kept with each result. An endpoint keeps its last
 * results (sb_history) and may be held down when it flaps (sb_flap).
 *
 * Lifecycle: sb_prober_start() starts the thread and the first round of
 * probes at once; sb_prober_wait_first_round() lets the server hold its
 * first answer until every endpoint has a first result (bounded by the
 * probes' timeouts); sb_prober_stop() stops probing and joins the thread.
 *
 * Ownership: the prober borrows the generation, which must outlive it.
 * Thread: sb_prober_start() and sb_prober_stop() may run on different
 * threads, one after the other (a reload starts a worker on a thread of
 * libuv's pool; the control loop stops it). The calls that run on the
 * worker's thread (overrides, status, carry, metrics) may come from any
 * thread; they run one at a time.
 */
#ifndef SB_PROBER_H
#define SB_PROBER_H

#include "sb_carry.h"
#include "sb_check.h"
#include "sb_gen.h"
#include "sb_metrics.h"
#include "sb_name.h"
#include "sb_override.h"
#include "sb_probe_metrics.h"
#include "sb_verdicts.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

typedef struct sb_prober sb_prober_t;

#define SB_PROBER_DEFAULT_IN_FLIGHT 2048

typedef struct {
    unsigned max_in_flight;              /* probes running at once, at least 1 */
    sb_latency_detail_t metrics_latency; /* how finely probe latency is labelled */
    /* Name servers for endpoint names, as c-ares lists them
     * ("127.0.0.1:53,[::1]:53"); NULL: those in /etc/resolv.conf.
     * Borrowed: must outlive the worker. */
    const char *resolvers;
    /* The local addresses to probe from, one per family (--probe-source);
     * NULL: the kernel's choice. Borrowed: must outlive the worker. */
    const sb_addr_t *source_v4, *source_v6;
    /* In a fleet, this node's name (NULL: no fleet, no views from others)
     * and where its verdicts go: tell() is called on the worker's thread
     * with a health message (sb_verdicts) the callee takes, and must only
     * hand it over. Borrowed: must outlive the worker. */
    const char *fleet_node;
    void (*tell)(void *arg, char *text);
    void *tell_arg;
    /* Called on the worker's thread when the overrides changed by
     * themselves (a force or a switchover reached its end), so that the state file
     * is saved again. It must only hand the news to another thread (as
     * uv_async_send does). NULL: nobody is told. */
    void (*overrides_changed)(void *arg);
    void *overrides_changed_arg;
    /* The probe types, NULL-terminated (tests register their own); NULL:
     * sb_check_types_builtin. Borrowed: must outlive the worker. */
    const sb_check_type_t *const *check_types;
} sb_prober_config_t;

/* Take a copy of what `p` knows that a reload keeps (sb_carry), on its
 * thread. NULL when out of memory (the reload then starts every endpoint
 * afresh). Free it with sb_carry_free(). */
sb_carry_t *sb_prober_carry_take(sb_prober_t *p);

/* Start a worker for `gen`. With `carry` (from the worker of the previous
 * configuration), every endpoint whose probe did not change keeps its
 * health and history and needs no first result; every override carries by
 * profile and endpoint name. Returns 0 or a negative errno. */
int sb_prober_start(sb_prober_t **out, sb_gen_t *gen, const sb_prober_config_t *cfg,
                    const sb_carry_t *carry);

/* How many endpoints kept their health from `carry`. */
size_t sb_prober_carried_count(const sb_prober_t *p);

/* The longest the first round can take, in ms: the largest probe timeout,
 * once for every `max_in_flight` endpoints (probes beyond the cap wait). */
uint32_t sb_prober_first_round_bound(const sb_gen_t *gen, unsigned max_in_flight);

/* Wait until every probed endpoint has had one result, or `timeout_ms`
 * passes, or sb_prober_interrupt_wait() is called. Returns true when the
 * round completed. */
bool sb_prober_wait_first_round(sb_prober_t *p, uint32_t timeout_ms);

/* Make a sb_prober_wait_first_round() on another thread return at once, and
 * every later one too (a reload abandoned at shutdown). Any thread. */
void sb_prober_interrupt_wait(sb_prober_t *p);

/* Number of endpoints, and of distinct checks run for them. */
size_t sb_prober_endpoint_count(const sb_prober_t *p);
size_t sb_prober_check_count(const sb_prober_t *p);

/* ---- calls from other threads -------------------------------------------
 * Each runs on the worker's thread and waits for it: the worker owns all
 * state, and its loop never blocks, so the wait is short. Calls from
 * several threads (the control loop, a metrics scrape, a reload taking its
 * carry) are run one after the other. */

/* Apply one override (sb_override_apply). */
int sb_prober_override(sb_prober_t *p, const sb_override_t *o, char *why, size_t why_len);

/* Whether `o` could be applied now (sb_override_check), changing nothing. */
int sb_prober_override_check(sb_prober_t *p, const sb_override_t *o, char *why, size_t why_len);

/* Another fleet node's health message (never this node's own): its views
 * count in the fleet's verdicts (sb_peers). */
void sb_prober_peer_message(sb_prober_t *p, const sb_verdicts_t *m);

/* Which profiles a status shows (sb_probe_status). */
typedef struct {
    /* The profiles an operator named, an array of strings, each resolved as
     * sb_probe_state_resolve_profile() does; NULL or empty: every profile. */
    const json_t *names;
    bool down;            /* only those in trouble (sb_probe_status_troubled) */
    size_t offset, limit; /* a page of those matching; limit 0: all */
} sb_prober_status_query_t;

/* The status of the profiles `q` selects (NULL: all) and the zones they
 * are in, as JSON text (sb_probe_status_text): state, reason, since when,
 * last latency, overrides, the endpoint answering now. The caller frees
 * it. NULL with words in `why` when a name resolves to no profile, or to
 * several, or when out of memory. */
char *sb_prober_status_text(sb_prober_t *p, const sb_prober_status_query_t *q, size_t *len,
                            char *why, size_t why_len);

/* Every profile's status as a tree (for tests). The caller owns it. */
json_t *sb_prober_status(sb_prober_t *p);

/* A profile and an endpoint as an operator typed them (endpoint NULL for
 * none: a failback), as the configuration spells them: ctl's overrides are
 * resolved so before they are applied or given to the fleet. */
typedef struct {
    char profile[SB_NAME_TEXT_MAX + 1];
    char endpoint[64]; /* "" when none was asked for */
} sb_prober_names_t;

/* Resolve `profile` (and `endpoint`, unless NULL) with
 * sb_probe_state_resolve_profile() and _endpoint() into `out`. Returns 0,
 * or their error with words in `why`. */
int sb_prober_resolve(sb_prober_t *p, const char *profile, const char *endpoint,
                      sb_prober_names_t *out, char *why, size_t why_len);

/* What a reload changed (sb_probe_report): for a worker started with a
 * carry, once its first round is in. The caller owns it; NULL when out of
 * memory. */
json_t *sb_prober_reload_report(sb_prober_t *p);

/* The overrides in force, as the state file keeps them (an array of
 * {"profile", "endpoint", "action", ...}). The caller owns the array. */
json_t *sb_prober_overrides(sb_prober_t *p);

/* Write the probe families into a metrics scrape: endpoint state, state
 * changes, results by reason, probe latency histogram, who answers, and
 * the cap on probes in flight at work (running, waiting, and a histogram
 * of waits for a slot). Any thread (a scrape's). */
void sb_prober_metrics(sb_prober_t *p, sb_metrics_buf_t *out);

/* Endpoints by health state, indexed by sb_health_state_t (checking, up,
 * down). */
void sb_prober_count_states(sb_prober_t *p, size_t counts[3]);

void sb_prober_stop(sb_prober_t *p);

#endif
