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
 *   - an opcode other than QUERY: NOTIMP.
 * The question is parsed even when the message is refused for other reasons,
 * so that error responses can echo it.
 *
 * No allocation; the parsed query points into the packet for the question's
 * raw bytes and keeps a lower-cased copy of the name for lookups.
 * Thread: pure; any thread.
 */
#ifndef SB_QUERY_H
#define SB_QUERY_H

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
    sb_lname_t qname;       /* last: the parser clears everything before it */
} sb_query_t;

sb_query_status_t sb_query_parse(const uint8_t *pkt, size_t len, sb_query_t *q);

#endif
