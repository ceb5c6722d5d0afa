/*
 * sb_jsonw — JSON text written as it goes, into a growable buffer, for
 * documents too big to build as a tree first (a status at tens of
 * thousands of endpoints: jansson's tree of a million values, then its
 * dump, cost most of a second; writing the text directly costs a pass).
 *
 * Members and elements are written in order: open a container, write its
 * values (each with its key inside an object, with NULL inside an array
 * or at the top), close it. Commas are the writer's business. Strings are
 * escaped as RFC 8259 asks (quote, backslash, control characters); other
 * bytes are copied, so they must be UTF-8 already, as every name and word
 * of the server is. Running out of memory, or nesting deeper than
 * SB_JSONW_DEPTH, fails the writer: later writes are ignored and
 * sb_jsonw_take() gives NULL.
 *
 * Ownership: the writer owns its buffer until sb_jsonw_take() hands it
 * over; sb_jsonw_free() frees it otherwise. Thread: one at a time.
 */
#ifndef SB_JSONW_H
#define SB_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb_textbuf.h"

#define SB_JSONW_DEPTH 64

typedef struct {
    sb_textbuf_t text;
    unsigned depth;
    uint64_t has_values; /* bit d: the container at depth d has a value already */
    uint64_t arrays;     /* bit d: the container at depth d is an array */
} sb_jsonw_t;

/* An empty writer (no allocation until the first write). */
void sb_jsonw_init(sb_jsonw_t *w);
void sb_jsonw_free(sb_jsonw_t *w);

/* The text (NUL-terminated, `*len` bytes without the NUL), the caller's to
 * free(); NULL after a failure. The writer is empty again either way. */
char *sb_jsonw_take(sb_jsonw_t *w, size_t *len);

/* `key` is the member's name inside an object, NULL elsewhere. */
void sb_jsonw_object(sb_jsonw_t *w, const char *key);
void sb_jsonw_array(sb_jsonw_t *w, const char *key);
void sb_jsonw_end(sb_jsonw_t *w); /* closes the innermost object or array */

void sb_jsonw_string(sb_jsonw_t *w, const char *key, const char *s); /* NULL: null */
void sb_jsonw_int(sb_jsonw_t *w, const char *key, int64_t v);
void sb_jsonw_real(sb_jsonw_t *w, const char *key, double v); /* not finite: null */
void sb_jsonw_bool(sb_jsonw_t *w, const char *key, bool v);
void sb_jsonw_null(sb_jsonw_t *w, const char *key);

/* A value written elsewhere as JSON text, copied as it is. */
void sb_jsonw_raw(sb_jsonw_t *w, const char *key, const char *json, size_t len);

#endif
