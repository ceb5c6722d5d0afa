/*
 * sb_fleet_sync — the fleet's overrides on this nameserver, on the control
 * loop: what the fleet's watch delivers is applied to the probe worker
 * (and saved to the state file, the cache a restart without the fleet
 * serves from); what ctl asks for is written to the fleet first and applied
 * here once the store has accepted it.
 *
 * Order: each slot's values carry the store's revision; a value older than
 * the one last applied to its slot (the echo of an earlier write arriving
 * after a later one) is skipped, so a slot never flips back.
 *
 * The emergency path: with the fleet unreachable, ctl refuses an override
 * unless it says --local; a local-only override applies here alone and is
 * listed as such. When the fleet returns, the fleet's state wins: a slot
 * the fleet holds gets the fleet's value, and a local-only override the
 * fleet does not hold is undone (logged). Why: the store is the one record
 * every nameserver answers from; keeping a local-only override after the
 * outage would leave this nameserver answering unlike the others, the
 * split this whole feature exists to prevent. An operator who wants it
 * everywhere issues it again without --local.
 *
 * While a reload runs, fleet values and ctl's local applications wait for
 * it to end (as ctl's overrides always have), then apply to the
 * configuration it installed.
 *
 * Ownership: the sync owns its fleet link (sb_fleet). Close it with
 * sb_fleet_sync_close() and run the loop: it is freed once every write in
 * flight has been answered.
 * Thread: the control loop only.
 */
#ifndef SB_FLEET_SYNC_H
#define SB_FLEET_SYNC_H

#include "sb_fleet.h"
#include "sb_prober.h"
#include "sb_reload.h"

#include <jansson.h>
#include <uv.h>

typedef struct sb_fleet_sync sb_fleet_sync_t;

/* Called on the loop with ctl's reply ({"ok": ..., "message"/"error"}),
 * which the callee takes. */
typedef void (*sb_fleet_sync_done_fn)(void *waiter, json_t *reply);

/* Prepare to join the fleet `cfg` describes (sb_fleet_new). `state_file`
 * is where overrides are saved. Returns 0 or a negative errno with words in
 * `err`. */
int sb_fleet_sync_open(sb_fleet_sync_t **out, uv_loop_t *loop, const sb_fleet_config_t *cfg,
                       const char *state_file, char *err, size_t errlen);

/* Join: start the link (sb_fleet_start). Returns 0 or a negative errno
 * with words in `err`; close the sync then. */
int sb_fleet_sync_start(sb_fleet_sync_t *s, char *err, size_t errlen);

/* The probe worker overrides go to (at start and after every reload), and
 * the reloader, once each exists. */
void sb_fleet_sync_set_prober(sb_fleet_sync_t *s, sb_prober_t *prober);
void sb_fleet_sync_set_reload(sb_fleet_sync_t *s, sb_reload_t *reload);

/* At start, before answering: wait (at most `timeout_ms`) for the fleet's
 * current overrides and apply them. Returns whether they were all in. */
bool sb_fleet_sync_catch_up(sb_fleet_sync_t *s, unsigned timeout_ms);

/* ctl's override `o` (its strings are copied): to the fleet and then here,
 * or with o->local, here only while the fleet cannot be reached. done() is
 * always called, later, on the loop. */
void sb_fleet_sync_override(sb_fleet_sync_t *s, const sb_override_t *o, sb_fleet_sync_done_fn done,
                            void *waiter);

/* The fleet link (for its metrics); it lives until the sync is closed. */
sb_fleet_t *sb_fleet_sync_fleet(sb_fleet_sync_t *s);

/* The link's state and the local-only overrides, for `ctl status`. */
json_t *sb_fleet_sync_status(sb_fleet_sync_t *s);

void sb_fleet_sync_close(sb_fleet_sync_t *s);

#endif
