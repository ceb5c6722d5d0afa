#include "sb_flap.h"

#include <string.h>

void sb_flap_init(sb_flap_t *f, uint8_t limit, uint32_t window_ms, uint32_t hold_ms)
{
    memset(f, 0, sizeof(*f));
    f->limit = limit > SB_FLAP_MAX_LIMIT ? SB_FLAP_MAX_LIMIT : limit;
    f->window_ms = window_ms;
    f->hold_ms = hold_ms;
}

static unsigned slots(const sb_flap_t *f)
{
    return (unsigned)f->limit + 1;
}

/* The i-th newest change kept (0: the newest); i < f->count. */
static uint64_t newest(const sb_flap_t *f, unsigned i)
{
    unsigned n = slots(f);
    return f->times[(f->head + n - 1 - i) % n];
}

static bool in_window(const sb_flap_t *f, uint64_t t, uint64_t now_ms)
{
    return t >= now_ms || now_ms - t < f->window_ms;
}

unsigned sb_flap_changes_in_window(const sb_flap_t *f, uint64_t now_ms)
{
    unsigned i = 0;
    while (i < f->count && in_window(f, newest(f, i), now_ms))
        i++;
    return i;
}

bool sb_flap_held(const sb_flap_t *f, uint64_t now_ms)
{
    return now_ms < f->held_until;
}

uint64_t sb_flap_held_until(const sb_flap_t *f)
{
    return f->held_until;
}

bool sb_flap_note_change(sb_flap_t *f, uint64_t now_ms)
{
    if (f->limit == 0)
        return false;
    bool was_held = sb_flap_held(f, now_ms);
    f->times[f->head] = now_ms;
    f->head = (uint8_t)((f->head + 1) % slots(f));
    if (f->count < slots(f))
        f->count++;
    if (!was_held && sb_flap_changes_in_window(f, now_ms) <= f->limit)
        return false;
    f->held_until = now_ms + f->hold_ms;
    return true;
}

void sb_flap_reconfigure(sb_flap_t *f, uint8_t limit, uint32_t window_ms, uint32_t hold_ms)
{
    sb_flap_t old = *f;
    sb_flap_init(f, limit, window_ms, hold_ms);
    f->held_until = old.held_until;
    if (f->limit == 0)
        return;
    unsigned keep = old.count < slots(f) ? old.count : slots(f);
    for (unsigned i = keep; i-- > 0;) { /* oldest kept first */
        f->times[f->head] = newest(&old, i);
        f->head = (uint8_t)((f->head + 1) % slots(f));
        f->count++;
    }
}
