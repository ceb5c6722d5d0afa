/*
 * sb_fleet_link — the fleet link's state, shared by the modules that make
 * it up (sb_fleet: connection, bucket, watch, overrides; sb_fleet_talk:
 * announcements and health messages), and the helpers they share. Not for
 * use outside server/fleet/.
 *
 * Thread: every field from `lock` down is guarded by it.
 */
#ifndef SB_FLEET_LINK_H
#define SB_FLEET_LINK_H

#include "sb_fleet_config.h"
#include "sb_fleet_types.h"
#include "sb_fleet_nodes.h"
#include "sb_histogram.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Health messages waiting to be sent: past this many (NATS slow or gone),
 * the oldest go. A summary of 10,000 endpoints is 5 messages. */
#define SB_FLEET_OUTBOX_MAX 1024
/* Values kept per slot: the current one and a few before it, for audit. */
#define BUCKET_HISTORY 5

typedef struct event_node {
    struct event_node *next;
    sb_fleet_event_t ev;
} event_node_t;

struct sb_fleet {
    const sb_fleet_config_t *cfg;
    sb_fleet_hooks_t hooks;
    natsOptions *opts;
    char bucket[SB_FLEET_NAME_MAX + 16];
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock; /* everything below */
    pthread_cond_t wake;
    natsConnection *nc; /* set once connected; reconnects by itself */
    jsCtx *js;
    kvStore *kv; /* set once bound; kept until stop */
    kvWatcher *watcher;
    bool stopping, rewatch, synced;
    /* NATS calls back on threads of its own, after our calls return: the
     * link is freed only once the connection's last callback (closed) and
     * the subscription's (complete) have run. */
    bool closed, announcements_done;
    event_node_t *head, *tail;
    char last_error[256];
    uint64_t values_in, rejected_in, writes, write_failures;
    sb_histogram_t write_latency; /* stored writes, from asking to the store's answer */
    /* Who is in the fleet: announcements in and out. */
    natsSubscription *announcements;
    sb_fleet_nodes_t nodes;
    char digest[SB_FLEET_DIGEST_MAX]; /* this node's loaded configuration */
    bool announce_now;
    int64_t announced_ms;
    uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
    /* Health messages: others' in, this node's out through a queue and a
     * thread of their own. */
    natsSubscription *health;
    bool health_done;
    void *health_arg;
    char *outbox[SB_FLEET_OUTBOX_MAX];
    size_t out_head, out_count;
    uint64_t out_dropped;
    pthread_t sender;
    bool sender_started;
};

/* Note the last error; logged once per distinct error, not once per retry. */
void sb_fleet_link_error(sb_fleet_t *f, const char *what, const char *why);

/* Wait `ms` or until woken (stop, reconnection, work). Call with the lock. */
void sb_fleet_link_pause(sb_fleet_t *f, unsigned ms);

/* Set `*flag` and wake every waiter. */
void sb_fleet_link_flag(sb_fleet_t *f, bool *flag);

/* Wait (bounded: NATS's threads are not ours to hang on) for `*flag`;
 * whether it came. */
bool sb_fleet_link_wait(sb_fleet_t *f, const bool *flag);

/* The wall clock in Unix ms. */
int64_t sb_fleet_link_wall_ms(void);

#endif
