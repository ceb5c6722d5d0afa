/*
 * sb_query — parses and validates one incoming DNS message.
 *
 * Strict where RFC 1035 and RFC 6891 leave no room, so that malformed input
 * gets FORMERR (or no answer) and never reaches the lookup:
 *   - shorter than a header, or QR set: dropped (never answer an answer);
 *   - QDCOUNT other than 1, answer or authority records present, a question
 *     name with a compression pointer, a label over 63 bytes, a name over
 *     255 bytes, anything truncated, bytes after the last record, more than
 *     one OPT, an OPT not owned by the root or with malformed options:
 *     FORMERR;
 *   - an opcode other than QUERY: NOTIMP;
 *   - with EDNS version 0, the options Switchboard acts on are checked too:
 *     a COOKIE (RFC 7873 §5.2.2) or CLIENT-SUBNET (RFC 7871 §7.1.2) option
 *     that is malformed or repeated is FORMERR, answered with an OPT (the
 *     OPT itself was fine). Other options are skipped unread.
 * The question is parsed even when the message is refused for other reasons,
 * so that error responses can echo it.
 *
 * No allocation; the parsed query points into the packet for the question's
 * raw bytes and keeps a lower-cased copy of the name for lookups.
 * Thread: pure; any thread.
 */
#ifndef SB_QUERY_H
#define SB_QUERY_H

#include "sb_dns.h"
#include "sb_name.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SB_QUERY_OK = 0,
    SB_QUERY_DROP,    /* send nothing */
    SB_QUERY_FORMERR, /* answer FORMERR */
    SB_QUERY_NOTIMP,  /* answer NOTIMP */
} sb_query_status_t;

#define SB_COOKIE_CLIENT_LEN     8
#define SB_COOKIE_SERVER_MIN_LEN 8
#define SB_COOKIE_SERVER_MAX_LEN 32

/* An EDNS Client Subnet option, validated; `addr` points into the packet and
 * holds exactly ceil(source_prefix / 8) bytes. */
typedef struct {
    uint16_t family; /* 1 = IPv4, 2 = IPv6 */
    uint8_t source_prefix;
    uint8_t addr_len;
    const uint8_t *addr;
} sb_query_ecs_t;

typedef struct {
    uint16_t id;
    uint16_t flags; /* the query's flags word as received */
    uint8_t opcode;
    bool have_question;      /* question parsed: it can be echoed */
    const uint8_t *question; /* raw question bytes in the packet */
    uint16_t question_len;
    uint16_t qtype;
    uint16_t qclass;
    /* EDNS (RFC 6891); valid when `edns` is true. */
    bool edns;
    uint8_t edns_version;
    bool edns_do;
    uint16_t edns_udp_size; /* as sent; below 512 means 512 */
    bool nsid_requested;
    bool has_ecs;
    sb_query_ecs_t ecs;
    uint8_t cookie_len;    /* 0: none; 8: client cookie only; 16-40: both */
    const uint8_t *cookie; /* client cookie, then the server cookie if any */
    sb_lname_t qname;      /* last: the parser clears everything before it */
} sb_query_t;

sb_query_status_t sb_query_parse(const uint8_t *pkt, size_t len, sb_query_t *q);

#endif
