#include "sb_prewritten.h"

#include "sb_dns.h"
#include "sb_name.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PTR_MAX   64     /* pointers kept per piece; a piece with more is written per query */
#define SCRATCH   16384  /* pointers reach 0x3fff: a piece never needs more */
#define POINTABLE 0x4000 /* first offset a compression pointer cannot reach */

/* The scratch message: a header and the anchor as the question's name. */
static size_t start_scratch(sb_writer_t *w, uint8_t *buf, const uint8_t *anchor)
{
    static const uint8_t type_class[4] = {0, SB_TYPE_A, 0, SB_CLASS_IN};
    sb_writer_init(w, buf, SCRATCH);
    memset(buf, 0, SB_DNS_HEADER_LEN);
    w->len = SB_DNS_HEADER_LEN;
    sb_writer_bytes(w, anchor, sb_name_len(anchor));
    sb_writer_bytes(w, type_class, sizeof(type_class));
    sb_writer_note_name(w, SB_DNS_HEADER_LEN);
    return w->len;
}

/* Each recorded pointer as an offset from the anchor or from the piece;
 * false when one points anywhere else (the header, the question's type). */
static bool keep_ptrs(const sb_writer_t *w, size_t start, size_t anchor_len,
                      sb_prewritten_ptr_t *out)
{
    for (uint16_t i = 0; i < w->ptr_count; i++) {
        size_t at = w->ptrs[i];
        size_t to = sb_get16(w->buf + at) & 0x3fffu;
        out[i].at = (uint16_t)(at - start);
        out[i].to_anchor = to < start;
        if (to >= SB_DNS_HEADER_LEN && to < SB_DNS_HEADER_LEN + anchor_len)
            out[i].to = (uint16_t)(to - SB_DNS_HEADER_LEN);
        else if (to >= start)
            out[i].to = (uint16_t)(to - start);
        else
            return false;
    }
    return true;
}

/* Reorder `ptrs` so that those relative to the anchor come first (a
 * query then sets each kind in a loop of its own); returns how many. */
static uint8_t anchor_first(sb_prewritten_ptr_t *ptrs, uint16_t count)
{
    uint8_t n = 0;
    for (uint16_t i = 0; i < count; i++) {
        if (ptrs[i].to_anchor) {
            sb_prewritten_ptr_t t = ptrs[i];
            memmove(ptrs + n + 1, ptrs + n, (i - n) * sizeof(*ptrs));
            ptrs[n++] = t;
        }
    }
    return n;
}

/* Copy what the scratch message holds after `start` into the arena: the
 * piece, its pointers, its notes and its bytes in one allocation. */
static int keep(const sb_prewritten_t **out, sb_arena_t *arena, const sb_writer_t *w, size_t start,
                uint8_t first_note, size_t anchor_len)
{
    uint8_t notes = (uint8_t)(w->comp_count - first_note);
    size_t len = w->len - start;
    size_t ptrs_size = w->ptr_count * sizeof(sb_prewritten_ptr_t);
    size_t notes_size = notes * sizeof(sb_prewritten_note_t);
    sb_prewritten_t *p = sb_arena_alloc(arena, sizeof(*p) + ptrs_size + notes_size + len);
    if (p == NULL)
        return -ENOMEM;
    sb_prewritten_ptr_t *ptrs = (sb_prewritten_ptr_t *)(p + 1);
    sb_prewritten_note_t *kept_notes = (sb_prewritten_note_t *)((uint8_t *)ptrs + ptrs_size);
    uint8_t *bytes = (uint8_t *)kept_notes + notes_size;
    if (!keep_ptrs(w, start, anchor_len, ptrs))
        return 0;
    p->anchor_ptrs = anchor_first(ptrs, w->ptr_count);
    p->anywhere = notes == 0;
    for (uint16_t i = 0; i < w->ptr_count; i++)
        p->anywhere &= !ptrs[i].to_anchor || ptrs[i].to == 0;
    for (uint8_t i = 0; i < notes; i++) {
        kept_notes[i].at = (uint16_t)(w->comp_off[first_note + i] - start);
        kept_notes[i].labels = w->comp_labels[first_note + i];
    }
    memcpy(bytes, w->buf + start, len);
    p->bytes = bytes;
    p->len = (uint16_t)len;
    memcpy(p->counts, w->counts, sizeof(p->counts));
    p->ptr_count = (uint8_t)w->ptr_count;
    p->note_count = notes;
    p->ptrs = ptrs;
    p->notes = kept_notes;
    *out = p;
    return 0;
}

int sb_prewritten_build(const sb_prewritten_t **out, sb_arena_t *arena, const uint8_t *anchor,
                        sb_prewritten_fn write, void *arg)
{
    *out = NULL;
    uint8_t *buf = malloc(SCRATCH);
    if (buf == NULL)
        return -ENOMEM;
    uint16_t ptrs[PTR_MAX];
    sb_writer_t w;
    size_t start = start_scratch(&w, buf, anchor);
    uint8_t first_note = w.comp_count;
    w.ptrs = ptrs;
    w.ptr_cap = PTR_MAX;
    int rc = 0;
    bool written = write(&w, arg);
    sb_writer_flush_notes(&w);
    if (written && w.ptr_count <= PTR_MAX && w.comp_count < SB_WRITER_COMP_MAX && w.len > start)
        rc = keep(out, arena, &w, start, first_note, sb_name_len(anchor));
    free(buf);
    return rc;
}

bool sb_prewritten_write(sb_writer_t *w, const sb_prewritten_t *p, uint16_t anchor_off)
{
    size_t start = w->len;
    if (start + p->len > w->limit || start + p->len > POINTABLE)
        return false;
    uint8_t *dst = w->buf + start;
    memcpy(dst, p->bytes, p->len);
    /* Every target lies below 0x4000 (checked above, and when built), so
     * the pointer is its offset plus 0xc000. */
    uint8_t i = 0;
    for (uint16_t to_anchor = (uint16_t)(0xc000 + anchor_off); i < p->anchor_ptrs; i++)
        sb_put16(dst + p->ptrs[i].at, (uint16_t)(to_anchor + p->ptrs[i].to));
    for (uint16_t to_piece = (uint16_t)(0xc000 + start); i < p->ptr_count; i++)
        sb_put16(dst + p->ptrs[i].at, (uint16_t)(to_piece + p->ptrs[i].to));
    sb_writer_defer_notes(w, start, p->notes, p->note_count);
    w->len = start + p->len;
    for (int s = 0; s < 3; s++)
        w->counts[s] = (uint16_t)(w->counts[s] + p->counts[s]);
    return true;
}
