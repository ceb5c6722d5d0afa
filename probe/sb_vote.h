/*
 * sb_vote — how a fleet's verdict on an endpoint is formed from every
 * nameserver's own (a monitor's `fleet=` setting): `local` (this node's
 * probes alone, the default), `any` (up if any node sees it up),
 * `majority` (more than half of the reporting nodes), `all`, a count N
 * (at least N nodes) or a percentage P% (at least P% of the reporting
 * nodes). Reporting nodes are this one, while its own verdict is known,
 * and every other node whose view is fresh.
 *
 * Thread: pure functions.
 */
#ifndef SB_VOTE_H
#define SB_VOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SB_VOTE_LOCAL = 0,
    SB_VOTE_ANY,
    SB_VOTE_MAJORITY,
    SB_VOTE_ALL,
    SB_VOTE_COUNT,   /* at least n nodes */
    SB_VOTE_PERCENT, /* at least n % of the reporting nodes */
} sb_vote_kind_t;

typedef struct {
    uint8_t kind; /* sb_vote_kind_t */
    uint8_t n;    /* COUNT: 1-64; PERCENT: 1-100 */
} sb_vote_t;

/* "local", "any", "majority", "all", "2", "60%". Returns 0, or -EINVAL with
 * words in `why` (SB_WHY_MAX bytes). */
int sb_vote_parse(const char *text, sb_vote_t *out, char *why);

/* The setting as a zone file writes it, in `buf`. */
const char *sb_vote_format(sb_vote_t v, char *buf, size_t cap);

/* The verdict: `up` of `reporting` nodes see the endpoint up. With nobody
 * reporting, false. */
bool sb_vote_decide(sb_vote_t v, unsigned up, unsigned reporting);

#endif
