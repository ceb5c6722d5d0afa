/*
 * sb_flap — anti-flap hold-down of one endpoint: an endpoint whose health
 * changes state more than `limit` times within `window` is held down (not
 * answered) for `hold`, whatever its probes say.
 *
 * The rules, with all times in milliseconds of one monotonic clock
 * (uv_now() of the probe worker):
 *   - a change at time t is within the window at `now` while
 *     now - t < window (a change exactly `window` old has fallen out);
 *   - sb_flap_note_change() records a change; when that change makes more
 *     than `limit` changes within the window, the hold-down starts and lasts
 *     until now + hold;
 *   - while held, every further change extends the hold-down to
 *     now + hold, whether or not it is over the limit: a flapping endpoint
 *     comes back only after a whole hold-down without a change (the
 *     conservative choice; a change during hold-down is a sign that the
 *     flapping has not stopped);
 *   - the endpoint is held while now < until: the hold-down ends at `until`
 *     exactly.
 * With limit 0 the module is off: nothing is recorded, nothing is held.
 *
 * Only the last limit + 1 changes are kept (that is all the rule needs), so
 * sb_flap_changes_in_window() counts at most limit + 1.
 *
 * Ownership: a plain value with no allocation; embed it and init it.
 * Thread: pure; owned and fed by the probe worker only.
 */
#ifndef SB_FLAP_H
#define SB_FLAP_H

#include <stdbool.h>
#include <stdint.h>

#define SB_FLAP_MAX_LIMIT 100

typedef struct {
    uint8_t limit; /* 0: off */
    uint8_t head;  /* the slot the next change goes into */
    uint8_t count; /* changes kept, at most limit + 1 */
    uint32_t window_ms;
    uint32_t hold_ms;
    uint64_t held_until;                   /* 0: never held */
    uint64_t times[SB_FLAP_MAX_LIMIT + 1]; /* a ring of the last changes */
} sb_flap_t;

/* Reset `f`. `limit` above SB_FLAP_MAX_LIMIT is taken as the maximum. */
void sb_flap_init(sb_flap_t *f, uint8_t limit, uint32_t window_ms, uint32_t hold_ms);

/* Record a state change at `now_ms` (not earlier than the last one).
 * Returns true when this change started or extended the hold-down. */
bool sb_flap_note_change(sb_flap_t *f, uint64_t now_ms);

/* True while the hold-down lasts: now_ms < sb_flap_held_until(f). */
bool sb_flap_held(const sb_flap_t *f, uint64_t now_ms);

/* When the current hold-down ends, or the last one ended; 0 if there was
 * none. */
uint64_t sb_flap_held_until(const sb_flap_t *f);

/* How many recorded changes are within the window at `now_ms` (at most
 * limit + 1). */
unsigned sb_flap_changes_in_window(const sb_flap_t *f, uint64_t now_ms);

/* New settings for an endpoint whose changes are already counted (a
 * reload): the newest changes are kept (as many as the new limit counts),
 * and a hold-down in progress runs out as it was set. */
void sb_flap_reconfigure(sb_flap_t *f, uint8_t limit, uint32_t window_ms, uint32_t hold_ms);

#endif
