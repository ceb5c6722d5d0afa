/*
 * sb_fleet — this nameserver's link to its fleet over NATS JetStream: the
 * connection, the override bucket and a watch on it.
 *
 * Every node also announces itself and sends its health verdicts
 * (sb_fleet_talk), so that each can show who is in the fleet, whose
 * configuration differs, and count the others' views.
 *
 * Overrides set on any node are written to one replicated key-value bucket
 * (<fleet-name>-overrides; keys and values: sb_fleet_record) and every
 * node applies them from its watch. This module only moves records: it
 * hands each one the watch delivers to the server as an event
 * (sb_fleet_next), and writes the server's own (sb_fleet_put). Applying
 * them is the server's (sb_fleet_sync), on its control loop.
 *
 * Threads: one thread of its own connects (again and again while no
 * server answers), binds the bucket (creating it, replicated `replicas`
 * ways, when it does not exist) and runs the watch; NATS's own threads do
 * the I/O. Nothing here is on the query path, and nothing waits on it
 * there. sb_fleet_put blocks its caller for at most the configured
 * timeout: call it off any loop (a libuv work thread).
 *
 * After a reconnection the watch starts again, so every current value is
 * delivered again (applying one twice changes nothing), followed by a
 * SYNCED event, as after the first.
 *
 * Ownership: the fleet borrows its config, which must outlive it.
 * Thread: sb_fleet_new, sb_fleet_start and sb_fleet_stop on one thread;
 * the rest from any thread.
 */
#ifndef SB_FLEET_H
#define SB_FLEET_H

#include "sb_fleet_config.h"
#include "sb_fleet_record.h"
#include "sb_fleet_types.h"
#include "sb_metrics.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Prepare the link: NATS's options, from the config (the certificates' text
 * was read with it). Returns 0, or a negative errno with words in `err`. */
int sb_fleet_new(sb_fleet_t **out, const sb_fleet_config_t *cfg, const sb_fleet_hooks_t *hooks,
                 char *err, size_t errlen);

/* Where other nodes' health messages go (the hooks' on_health, with `arg`
 * as its first argument); before sb_fleet_start(). */
void sb_fleet_on_health(sb_fleet_t *f,
                        void (*fn)(void *arg, const char *from, const char *data, size_t len),
                        void *arg);

/* Start the link's thread. With `cfg->required`, first connect and bind the
 * bucket here (each server tried once, within its connect timeout) and
 * fail if that cannot be done. Returns 0, or a negative errno with words in
 * `err` (then stop it with sb_fleet_stop()). */
int sb_fleet_start(sb_fleet_t *f, char *err, size_t errlen);

/* Take the next waiting event; false when none is waiting. */
bool sb_fleet_next(sb_fleet_t *f, sb_fleet_event_t *ev);

/* Write `o` to its slot, as this node, and wait for the store to accept it.
 * Returns 0 with the slot and its new revision; a negative errno with words
 * in `err` (-ENOTCONN: no fleet server is connected or the bucket is not
 * bound yet; -ETIMEDOUT; -EIO: the store refused). */
int sb_fleet_put(sb_fleet_t *f, const sb_override_t *o, char *key, size_t key_cap,
                 uint64_t *revision, char *err, size_t errlen);

/* Read slot `key` from the store itself, as an event (its record to free
 * with sb_fleet_record_free). Returns 0; -ENOENT when the store holds no
 * value for it (deleted or purged slots included); another negative errno
 * with words in `err`. Blocks like sb_fleet_put. */
int sb_fleet_get(sb_fleet_t *f, const char *key, sb_fleet_event_t *ev, char *err, size_t errlen);

/* Wait until the watch has delivered every current value once, at most
 * `timeout_ms`; whether it has. (At start, so that the first answers
 * already follow the fleet's overrides.) */
bool sb_fleet_wait_synced(sb_fleet_t *f, unsigned timeout_ms);

/* Whether a fleet server is connected and the bucket bound: a put can be
 * tried. */
bool sb_fleet_available(sb_fleet_t *f);

/* The link's state for `ctl status`: node, fleet, connected server, bucket,
 * whether the watch has delivered every value, the last error, counts. The
 * caller owns the object. */
json_t *sb_fleet_status(sb_fleet_t *f);

/* The link's metrics families (a metrics source: `arg` is the fleet):
 * connected, synced, values received, writes and their latency. Any
 * thread. */
void sb_fleet_metrics(sb_metrics_buf_t *out, void *arg);

/* This node's name. */
const char *sb_fleet_node(const sb_fleet_t *f);

/* Stop the watch, close the connection and free everything; events not
 * taken are dropped. */
void sb_fleet_stop(sb_fleet_t *f);

#endif
