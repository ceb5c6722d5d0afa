/*
 * sb_zone — one authoritative zone: its records, its traffic-managed names,
 * and the lookup that RFC 1034 §4.3.2 and RFC 4592 (wildcards) describe.
 *
 * Building: sb_zone_new(), then sb_zone_add_rr() for each record and
 * sb_zone_add_profile() for each traffic-managed name, in any order, then
 * sb_zone_finish() exactly once (also after errors: it releases the build
 * state). Finish groups records into RRsets, checks the zone as a whole
 * (SOA and NS at the apex, CNAME exclusivity, one TTL per RRset, nothing
 * hidden below a delegation but glue, nothing below a DNAME, one DNAME per name, profiles that
 * clash with records), adds empty non-terminals, and builds the name index.
 *
 * Reading: after finish, the zone is immutable and lookups are lock-free,
 * allocation-free and bounded by the number of labels in the name.
 *
 * Record data is kept in wire form with the positions of the domain names
 * that RFC 3597 allows a server to compress, so that answers are copied, not
 * encoded, per query; each RRset and the SOA of negative answers are also
 * kept as they go into a response (sb_prewritten), pointers and all.
 *
 * Ownership: all memory lives in the arena passed to sb_zone_new().
 * Thread: build on one thread; after publication read from any thread.
 */
#ifndef SB_ZONE_H
#define SB_ZONE_H

#include "sb_arena.h"
#include "sb_diag.h"
#include "sb_name.h"
#include "sb_profile.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const uint8_t *data;
    uint16_t len;
    uint8_t name_count;   /* compressible names inside the data */
    uint16_t name_off[2]; /* where they start */
} sb_rdata_t;

typedef struct sb_rrset {
    uint16_t type;
    uint16_t count;
    uint32_t ttl;
    const sb_rdata_t *rdata;
    const struct sb_rrset *next;
    sb_pos_t pos; /* where the first record of the set was written */
    /* NS, MX and SRV sets (whose targets the configuration's checks look
     * at): where each record of rdata[] was written; NULL for others. */
    const sb_pos_t *rdata_pos;
    /* No compressible name in any record's data: its records are written
     * as they are, owned by a pointer, with nothing to work out. */
    bool plain;
    /* A set with names in its data: the set in the answer section, owned
     * by the question's name, as the first thing after the question
     * (sb_prewritten, anchored at the owner); NULL for a plain set and
     * when it could not be prewritten. */
    const struct sb_prewritten *answer;
    /* NS sets of a delegation: the referral (the set in the authority
     * section, the glue of its name servers), anchored at the cut; NULL
     * when it is written per query. Set by the generation (sb_gen), which
     * knows every zone the glue may come from. */
    const struct sb_prewritten *referral;
} sb_rrset_t;

enum {
    SB_NODE_APEX = 1,
    SB_NODE_CUT = 2,   /* NS below the apex: a delegation point */
    SB_NODE_CNAME = 4, /* holds a CNAME (and nothing else) */
    SB_NODE_DNAME = 8, /* holds a DNAME: names below it are redirected */
};

/* A CNAME's whole answer for one type, prewritten (sb_gen): the CNAME and
 * its target's set of that type, when the target is a name of a served
 * zone with static data and no CNAME of its own. */
typedef struct sb_cname_answer {
    uint16_t type;
    const struct sb_prewritten *piece; /* anchored at the CNAME's owner */
    const struct sb_cname_answer *next;
} sb_cname_answer_t;

typedef struct sb_node {
    const uint8_t *name; /* lower-case wire name */
    uint8_t name_len;
    uint8_t labels;
    uint8_t flags;
    const sb_rrset_t *rrsets;               /* NULL for an empty non-terminal */
    sb_profile_t *profile;                  /* non-NULL for a traffic-managed name */
    const sb_cname_answer_t *cname_answers; /* a CNAME's, by type; NULL: none */
} sb_node_t;

typedef struct sb_zone sb_zone_t;

/* Create an empty zone for `apex` (wire name, any case), defined in `file`
 * (borrowed; must live as long as the arena). Returns 0 or -ENOMEM. */
int sb_zone_new(sb_zone_t **out, sb_arena_t *arena, const uint8_t *apex, const char *file);

/* Add one record. `owner` must be within the apex (the parser checks). The
 * rdata is copied; `name_off` lists up to two offsets of compressible names
 * in it. Returns 0 or -ENOMEM. */
