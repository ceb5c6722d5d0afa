#include "sb_history.h"

void sb_history_add(sb_history_t *h, int64_t time_ms, const sb_result_t *r, uint32_t queued_ms)
{
    sb_history_entry_t *e = &h->entries[h->next];
    e->time_ms = time_ms;
    e->ok = sb_result_ok(r);
    e->reason = r->reason;
    e->latency_ms = r->latency_ms;
    e->queued_ms = queued_ms;
    sb_reason_format(r, e->words, sizeof(e->words));
    h->next = (uint8_t)((h->next + 1) % SB_HISTORY_LEN);
    if (h->count < SB_HISTORY_LEN)
        h->count++;
}

size_t sb_history_count(const sb_history_t *h)
{
    return h != NULL ? h->count : 0;
}

const sb_history_entry_t *sb_history_get(const sb_history_t *h, size_t i)
{
    if (h == NULL || i >= h->count)
        return NULL;
    size_t at = (h->next + SB_HISTORY_LEN - 1 - i) % SB_HISTORY_LEN;
    return &h->entries[at];
}

const char *sb_history_words(const sb_history_entry_t *e, char *buf, size_t cap)
{
    (void)buf;
    (void)cap;
    return e->words;
}
