#include "sb_writer.h"

#include "sb_dns.h"
#include "sb_name.h"

#include <string.h>

static void note(sb_writer_t *w, size_t off, unsigned labels)
{
    if (off < 0x4000 && labels > 0 && w->comp_count < SB_WRITER_COMP_MAX) {
        w->comp_off[w->comp_count] = (uint16_t)off;
        w->comp_labels[w->comp_count] = (uint8_t)labels;
        w->comp_count++;
    }
}

void sb_writer_flush_notes(sb_writer_t *w)
{
    for (uint8_t d = 0; d < w->deferred_count; d++) {
        const sb_writer_note_t *n = w->deferred[d].notes;
        for (uint8_t i = 0; i < w->deferred[d].count; i++)
            note(w, w->deferred[d].base + (size_t)n[i].at, n[i].labels);
    }
    w->deferred_count = 0;
}

void sb_writer_note(sb_writer_t *w, size_t off, unsigned labels)
{
    if (w->deferred_count > 0)
        sb_writer_flush_notes(w);
    note(w, off, labels);
}

void sb_writer_note_name(sb_writer_t *w, uint16_t off)
{
    unsigned labels = sb_name_labels(w->buf + off);
    for (size_t p = off; w->buf[p] != 0; p += w->buf[p] + 1)
        sb_writer_note(w, p, labels--);
}

void sb_writer_note_labels(sb_writer_t *w, size_t at, const uint8_t *label_off, unsigned labels)
{
    if (w->deferred_count > 0)
        sb_writer_flush_notes(w);
    if (w->comp_count == 0 && at + SB_NAME_MAX <= 0x4000) {
        /* The first targets: kept as the label offsets, read when needed. */
        unsigned n = labels < SB_WRITER_COMP_MAX ? labels : SB_WRITER_COMP_MAX;
        w->q_at = (uint16_t)at;
        w->q_off = label_off;
        w->q_labels = (uint8_t)labels;
        w->q_notes = w->comp_count = (uint8_t)n;
        return;
    }
    unsigned room = SB_WRITER_COMP_MAX - w->comp_count;
    unsigned n = labels < room ? labels : room;
    if (at + SB_NAME_MAX > 0x4000)
        n = 0; /* never for a question, which starts at 12 */
    for (unsigned i = 0; i < n; i++) {
        w->comp_off[w->comp_count + i] = (uint16_t)(at + label_off[i]);
        w->comp_labels[w->comp_count + i] = (uint8_t)(labels - i);
    }
    w->comp_count = (uint8_t)(w->comp_count + n);
}

/* Does the (possibly compressed) name at `off` in our own buffer equal the
 * uncompressed `name`? Pointers in the buffer were written by us and always
 * point backwards, so following them terminates. */
static bool name_at_equals(const uint8_t *buf, size_t off, const uint8_t *name)
{
    for (;;) {
        while ((buf[off] & 0xc0) == 0xc0)
            off = (size_t)(sb_get16(buf + off) & 0x3fff);
        uint8_t n = buf[off];
        if (n != *name)
            return false;
        if (n == 0)
            return true;
        for (uint8_t i = 1; i <= n; i++) {
            if (sb_ascii_lower(buf[off + i]) != sb_ascii_lower(name[i]))
                return false;
        }
        off += n + 1;
        name += n + 1;
    }
}

/* A compression pointer to `target` at the end of the buffer (room
 * checked by the caller), recorded when the writer records them. */
static void put_pointer(sb_writer_t *w, size_t target)
{
    if (w->ptrs != NULL && w->ptr_count < w->ptr_cap)
        w->ptrs[w->ptr_count] = (uint16_t)w->len;
    if (w->ptrs != NULL)
        w->ptr_count++;
    sb_put16(w->buf + w->len, (uint16_t)(0xc000 | target));
    w->len += 2;
}

/* The first target noted of `labels` labels that equals `suffix`, or -1.
 * Of the question's targets only one has that many labels; they come
 * before every other. */
static int find_suffix(const sb_writer_t *w, const uint8_t *suffix, unsigned labels)
{
    if (labels <= w->q_labels && w->q_labels - labels < w->q_notes) {
        size_t off = w->q_at + (size_t)w->q_off[w->q_labels - labels];
        if (name_at_equals(w->buf, off, suffix))
            return (int)off;
    }
    for (uint8_t i = w->q_notes; i < w->comp_count; i++) {
        if (w->comp_labels[i] == labels && name_at_equals(w->buf, w->comp_off[i], suffix))
            return w->comp_off[i];
    }
    return -1;
}

bool sb_writer_name(sb_writer_t *w, const uint8_t *name)
{
    if (w->deferred_count > 0)
        sb_writer_flush_notes(w);
    unsigned labels = sb_name_labels(name);
    const uint8_t *p = name;
    unsigned k = labels;
    int target = -1;
    for (; k > 0; p += *p + 1, k--) {
        if ((target = find_suffix(w, p, k)) >= 0)
            break;
    }
    size_t prefix = (size_t)(p - name);
    size_t need = prefix + (target >= 0 ? 2 : 1);
    if (w->len + need > w->limit)
        return false;
    unsigned remaining = labels;
    for (const uint8_t *q = name; q < p; q += *q + 1)
        note(w, w->len + (size_t)(q - name), remaining--);
    memcpy(w->buf + w->len, name, prefix);
    w->len += prefix;
    if (target >= 0) {
        put_pointer(w, (size_t)target);
    } else {
        w->buf[w->len++] = 0;
    }
    return true;
}

static bool write_rdata(sb_writer_t *w, const uint8_t *rdata, uint16_t rdlen,
                        const uint16_t *name_off, uint8_t name_count)
{
    size_t at = 0;
    for (uint8_t i = 0; i < name_count; i++) {
        if (!sb_writer_bytes(w, rdata + at, name_off[i] - at))
            return false;
        if (!sb_writer_name(w, rdata + name_off[i]))
            return false;
        at = name_off[i] + sb_name_len(rdata + name_off[i]);
    }
    return sb_writer_bytes(w, rdata + at, rdlen - at);
}

bool sb_writer_rr(sb_writer_t *w, sb_section_t section, const uint8_t *owner, uint16_t owner_off,
                  uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen,
                  const uint16_t *name_off, uint8_t name_count)
{
    sb_writer_mark_t m = sb_writer_mark(w);
    uint8_t fixed[10];
    if (owner != NULL) {
        if (!sb_writer_name(w, owner))
            goto fail;
    } else {
        if (w->len + 2 > w->limit)
            goto fail;
        put_pointer(w, owner_off);
    }
    sb_put16(fixed, type);
    sb_put16(fixed + 2, w->rr_class);
    sb_put32(fixed + 4, ttl);
    sb_put16(fixed + 8, 0);
    if (!sb_writer_bytes(w, fixed, sizeof(fixed)))
        goto fail;
    size_t rdstart = w->len;
    if (!write_rdata(w, rdata, rdlen, name_off, name_count))
        goto fail;
    sb_put16(w->buf + rdstart - 2, (uint16_t)(w->len - rdstart));
    w->counts[section]++;
    return true;
fail:
    sb_writer_rollback(w, m);
    return false;
}
