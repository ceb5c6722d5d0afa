/*
 * sb_monitor_pool — one shared copy of each distinct monitor in a zone.
 *
 * Loading a zone makes an effective monitor per endpoint (its profile's
 * settings with the endpoint's overrides, sb_monitor). Most are the same
 * across a zone's profiles: the pool hands back one arena copy for every
 * endpoint whose settings are equal, instead of one 672-byte copy each.
 *
 * Equal means every setting equal: numbers, status ranges, addresses,
 * votes and which keys were given (`set`), and strings by their text (path,
 * host, headers, body, TLS files, send, receive, probe-target). Where each
 * key was written (pos[], proto_pos) differs from one profile to the next
 * and is a parse's business, needed only by sb_monitor_check() before the
 * monitor is pooled: the shared copy has them cleared (line 0), so nothing
 * may report a position from a pooled monitor.
 *
 * Ownership: sb_monitor_pool_new() allocates the pool and its table (the
 * caller frees them with sb_monitor_pool_free()). The monitors it returns
 * live in the arena given to sb_monitor_pool_intern(), point at strings the
 * caller keeps alive as long (the same arena, in the loader), and outlive
 * the pool. Every call with one pool must pass the same arena.
 * Thread: one thread at a time (the loader's).
 */
#ifndef SB_MONITOR_POOL_H
#define SB_MONITOR_POOL_H

#include "sb_arena.h"
#include "sb_monitor.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct sb_monitor_pool sb_monitor_pool_t;

/* An empty pool. Returns 0 or -ENOMEM. */
int sb_monitor_pool_new(sb_monitor_pool_t **out);

/* Free the pool (not the monitors it handed out). NULL is fine. */
void sb_monitor_pool_free(sb_monitor_pool_t *pool);

/* The pool's copy of `m` (positions cleared): an earlier one equal to it,
 * or a new copy in `arena`. NULL when out of memory. */
const sb_monitor_t *sb_monitor_pool_intern(sb_monitor_pool_t *pool, sb_arena_t *arena,
                                           const sb_monitor_t *m);

/* How many distinct monitors the pool holds. */
size_t sb_monitor_pool_count(const sb_monitor_pool_t *pool);

/* Whether `a` and `b` have equal settings, as the pool compares them
 * (positions ignored, strings by text). */
bool sb_monitor_pool_same(const sb_monitor_t *a, const sb_monitor_t *b);

#endif
