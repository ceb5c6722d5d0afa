/*
 * sb_fleet_nodes — the fleet's nameservers as this one hears them: each
 * node announces itself (its name, a digest of its loaded configuration,
 * and how often it announces) on <fleet>.nodes.<node>, at once when it
 * joins or reloads and then every period; every node keeps what it heard.
 *
 * A node is reachable while its last announcement is younger than
 * SB_FLEET_NODES_STALE periods; its configuration differs when its digest
 * is not this node's. Announcements come from the network: decoding checks
 * every field (fuzzed: tests/fuzz/fuzz_fleet_announce.c).
 *
 * Thread: plain data guarded by the caller (sb_fleet's lock).
 */
#ifndef SB_FLEET_NODES_H
#define SB_FLEET_NODES_H

#include "sb_fleet_config.h"
#include "sb_metrics.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_FLEET_NODES_MAX    64   /* nodes remembered; more are not tracked */
#define SB_FLEET_DIGEST_MAX   65   /* 64 hex digits and a NUL */
#define SB_FLEET_ANNOUNCE_MS  5000 /* how often a node announces itself */
#define SB_FLEET_NODES_STALE  3    /* periods without news: unreachable */
#define SB_FLEET_ANNOUNCE_MAX 1024 /* the largest announcement read */

typedef struct {
    char name[SB_FLEET_NAME_MAX + 1];
    char digest[SB_FLEET_DIGEST_MAX];
    int64_t heard_ms; /* when, by this node's clock */
    uint32_t period_ms;
    bool differs_logged; /* its differing digest was logged */
} sb_fleet_node_t;

typedef struct {
    sb_fleet_node_t nodes[SB_FLEET_NODES_MAX];
    size_t count;
} sb_fleet_nodes_t;

/* One announcement, decoded. */
typedef struct {
    char name[SB_FLEET_NAME_MAX + 1];
    char digest[SB_FLEET_DIGEST_MAX];
    uint32_t period_ms;
} sb_fleet_announce_t;

/* The announcement of `node` with `digest`, as a JSON text to free. */
char *sb_fleet_nodes_encode(const char *node, const char *digest, uint32_t period_ms);

/* Read an announcement of `len` bytes. Returns 0 or -EINVAL. */
int sb_fleet_nodes_decode(const char *data, size_t len, sb_fleet_announce_t *out);

/* Note `a`, heard at `now_ms`. Returns the node's entry (NULL when the
 * table is full). */
sb_fleet_node_t *sb_fleet_nodes_heard(sb_fleet_nodes_t *t, const sb_fleet_announce_t *a,
                                      int64_t now_ms);

bool sb_fleet_nodes_reachable(const sb_fleet_node_t *n, int64_t now_ms);

/* Every node but `self` as JSON for `ctl status`: name, heard_ms_ago,
 * reachable, digest, config_differs (from `digest`). */
json_t *sb_fleet_nodes_json(const sb_fleet_nodes_t *t, const char *self, const char *digest,
                            int64_t now_ms);

/* The node families: nodes by reachability, and which differ in
 * configuration. */
void sb_fleet_nodes_metrics(sb_metrics_buf_t *out, const sb_fleet_nodes_t *t, const char *self,
                            const char *digest, int64_t now_ms);

#endif
