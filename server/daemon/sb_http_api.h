/*
 * sb_http_api — the status page and the HTTP API (`--http-listen`): a
 * listener of its own, through libmicrohttpd, that serves
 *   GET /                 the status page (sb_api_page), no token
 *   GET /api/v1/status    what `ctl status --json` prints, no token
 *   POST /api/v1/COMMAND  every ctl action, with the bearer token
 * (resources and bodies: sb_api_request).
 *
 * Why not the metrics listener: the two face different clients. /metrics
 * is scraped without credentials by monitoring systems, often on a
 * network of their own; the API changes what the server answers, and so
 * has a token, optionally TLS, its own limits and its own address. A slow
 * API call (a reload waits for the new configuration's first round) must
 * not hold up a scrape, and an operator may open one without the other.
 *
 * The same path as ctl: every request is parsed here into the control
 * protocol's request (sb_request) and handed, on the controlling thread's
 * loop, to sb_control_run(): the same commands, refusals (--local in a
 * fleet, an unknown profile, draining the last endpoint), waits for a
 * reload, state file and log. The caller is named `api@ADDRESS` (the
 * peer's IP address) in `by=` and kept with the override.
 *
 * Authentication: actions need `Authorization: Bearer TOKEN`, the token
 * read at start (--http-token-file or the systemd credential http-token),
 * compared in constant time (both sides hashed, then sodium_memcmp). No
 * or a wrong token: 401 with WWW-Authenticate; no token configured: 403
 * (the page and status still work). Reads need none: they show what the
 * page shows, to whoever may reach the address (loopback by default).
 *
 * Limits: SB_HTTP_API_MAX_CONNECTIONS at once (SB_HTTP_API_PER_IP from one
 * address), SB_HTTP_API_IDLE_SECONDS idle, request headers within
 * SB_HTTP_API_MEMORY_LIMIT, bodies within SB_API_BODY_MAX (a declared
 * larger one is answered 413; a chunked one that grows past it is cut
 * off). Bad input gets a JSON error ({"ok": false, "error": ...}) and a
 * 4xx status; an action the server refuses gets 409, one answered while
 * the server stops 503.
 *
 * Threads: libmicrohttpd's one internal thread (epoll) reads requests,
 * checks tokens and serves the page; a control request suspends its
 * connection and is queued to the controlling thread's loop (uv_async),
 * which runs it and resumes the connection with the reply. The loop never
 * waits for the HTTP thread, nor the HTTP thread for the loop.
 *
 * Life: new → bind (as root, before privileges are dropped) → start
 * (once the control object exists) → stop. All but
 * sb_http_api_tls_available() on the controlling thread, whose loop the
 * object was made on.
 *
 * Ownership: the object copies its settings (the token and the key are
 * wiped when it goes). sb_http_api_stop() answers every request still
 * pending with 503, stops the listener (joining its thread), and frees the
 * object once the loop has run; the control object must outlive the stop
 * (sb_control_close() first is fine: calls then are answered "stopping").
 */
#ifndef SB_HTTP_API_H
#define SB_HTTP_API_H

#include "sb_control.h"
#include "sb_listen_addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define SB_HTTP_API_MAX_CONNECTIONS 32
#define SB_HTTP_API_PER_IP          16
#define SB_HTTP_API_IDLE_SECONDS    10
#define SB_HTTP_API_MEMORY_LIMIT    (32 * 1024)
/* The shortest token accepted: 128 bits of hex. */
#define SB_HTTP_API_TOKEN_MIN 32

typedef struct {
    sb_listen_addr_t addr;
    const char *token;    /* NULL: actions are refused (403) */
    const char *tls_cert; /* PEM text, with tls_key; NULL: plain HTTP */
    const char *tls_key;
} sb_http_api_config_t;

typedef struct sb_http_api sb_http_api_t;

/* Whether this libmicrohttpd speaks TLS (Debian's does, with GnuTLS). */
bool sb_http_api_tls_available(void);

/* Create on `loop` (the controlling thread's), copying `cfg`, and bind
 * its address without serving yet. Returns 0 or a negative errno with
 * words in `err`; *out is then NULL. */
int sb_http_api_bind(sb_http_api_t **out, uv_loop_t *loop, const sb_http_api_config_t *cfg,
                     char *err, size_t errlen);

/* The address bound (port 0 resolved). */
const sb_listen_addr_t *sb_http_api_bound(const sb_http_api_t *h);

/* Serve, handing control requests to `ctl`. Returns 0 or -EIO with words
 * in `err` (a TLS certificate or key GnuTLS refuses, say). */
int sb_http_api_start(sb_http_api_t *h, sb_control_t *ctl, char *err, size_t errlen);

/* Stop and free (see above). Safe with NULL and on an object never
 * started. */
void sb_http_api_stop(sb_http_api_t *h);

#endif