int sb_zone_add_rr(sb_zone_t *zone, const uint8_t *owner, uint16_t type, uint32_t ttl,
                   const uint8_t *rdata, uint16_t rdlen, const uint16_t *name_off,
                   uint8_t name_count, sb_pos_t pos);

/* Attach a traffic-managed name (its owner is the profile's owner). */
int sb_zone_add_profile(sb_zone_t *zone, sb_profile_t *profile);

/* Check and index the zone; every problem goes to `diag`. Returns 0, or
 * SB_ECONFIG when errors were recorded, or -ENOMEM. */
int sb_zone_finish(sb_zone_t *zone, sb_diag_t *diag);

const uint8_t *sb_zone_apex(const sb_zone_t *zone);
size_t sb_zone_apex_len(const sb_zone_t *zone); /* bytes of the wire name */
unsigned sb_zone_apex_labels(const sb_zone_t *zone);
const char *sb_zone_apex_text(const sb_zone_t *zone);
const char *sb_zone_file(const sb_zone_t *zone);
const sb_node_t *sb_zone_apex_node(const sb_zone_t *zone);
const sb_rrset_t *sb_zone_soa(const sb_zone_t *zone);
/* The SOA record of a negative answer (its TTL the smaller of the SOA's and
 * its minimum field, RFC 2308 §3) in the authority section, anchored at
 * the apex; NULL when it could not be prewritten. Its TTL is the four bytes
 * at SB_ZONE_NEGATIVE_TTL_AT. */
const struct sb_prewritten *sb_zone_negative(const sb_zone_t *zone);
#define SB_ZONE_NEGATIVE_TTL_AT 6 /* a pointer to the apex, the type, the class */
/* The TTL of a negative answer's SOA (RFC 2308 §3). */
uint32_t sb_zone_negative_ttl(const sb_zone_t *zone);
size_t sb_zone_node_count(const sb_zone_t *zone);
size_t sb_zone_profile_count(const sb_zone_t *zone);
sb_profile_t *sb_zone_profile(const sb_zone_t *zone, size_t i);

/* Exact lookup of a lower-cased wire name, ignoring delegations. */
const sb_node_t *sb_zone_find(const sb_zone_t *zone, const uint8_t *lc_name, size_t len);

const sb_rrset_t *sb_zone_node_rrset(const sb_node_t *node, uint16_t type);

/* Forget every prewritten piece of the zone (its sets, its negative SOA,
 * its referrals), so that its answers are written per query: for tests
 * that compare both ways. Before publication only. */
void sb_zone_drop_prewritten(sb_zone_t *zone);

/* For every name of the finished zone that holds a CNAME: build(node,
 * &answers, arg), which sets the node's `cname_answers`. Stops at the
 * first negative return, and returns it; else 0. Load time only. */
int sb_zone_prewrite_cnames(sb_zone_t *zone,
                            int (*build)(const sb_node_t *node, const sb_cname_answer_t **answers,
                                         void *arg),
                            void *arg);

/* For every delegation of the finished zone: build(cut, &referral, arg),
 * which sets the NS set's `referral`. Stops at the first negative return,
 * and returns it; else 0. Load time only. */
int sb_zone_prewrite_referrals(sb_zone_t *zone,
                               int (*build)(const sb_node_t *cut,
                                            const struct sb_prewritten **referral, void *arg),
                               void *arg);

/* Call fn(node, arg) for every name of the finished zone (empty
 * non-terminals included), in no particular order. */
void sb_zone_foreach_node(const sb_zone_t *zone, void (*fn)(const sb_node_t *node, void *arg),
                          void *arg);

typedef enum {
    SB_MATCH_EXACT,    /* node is the name itself */
    SB_MATCH_WILDCARD, /* node is the wildcard that synthesises the name */
    SB_MATCH_NXDOMAIN, /* the name does not exist */
    SB_MATCH_REFERRAL, /* the name is at or below a delegation; node is the cut */
    SB_MATCH_DNAME,    /* the name is below a DNAME (RFC 6672); node owns it */
} sb_match_kind_t;

typedef struct {
    sb_match_kind_t kind;
    const sb_node_t *node;
    unsigned cut_labels; /* SB_MATCH_REFERRAL and SB_MATCH_DNAME: labels in
                            node's name */
} sb_match_t;

/* Find what answers `qname` (which must be within the zone). A query for DS
 * at a delegation point is answered by the parent side, as RFC 4035 §3.1.4.1
 * requires, so `qtype` matters there. */
void sb_zone_lookup(const sb_zone_t *zone, const sb_lname_t *qname, uint16_t qtype,
                    sb_match_t *out);

#endif
