/*
 * sb_verdicts — one nameserver's verdicts on endpoints, as the fleet's
 * health messages carry them (<fleet>.health.<node>): a node sends the
 * verdicts that changed at once, and all of them every period, so that
 * late joiners and restarted nodes converge.
 *
 *   {"node": "ns1", "period_ms": 5000, "full": true,
 *    "views": [["www.example.com.", "east", "up"], ...]}
 *
 * Messages come from the network: decoding checks every field and takes
 * nothing on trust (fuzzed: tests/fuzz/fuzz_verdicts.c).
 *
 * Ownership: a decoded message owns its JSON document; names point into it
 * until sb_verdicts_free().
 * Thread: any; no shared state.
 */
#ifndef SB_VERDICTS_H
#define SB_VERDICTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_VERDICTS_PERIOD_MS   5000       /* how often every verdict is sent */
#define SB_VERDICTS_MAX_BYTES   (1u << 20) /* the largest message read */
#define SB_VERDICTS_PER_MESSAGE 2000       /* views in one message, at most */
#define SB_VERDICTS_NODE_MAX    63         /* a node's name, in bytes */

/* Whether `name` may name a node (or a fleet): 1 to SB_VERDICTS_NODE_MAX of
 * A-Z a-z 0-9 - _ (it becomes part of subjects). */
bool sb_verdicts_node_ok(const char *name);

typedef struct {
    const char *profile;
    const char *endpoint;
    bool up;
} sb_verdict_t;

typedef struct {
    const char *node;
    uint32_t period_ms;
    bool full;
    sb_verdict_t *views;
    size_t count;
    json_t *doc;
} sb_verdicts_t;

/* A message being written: start, add views, finish. */
typedef struct {
    json_t *doc, *views;
} sb_verdicts_writer_t;

int sb_verdicts_begin(sb_verdicts_writer_t *w, const char *node, bool full);
int sb_verdicts_add(sb_verdicts_writer_t *w, const char *profile, const char *endpoint, bool up);
size_t sb_verdicts_pending(const sb_verdicts_writer_t *w);
/* The message's text (the caller frees it), or NULL when out of memory;
 * the writer is emptied either way. */
char *sb_verdicts_finish(sb_verdicts_writer_t *w);

/* Read a message of `len` bytes. Returns 0 or -EINVAL (-ENOMEM). */
int sb_verdicts_decode(const char *data, size_t len, sb_verdicts_t *out);
void sb_verdicts_free(sb_verdicts_t *v);

#endif
