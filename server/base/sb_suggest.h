/*
 * sb_suggest — "did you mean ...?" for a name an operator typed that
 * matches nothing: the known names closest to it by edit distance
 * (Damerau–Levenshtein, optimal string alignment: a swap of two neighbours
 * counts once, so "stauts" is one edit from "status"), compared without
 * regard to ASCII case.
 *
 * A suggestion is made only when it is close enough to be a slip of the
 * finger rather than another name: past what the two share at their start
 * and end, at most a third of what is left of the typed text in edits (at
 * least 1, at most 3), and fewer edits than the typed text has characters
 * (so `nope.example.com` does not suggest app.example.com, but `ww` does
 * suggest www). Every candidate at the smallest distance is kept, up to
 * SB_SUGGEST_MAX, in the order considered.
 *
 * Ownership: the collector borrows the typed text and every shown name; they
 * must outlive it. Thread: any; no shared state, no allocation.
 */
#ifndef SB_SUGGEST_H
#define SB_SUGGEST_H

#include <stddef.h>

#define SB_SUGGEST_MAX 4

typedef struct {
    const char *typed;
    size_t distance; /* of those kept (SIZE_MAX: none yet) */
    const char *shown[SB_SUGGEST_MAX];
    size_t count;
} sb_suggest_t;

/* The edit distance of a[0..alen) and b[0..blen), case-insensitive; more
 * than `cap` is returned as cap + 1 (names over 255 bytes count as far). */
size_t sb_suggest_distance(const char *a, size_t alen, const char *b, size_t blen, size_t cap);

/* Start collecting suggestions for `typed`. */
void sb_suggest_init(sb_suggest_t *s, const char *typed);

/* Compare `compare` (its first `len` bytes) with the typed text; when it is
 * among the closest, `shown` is what the suggestion names (the same text,
 * or a longer form of it: a profile's whole name for its first label). A
 * `shown` already kept is not kept twice. */
void sb_suggest_consider(sb_suggest_t *s, const char *compare, size_t len, const char *shown);

/* "; did you mean www.example.com.?" (or "X or Y", "X, Y or Z"), each
 * name wrapped in `quote` (may be ""); "" when there is no suggestion.
 * Returns `out`. */
const char *sb_suggest_text(const sb_suggest_t *s, const char *quote, char *out, size_t cap);

#endif
