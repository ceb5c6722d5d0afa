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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_WRITER_COMP_MAX 64

typedef enum {
    SB_SECTION_ANSWER = 0,
    SB_SECTION_AUTHORITY = 1,
    SB_SECTION_ADDITIONAL = 2,
} sb_section_t;

typedef struct {
    uint8_t *buf;
    size_t limit; /* writes may not go beyond this offset */
    size_t len;
    uint16_t counts[3];
    uint16_t rr_class; /* of every record written: IN unless changed */
    uint8_t comp_count;
    uint16_t comp_off[SB_WRITER_COMP_MAX];   /* where a name or suffix starts */
    uint8_t comp_labels[SB_WRITER_COMP_MAX]; /* labels from there to the root */
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
void sb_writer_init(sb_writer_t *w, uint8_t *buf, size_t limit);

/* Raw bytes (the header, the copied question). */
bool sb_writer_bytes(sb_writer_t *w, const void *data, size_t len);

/* Remember the uncompressed name at offset `off` (the question's name) as a
 * target for compression. */
void sb_writer_note_name(sb_writer_t *w, uint16_t off);

/* Remember a name or suffix of `labels` labels at `off`, already in the
 * buffer (as copied bytes), as a target for compression. */
void sb_writer_note(sb_writer_t *w, size_t off, unsigned labels);

/* Remember the uncompressed name at offset `at` whose `labels` labels start
 * at at + label_off[i] (the question's name, as the parser found it). */
void sb_writer_note_labels(sb_writer_t *w, size_t at, const uint8_t *label_off, unsigned labels);

/* A name, compressed against what is already written. */
bool sb_writer_name(sb_writer_t *w, const uint8_t *name);

/* One resource record of class `rr_class` in `section`. The owner is `owner` (a wire
 * name, compressed as usual) or, when `owner` is NULL, a pointer to offset
 * `owner_off`. Names at `name_off` inside rdata are compressed too. */
bool sb_writer_rr(sb_writer_t *w, sb_section_t section, const uint8_t *owner, uint16_t owner_off,
                  uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen,
                  const uint16_t *name_off, uint8_t name_count);

sb_writer_mark_t sb_writer_mark(const sb_writer_t *w);
void sb_writer_rollback(sb_writer_t *w, sb_writer_mark_t mark);

/* Shrink or grow the limit (never past the buffer the caller provided). */
void sb_writer_set_limit(sb_writer_t *w, size_t limit);

#endif
