/*
 * sb_monitor — the settings of a health monitor: what to probe and how to
 * judge it.
 *
 * A profile declares one monitor; each endpoint may override any of its
 * settings. Parsing fills an sb_monitor_t key by key (sb_monitor_set), the
 * endpoint's overrides are layered on top (sb_monitor_apply), and the result
 * is checked as a whole (sb_monitor_check) once everything is known.
 *
 * Settings and defaults (docs/zone-format.md is the reference):
 *   protocol  http | https | tcp | none
 *   port      1-65535; default 80 (http), 443 (https); required for tcp
 *   path      HTTP path, default "/"
 *   host      HTTP Host header; default the endpoint's target name
 *   interval  100ms-1h, default 10s
 *   timeout   below the interval; default min(5s, interval / 2)
 *   fall      1-10 consecutive failures before down, default 3
 *   rise      1-10 consecutive successes before up, default 2
 *   expect    HTTP status ranges, default 200-299
 *
 * Ownership: strings inside an sb_monitor_t live in the arena passed to
 * sb_monitor_set(); the struct itself is a plain value and may be copied.
 * Thread: pure data; build on one thread, read from any after publication.
 */
#ifndef SB_MONITOR_H
#define SB_MONITOR_H

#include "sb_arena.h"
#include "sb_diag.h"
#include "sb_value.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    SB_MONITOR_NONE = 0,
    SB_MONITOR_HTTP,
    SB_MONITOR_HTTPS,
    SB_MONITOR_TCP,
} sb_monitor_proto_t;

typedef enum {
    SB_MK_PORT = 0,
    SB_MK_PATH,
    SB_MK_HOST,
    SB_MK_INTERVAL,
    SB_MK_TIMEOUT,
    SB_MK_FALL,
    SB_MK_RISE,
    SB_MK_EXPECT,
    SB_MK_COUNT
} sb_monitor_key_t;

#define SB_MONITOR_MAX_RANGES      8
#define SB_MONITOR_MIN_INTERVAL_MS 100
#define SB_MONITOR_MAX_INTERVAL_MS (3600 * 1000)

typedef struct sb_monitor {
    sb_monitor_proto_t proto;
    uint16_t port; /* 0 until set; see sb_monitor_port() */
    const char *path;
    const char *host; /* NULL: the endpoint's target name */
    uint32_t interval_ms;
    uint32_t timeout_ms; /* 0 until set; see sb_monitor_check() */
    uint8_t fall;
    uint8_t rise;
    uint8_t expect_count;
    sb_status_range_t expect[SB_MONITOR_MAX_RANGES];
    uint32_t set;              /* bit (1 << key) for each key given explicitly */
    sb_pos_t pos[SB_MK_COUNT]; /* where each given key was written */
    sb_pos_t proto_pos;        /* where the protocol was named */
} sb_monitor_t;

/* Reset `m` to the defaults for `proto`. */
void sb_monitor_init(sb_monitor_t *m, sb_monitor_proto_t proto, sb_pos_t where);

/* "http", "https", "tcp" or "none". Returns 0 or -EINVAL. */
int sb_monitor_proto_parse(const char *text, sb_monitor_proto_t *out);
const char *sb_monitor_proto_name(sb_monitor_proto_t proto);

/* True if `key` names a monitor setting. */
bool sb_monitor_is_key(const char *key);

/* Set one key from its (unquoted) text value. Returns 0; SB_ENOTFOUND for an
 * unknown key; -EINVAL with `why` for a bad value; -ENOMEM. */
int sb_monitor_set(sb_monitor_t *m, const char *key, const char *value, sb_pos_t where,
                   sb_arena_t *arena, char *why);

/* Copy into `dst` every key that `overrides` set explicitly. */
void sb_monitor_apply(sb_monitor_t *dst, const sb_monitor_t *overrides);

/* Check the settings as a whole and fill in derived defaults (the timeout).
 * Returns 0, or -EINVAL with `why` and `*where` naming the setting to fix. */
int sb_monitor_check(sb_monitor_t *m, char *why, sb_pos_t *where);

/* The port to probe, with the protocol's default applied. */
uint16_t sb_monitor_port(const sb_monitor_t *m);

/* True if `status` is one of the expected HTTP statuses. */
bool sb_monitor_status_ok(const sb_monitor_t *m, unsigned status);

#endif
