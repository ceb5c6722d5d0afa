/*
 * sb_history — the last results of one endpoint's probes, newest first, for
 * status and metrics: when, whether it passed, why, how long the probe took
 * and how long it waited for a free probe slot.
 *
 * A fixed ring: adding never allocates, and the reason is copied as words so
 * that an entry stays true after the probe's own buffers are reused.
 *
 * Thread: plain data, written by the probe worker. Readers on other threads
 * need the worker's help (a later control interface takes a snapshot).
 */
#ifndef SB_HISTORY_H
#define SB_HISTORY_H

#include "sb_reason.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_HISTORY_LEN        10
#define SB_HISTORY_REASON_MAX 96

typedef struct {
    int64_t time_ms; /* wall clock when the result came, Unix milliseconds */
    bool ok;
    sb_reason_t reason;
    uint32_t latency_ms;
    uint32_t queued_ms; /* waited for a free probe slot before starting */
    char words[SB_HISTORY_REASON_MAX];
} sb_history_entry_t;

typedef struct {
    sb_history_entry_t entries[SB_HISTORY_LEN];
    uint8_t next;  /* where the next entry goes */
    uint8_t count; /* how many are valid, up to SB_HISTORY_LEN */
} sb_history_t;

void sb_history_add(sb_history_t *h, int64_t time_ms, const sb_result_t *r, uint32_t queued_ms);

/* How many entries; 0 for NULL (an endpoint that is not probed). */
size_t sb_history_count(const sb_history_t *h);

/* The entry's words ("connect refused"), in `buf` or not; `cap` at least
 * SB_HISTORY_WORDS_MAX. */
#define SB_HISTORY_WORDS_MAX SB_HISTORY_REASON_MAX
const char *sb_history_words(const sb_history_entry_t *e, char *buf, size_t cap);

/* Entry `i`, 0 being the newest; NULL past the end, or for NULL. */
const sb_history_entry_t *sb_history_get(const sb_history_t *h, size_t i);

#endif
