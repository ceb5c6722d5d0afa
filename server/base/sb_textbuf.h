/*
 * sb_textbuf — a growable text buffer for documents written as they go
 * (the status JSON, the metrics scrape): bytes appended at the end,
 * always NUL-terminated, doubling from 4 KiB as needed.
 *
 * Running out of memory fails the buffer: later appends are ignored,
 * `failed` stays true, and sb_textbuf_take() gives NULL, so a writer need
 * not check every append, only the end. A zeroed sb_textbuf_t is an
 * empty buffer (no allocation until the first append).
 *
 * Ownership: the buffer owns `data` until sb_textbuf_take() hands it
 * over; sb_textbuf_free() frees it otherwise. Thread: one at a time.
 */
#ifndef SB_TEXTBUF_H
#define SB_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    char *data; /* NULL until the first append */
    size_t len; /* bytes written, without the NUL */
    size_t cap;
    bool failed;
} sb_textbuf_t;

/* Empty again, with its memory freed. */
void sb_textbuf_free(sb_textbuf_t *b);

/* Room for `more` bytes and the NUL at data + len; false (and failed) when
 * there is none to be had. For writers that fill the room themselves and
 * then advance `len` (and write the NUL). */
bool sb_textbuf_reserve(sb_textbuf_t *b, size_t more);

/* sb_textbuf_reserve() with the common case, room already there, checked
 * inline: writers append a few bytes at a time, and megabytes of them (a
 * status at 20,000 endpoints). */
static inline bool sb_textbuf_room(sb_textbuf_t *b, size_t more)
{
    return (!b->failed && more < b->cap && b->len + more < b->cap) || sb_textbuf_reserve(b, more);
}

/* Append `n` bytes. */
static inline void sb_textbuf_put(sb_textbuf_t *b, const char *s, size_t n)
{
    if (!sb_textbuf_room(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sb_textbuf_puts(sb_textbuf_t *b, const char *s);

/* The text (`*len` bytes and a NUL), the caller's to free(); NULL, and
 * `*len` 0, when the buffer failed or nothing was written. The buffer is
 * empty again either way (and no longer failed). */
char *sb_textbuf_take(sb_textbuf_t *b, size_t *len);

#endif
