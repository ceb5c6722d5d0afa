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
#include <string.h>

#define SB_NAME_MAX  255
#define SB_LABEL_MAX 63
/* Longest presentation form of a name: every byte escaped as \DDD. */
#define SB_NAME_TEXT_MAX (SB_NAME_MAX * 4 + 2)

static inline uint8_t sb_ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* The hot helpers below are inline: the answer path calls them for every
 * query, and most of the names it hands them are short. */

/* Length in bytes of the wire name at `name`, including the root label. */
static inline size_t sb_name_len(const uint8_t *name)
{
    const uint8_t *p = name;
    while (*p != 0)
        p += *p + 1;
    return (size_t)(p - name) + 1;
}

/* Number of labels, not counting the root label ("." has 0). */
static inline unsigned sb_name_labels(const uint8_t *name)
{
    unsigned n = 0;
    for (const uint8_t *p = name; *p != 0; p += *p + 1)
        n++;
    return n;
}

/* Eight bytes at `p`, in the machine's order (an unaligned load). */
static inline uint64_t sb_name_load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Eight bytes at once: 0x20 added to each byte from 'A' to 'Z' and to no
 * other. Each byte is judged on its low seven bits (no carry crosses into
 * the next byte), and bytes of 0x80 and above are left out by `ascii`. */
static inline uint64_t sb_name_lower_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, low7 = 0x7f7f7f7f7f7f7f7fULL;
    uint64_t ascii = ~w & (ones * 0x80);
    uint64_t from_a = (w & low7) + ones * (0x80 - 'A');     /* high bit: >= 'A' */
    uint64_t past_z = (w & low7) + ones * (0x80 - 'Z' - 1); /* high bit: > 'Z' */
    uint64_t upper = from_a & ~past_z & ascii;
    return w | (upper >> 2);
}

/* Copy `len` bytes of wire name, folding ASCII letters to lower case. */
static inline void sb_name_lower(uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w = sb_name_lower_word(sb_name_load64(src + i));
        memcpy(dst + i, &w, 8);
    }
    for (; i < len; i++)
        dst[i] = sb_ascii_lower(src[i]);
}

/* Are the `len` bytes at `a` and `b` the same (two lower-cased names of
 * one length, as an index compares them)? Whole words, the last one
 * overlapping, with no call to memcmp; `len` at least 1. */
static inline bool sb_name_same(const uint8_t *a, const uint8_t *b, size_t len)
{
    if (len >= 8) {
        uint64_t diff = 0;
        for (size_t i = 0; i + 8 < len; i += 8)
            diff |= sb_name_load64(a + i) ^ sb_name_load64(b + i);
        return (diff | (sb_name_load64(a + len - 8) ^ sb_name_load64(b + len - 8))) == 0;
    }
    if (len >= 4) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&u, a + len - 4, 4);
        memcpy(&v, b + len - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (a[i] != b[i])
            return false;
    }
    return true;
}

/* Case-insensitive equality of two wire names. Length bytes (below 64)
 * are never letters, so two well-formed names are equal exactly when
 * their lower-cased wire forms are: compared a word at a time once both
 * lengths are known to match. */
static inline bool sb_name_equal(const uint8_t *a, const uint8_t *b)
{
    size_t len = sb_name_len(a);
    if (sb_name_len(b) != len)
        return false;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        if (sb_name_lower_word(sb_name_load64(a + i)) != sb_name_lower_word(sb_name_load64(b + i)))
            return false;
    }
    for (; i < len; i++) {
        if (sb_ascii_lower(a[i]) != sb_ascii_lower(b[i]))
            return false;
    }
    return true;
}

/* True when `name` equals `apex` or lies below it (case-insensitive). */
bool sb_name_is_within(const uint8_t *name, const uint8_t *apex);

/* Pointer to the suffix of `name` with `keep` labels (keep <= labels). */
const uint8_t *sb_name_suffix(const uint8_t *name, unsigned keep);

static inline uint64_t sb_name_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Seeded hash of a lower-cased wire name, for hash tables. Whole words,
 * the last one overlapping the one before it when the length is not a
 * multiple of eight (no byte-by-byte tail, no call to memcpy); the length
 * is in the seed, so names that share a last word differ. */
static inline uint64_t sb_name_hash(const uint8_t *lc_name, size_t len, uint64_t seed)
{
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    if (len < 8) {
        uint64_t tail = 0;
        for (size_t i = 0; i < len; i++)
            tail = tail << 8 | lc_name[i];
        return sb_name_mix64(h ^ tail ^ 0x2545f4914f6cdd1dULL);
    }
    for (size_t i = 0; i + 8 < len; i += 8) {
        h = (h ^ sb_name_load64(lc_name + i)) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    return sb_name_mix64(h ^ sb_name_load64(lc_name + len - 8));
}

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
