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
 *   protocol      http | https | tcp | none
 *   port          1-65535; default 80 (http), 443 (https); required for tcp
 *   interval      100ms-1h, default 10s
 *   timeout       below the interval; default min(5s, interval / 2)
 *   fall, rise    1-10 consecutive failures / successes, default 3 and 2
 *   family        ipv4-first (default), ipv6-first, ipv4, ipv6
 *   probe-target  probe this name or address instead of the served target
 *                 (endpoints only), optionally with :port
 *   flap-limit, flap-window, hold-down
 *                 anti-flap: more than flap-limit state changes within
 *                 flap-window hold the endpoint down for hold-down (off)
 *   source        the local address to probe from, for endpoints of its
 *                 family (default: the server's probe-source)
 *   fleet         local (default), any, majority, all, N or P%: how the
 *                 fleet's nameservers' verdicts make this one's (sb_vote)
 *   HTTP(S):      path ("/"), host (the target's name), expect (200-299),
 *                 method (GET | HEAD), header (repeatable, up to 8),
 *                 body (a substring the body must contain), body-kib (64),
 *                 keep-alive (no: a new connection per probe)
 *   HTTPS:        tls-verify (yes), ca-file, client-cert, client-key
 *   TCP:          send, receive (a line protocol's request and answer)
 * A setting that does not apply to the protocol is an error.
 *
 * Ownership: strings inside an sb_monitor_t live in the arena passed to
 * sb_monitor_set(); the struct itself is a plain value and may be copied.
 * Thread: pure data; build on one thread, read from any after publication.
 */
#ifndef SB_MONITOR_H
#define SB_MONITOR_H

#include "sb_addr.h"
#include "sb_arena.h"
#include "sb_diag.h"
#include "sb_value.h"
#include "sb_vote.h"

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
    SB_MK_METHOD,
    SB_MK_HEADER,
    SB_MK_BODY,
    SB_MK_BODY_KIB,
    SB_MK_KEEP_ALIVE,
    SB_MK_TLS_VERIFY,
    SB_MK_CA_FILE,
    SB_MK_CLIENT_CERT,
    SB_MK_CLIENT_KEY,
    SB_MK_SEND,
    SB_MK_RECEIVE,
    SB_MK_FAMILY,
    SB_MK_PROBE_TARGET,
    SB_MK_FLAP_LIMIT,
    SB_MK_FLAP_WINDOW,
    SB_MK_HOLD_DOWN,
    SB_MK_FLEET,
    SB_MK_SOURCE,
    SB_MK_COUNT
} sb_monitor_key_t;

#define SB_MONITOR_MAX_RANGES       8
#define SB_MONITOR_MAX_HEADERS      8
#define SB_MONITOR_MIN_INTERVAL_MS  100
#define SB_MONITOR_MAX_INTERVAL_MS  (3600 * 1000)
#define SB_MONITOR_DEFAULT_BODY_KIB 64

typedef enum {
    SB_HTTP_GET = 0,
    SB_HTTP_HEAD,
} sb_http_method_t;

typedef enum {
    SB_FAMILY_IPV4_FIRST = 0, /* IPv4 when the name has it, else IPv6 */
    SB_FAMILY_IPV6_FIRST,
    SB_FAMILY_IPV4, /* IPv4 only: a name without A fails to resolve */
    SB_FAMILY_IPV6,
} sb_family_pref_t;

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
    sb_http_method_t method;
    uint8_t header_count;
    const char *headers[SB_MONITOR_MAX_HEADERS]; /* "Name: value" each */
    const char *body;                            /* NULL: no text to find in the body */
    uint32_t body_kib;                           /* read at most this much body */
    bool keep_alive; /* reuse the connection between probes (sb_check_http) */
    bool tls_verify;
    const char *ca_file; /* NULL: the system's CA store */
    const char *client_cert;
    const char *client_key; /* NULL: in client_cert's file, if any */
    const char *send;       /* tcp: sent once connected; NULL: nothing */
    const char *receive;    /* tcp: must appear in what the server sends */
    sb_family_pref_t family;
    const char *probe_host; /* NULL: probe the endpoint's own target */
    uint16_t probe_port;    /* from probe-target=HOST:PORT; 0: none */
    uint8_t flap_limit;     /* 0: no hold-down */
    uint32_t flap_window_ms;
    uint32_t hold_down_ms;
    sb_vote_t fleet;           /* how the fleet's verdict is formed; local without a fleet */
    sb_addr_t source;          /* probe from this address (its family's endpoints); family 0: the
                                  server's probe-source, else the kernel's choice */
    uint32_t set;              /* bit (1 << key) for each key given explicitly */
    sb_pos_t pos[SB_MK_COUNT]; /* where each given key was written */
    sb_pos_t proto_pos;        /* where the protocol was named */
} sb_monitor_t;

/* Reset `m` to the defaults for `proto`. */
void sb_monitor_init(sb_monitor_t *m, sb_monitor_proto_t proto, sb_pos_t where);

/* "http", "https", "tcp" or "none". Returns 0 or -EINVAL. */
int sb_monitor_proto_parse(const char *text, sb_monitor_proto_t *out);
const char *sb_monitor_proto_name(sb_monitor_proto_t proto);

const char *sb_monitor_key_name(sb_monitor_key_t key);

/* "port, path, ...": every setting's name, for error messages. */
void sb_monitor_key_list(char *buf, size_t cap);

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

/* The port to probe: probe-target's port, else port=, else the protocol's
 * default. */
uint16_t sb_monitor_port(const sb_monitor_t *m);

/* True if `status` is one of the expected HTTP statuses. */
bool sb_monitor_status_ok(const sb_monitor_t *m, unsigned status);

#endif
