/*
 * sb_rrl — response rate limiting (RRL), as NSD, Knot and BIND do it.
 *
 * A DNS server answering UDP is a reflector: a spoofed query brings the
 * victim an answer many times its size. RRL counts the responses of one
 * kind (sb_response_kind_t: the same answer, NXDOMAIN or NODATA for one
 * zone, one referral, one wildcard, one DNAME, errors) sent to one client prefix (an
 * IPv4 /24, an IPv6 /56 by default) in each second. Past the kind's rate,
 * responses are dropped, except every `slip`-th, which goes out as a slip:
 * cut to its question with TC set, a few bytes, so that a real client
 * behind the prefix asks again over TCP and is answered there.
 *
 * Not limited: TCP (its source cannot be spoofed; the caller checks only
 * UDP), a query that carried a valid server cookie (RFC 7873: the client
 * has shown it receives at its address), and clients in the exempt list
 * (their responses are still counted, and reported as exempt).
 *
 * The table is shared by every DNS worker: buckets of 8 slots, one cache
 * line each, each slot a 64-bit word (a tag of the key, the second it
 * counts, the responses in it) updated with compare-and-swap. No lock, no
 * allocation, no system call: the query path stays as it is. A key is a
 * SipHash of the prefix, the kind and its name (with a key drawn at start,
 * so no one can aim two keys at one slot); a key not found takes the
 * bucket's slot that is stalest, or counts least, so a flooded key keeps
 * its count. A compare-and-swap lost four times running lets the response
 * through.
 *
 * Ownership: sb_rrl_free() frees the table. Thread: sb_rrl_judge() from any
 * worker, each with its own sb_rrl_worker_t.
 */
#ifndef SB_RRL_H
#define SB_RRL_H

#include "sb_addr.h"
#include "sb_answer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_RRL_MAX_EXEMPT 64
#define SB_RRL_RATE_MAX   65534 /* a slot counts up to 65535 responses a second */

typedef struct {
    unsigned responses; /* per second: answers, wildcards, DNAMEs, NODATA, referrals; 0: no
                           limit. Rates are at most SB_RRL_RATE_MAX. */
    unsigned nxdomains; /* per second: NXDOMAIN; 0: no limit */
    unsigned errors;    /* per second: errors; 0: no limit */
    unsigned slip;      /* every slip-th limited response is sent as a slip; 0: none */
    uint8_t ipv4_prefix, ipv6_prefix;
    const sb_prefix_t *exempt; /* borrowed; must outlive the table */
    size_t exempt_count;
} sb_rrl_config_t;

typedef struct sb_rrl sb_rrl_t;

/* The table (1 MiB), or NULL in *out when every rate is 0 (RRL off).
 * Returns 0 or -ENOMEM. */
int sb_rrl_new(sb_rrl_t **out, const sb_rrl_config_t *cfg);
void sb_rrl_free(sb_rrl_t *r);

typedef enum {
    SB_RRL_SEND,   /* within the rate, or not limited at all */
    SB_RRL_DROP,   /* over the rate: send nothing */
    SB_RRL_SLIP,   /* over the rate: send a slip (sb_answer_slip()) */
    SB_RRL_EXEMPT, /* over the rate, but the client is exempt: send */
} sb_rrl_verdict_t;

/* One worker's own state: its count of limited responses, for slipping. */
typedef struct {
    unsigned limited;
} sb_rrl_worker_t;

/* Count the UDP response `info` describes, to `client` at client->now,
 * and say what to do with it. */
sb_rrl_verdict_t sb_rrl_judge(sb_rrl_t *r, sb_rrl_worker_t *w, const sb_client_t *client,
                              const sb_answer_info_t *info);

#endif
