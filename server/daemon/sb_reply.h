/*
 * sb_reply — the control protocol's replies (sb_request.h): success with a
 * message, and failure with the words the client is told.
 *
 * Thread: any; no shared state.
 */
#ifndef SB_REPLY_H
#define SB_REPLY_H

#include <jansson.h>

/* {"ok": true, "message": message}; NULL when out of memory. */
json_t *sb_reply_ok(const char *message);

/* {"ok": false, "error": <the formatted words>}; NULL when out of memory. */
__attribute__((format(printf, 1, 2))) json_t *sb_reply_failure(const char *fmt, ...);

#endif
