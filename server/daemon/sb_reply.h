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

/* {"ok": true, key: <text>}, where `text` is a JSON value already written
 * as text (a status at tens of thousands of endpoints: sb_probe_status),
 * kept as it is, not copied, and written out by sb_reply_dumps(). Takes
 * `text` (`len` bytes, from malloc): such a reply is freed with
 * sb_reply_free(), not json_decref(). NULL when out of memory. */
json_t *sb_reply_with_text(const char *key, char *text, size_t len);

/* The JSON object `text` (`*len` bytes) with `key`: `value` added as its
 * last member. Takes `text`; returns the new text (and `*len`), or NULL
 * when out of memory (`text` freed). */
char *sb_reply_add_member(char *text, size_t *len, const char *key, const json_t *value);

/* The reply as JSON text (json_dumps `flags`); with a member given as
 * text, compact whatever `flags` say, that member spliced in as it is,
 * last, in the text's own memory, which the result then owns (the reply
 * keeps the rest: write it out once). `*len` bytes without the NUL. The
 * caller frees it; NULL when out of memory. */
char *sb_reply_dumps(json_t *reply, size_t flags, size_t *len);

/* Free any reply; one given a text member that was not written out frees
 * the text too. NULL is fine. */
void sb_reply_free(json_t *reply);

#endif
