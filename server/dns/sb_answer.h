/*
 * sb_answer — turns one DNS query into one response.
 *
 * Authoritative semantics (RFC 1034 §4.3.2, RFC 2308, RFC 4592, RFC 6604):
 * AA on data from a served zone; NXDOMAIN and NODATA carry the zone's SOA in
 * the authority section; names in no served zone get REFUSED; a delegation
 * gets a referral with glue and AA clear; CNAMEs (static or from a profile)
 * are followed through the served zones for a bounded number of steps, with
 * loops detected; traffic-managed names answer from their published choice.
 * A name below a DNAME gets the DNAME and a synthesized CNAME (RFC 6672).
 * EDNS is echoed with our payload size; an answer that does not fit the
 * client's limit is cut back to the question with TC set. The EDNS options
 * Switchboard speaks are answered: NSID (RFC 5001), DNS Cookies (RFC 7873,
 * RFC 9018 server cookies; never required) and Client Subnet (RFC 7871:
 * routing methods that choose by client see the subnet, cut to the
 * configured limit, and the response's scope is the prefix the choice
 * depended on; 0 when nothing did). CHAOS TXT queries for
 * version.bind, version.server, hostname.bind and id.server answer the
 * configured strings, or REFUSED.
 *
 * The query path: no allocation, no locks, no system calls. The only shared
 * state read is each profile's published choice (one atomic load), and
 * nothing shared is written: the profile endpoints an answer was given with
 * come back in the answer's info, for the caller to count in its own
 * counters.
 *
 * Thread: any thread; the generation must stay alive for the call.
 */
#ifndef SB_ANSWER_H
#define SB_ANSWER_H

#include "sb_cookie.h"
#include "sb_gen.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SB_TRANSPORT_UDP = 0,
    SB_TRANSPORT_TCP = 1,
} sb_transport_t;

#define SB_ANSWER_DEFAULT_UDP_MAX 1232 /* DNS flag day 2020 */

#define SB_NSID_MAX  128 /* bytes of NSID we send */
#define SB_CHAOS_MAX 255 /* one TXT string */

/* Borrowed strings must outlive every sb_answer() call that uses them. */
typedef struct {
    uint16_t udp_max;           /* largest UDP response we send with EDNS, 512-65535 */
    const uint8_t *nsid;        /* NULL: no NSID */
    uint8_t nsid_len;           /* at most SB_NSID_MAX */
    const char *version_string; /* version.bind, version.server; NULL: REFUSED */
    const char *identity;       /* hostname.bind, id.server; NULL: REFUSED */
    sb_cookie_key_t cookie_key;
    uint8_t ecs_prefix_max[2]; /* client bits routing may use: IPv4, IPv6 (0: the default) */
} sb_answer_config_t;

/* The default limits of ecs_prefix_max (as public resolvers send). */
#define SB_ECS_DEFAULT_V4 24
#define SB_ECS_DEFAULT_V6 56

/* Where a query came from, and when. */
typedef struct {
    sb_transport_t transport;
    uint8_t addr_len; /* 4 or 16; 0 when unknown */
    uint8_t addr[16];
    uint32_t now; /* Unix seconds, for DNS Cookies */
} sb_client_t;

/* Profile answers one response can hold: one per CNAME of its chain (8
 * followed), and the records of the address profile it may end at (16). */
#define SB_ANSWER_ENDPOINTS_MAX 24

/* What kind of response it is, for response rate limiting (sb_rrl): each
 * kind is counted under its own name, so that a flood of one kind of
 * response is limited without touching the others. */
typedef enum {
    SB_RESPONSE_ANSWER,   /* data for the name asked (or CNAMEs to it): per name and type */
    SB_RESPONSE_WILDCARD, /* data made from a wildcard: per wildcard, whatever the name */
    SB_RESPONSE_DNAME,    /* data reached through a DNAME: per DNAME, whatever the name */
    SB_RESPONSE_NODATA,   /* the name has no data of the type: per zone */
    SB_RESPONSE_NXDOMAIN, /* per zone */
    SB_RESPONSE_REFERRAL, /* per delegation */
    SB_RESPONSE_ERROR,    /* REFUSED, FORMERR, NOTIMP, SERVFAIL, BADVERS...: per client */
    SB_RESPONSE_KINDS
} sb_response_kind_t;

/* What was sent, for counters and logs. */
typedef struct {
    bool dropped;
    bool truncated;
    uint16_t rcode; /* including the extended bits */
    uint16_t qtype;
    sb_response_kind_t kind;
    /* The name `kind` counts under: the question's name as sent (any case;
     * in the request buffer), or a lower-case name of the generation (the
     * zone, the delegation, the wildcard, the DNAME's owner); NULL for
     * errors. Names a client can make up at will (below a wildcard or a
     * DNAME, or that do not exist) never count on their own. Valid as long
     * as the request and the generation. */
    const uint8_t *kind_name;
    bool cookie_valid;     /* the query carried a server cookie of ours for this client */
    uint16_t question_end; /* where the question ends in the response */
    uint16_t opt_len;      /* the OPT record's length: the response's last bytes */
    /* The profile endpoints answered with (a CNAME or an address from a
     * profile), in the order written; borrowed from the generation. A
     * profile's fallback target is among them when it answered (index
     * SB_PICK_NONE; its `id` is the profile's fallback counter). */
    uint8_t endpoint_count;
    const sb_endpoint_t *endpoints[SB_ANSWER_ENDPOINTS_MAX];
} sb_answer_info_t;

/* Answer `req`. Writes the response into `resp` (at least 512 bytes; 65535
 * for TCP) and returns its length, or 0 when nothing must be sent. */
size_t sb_answer(const sb_gen_t *gen, const sb_answer_config_t *cfg, const sb_client_t *client,
                 const uint8_t *req, size_t req_len, uint8_t *resp, size_t resp_cap,
                 sb_answer_info_t *info);

/* Cut the response `sb_answer()` wrote (`len` bytes, described by `info`)
 * back to its header, question and OPT record, with TC set: a "slip", the
 * small reply rate limiting sends instead of the answer, so that a real
 * client asks again over TCP (RFC 2181 §9). Returns the new length. */
size_t sb_answer_slip(uint8_t *resp, size_t len, sb_answer_info_t *info);

#endif
