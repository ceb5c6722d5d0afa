/*
 * The fleet's nameservers as this one hears them (sb_fleet_nodes.h).
 */
#include "sb_fleet_nodes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

char *sb_fleet_nodes_encode(const char *node, const char *digest, uint32_t period_ms)
{
    json_t *v = json_pack("{s:s, s:s, s:I}", "node", node, "digest", digest, "period_ms",
                          (json_int_t)period_ms);
    char *text = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    return text;
}

static bool hex_digest(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n < SB_FLEET_DIGEST_MAX && strspn(s, "0123456789abcdef") == n;
}

int sb_fleet_nodes_decode(const char *data, size_t len, sb_fleet_announce_t *out)
{
    memset(out, 0, sizeof(*out));
    if (len > SB_FLEET_ANNOUNCE_MAX)
        return -EINVAL;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    const char *node = NULL, *digest = NULL;
    json_int_t period = 0;
    int rc = doc != NULL && json_unpack(doc, "{s:s, s:s, s:I}", "node", &node, "digest", &digest,
                                        "period_ms", &period) == 0
                 ? 0
                 : -EINVAL;
    if (rc == 0 &&
        (!sb_fleet_config_name_ok(node) || !hex_digest(digest) || period < 100 || period > 3600000))
        rc = -EINVAL;
    if (rc == 0) {
        snprintf(out->name, sizeof(out->name), "%s", node);
        snprintf(out->digest, sizeof(out->digest), "%s", digest);
        out->period_ms = (uint32_t)period;
    }
    json_decref(doc);
    return rc;
}

sb_fleet_node_t *sb_fleet_nodes_heard(sb_fleet_nodes_t *t, const sb_fleet_announce_t *a,
                                      int64_t now_ms)
{
    sb_fleet_node_t *n = NULL;
    for (size_t i = 0; i < t->count && n == NULL; i++) {
        if (strcmp(t->nodes[i].name, a->name) == 0)
            n = &t->nodes[i];
    }
    if (n == NULL && t->count == SB_FLEET_NODES_MAX)
        return NULL;
    if (n == NULL) {
        n = &t->nodes[t->count++];
        memset(n, 0, sizeof(*n));
        snprintf(n->name, sizeof(n->name), "%s", a->name);
    }
    if (strcmp(n->digest, a->digest) != 0)
        n->differs_logged = false; /* a new digest is news again */
    snprintf(n->digest, sizeof(n->digest), "%s", a->digest);
    n->heard_ms = now_ms;
    n->period_ms = a->period_ms;
    return n;
}

bool sb_fleet_nodes_reachable(const sb_fleet_node_t *n, int64_t now_ms)
{
    return now_ms - n->heard_ms < (int64_t)n->period_ms * SB_FLEET_NODES_STALE;
}

json_t *sb_fleet_nodes_json(const sb_fleet_nodes_t *t, const char *self, const char *digest,
                            int64_t now_ms)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < t->count; i++) {
        const sb_fleet_node_t *n = &t->nodes[i];
        if (strcmp(n->name, self) == 0)
            continue;
        json_array_append_new(arr, json_pack("{s:s, s:I, s:b, s:s, s:b}", "node", n->name,
                                             "heard_ms_ago", (json_int_t)(now_ms - n->heard_ms),
                                             "reachable", sb_fleet_nodes_reachable(n, now_ms),
                                             "digest", n->digest, "config_differs",
                                             strcmp(n->digest, digest) != 0));
    }
    return arr;
}

void sb_fleet_nodes_metrics(sb_metrics_buf_t *out, const sb_fleet_nodes_t *t, const char *self,
                            const char *digest, int64_t now_ms)
{
    size_t reachable = 0, unreachable = 0;
    sb_metrics_family(out, "switchboard_fleet_node_config_differs", SB_METRICS_GAUGE,
                      "1 for a node whose loaded configuration differs from this node's");
    for (size_t i = 0; i < t->count; i++) {
        const sb_fleet_node_t *n = &t->nodes[i];
        if (strcmp(n->name, self) == 0)
            continue;
        sb_fleet_nodes_reachable(n, now_ms) ? reachable++ : unreachable++;
        sb_metrics_sample(out, "switchboard_fleet_node_config_differs", "node=%s",
                          strcmp(n->digest, digest) != 0 ? 1 : 0, n->name);
    }
    sb_metrics_family(out, "switchboard_fleet_nodes", SB_METRICS_GAUGE,
                      "other nodes this one has heard, by whether they announced themselves "
                      "lately");
    sb_metrics_sample(out, "switchboard_fleet_nodes", "state=%s", (double)reachable, "reachable");
    sb_metrics_sample(out, "switchboard_fleet_nodes", "state=%s", (double)unreachable,
                      "unreachable");
}
