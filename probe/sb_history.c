#include "sb_history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sb_history_add(sb_history_t *h, int64_t time_ms, const sb_result_t *r, uint32_t queued_ms)
{
    sb_history_entry_t *e = &h->entries[h->next];
    free(e->text);
    *e = (sb_history_entry_t){
        .time_ms = time_ms,
        .latency_ms = r->latency_ms,
        .queued_ms = queued_ms,
        .number = r->number,
        .reason = (uint8_t)r->reason,
        .text = r->text != NULL ? strdup(r->text) : NULL,
    };
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
    sb_result_t r = {.reason = (sb_reason_t)e->reason, .number = e->number, .text = e->text};
    return sb_reason_format(&r, buf, cap);
}

void sb_history_clear(sb_history_t *h)
{
    for (size_t i = 0; i < SB_HISTORY_LEN; i++)
        free(h->entries[i].text);
    memset(h, 0, sizeof(*h));
}

int sb_history_copy(sb_history_t *dst, const sb_history_t *src)
{
    *dst = *src;
    for (size_t i = 0; i < SB_HISTORY_LEN; i++) {
        const char *text = src->entries[i].text;
        if (text != NULL && (dst->entries[i].text = strdup(text)) == NULL) {
            for (size_t k = i + 1; k < SB_HISTORY_LEN; k++)
                dst->entries[k].text = NULL; /* still the source's */
            sb_history_clear(dst);
            return -ENOMEM;
        }
    }
    return 0;
}
