/*
 * sb_control — the control socket: a Unix stream socket on the controlling
 * thread's loop, where `switchboard ctl` sends one request and reads one
 * reply per connection.
 *
 * The protocol (one line of JSON each way) is sb_request's. Every override
 * is logged with the peer's uid (SO_PEERCRED) and saved to the state file
 * before the reply. In a fleet, an override is handed to sb_fleet_sync,
 * which replies once the fleet has stored it (or why not).
 *
 * While a reload runs (sb_reload), `status` is answered at once from the
 * configuration being served; a `reload` joins the reloader's queue and is
 * answered when the run that covers it ends; an override waits for the
 * running reload to end and then applies to the configuration it
 * installed.
 *
 * At most SB_CONTROL_MAX_CLIENTS connections are served at once; each has
 * SB_CONTROL_REQUEST_TIMEOUT_MS to send its request. Requests are parsed
 * by sb_request.
 *
 * Other transports (the HTTP API, sb_http_api) hand their parsed requests
 * to sb_control_run(): they run exactly as the socket's do — the same
 * commands, refusals, fleet path, waits for a reload and audit trail —
 * with the caller named by the transport instead of by SO_PEERCRED.
 *
 * The socket is created with mode 0600 (no other user may even connect;
 * the mode is configurable) in a directory created if missing, owned by
 * the user the server runs as. A stale
 * socket left by a crash is replaced; one that another live server answers
 * on is an error.
 *
 * Ownership: the control object owns its handles; sb_control_close()
 * closes them and removes the socket (run the loop afterwards). From then
 * on no request reaches the probe worker: a client whose request has not
 * run is told "the server is stopping"; one waiting on the reloader is
 * answered when sb_reload_close() abandons the run. The object is freed
 * once its last client is.
 * Thread: the controlling thread's loop only.
 */
#ifndef SB_CONTROL_H
#define SB_CONTROL_H

#include "sb_fleet_sync.h"
#include "sb_prober.h"
#include "sb_reload.h"
#include "sb_request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

/* Connections served at once; one more is told "too many control
 * connections" and closed, so that idle connections cannot take the
 * server's descriptors. */
#define SB_CONTROL_MAX_CLIENTS 64
/* A connection must send its whole request within this; then it is told
 * so and closed. (Waiting for the reply — a reload — has no such limit.) */
#define SB_CONTROL_REQUEST_TIMEOUT_MS 10000
/* Who asked, as logged and kept with an override ("uid=1000",
 * "api@192.0.2.1"), with its NUL: what a fleet record carries
 * (sb_fleet_record) and sb_fleet_sync keeps. */
#define SB_CONTROL_BY_MAX 48

/* A reply ({"ok": true, ...} or {"ok": false, "error": ...}), which the
 * callee takes, written out with sb_reply_dumps() and freed with
 * sb_reply_free() (a status holds its text outside the tree); called on
 * the controlling thread's loop. */
typedef void (*sb_control_done_fn)(void *waiter, json_t *reply);

typedef struct {
    const char *path;
    unsigned mode; /* permission bits of the socket, e.g. 0600 */
    /* Started as root and about to become another user: the socket (and a
     * directory made for it) belongs to that user, so that the mode means
     * "the server's user" and the server can remove it when it stops. */
    bool chown;
    uid_t uid;
    gid_t gid;
    sb_prober_t *prober;
    const char *state_file; /* where overrides are saved */
    sb_reload_t *reload;    /* NULL: `reload` is refused */
    sb_fleet_sync_t *fleet; /* NULL: no fleet; overrides apply here */
} sb_control_config_t;

typedef struct sb_control sb_control_t;

/* Create the socket and start accepting. Returns 0 or a negative errno
 * with words in `err`. */
int sb_control_open(sb_control_t **out, uv_loop_t *loop, const sb_control_config_t *cfg, char *err,
                    size_t errlen);

/* The probe worker requests go to: at start (the socket is opened before
 * the worker starts; no request is served before the control loop runs),
 * and after a reload. */
void sb_control_set_prober(sb_control_t *c, sb_prober_t *prober);

/* The reloader `reload` requests go to (NULL: refused), once it exists. */
void sb_control_set_reload(sb_control_t *c, sb_reload_t *reload);

/* In a fleet, overrides go through `fleet` (written to the fleet, then
 * applied here) and `status` shows the link; NULL: no fleet. */
void sb_control_set_fleet(sb_control_t *c, sb_fleet_sync_t *fleet);

/* Run `req` (taken) for another transport's client, named `by` (printable,
 * shorter than SB_CONTROL_BY_MAX; longer is cut) in the log and the
 * override it sets. done() is called exactly once, on the loop: before
 * this returns (status, a refusal, a closed control) or later (a reload;
 * an override in a fleet or waiting for a reload). A call not yet answered
 * when sb_control_close() runs is answered as a socket client would be
 * (the server is stopping, or when the reload or fleet write ends); the
 * control object lives until it is. */
void sb_control_run(sb_control_t *c, sb_request_t *req, const char *by, sb_control_done_fn done,
                    void *waiter);

void sb_control_close(sb_control_t *c);

#endif
