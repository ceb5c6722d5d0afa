/*
 * sb_writer — builds a DNS response in a caller-supplied buffer.
 *
 * Bounded: every write checks against the response's size limit and fails
 * (returns false) instead of overrunning; a failed write leaves the buffer as
 * it was at the last mark, so that callers can drop a whole RRset and set TC
 * (RFC 2181 §9). Names are compressed (RFC 1035 §4.1.4) against every name
 * already in the message, case-insensitively; a pointer keeps the case of
 * the name it points at, so answers echo the query's case.
 *
 * No allocation; all state is in the sb_writer_t, which lives on the stack.
 * Thread: one writer per response.
 */
#ifndef SB_WRITER_H
#define SB_WRITER_H

#include "sb_dns.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SB_WRITER_COMP_MAX     64
#define SB_WRITER_DEFERRED_MAX 4

typedef enum {
    SB_SECTION_ANSWER = 0,
    SB_SECTION_AUTHORITY = 1,
    SB_SECTION_ADDITIONAL = 2,
} sb_section_t;

/* A name or suffix a copied piece holds, as a compression target. */
typedef struct {
    uint16_t at; /* from the piece's start */
    uint8_t labels;
} sb_writer_note_t;

/* Compression targets are noted lazily: most answers write no name that
 * could point at them. The question's (sb_writer_note_labels) take their
 * places in comp_off[0..q_notes) but are read from q_off when a name is
 * looked up; a copied piece's (sb_writer_defer_notes) wait in `deferred`
 * until a name is looked up or noted, or a mark is taken. Either way a
 * lookup finds what noting them at once would have found. */
typedef struct {
    uint8_t *buf;
    size_t limit; /* writes may not go beyond this offset */
    size_t len;
    uint16_t counts[3];
    uint16_t rr_class; /* of every record written: IN unless changed */
    uint8_t comp_count;
    uint8_t q_notes;  /* comp_off[0..q_notes): the question's, unfilled */
    uint8_t q_labels; /* of the question's name */
    uint8_t deferred_count;
    uint16_t q_at;                           /* where the question's name starts */
    const uint8_t *q_off;                    /* q_off[i]: its label i, from q_at */
    uint16_t comp_off[SB_WRITER_COMP_MAX];   /* where a name or suffix starts */
    uint8_t comp_labels[SB_WRITER_COMP_MAX]; /* labels from there to the root */
    struct {
        const sb_writer_note_t *notes;
        uint16_t base; /* where the piece starts */
        uint8_t count;
    } deferred[SB_WRITER_DEFERRED_MAX];
    /* When set (sb_prewritten, at load): where each compression pointer
     * written starts, up to ptr_cap of them; ptr_count counts on past it. */
    uint16_t *ptrs;
    uint16_t ptr_count, ptr_cap;
} sb_writer_t;

typedef struct {
    size_t len;
    uint8_t comp_count;
    uint16_t counts[3];
    uint16_t ptr_count;
} sb_writer_mark_t;

/* Start a response in `buf`; nothing may be written past `limit` bytes. */
static inline void sb_writer_init(sb_writer_t *w, uint8_t *buf, size_t limit)
{
    w->buf = buf;
    w->limit = limit;
    w->len = 0;
    w->counts[0] = w->counts[1] = w->counts[2] = 0;
    w->comp_count = w->q_notes = w->q_labels = w->deferred_count = 0;
    w->rr_class = SB_CLASS_IN;
    w->ptrs = NULL;
    w->ptr_count = w->ptr_cap = 0;
}

/* memcpy for the short pieces an answer is made of (a question, an OPT
 * record, an address): up to 32 bytes as overlapping loads and stores,
 * no call; longer ones by memcpy. `dst` and `src` do not overlap. */
