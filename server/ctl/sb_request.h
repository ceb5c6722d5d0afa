/*
 * sb_request — the control protocol's requests: one table of commands,
 * shared by `switchboard ctl` (which builds requests) and the control
 * socket (which parses them), and the strict parser for one request.
 *
 * The protocol is one line of JSON each way, over a Unix stream socket
 * (sb_control serves it; sb_ctl is its client):
 *   {"command": "status", "profiles": ["www", ...] (optional: only these;
 *    each resolved by sb_probe_state_resolve_profile), "down": true
 *    (optional: only profiles in trouble), "offset": N, "limit": N
 *    (optional: a page of the profiles matching; limit 0 or absent: all)}
 *   {"command": "drain" | "undrain" | "unforce",
 *    "profile": "www.example.com.", "endpoint": "east"}
 *   {"command": "force", "profile": ..., "endpoint": ..., "state": "up" | "down",
 *    "for_seconds": N (optional, 1 to SB_REQUEST_FOR_MAX_SECONDS; absent: no end)}
 *   {"command": "switchover", "profile": ..., "endpoint": ...,
 *    "for_seconds": N (optional, as for force)}
 *   {"command": "failback", "profile": ...}
 *   any override may add "local": true (in a fleet: this nameserver only)
 *   {"command": "reload"}
 * and back {"ok": true, "message": "...", "status": {...}} or
 * {"ok": false, "error": "..."}. An override's reply names the profile and
 * endpoint it applied to ("profile", "endpoint": the configuration's
 * spelling of names typed short); a reload's lists what it changed
 * ("changes": sb_prober_reload_report).
 *
 * The table also holds each command's words for `switchboard ctl help`, so
 * that a command and its help cannot part.
 *
 * A request is read whole (at most SB_REQUEST_MAX_BYTES). Parsing
 * reads it whole and checks every argument its command needs; it applies
 * nothing, so it can be tested and fuzzed on its own. Errors come back as
 * the words the client is told ("bad request: ...", "force needs a state:
 * up or down").
 *
 * Ownership: a parsed request owns its JSON document; the strings in its
 * override point into it until sb_request_free().
 * Thread: any; no shared state.
 */
#ifndef SB_REQUEST_H
#define SB_REQUEST_H

#include "sb_override.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_REQUEST_DEFAULT_SOCKET "/run/switchboard/control.sock"
#define SB_REQUEST_MAX_BYTES      65536

/* The longest `--for` of a force or a switchover: a year (8760 h). Zero
 * would mean "forever", so the shortest is one second. */
#define SB_REQUEST_FOR_MAX_SECONDS (8760 * 3600)

typedef enum {
    SB_REQUEST_STATUS,
    SB_REQUEST_RELOAD,
    SB_REQUEST_OVERRIDE,
} sb_request_kind_t;

/* Profiles one `status` may name. */
#define SB_REQUEST_MAX_PROFILES 256

typedef struct {
    const char *name; /* as typed and as sent: "drain" */
    sb_request_kind_t kind;
    sb_override_op_t op; /* SB_REQUEST_OVERRIDE only */
    int words;           /* arguments after the name: profile, endpoint, state */
    bool any_words;      /* status: any number of profile names instead */
    const char *args;    /* as usage writes them: "PROFILE ENDPOINT up|down" */
    const char *summary; /* one line for the list of commands */
    const char *help;    /* the rest of `ctl help COMMAND`, lines of at most 76 */
} sb_request_command_t;

/* The command called `name`, or NULL. */
const sb_request_command_t *sb_request_command(const char *name);

/* Every command, in the order ctl lists them; `*count` of them. */
const sb_request_command_t *sb_request_commands(size_t *count);

typedef struct {
    const sb_request_command_t *command;
    sb_override_t override; /* SB_REQUEST_OVERRIDE: op, profile, endpoint,
                               force_up, until_ms; `by` is the caller's to set */
    const json_t *profiles; /* SB_REQUEST_STATUS: the names asked for (an array
                               of strings), or NULL for all; in `doc` */
    bool down;              /* SB_REQUEST_STATUS: only the profiles in trouble */
    size_t offset, limit;   /* SB_REQUEST_STATUS: a page of them; limit 0: all */
    json_t *doc;
} sb_request_t;

/* Parse one request of `len` bytes (no NUL needed). `now_ms` (Unix ms)
 * turns a force's or a switchover's for_seconds into its end; any other
 * command given for_seconds is refused. Returns 0, or -EINVAL with the
 * client's error in `err`; out->doc is NULL then. */
int sb_request_parse(const char *text, size_t len, int64_t now_ms, sb_request_t *out, char *err,
                     size_t errlen);

void sb_request_free(sb_request_t *r);

#endif
