/*
 * sb_reason — why a probe succeeded or failed: one enum, one string table.
 *
 * A result is the reason plus a number or a short text that completes it
 * (the HTTP status, the timeout, the resolver's error). sb_reason_format()
 * renders the words used in logs and status: "connect refused",
 * "timeout after 1000 ms", "HTTP 503", "resolve failed: NXDOMAIN",
 * "TLS certificate expired", "body did not contain 'ok' in the first 64 KiB".
 *
 * The words never contain a bare double quote, so that logs can write them
 * as reason="...": probe types escape quotes (\") in texts they copy from
 * the peer or the configuration.
 *
 * Remote failures (refused, timeout, bad status) are normal events. Local
 * failures (SB_REASON_LOCAL: out of sockets or memory) are errors of this
 * host, logged as such.
 *
 * Thread: pure; any thread.
 */
#ifndef SB_REASON_H
#define SB_REASON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SB_REASON_OK = 0,         /* "ok" / "HTTP 200" */
    SB_REASON_TIMEOUT,        /* number: the timeout in ms */
    SB_REASON_REFUSED,        /* connect refused */
    SB_REASON_UNREACHABLE,    /* network or host unreachable */
    SB_REASON_CONNECT_FAILED, /* text: the system's words */
    SB_REASON_RESET,          /* connection reset */
    SB_REASON_CLOSED,         /* the peer closed without an answer */
    SB_REASON_HTTP_STATUS,    /* number: an unexpected status */
    SB_REASON_BAD_RESPONSE,   /* not HTTP, or malformed */
    SB_REASON_RESOLVE_FAILED, /* text: NXDOMAIN or the resolver's error */
    SB_REASON_NO_ADDRESS,     /* the name has no address of a usable family */
    SB_REASON_TLS,            /* text: what failed in TLS */
    SB_REASON_BODY_MISMATCH,  /* text: the expected body text; number: the cap in KiB */
    SB_REASON_LOCAL,          /* text: a failure on this host */
    SB_REASON_COUNT
} sb_reason_t;

typedef struct {
    sb_reason_t reason;
    uint32_t number;  /* status code or milliseconds, per reason */
    const char *text; /* static or long-lived words, per reason; may be NULL */
    uint32_t latency_ms;
} sb_result_t;

static inline bool sb_result_ok(const sb_result_t *r)
{
    return r->reason == SB_REASON_OK;
}

/* Render the result's words into `buf`; returns `buf`. */
const char *sb_reason_format(const sb_result_t *r, char *buf, size_t cap);

/* A stable identifier per reason, for metrics labels ("timeout"). */
const char *sb_reason_key(sb_reason_t reason);

/* The reasons grouped into a few classes, for per-endpoint metrics, where a
 * label per reason would cost a line per reason per endpoint: ok; timeout;
 * connect (refused, unreachable, connect_failed, reset, closed); tls;
 * response (http_status, bad_response, body_mismatch); resolve
 * (resolve_failed, no_address); local (local_error). */
typedef enum {
    SB_REASON_CLASS_OK = 0,
    SB_REASON_CLASS_TIMEOUT,
    SB_REASON_CLASS_CONNECT,
    SB_REASON_CLASS_TLS,
    SB_REASON_CLASS_RESPONSE,
    SB_REASON_CLASS_RESOLVE,
    SB_REASON_CLASS_LOCAL,
    SB_REASON_CLASS_COUNT
} sb_reason_class_t;

sb_reason_class_t sb_reason_class(sb_reason_t reason);

/* The class's metrics label ("connect"). */
const char *sb_reason_class_key(sb_reason_class_t c);

#endif
