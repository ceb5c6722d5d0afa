/*
 * sb_prewritten — records written once, at load, and copied per query.
 *
 * What a response holds for a given piece of the configuration (an RRset
 * answered for the name that owns it, the SOA of a negative answer) is the
 * same for every query but for where its compression pointers point: at
 * the question, whose name ends in (or is) the piece's owner — the
 * *anchor* — and at the piece's own earlier names. So the piece is written
 * once by the ordinary writer (sb_writer) into a scratch message whose
 * question is the anchor, and kept with the place of every pointer in it;
 * a query copies the bytes and sets each pointer from where the anchor and
 * the piece are in its own message. The result is what the writer would
 * have written, but for names that the query's longer question could have
 * compressed further (compression is optional, RFC 1035 §4.1.4).
 *
 * Building: sb_prewritten_build() at load, in the generation's arena.
 * Writing: sb_prewritten_write() on the query path: no allocation, no
 * search, bounded by the piece's size.
 * Thread: build on one thread; after publication, write from any.
 */
#ifndef SB_PREWRITTEN_H
#define SB_PREWRITTEN_H

#include "sb_arena.h"
#include "sb_writer.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint16_t at;    /* where the pointer is, from the piece's start */
    uint16_t to;    /* what it points at, from the anchor or from the piece's start */
    bool to_anchor; /* relative to the anchor's offset in the message */
} sb_prewritten_ptr_t;

/* A name or suffix written out in the piece, from its start. */
typedef sb_writer_note_t sb_prewritten_note_t;

typedef struct sb_prewritten {
    const uint8_t *bytes;
    uint16_t len;
    uint16_t counts[3]; /* records per section (sb_section_t) */
    uint8_t ptr_count;
    uint8_t anchor_ptrs; /* ptrs[0..anchor_ptrs) point at the anchor, the rest into the piece */
    uint8_t note_count;
    /* No name written out (so nothing the writer could have compressed
     * against other names in a message), and every pointer to the anchor
     * points at its start: the piece is then what the writer writes after
     * any message, its anchor any name written in it (a CNAME's target,
     * compressed), not only a question written out label by label. */
    bool anywhere;
    const sb_prewritten_ptr_t *ptrs;
    const sb_prewritten_note_t *notes;
} sb_prewritten_t;

/* Writes the piece with `w`; returns false when it cannot (then nothing is
 * kept). `w` holds a question whose name is the anchor. */
typedef bool (*sb_prewritten_fn)(sb_writer_t *w, void *arg);

/* Build the piece `write` writes, anchored at `anchor` (a lower-case wire
 * name), into `arena`. *out is NULL when `write` refused or the piece has
 * more pointers or names than are kept (the caller then writes per query as
 * before). Returns 0 or -ENOMEM. */
int sb_prewritten_build(const sb_prewritten_t **out, sb_arena_t *arena, const uint8_t *anchor,
                        sb_prewritten_fn write, void *arg);

/* Append the piece, its anchor at `anchor_off` in the message: a name
 * written out in full, or, when the piece is `anywhere`, any name.
 * Returns
 * false, writing nothing, when it does not fit the writer's limit or would
 * need a pointer past 0x3fff; the caller then writes it the ordinary way. */
bool sb_prewritten_write(sb_writer_t *w, const sb_prewritten_t *p, uint16_t anchor_off);

#endif
