/*
 * sb_health — the anti-flap state machine of one endpoint (fall/rise).
 *
 *   checking --first result--> up or down (the first probe decides, so the
 *                              first answer served is already right)
 *   up   --`fall` consecutive failures-->  down
 *   down --`rise` consecutive successes--> up
 *
 * This is the only place fall/rise logic lives; probe types report raw
 * results and never judge streaks (relayd hce_notify_done, gdnsd mon.c).
 *
 * Thread: plain data; owned and fed by the probe worker.
 */
#ifndef SB_HEALTH_H
#define SB_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    SB_HEALTH_CHECKING = 0,
    SB_HEALTH_UP,
    SB_HEALTH_DOWN,
} sb_health_state_t;

typedef struct {
    sb_health_state_t state;
    uint8_t fall;
    uint8_t rise;
    uint8_t streak; /* consecutive results against the current state */
} sb_health_t;

void sb_health_init(sb_health_t *h, uint8_t fall, uint8_t rise);

/* Start in a known state (an endpoint that is not probed is always up). */
void sb_health_force(sb_health_t *h, sb_health_state_t state);

/* Feed one probe result. Returns true when the state changed. */
bool sb_health_feed(sb_health_t *h, bool ok);

const char *sb_health_state_name(sb_health_state_t state);

#endif
