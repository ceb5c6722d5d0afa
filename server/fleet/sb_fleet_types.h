/*
 * sb_fleet_types — the fleet link's handle, its events and its hooks: the
 * vocabulary sb_fleet's modules and their users share (sb_fleet.h says
 * what they mean).
 *
 * Thread: plain data.
 */
#ifndef SB_FLEET_TYPES_H
#define SB_FLEET_TYPES_H

#include "sb_fleet_record.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sb_fleet sb_fleet_t;

typedef enum {
    SB_FLEET_EVENT_RECORD, /* a slot's current value; `record` and `key` are set */
    SB_FLEET_EVENT_SYNCED, /* every current value has been delivered */
} sb_fleet_event_kind_t;

typedef struct {
    sb_fleet_event_kind_t kind;
    char key[SB_FLEET_KEY_MAX];
    uint64_t revision;
    sb_fleet_record_t record; /* the caller frees it (sb_fleet_record_free) */
} sb_fleet_event_t;

typedef struct {
    /* Called on the fleet's thread when events are waiting. It must only
     * hand the news to another thread (as uv_async_send does). */
    void (*notify)(void *arg);
    void *arg;
    /* Another node's health message (sb_verdicts), on a NATS thread: the
     * hook may block briefly (the probe worker takes it in); NULL: none.
     * Its argument is sb_fleet_on_health()'s; `from` is the node the
     * subject names (a message must name the same). */
    void (*on_health)(void *arg, const char *from, const char *data, size_t len);
} sb_fleet_hooks_t;

#endif
