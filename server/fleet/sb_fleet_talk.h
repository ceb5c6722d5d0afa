/*
 * sb_fleet_talk — what the fleet's nodes tell each other besides
 * overrides: announcements (<fleet>.nodes.<node>: name and configuration
 * digest, at once when joining, after a reload or a reconnection, and every
 * SB_FLEET_ANNOUNCE_MS) kept in sb_fleet_nodes; and health messages
 * (<fleet>.health.<node>, sb_verdicts): others' handed to the server's
 * on_health hook, this node's sent from a queue by a thread of their own.
 *
 * Thread: as each function says; the link's lock guards the state.
 */
#ifndef SB_FLEET_TALK_H
#define SB_FLEET_TALK_H

#include "sb_fleet_types.h"

#include <stdbool.h>

/* Send this node's health message `text` (taken: freed here) on
 * <fleet>.health.<node>. Queued and sent by the sender thread, so the
 * caller (the probe worker) never waits on NATS; while the queue is full
 * (NATS slow or gone), the oldest message is dropped and counted. Any
 * thread. */
void sb_fleet_talk_publish_health(sb_fleet_t *f, char *text);

/* This node's configuration digest (hex), announced from now on, at once
 * (after a reload: call again). Any thread. */
void sb_fleet_talk_set_digest(sb_fleet_t *f, const char *digest);

/* ---- for the link (sb_fleet) ---------------------------------------------- */

/* Subscribe to the announcements and health messages, once connected.
 * Returns 0 or -EIO (the error noted). The link's thread. */
int sb_fleet_talk_subscribe(sb_fleet_t *f);

/* Announce this node when it is time. The link's thread. */
void sb_fleet_talk_announce(sb_fleet_t *f);

/* The sender thread's body (pthread_create). */
void *sb_fleet_talk_sender(void *arg);

/* Unsubscribe, and wait (bounded) until their last callbacks have run;
 * whether they have. */
bool sb_fleet_talk_unsubscribe(sb_fleet_t *f);

#endif
