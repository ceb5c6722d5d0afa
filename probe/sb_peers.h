/*
 * sb_peers — in a fleet, what the other nameservers see of each endpoint,
 * and the fleet's verdict that choosing uses (sb_publish).
 *
 * Each other node's views arrive in its health messages (sb_verdicts): its
 * changes at once and all of them every period. A node's views count while
 * its last message is younger than SB_PEERS_STALE of its periods; then they
 * drop out of the count until it is heard again. An endpoint's verdict is
 * this node's own (health up and not held down: fall, rise and hold-down
 * stay per node, before the vote) when its monitor says `fleet=local` or
 * when no other node's view of it is fresh; otherwise its monitor's vote
 * (sb_vote) over this node and every node with a fresh view.
 *
 * This node's own verdicts go out through `tell`: the changed ones at the
 * end of the worker's loop turn that changed them (sb_publish notices), every
 * verdict each period (sb_peers_summary).
 *
 * Thread: the probe worker's; plain data in its states.
 */
#ifndef SB_PEERS_H
#define SB_PEERS_H

#include "sb_verdicts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_PEERS_MAX   16 /* other nodes whose views count; more are ignored */
#define SB_PEERS_STALE 3  /* periods without news: a node's views drop out */

struct sb_probe_states;
struct sb_ep_state;

typedef enum { SB_VIEW_UNKNOWN = 0, SB_VIEW_UP, SB_VIEW_DOWN } sb_view_t;

typedef struct sb_peers {
    const char *self;
    char names[SB_PEERS_MAX][SB_VERDICTS_NODE_MAX + 1];
    int64_t heard_ms[SB_PEERS_MAX]; /* wall clock */
    uint32_t period_ms[SB_PEERS_MAX];
    size_t count;
    uint8_t *views; /* SB_PEERS_MAX per endpoint, by endpoint order in the states */
    unsigned fresh; /* nodes with fresh views, as last counted */
    /* This node's verdicts, to send: a message's text, which the callee
     * takes. On the probe worker's thread; it must only hand it over. */
    void (*tell)(void *arg, char *text);
    void *tell_arg;
    /* Changed verdicts gathered until sb_peers_flush(): a first round of
     * 10,000 endpoints is five messages, not 10,000. */
    sb_verdicts_writer_t changes;
    bool changes_open;
} sb_peers_t;

/* Room for `st`'s endpoints; each endpoint's state gets its row. Returns 0
 * or -ENOMEM. */
int sb_peers_init(sb_peers_t *p, struct sb_probe_states *st, const char *self);
void sb_peers_free(sb_peers_t *p);

/* Take another node's message (never this node's own) heard at `now_ms`.
 * Returns whether any view changed (the profiles must decide again). */
bool sb_peers_take(sb_peers_t *p, struct sb_probe_states *st, const sb_verdicts_t *m,
                   int64_t now_ms);

/* Count the nodes whose views are fresh at `now_ms`; logs when this node
 * comes to hear nobody, and when it hears others again. Returns whether
 * the count changed (the profiles must decide again). */
bool sb_peers_expire(sb_peers_t *p, int64_t now_ms);

/* The verdict choosing uses for `es`, whose own verdict is `local`. Fills
 * `up` and `reporting` (this node included) when a vote was taken. */
bool sb_peers_verdict(const sb_peers_t *p, const struct sb_ep_state *es, bool local, int64_t now_ms,
                      unsigned *up, unsigned *reporting);

/* Every known verdict of this node, told in messages of at most
 * SB_VERDICTS_PER_MESSAGE views. */
void sb_peers_summary(sb_peers_t *p, const struct sb_probe_states *st);

/* This node's verdict on `es` changed to `up`: told with the others that
 * change in the same turn of the worker's loop (sb_peers_flush). */
void sb_peers_changed(sb_peers_t *p, const struct sb_ep_state *es, bool up);

/* Tell the changes gathered so far (the worker calls it once per turn of
 * its loop, after the results that turn brought). */
void sb_peers_flush(sb_peers_t *p);

#endif
