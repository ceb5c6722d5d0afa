/*
 * sb_name — DNS names in uncompressed wire format.
 *
 * A wire name is a sequence of length-prefixed labels ending with the root
 * label (a zero byte); it is at most SB_NAME_MAX bytes long. Functions here
 * take names that are already known to be well formed (validated by the query
 * parser or built from config) unless they say otherwise.
 *
 * Comparisons are ASCII case-insensitive as DNS requires (RFC 4343). Lookups
 * use lower-cased copies so that hashing and memcmp work directly.
 *
 * Thread: all functions are pure and reentrant. None allocates.
 */
#ifndef SB_NAME_H
#define SB_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_NAME_MAX  255
#define SB_LABEL_MAX 63
/* Longest presentation form of a name: every byte escaped as \DDD. */
#define SB_NAME_TEXT_MAX (SB_NAME_MAX * 4 + 2)

static inline uint8_t sb_ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Length in bytes of the wire name at `name`, including the root label. */
size_t sb_name_len(const uint8_t *name);

/* Number of labels, not counting the root label ("." has 0). */
unsigned sb_name_labels(const uint8_t *name);

/* Copy `len` bytes of wire name, folding ASCII letters to lower case. */
void sb_name_lower(uint8_t *dst, const uint8_t *src, size_t len);

/* Case-insensitive equality of two wire names. */
bool sb_name_equal(const uint8_t *a, const uint8_t *b);

/* True when `name` equals `apex` or lies below it (case-insensitive). */
bool sb_name_is_within(const uint8_t *name, const uint8_t *apex);

/* Pointer to the suffix of `name` with `keep` labels (keep <= labels). */
const uint8_t *sb_name_suffix(const uint8_t *name, unsigned keep);

/* Seeded hash of a lower-cased wire name, for hash tables. */
uint64_t sb_name_hash(const uint8_t *lc_name, size_t len, uint64_t seed);

/* Presentation format with a trailing dot and RFC 1035 escapes. `cap` must be
 * at least SB_NAME_TEXT_MAX; returns the text length. */
size_t sb_name_to_text(const uint8_t *name, char *buf, size_t cap);

/* Parse an absolute name in presentation format ("www.example.com." or
 * "www.example.com"; "." is the root). Escapes \X and \DDD are honoured.
 * Returns the wire length, or a negative code: -EINVAL for malformed text,
 * SB_ETOOBIG for a label over 63 bytes or a name over 255. */
int sb_name_from_text(const char *text, uint8_t out[SB_NAME_MAX]);

/* A lower-cased name prepared for lookups: its wire form and the offset of
 * each label, so that any suffix is one array index away. */
typedef struct {
    uint8_t lc[SB_NAME_MAX];
    uint8_t len;
    uint8_t labels;
    uint8_t off[128]; /* off[i]: start of label i; off[labels]: the root byte */
} sb_lname_t;

/* Prepare `out` from a well-formed wire name (case is folded). */
void sb_name_to_lname(sb_lname_t *out, const uint8_t *wire);

/* The suffix of `n` with `keep` labels (keep <= n->labels). */
static inline const uint8_t *sb_name_lname_suffix(const sb_lname_t *n, unsigned keep, size_t *len)
{
    uint8_t at = n->off[n->labels - keep];
    *len = (size_t)(n->len - at);
    return n->lc + at;
}

#endif
