/*
 * sb_api_request — the HTTP API's requests, read strictly: which resource
 * a method and path name, the action's JSON body turned into the control
 * protocol's request (sb_request), and the bearer token of an
 * Authorization header. It applies nothing and keeps no state, so that it
 * can be tested and fuzzed on its own (tests/fuzz/fuzz_api_request.c).
 *
 * Resources (docs/operations.md, "The HTTP API"):
 *   GET|HEAD /                   the status page
 *   GET|HEAD /api/v1/status      {"command": "status"}, narrowed by
 *                                ?profile=NAME,...&down=1&limit=N&offset=N
 *                                (sb_api_request_status_query)
 *   POST     /api/v1/COMMAND     COMMAND being reload, drain, undrain, force,
 *                                unforce, switchover or failback; the body is
 *                                a JSON object of the command's arguments,
 *                                as the control protocol names them
 *                                (profile, endpoint, state, for_seconds,
 *                                local), and "for": "2h" as ctl's --for
 *                                takes it; an empty body is {}.
 * Anything else is 404 (no such resource) or 405 (another method; `allow`
 * says which). A body that is not such an object — not JSON, another
 * type, an unknown or repeated key, "command" (the path says it), both
 * "for" and "for_seconds", over SB_API_BODY_MAX bytes — is 400 (413 for
 * the size), with words for the client; so is whatever sb_request_parse()
 * refuses. A query string is not part of `path` (libmicrohttpd strips it).
 *
 * Ownership: a parsed request owns its sb_request_t (sb_api_request_free).
 * Thread: any; no shared state.
 */
#ifndef SB_API_REQUEST_H
#define SB_API_REQUEST_H

#include "sb_request.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest request body read; larger is refused (413). Control
 * requests are a few hundred bytes. */
#define SB_API_BODY_MAX 8192

/* The path the status page is served at, and the API's prefix. */
#define SB_API_PAGE_PATH   "/"
#define SB_API_PREFIX      "/api/v1/"
#define SB_API_STATUS_PATH "/api/v1/status"

typedef enum {
    SB_API_PAGE,    /* the status page */
    SB_API_CONTROL, /* a control request: `req` */
} sb_api_kind_t;

typedef struct {
    sb_api_kind_t kind;
    bool action;      /* it changes something: it needs the token */
    sb_request_t req; /* SB_API_CONTROL */
} sb_api_request_t;

/* Route `method` and `path`, and read the `len` bytes of `body` (no NUL
 * needed; NULL when len is 0). `now_ms` (Unix ms) turns a duration into
 * an end, as for the control socket. Returns the HTTP status: 200 with
 * `out` filled; otherwise 400, 404, 405 or 413 with the client's words in
 * `err`, `out` empty, and for 405 the methods allowed in *allow. */
int sb_api_request_parse(const char *method, const char *path, const char *body, size_t len,
                         int64_t now_ms, sb_api_request_t *out, char *err, size_t errlen,
                         const char **allow);

void sb_api_request_free(sb_api_request_t *r);

/* A status's query parameters (each NULL when absent), as ctl status
 * takes them: profile=NAME,NAME... (the profiles named), down=1|true|0|
 * false, limit=N, offset=N. Returns 200 with `r` (a status request)
 * narrowed, or 400 with the client's words in `err`. */
int sb_api_request_status_query(sb_api_request_t *r, const char *profile, const char *down,
                                const char *limit, const char *offset, char *err, size_t errlen);

/* The token of an Authorization header value "Bearer TOKEN" (the scheme
 * in any case, RFC 7235; TOKEN of RFC 6750's b64token characters, nothing
 * after it): 0 with *token pointing into `header` and *len its length,
 * or -EINVAL (NULL header, another scheme, a malformed token). */
int sb_api_request_bearer(const char *header, const char **token, size_t *len);

/* Whether `text` (`len` bytes) is a b64token (RFC 6750): what an API
 * token may be made of. */
bool sb_api_request_token_ok(const char *text, size_t len);

#endif
