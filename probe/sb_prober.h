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
 * Thread: the sb_prober_* functions are called from one controlling thread.
 */
#ifndef SB_PROBER_H
#define SB_PROBER_H

#include "sb_gen.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sb_prober sb_prober_t;

#define SB_PROBER_DEFAULT_IN_FLIGHT 2048

typedef struct {
    unsigned max_in_flight; /* probes running at once, at least 1 */
} sb_prober_config_t;

/* Returns 0 or a negative errno. */
int sb_prober_start(sb_prober_t **out, sb_gen_t *gen, const sb_prober_config_t *cfg);

/* The longest the first round can take, in ms: the largest probe timeout,
 * once for every `max_in_flight` endpoints (probes beyond the cap wait). */
uint32_t sb_prober_first_round_bound(const sb_gen_t *gen, unsigned max_in_flight);

/* Wait until every probed endpoint has had one result, or `timeout_ms`
 * passes. Returns true when the round completed. */
bool sb_prober_wait_first_round(sb_prober_t *p, uint32_t timeout_ms);

/* Number of endpoints, and of distinct checks run for them. */
size_t sb_prober_endpoint_count(const sb_prober_t *p);
size_t sb_prober_check_count(const sb_prober_t *p);

void sb_prober_stop(sb_prober_t *p);

#endif
