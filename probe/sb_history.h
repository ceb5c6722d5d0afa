/*
 * sb_history — the last results of one endpoint's probes, newest first, for
 * status and reload reports: when, why (the reason, its number and its
 * text), how long the probe took and how long it waited for a free probe
 * slot.
 *
 * A fixed ring of compact entries (32 bytes): a result's words are made
 * again from its reason, number and text when they are read
 * (sb_history_words), and only a result's text — a TLS error, a resolver's
 * words, an unexpected answer — is copied, to the heap, so that an entry
 * stays true after the probe's own buffers are reused. Most results (ok,
 * timeout, refused, an HTTP status) have none: adding them never
 * allocates. The words were 96 bytes an entry, kept for every result.
 *
 * Ownership: the ring owns its entries' texts: sb_history_clear() frees
 * them; a copy is made with sb_history_copy(), never by assignment.
 * Thread: plain data, written by the probe worker. Readers on other threads
 * need the worker's help (a later control interface takes a snapshot).
 */
#ifndef SB_HISTORY_H
#define SB_HISTORY_H

#include "sb_reason.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_HISTORY_LEN 10

/* Room for an entry's words (sb_history_words). */
#define SB_HISTORY_WORDS_MAX 256

typedef struct {
    int64_t time_ms; /* wall clock when the result came, Unix milliseconds */
    uint32_t latency_ms;
    uint32_t queued_ms; /* waited for a free probe slot before starting */
    uint32_t number;    /* the result's number (sb_result_t) */
    uint8_t reason;     /* an sb_reason_t */
    char *text;         /* the result's text, copied; NULL for none (or out of memory) */
} sb_history_entry_t;

typedef struct {
    sb_history_entry_t entries[SB_HISTORY_LEN];
    uint8_t next;  /* where the next entry goes */
    uint8_t count; /* how many are valid, up to SB_HISTORY_LEN */
} sb_history_t;

/* Add `r` as the newest entry, the oldest giving way when the ring is
 * full. Out of memory for its text, the entry keeps the rest: its words
 * say "unknown" where the text would be. */
void sb_history_add(sb_history_t *h, int64_t time_ms, const sb_result_t *r, uint32_t queued_ms);

/* How many entries; 0 for NULL (an endpoint that is not probed). */
size_t sb_history_count(const sb_history_t *h);

/* Entry `i`, 0 being the newest; NULL past the end, or for NULL. */
const sb_history_entry_t *sb_history_get(const sb_history_t *h, size_t i);

/* The entry's words ("connect refused", "TLS certificate expired") in
 * `buf` (`cap` at least SB_HISTORY_WORDS_MAX); returns `buf`. */
const char *sb_history_words(const sb_history_entry_t *e, char *buf, size_t cap);

/* Free the entries' texts and empty the ring. */
void sb_history_clear(sb_history_t *h);

/* `dst` (empty, or cleared first) becomes a copy of `src`, texts and all.
 * Returns 0, or -ENOMEM with `dst` empty. */
int sb_history_copy(sb_history_t *dst, const sb_history_t *src);

#endif