static inline void sb_writer_copy(uint8_t *dst, const void *src, size_t len)
{
    const uint8_t *s = src;
    if (len > 32) {
        memcpy(dst, s, len);
    } else if (len > 16) {
        uint64_t w[4];
        memcpy(&w[0], s, 16);
        memcpy(&w[2], s + len - 16, 16);
        memcpy(dst, &w[0], 16);
        memcpy(dst + len - 16, &w[2], 16);
    } else if (len >= 8) {
        uint64_t head, tail;
        memcpy(&head, s, 8);
        memcpy(&tail, s + len - 8, 8);
        memcpy(dst, &head, 8);
        memcpy(dst + len - 8, &tail, 8);
    } else if (len >= 4) {
        uint32_t head, tail;
        memcpy(&head, s, 4);
        memcpy(&tail, s + len - 4, 4);
        memcpy(dst, &head, 4);
        memcpy(dst + len - 4, &tail, 4);
    } else {
        for (size_t i = 0; i < len; i++)
            dst[i] = s[i];
    }
}

/* Raw bytes (the header, the copied question). */
static inline bool sb_writer_bytes(sb_writer_t *w, const void *data, size_t len)
{
    if (w->len + len > w->limit)
        return false;
    sb_writer_copy(w->buf + w->len, data, len);
    w->len += len;
    return true;
}

/* Note every deferred target now (the writer does so when it needs them). */
void sb_writer_flush_notes(sb_writer_t *w);

/* Remember a name or suffix of `labels` labels at `off`, already in the
 * buffer (as copied bytes), as a target for compression. */
void sb_writer_note(sb_writer_t *w, size_t off, unsigned labels);

/* Remember the uncompressed name at offset `off` (the question's name) as a
 * target for compression. */
void sb_writer_note_name(sb_writer_t *w, uint16_t off);

/* Remember the uncompressed name at offset `at` whose `labels` labels start
 * at at + label_off[i] (the question's name, as the parser found it).
 * `label_off` is kept, not copied: it must outlive the writer's use. */
void sb_writer_note_labels(sb_writer_t *w, size_t at, const uint8_t *label_off, unsigned labels);

/* The `count` targets in `notes`, each at `base` + its `at`: noted when
 * they are needed (see above). `notes` must outlive the writer's use. */
static inline void sb_writer_defer_notes(sb_writer_t *w, size_t base, const sb_writer_note_t *notes,
                                         uint8_t count)
{
    if (count == 0)
        return;
    if (w->deferred_count == SB_WRITER_DEFERRED_MAX)
        sb_writer_flush_notes(w);
    w->deferred[w->deferred_count].notes = notes;
    w->deferred[w->deferred_count].base = (uint16_t)base;
    w->deferred[w->deferred_count].count = count;
    w->deferred_count++;
}

/* A name, compressed against what is already written. */
bool sb_writer_name(sb_writer_t *w, const uint8_t *name);

/* One resource record of class `rr_class` in `section`. The owner is `owner` (a wire
 * name, compressed as usual) or, when `owner` is NULL, a pointer to offset
 * `owner_off`. Names at `name_off` inside rdata are compressed too. */
bool sb_writer_rr(sb_writer_t *w, sb_section_t section, const uint8_t *owner, uint16_t owner_off,
                  uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen,
                  const uint16_t *name_off, uint8_t name_count);

/* Where the message stands now, to roll back to. Deferred targets are
 * noted first, so that a rollback drops only what came after. */
static inline sb_writer_mark_t sb_writer_mark(sb_writer_t *w)
{
    if (w->deferred_count > 0)
        sb_writer_flush_notes(w);
    sb_writer_mark_t m = {
        w->len, w->comp_count, {w->counts[0], w->counts[1], w->counts[2]}, w->ptr_count};
    return m;
}

static inline void sb_writer_rollback(sb_writer_t *w, sb_writer_mark_t m)
{
    w->len = m.len;
    w->comp_count = m.comp_count;
    if (w->q_notes > m.comp_count)
        w->q_notes = m.comp_count;
    w->deferred_count = 0; /* all written after the mark */
    memcpy(w->counts, m.counts, sizeof(w->counts));
    w->ptr_count = m.ptr_count;
}

/* Shrink or grow the limit (never past the buffer the caller provided). */
static inline void sb_writer_set_limit(sb_writer_t *w, size_t limit)
{
    w->limit = limit;
}

#endif
