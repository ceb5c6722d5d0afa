/*
 * sb_carry — what a reload keeps from the probe worker it replaces: each
 * endpoint's health (when its probe did not change), history, counters and
 * overrides; each profile's switchover and the endpoint it was answering
 * with; and the worker's queue-wait histogram, so that it stays a counter.
 *
 * The old worker's state is copied out on its thread (sb_carry_take, run
 * by sb_prober_carry_take) and looked up by name while the new worker
 * builds on its own thread (the rest).
 *
 * Ownership: a carry is the caller's, freed with sb_carry_free(); it holds
 * copies, nothing of either generation.
 * Thread: take on the old worker's thread; apply on the new one's; free
 * anywhere once the new worker has started.
 */
#ifndef SB_CARRY_H
#define SB_CARRY_H

#include "sb_check.h"
#include "sb_histogram.h"
#include "sb_peers.h"
#include "sb_probe_state.h"

#include <jansson.h>

typedef struct sb_carry sb_carry_t;

/* A copy of `st` and the queue-wait histogram, with each endpoint's probe
 * key by the worker's probe types; NULL when out of memory (the reload
 * then starts every endpoint afresh). */
sb_carry_t *sb_carry_take(const sb_probe_states_t *st, const sb_histogram_t *queue_wait,
                          const sb_check_type_t *const *types);
void sb_carry_free(sb_carry_t *carry);

/* Take over what the previous configuration knew about an endpoint:
 * overrides, history and counters always; health only when its probe is
 * unchanged (`probe_key`, NULL for an endpoint not probed). With a NULL
 * carry, nothing. */
void sb_carry_endpoint(const sb_carry_t *carry, sb_ep_state_t *es, const char *probe_key);

/* ... and about a profile: its switchover (with its setter and end), and
 * the endpoint it was answering with (the reload's answer-change log
 * compares with it). */
void sb_carry_profile(const sb_carry_t *carry, sb_profile_state_t *ps);

/* ... and the worker's queue-wait histogram. */
void sb_carry_queue_wait(const sb_carry_t *carry, sb_histogram_t *out);

/* In a fleet, once `p` is set up for `st`: the other nodes as the previous
 * worker heard them, and their views of each endpoint still configured, so
 * that a reload does not judge alone until they next speak. */
void sb_carry_peers(const sb_carry_t *carry, sb_peers_t *p, sb_probe_states_t *st);

/* Once a profile's endpoints are carried: drop (and log) a carried drain
 * that the new configuration would leave as the last endpoint of its
 * family, since its queries would then get no answer. */
void sb_carry_check_drains(sb_profile_state_t *ps);

/* Once everything is built: log every carried override whose profile or
 * endpoint the new configuration no longer has (event=override-dropped);
 * it is not carried, so the next save of the state file leaves it out. */
void sb_carry_report_dropped(const sb_carry_t *carry, const sb_probe_states_t *st);

/* The names of the previous configuration's profiles that `st` no longer
 * has, in name order (an array of strings; empty with a NULL carry); NULL
 * when out of memory. The caller owns it. */
json_t *sb_carry_removed(const sb_carry_t *carry, const sb_probe_states_t *st);

#endif
