#include "sb_answer.h"

#include "sb_dns.h"
#include "sb_prewritten.h"
#include "sb_query.h"
#include "sb_route.h"
#include "sb_writer.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#define MAX_CHAIN         8  /* CNAMEs followed inside served zones */
#define MAX_EXTRA         16 /* names whose addresses go in the additional section */
#define OPT_LEN           11 /* an OPT record without options */
#define OPTION_HEADER_LEN 4
#define COOKIE_LEN        (SB_COOKIE_CLIENT_LEN + SB_COOKIE_SERVER_LEN)
#define ECS_MAX_LEN       (4 + 16)
#define OPT_MAX                                                                                    \
    (OPT_LEN + OPTION_HEADER_LEN + SB_NSID_MAX + OPTION_HEADER_LEN + COOKIE_LEN +                  \
     OPTION_HEADER_LEN + ECS_MAX_LEN)

/* Where an additional name's addresses may come from. */
typedef enum {
    EXTRA_ANSWER,  /* a target in an answer: authoritative data only */
    EXTRA_SIBLING, /* a referral's name server elsewhere in the referring zone: glue
                      below another of its cuts allowed (RFC 9471 §3.2); left out
                      when it does not fit */
    EXTRA_GLUE,    /* a referral's name server inside the delegation: required;
                      TC when it does not fit (RFC 9471 §3.1) */
} extra_kind_t;

typedef struct {
    const sb_gen_t *gen;
    const sb_answer_config_t *cfg;
    sb_answer_info_t *info;
    const sb_client_t *client;
    const sb_query_t *q;
    sb_writer_mark_t after_question;
    uint16_t rcode;
    bool aa;
    bool tc;
    uint8_t extra_count;
    const sb_zone_t *referring; /* the zone of a referral, for sibling glue */
    const sb_node_t *cut;       /* the delegation referred to */
    const sb_zone_t *negative;  /* the zone whose SOA a negative answer carries */
    const sb_node_t *wildcard;  /* the wildcard that answered the question's name */
    const sb_node_t *dname;     /* the DNAME the question's name was below */
    uint8_t ecs_scope;          /* ECS scope: client bits the answers depended on */
    uint8_t dname_count;
    const sb_zone_t *qzone; /* the zone of the question's name */
    /* Where the name of the node answering now is in the message, when the
     * node is that name (an exact match), so that its prewritten sets can
     * be copied; 0 otherwise. `exact_literal`: written out in full (the
     * question), rather than as a CNAME's compressed target. */
    uint16_t exact_at;
    bool exact_literal;
    size_t cname_at; /* where the CNAME that leads on starts; 0: none written */
    /* From here on nothing needs clearing before an answer: the writer is
     * set up by sb_writer_init(), the arrays are read only up to their
     * counts above. */
    sb_writer_t w;
    const uint8_t *extra[MAX_EXTRA];
    extra_kind_t extra_kind[MAX_EXTRA];
    const sb_rrset_t *dnames[MAX_CHAIN + 1]; /* written already: a DNAME appears once */
} answer_t;

typedef enum { NODE_DONE, NODE_FOLLOW } node_result_t;

/* Drop everything after the question and set TC (RFC 2181 §9). Nothing
 * more is written, but the answer goes on being worked out, so that its
 * rcode is the one the full answer over TCP has (a chain cut short here
 * may still end at NXDOMAIN). */
static void truncate_all(answer_t *a)
{
    sb_writer_rollback(&a->w, a->after_question);
    sb_writer_set_limit(&a->w, a->w.len);
    a->tc = true;
}

/* A plain set (no names in its data) owned by the name at `owner_off`:
 * each record as the writer would write it, with no compression to work
 * out. All of it or nothing (false). */
static bool write_plain(answer_t *a, sb_section_t section, uint16_t owner_off,
                        const sb_rrset_t *set)
{
    sb_writer_t *w = &a->w;
    size_t need = 0;
    for (uint16_t i = 0; i < set->count; i++)
        need += 2u + 10u + set->rdata[i].len;
    if (w->len + need > w->limit)
        return false;
    for (uint16_t i = 0; i < set->count; i++) {
        const sb_rdata_t *rd = &set->rdata[i];
        uint8_t *p = w->buf + w->len;
        sb_put16(p, (uint16_t)(0xc000 | owner_off));
        sb_put16(p + 2, set->type);
        sb_put16(p + 4, w->rr_class);
        sb_put32(p + 6, set->ttl);
        sb_put16(p + 10, rd->len);
        sb_writer_copy(p + 12, rd->data, rd->len);
        w->len += 12u + rd->len;
    }
    w->counts[section] = (uint16_t)(w->counts[section] + set->count);
    return true;
}

static bool write_rrset(answer_t *a, sb_section_t section, const uint8_t *owner, uint16_t owner_off,
                        const sb_rrset_t *set)
{
    if (owner == NULL && set->plain && owner_off < 0x4000 &&
        write_plain(a, section, owner_off, set))
        return true;
    const sb_prewritten_t *p = set->answer;
    if (owner == NULL && owner_off == a->exact_at && owner_off != 0 &&
        section == SB_SECTION_ANSWER && p != NULL && (a->exact_literal || p->anywhere) &&
        sb_prewritten_write(&a->w, p, owner_off))
        return true;
    sb_writer_mark_t m = sb_writer_mark(&a->w);
    for (uint16_t i = 0; i < set->count; i++) {
        const sb_rdata_t *rd = &set->rdata[i];
        if (!sb_writer_rr(&a->w, section, owner, owner_off, set->type, set->ttl, rd->data, rd->len,
                          rd->name_off, rd->name_count)) {
            sb_writer_rollback(&a->w, m);
            return false;
        }
    }
    return true;
}

/* Queue a name whose addresses help the client (MX, SRV and NS targets).
 * Past MAX_EXTRA names they are left out, as additional data may be. */
static void queue_extra(answer_t *a, const uint8_t *name, extra_kind_t kind)
{
    for (uint8_t i = 0; i < a->extra_count; i++) {
        if (sb_name_equal(a->extra[i], name))
            return;
    }
    if (a->extra_count < MAX_EXTRA) {
        a->extra_kind[a->extra_count] = kind;
        a->extra[a->extra_count++] = name;
    }
}

static void write_extra(answer_t *a, const uint8_t *name, extra_kind_t kind);

/* The target name inside NS, MX or SRV data, or NULL for other types. */
static const uint8_t *data_target(uint16_t type, const sb_rdata_t *rd)
{
    size_t off;
    switch (type) {
    case SB_TYPE_NS:
        off = 0;
        break;
    case SB_TYPE_MX:
        off = 2;
        break;
    case SB_TYPE_SRV:
        off = 6;
        break;
    default:
        return NULL;
    }
    return rd->len > off ? rd->data + off : NULL;
}

static void queue_targets(answer_t *a, const sb_rrset_t *set)
{
    for (uint16_t i = 0; i < set->count; i++) {
        const uint8_t *target = data_target(set->type, &set->rdata[i]);
        if (target != NULL)
            queue_extra(a, target, EXTRA_ANSWER);
    }
}

/* The prewritten SOA of a negative answer, when the zone is the
 * question's (its apex is then a suffix of the question's name) and
 * nothing but the question precedes it, so that the writer could have
 * compressed it against nothing else. */
static bool negative_prewritten(answer_t *a, const sb_zone_t *zone, uint32_t ttl)
{
    const sb_prewritten_t *p = sb_zone_negative(zone);
    if (p == NULL || zone != a->qzone || a->w.len != a->after_question.len)
        return false;
    const sb_lname_t *qname = &a->q->qname;
    uint8_t apex_at = qname->off[qname->labels - sb_zone_apex_labels(zone)];
    size_t start = a->w.len;
    if (!sb_prewritten_write(&a->w, p, (uint16_t)(SB_DNS_HEADER_LEN + apex_at)))
        return false;
    if (ttl != sb_zone_negative_ttl(zone)) /* capped by a profile's */
        sb_put32(a->w.buf + start + SB_ZONE_NEGATIVE_TTL_AT, ttl);
    return true;
}

static void negative_capped(answer_t *a, const sb_zone_t *zone, uint32_t cap)
{
    a->negative = zone;
    uint32_t ttl = sb_zone_negative_ttl(zone);
    if (ttl > cap)
        ttl = cap;
    if (negative_prewritten(a, zone, ttl))
        return;
    const sb_rdata_t *rd = &sb_zone_soa(zone)->rdata[0];
    if (!sb_writer_rr(&a->w, SB_SECTION_AUTHORITY, sb_zone_apex(zone), 0, SB_TYPE_SOA, ttl,
                      rd->data, rd->len, rd->name_off, rd->name_count))
        truncate_all(a);
}

static void negative(answer_t *a, const sb_zone_t *zone)
{
    negative_capped(a, zone, UINT32_MAX);
}

/* A referral: the delegation's NS records, then their glue. Glue for name
 * servers inside the delegation is written at once, all of it (RFC 9471
 * §3.1); addresses of other name servers — sibling glue in this zone
 * (§3.2), or authoritative data — are optional extras. AA stays as it is:
 * clear when the question itself is delegated, set when a CNAME we are
 * authoritative for led here (RFC 1034 §4.3.2 step 3b, after 3a). */
static void referral(answer_t *a, const sb_zone_t *zone, const sb_node_t *cut,
                     unsigned question_cut_labels)
{
    const sb_rrset_t *ns = sb_zone_node_rrset(cut, SB_TYPE_NS);
    if (question_cut_labels > 0 && ns->referral != NULL) {
        /* The question's name is at or below the cut: the cut's name is
         * its suffix of that many labels. */
        const sb_lname_t *qname = &a->q->qname;
        uint8_t cut_at = qname->off[qname->labels - question_cut_labels];
        if (sb_prewritten_write(&a->w, ns->referral, (uint16_t)(SB_DNS_HEADER_LEN + cut_at))) {
            a->referring = zone;
            a->cut = cut;
            return;
        }
    }
    if (!write_rrset(a, SB_SECTION_AUTHORITY, cut->name, 0, ns)) {
        truncate_all(a);
        return;
    }
    a->referring = zone;
    a->cut = cut;
    for (uint16_t i = 0; i < ns->count && !a->tc; i++) {
        const uint8_t *target = ns->rdata[i].data;
        if (sb_name_is_within(target, cut->name))
            write_extra(a, target, EXTRA_GLUE);
        else
            queue_extra(a, target, EXTRA_SIBLING);
    }
}

static bool write_one(answer_t *a, const uint8_t *owner, uint16_t owner_off, uint16_t type,
                      uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, uint8_t names)
{
    static const uint16_t at_start[1] = {0};
    if (type == SB_TYPE_CNAME)
        a->cname_at = a->w.len;
    if (sb_writer_rr(&a->w, SB_SECTION_ANSWER, owner, owner_off, type, ttl, rdata, rdlen, at_start,
                     names))
        return true;
    truncate_all(a);
    return false;
}

/* Note an answer given with `ep` in the info, for the caller's counters:
 * the generation is shared by every DNS worker and stays unwritten. A
 * profile's fallback target is noted too: it has an id of its own. */
static void count_answer(answer_t *a, const sb_endpoint_t *ep)
{
    sb_answer_info_t *info = a->info;
    if (info->endpoint_count < SB_ANSWER_ENDPOINTS_MAX)
        info->endpoints[info->endpoint_count++] = ep;
}

/* The addresses in the answer section, owned by the name at `owner_off`:
 * each endpoint's prewritten record. False, writing nothing, when one has
 * none or they do not fit. */
static bool write_prewritten_addresses(answer_t *a, const sb_route_answer_t *r, uint16_t owner_off)
{
    size_t total = 0;
    for (uint8_t i = 0; i < r->count; i++) {
        if (r->endpoints[i]->answer_rr_len == 0)
            return false;
        total += r->endpoints[i]->answer_rr_len;
    }
    sb_writer_t *w = &a->w;
    if (w->len + total > w->limit)
        return false;
    for (uint8_t i = 0; i < r->count; i++) {
        const sb_endpoint_t *ep = r->endpoints[i];
        sb_writer_copy(w->buf + w->len, ep->answer_rr, ep->answer_rr_len);
        sb_put16(w->buf + w->len, (uint16_t)(0xc000 | owner_off)); /* the owner */
        w->len += ep->answer_rr_len;
    }
    w->counts[SB_SECTION_ANSWER] = (uint16_t)(w->counts[SB_SECTION_ANSWER] + r->count);
    return true;
}

/* The addresses a profile answers with, one RRset: all of it or none. */
static bool write_each_address(answer_t *a, const uint8_t *owner, uint16_t owner_off,
                               const sb_route_answer_t *r, uint32_t ttl, sb_section_t section)
{
    for (uint8_t i = 0; i < r->count; i++) {
        const sb_endpoint_t *ep = r->endpoints[i];
        bool v4 = ep->kind == SB_TARGET_V4;
        if (!sb_writer_rr(&a->w, section, owner, owner_off, v4 ? SB_TYPE_A : SB_TYPE_AAAA, ttl,
                          ep->addr.bytes, v4 ? 4 : 16, NULL, 0))
            return false;
    }
    return true;
}

static void write_addresses(answer_t *a, const uint8_t *owner, uint16_t owner_off,
                            const sb_route_answer_t *r, uint32_t ttl, sb_section_t section)
{
    bool by_pointer = owner == NULL && section == SB_SECTION_ANSWER;
    if (!by_pointer || !write_prewritten_addresses(a, r, owner_off)) {
        sb_writer_mark_t m = sb_writer_mark(&a->w);
        if (!write_each_address(a, owner, owner_off, r, ttl, section)) {
            sb_writer_rollback(&a->w, m);
            if (section == SB_SECTION_ANSWER)
                truncate_all(a);
            return;
        }
    }
    for (uint8_t i = 0; i < r->count; i++)
        count_answer(a, r->endpoints[i]);
}

/* Each name looked up in a chain (MAX_CHAIN CNAMEs followed, and the name
 * they lead to) answers from at most one profile; only the last can answer
 * with addresses, several of them. */
static_assert(SB_ANSWER_ENDPOINTS_MAX >= MAX_CHAIN + SB_ROUTE_ANSWER_MAX,
              "room for a profile answer per step");

/* Who asked, as routing methods see it: the client's subnet from EDNS
 * Client Subnet (a source prefix of 0 asks that it not be used), else its
 * source address; either cut to the server's limit. Returns whether it came
 * from ECS (the answer's ECS option then carries the scope). */
static bool route_client(const answer_t *a, sb_route_client_t *who)
{
    const sb_query_t *q = a->q;
    bool ecs = q->has_ecs && q->ecs.source_prefix > 0;
    memset(who, 0, sizeof(*who));
    if (!ecs && a->client->addr_len == 0)
        return false;
    who->family = ecs ? (q->ecs.family == 1 ? 4 : 6) : (a->client->addr_len == 4 ? 4 : 6);
    uint8_t limit = a->cfg->ecs_prefix_max[who->family == 6];
    if (limit == 0)
        limit = who->family == 4 ? SB_ECS_DEFAULT_V4 : SB_ECS_DEFAULT_V6;
    uint8_t prefix = ecs && q->ecs.source_prefix < limit ? q->ecs.source_prefix : limit;
    const uint8_t *src = ecs ? q->ecs.addr : a->client->addr;
    size_t whole = prefix / 8u;
    memcpy(who->addr, src, whole);
    if (prefix % 8u)
        who->addr[whole] = (uint8_t)(src[whole] & (0xff00u >> (prefix % 8u)));
    who->prefix = prefix;
    who->cut = limit;
    return ecs;
}

/* The endpoints `p` answers `qtype` with for this client; the ECS scope
 * of the response is the widest any of its choices needed. */
static void route(answer_t *a, const sb_profile_t *p, uint16_t qtype, sb_route_answer_t *r)
{
    sb_route_client_t who = {0};
    bool ecs = p->route->routes_on_client && route_client(a, &who);
    sb_route_answer(p, qtype, &who, r);
    if (ecs && r->scope > a->ecs_scope)
        a->ecs_scope = r->scope;
}

/* A traffic-managed name. Returns NODE_FOLLOW with *target set when a CNAME
 * was written; sets *handled to false when the name's static records must
 * answer instead (an address profile asked for another type). */
static node_result_t answer_profile(answer_t *a, const sb_zone_t *zone, const sb_profile_t *p,
                                    const uint8_t *owner, uint16_t owner_off,
                                    const uint8_t **target, bool *handled)
{
    uint16_t qtype = a->q->qtype;
    bool any = qtype == SB_TYPE_ANY;
    *handled = true;
    if (p->addresses && !any && sb_route_family_of(p, qtype) < 0) {
        *handled = false; /* the name's static records answer */
        return NODE_DONE;
    }
    sb_route_answer_t r;
    route(a, p, any ? SB_TYPE_A : qtype, &r);
    if (any && p->addresses && r.count == 0)
        route(a, p, SB_TYPE_AAAA, &r); /* RFC 8482: one RRset, the profile's if it has one */
    if (r.count == 0) {
        if (any && p->addresses)
            *handled = false; /* never NODATA at a name that has data */
        else                  /* nothing usable and failing closed, or nothing eligible */
            negative_capped(a, zone, p->ttl);
        return NODE_DONE;
    }
    if (p->addresses) {
        write_addresses(a, owner, owner_off, &r, p->ttl, SB_SECTION_ANSWER);
        return NODE_DONE;
    }
    const sb_endpoint_t *ep = r.endpoints[0];
    write_one(a, owner, owner_off, SB_TYPE_CNAME, p->ttl, ep->target, ep->target_len, 1);
    count_answer(a, ep);
    if (qtype == SB_TYPE_CNAME || any)
        return NODE_DONE;
    *target = ep->target;
    return NODE_FOLLOW;
}

/* RFC 8482: answer ANY with one RRset rather than all of them. */
static const sb_rrset_t *pick_for_any(const sb_node_t *node)
{
    const sb_rrset_t *best = NULL;
    for (const sb_rrset_t *s = node->rrsets; s != NULL; s = s->next) {
        if (best == NULL || s->type < best->type)
            best = s;
    }
    return best;
}

/* The question's own CNAME and its target's set of the type asked, when
 * they were prewritten together (sb_cname_answer_t): the chain is then
 * done. Not for ANY (the CNAME alone answers) nor DS (its target may be
 * answered by a parent zone). */
static bool cname_prewritten(answer_t *a, const sb_node_t *node, uint16_t owner_off)
{
    uint16_t qtype = a->q->qtype;
    if (owner_off != SB_DNS_HEADER_LEN || a->exact_at != owner_off || !a->exact_literal ||
        qtype == SB_TYPE_ANY || qtype == SB_TYPE_DS)
        return false;
    for (const sb_cname_answer_t *ca = node->cname_answers; ca != NULL; ca = ca->next) {
        if (ca->type == qtype)
            return sb_prewritten_write(&a->w, ca->piece, owner_off);
    }
    return false;
}

static node_result_t answer_node(answer_t *a, const sb_zone_t *zone, const sb_node_t *node,
                                 const uint8_t *owner, uint16_t owner_off, const uint8_t **target)
{
    uint16_t qtype = a->q->qtype;
    if (node->profile != NULL) {
        bool handled;
        node_result_t r =
            answer_profile(a, zone, node->profile, owner, owner_off, target, &handled);
        if (handled)
            return r;
    }
    if ((node->flags & SB_NODE_CNAME) && qtype != SB_TYPE_CNAME) {
        if (cname_prewritten(a, node, owner_off))
            return NODE_DONE;
        const sb_rrset_t *cname = sb_zone_node_rrset(node, SB_TYPE_CNAME);
        a->cname_at = a->w.len;
        if (!write_rrset(a, SB_SECTION_ANSWER, owner, owner_off, cname))
            truncate_all(a); /* and on: the chain decides the rcode */
        *target = cname->rdata[0].data;
        return qtype == SB_TYPE_ANY ? NODE_DONE : NODE_FOLLOW;
    }
    const sb_rrset_t *set =
        qtype == SB_TYPE_ANY ? pick_for_any(node) : sb_zone_node_rrset(node, qtype);
    if (set == NULL) {
        negative(a, zone);
        return NODE_DONE;
    }
    if (!write_rrset(a, SB_SECTION_ANSWER, owner, owner_off, set))
        truncate_all(a);
    else
        queue_targets(a, set);
    return NODE_DONE;
}

/* RFC 6672 §3.1: the DNAME, then a CNAME from `name` to `name` with the
 * DNAME's owner replaced by its target, written into `synth`. A target
 * longer than a name may be is YXDOMAIN (§2.2). */
static node_result_t answer_dname(answer_t *a, const sb_match_t *m, const sb_lname_t *name,
                                  const uint8_t *owner, uint16_t owner_off, uint8_t *synth,
                                  const uint8_t **target)
{
    const sb_rrset_t *dname = sb_zone_node_rrset(m->node, SB_TYPE_DNAME);
    bool written = false;
    for (uint8_t i = 0; i < a->dname_count; i++)
        written |= a->dnames[i] == dname;
    if (!written) {
        if (!write_rrset(a, SB_SECTION_ANSWER, m->node->name, 0, dname))
            truncate_all(a); /* and on: the chain decides the rcode */
        if (a->dname_count <= MAX_CHAIN)
            a->dnames[a->dname_count++] = dname;
    }
    const sb_rdata_t *rd = &dname->rdata[0];
    size_t prefix_len = name->off[name->labels - m->cut_labels];
    if (prefix_len + rd->len > SB_NAME_MAX) {
        a->rcode = SB_RCODE_YXDOMAIN;
        return NODE_DONE;
    }
    memcpy(synth, name->lc, prefix_len);
    memcpy(synth + prefix_len, rd->data, rd->len);
    write_one(a, owner, owner_off, SB_TYPE_CNAME, dname->ttl, synth,
              (uint16_t)(prefix_len + rd->len), 1);
    /* The synthesized CNAME is the answer to a CNAME query; any other type,
     * ANY included, goes on to the target (RFC 6672 §3.2), so that a target
     * that does not exist is NXDOMAIN (RFC 6604). */
    if (a->q->qtype == SB_TYPE_CNAME)
        return NODE_DONE;
    *target = synth;
    return NODE_FOLLOW;
}

/* The zone that answers `name` for `qtype`: the longest match, except that
 * DS at a zone's apex belongs to the parent side of the cut (RFC 4035
 * §3.1.4.1), so when the parent is served too, the parent answers. */
static const sb_zone_t *zone_for(const sb_gen_t *gen, const sb_lname_t *name, uint16_t qtype)
{
    const sb_zone_t *zone = sb_gen_find_zone(gen, name);
    if (zone == NULL || qtype != SB_TYPE_DS || name->labels == 0 ||
        sb_zone_apex_labels(zone) != name->labels)
        return zone;
    sb_lname_t parent;
    sb_name_to_lname(&parent, name->lc + name->off[1]);
    const sb_zone_t *above = sb_gen_find_zone(gen, &parent);
    return above != NULL ? above : zone;
}

static bool seen_before(const uint8_t *const *chain, unsigned n, const uint8_t *name)
{
    for (unsigned i = 0; i < n; i++) {
        if (sb_name_equal(chain[i], name))
            return true;
    }
    return false;
}

/* Where the target of the CNAME just written is in the message, for the
 * owner of the records it leads to (as the writer would find it; a target
 * written as one pointer is where that points); 0 when it was not written. */
static uint16_t target_written_at(const answer_t *a)
{
    const uint8_t *buf = a->w.buf;
    size_t p = a->cname_at;
    if (p == 0 || a->tc || p >= a->w.len)
        return 0;
    while (buf[p] != 0 && (buf[p] & 0xc0) != 0xc0) /* the owner */
        p += buf[p] + 1u;
    p += (buf[p] == 0 ? 1 : 2) + 10; /* type, class, TTL, length */
    if ((buf[p] & 0xc0) == 0xc0)
        p = sb_get16(buf + p) & 0x3fffu;
    return p < 0x4000 ? (uint16_t)p : 0;
}

/* Resolve the question in `zone`, following CNAMEs through served zones. */
static void resolve(answer_t *a, const sb_zone_t *zone)
{
    sb_lname_t names[2];
    const sb_lname_t *cur = &a->q->qname;
    const uint8_t *chain[MAX_CHAIN + 1];
    uint8_t synthesized[MAX_CHAIN + 1][SB_NAME_MAX]; /* CNAME targets made from DNAMEs */
    chain[0] = cur->lc;
    a->aa = true;
    uint16_t at = SB_DNS_HEADER_LEN; /* where cur's name is written; 0: nowhere */
    for (unsigned hop = 0;; hop++) {
        /* Owners point at the question's name (keeping its case), then at
         * each CNAME's target as written. */
        const uint8_t *owner = at != 0 ? NULL : cur->lc;
        uint16_t owner_off = at;
        sb_match_t m;
        sb_zone_lookup(zone, cur, a->q->qtype, &m);
        a->exact_at = m.kind == SB_MATCH_EXACT ? at : 0;
        a->exact_literal = hop == 0;
        a->cname_at = 0;
        if (hop == 0 && m.kind == SB_MATCH_WILDCARD)
            a->wildcard = m.node;
        if (hop == 0 && m.kind == SB_MATCH_DNAME)
            a->dname = m.node;
        if (m.kind == SB_MATCH_REFERRAL) {
            a->aa = hop > 0;
            referral(a, zone, m.node, hop == 0 ? m.cut_labels : 0);
            return;
        }
        if (m.kind == SB_MATCH_NXDOMAIN) {
            a->rcode = SB_RCODE_NXDOMAIN; /* RFC 6604: the last name decides */
            negative(a, zone);
            return;
        }
        const uint8_t *target = NULL;
        node_result_t r =
            m.kind == SB_MATCH_DNAME
                ? answer_dname(a, &m, cur, owner, owner_off, synthesized[hop], &target)
                : answer_node(a, zone, m.node, owner, owner_off, &target);
        if (r == NODE_DONE)
            return;
        /* The MAX_CHAIN-th CNAME is followed too; one more is written, not
         * followed: the resolver goes on from there. */
        if (hop >= MAX_CHAIN || seen_before(chain, hop + 1, target))
            return;
        at = target_written_at(a);
        sb_lname_t *next = &names[hop & 1];
        sb_name_to_lname(next, target);
        chain[hop + 1] = target;
        cur = next;
        zone = zone_for(a->gen, cur, a->q->qtype);
        if (zone == NULL)
            return; /* the target is someone else's: the resolver follows it */
    }
}

/* The node whose addresses go in the additional section for `name`. Glue
 * (in-domain, or sibling glue of the referring zone) may lie below a cut;
 * other names get addresses only from authoritative data. */
static const sb_node_t *extra_node(const answer_t *a, const sb_lname_t *ln, extra_kind_t kind)
{
    const sb_zone_t *zone = sb_gen_find_zone(a->gen, ln);
    if (zone == NULL)
        return NULL;
    if (kind == EXTRA_GLUE || (kind == EXTRA_SIBLING && zone == a->referring))
        return sb_zone_find(zone, ln->lc, ln->len);
    sb_match_t m;
    sb_zone_lookup(zone, ln, SB_TYPE_A, &m);
    return m.kind == SB_MATCH_EXACT ? m.node : NULL;
}

/* Addresses of `name` in the additional section; all of them or none. */
static void write_extra(answer_t *a, const uint8_t *name, extra_kind_t kind)
{
    sb_lname_t ln;
    sb_name_to_lname(&ln, name);
    const sb_node_t *node = extra_node(a, &ln, kind);
    if (node == NULL)
        return;
    sb_writer_mark_t m = sb_writer_mark(&a->w);
    bool ok = true;
    static const uint16_t types[2] = {SB_TYPE_A, SB_TYPE_AAAA};
    for (int i = 0; i < 2 && ok; i++) {
        const sb_rrset_t *set = sb_zone_node_rrset(node, types[i]);
        if (set != NULL)
            ok = write_rrset(a, SB_SECTION_ADDITIONAL, name, 0, set);
        else if (node->profile != NULL && node->profile->addresses) {
            sb_route_answer_t r;
            route(a, node->profile, types[i], &r);
            write_addresses(a, name, 0, &r, node->profile->ttl, SB_SECTION_ADDITIONAL);
        }
    }
    if (!ok) {
        sb_writer_rollback(&a->w, m);
        if (kind == EXTRA_GLUE)
            a->tc = true; /* RFC 9471: glue that does not fit means TC */
    }
}

static void write_extras(answer_t *a)
{
    for (uint8_t i = 0; i < a->extra_count && !a->tc; i++)
        write_extra(a, a->extra[i], a->extra_kind[i]);
}

/* The configured string a CHAOS name asks for, or NULL. */
static const char *chaos_text(const sb_answer_config_t *cfg, const sb_lname_t *name)
{
    static const struct {
        const char *wire;
        bool identity;
    } names[] = {
        {"\7version\4bind", false},
        {"\7version\6server", false},
        {"\10hostname\4bind", true},
        {"\2id\6server", true},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (name->len == strlen(names[i].wire) + 1 &&
            memcmp(name->lc, names[i].wire, name->len) == 0)
            return names[i].identity ? cfg->identity : cfg->version_string;
    }
    return NULL;
}

/* CHAOS TXT (the convention BIND started): who and what this server is, as
 * the operator chose to tell; REFUSED for anything else. */
static void answer_chaos(answer_t *a)
{
    const char *text = chaos_text(a->cfg, &a->q->qname);
    if (text == NULL || (a->q->qtype != SB_TYPE_TXT && a->q->qtype != SB_TYPE_ANY)) {
        a->rcode = SB_RCODE_REFUSED;
        return;
    }
    uint8_t rdata[1 + SB_CHAOS_MAX];
    size_t n = strnlen(text, SB_CHAOS_MAX);
    rdata[0] = (uint8_t)n;
    memcpy(rdata + 1, text, n);
    a->aa = true;
    a->w.rr_class = SB_CLASS_CH;
    write_one(a, NULL, SB_DNS_HEADER_LEN, SB_TYPE_TXT, 0, rdata, (uint16_t)(n + 1), 0);
}

static void answer_query(answer_t *a)
{
    const sb_query_t *q = a->q;
    if (q->edns && q->edns_version > 0) {
        a->rcode = SB_RCODE_BADVERS; /* RFC 6891 §6.1.3 */
        return;
    }
    if (q->qclass == SB_CLASS_CH) {
        answer_chaos(a);
        return;
    }
    if (q->qclass != SB_CLASS_IN || q->qtype == SB_TYPE_AXFR || q->qtype == SB_TYPE_IXFR) {
        a->rcode = SB_RCODE_REFUSED;
        return;
    }
    const sb_zone_t *zone = zone_for(a->gen, &q->qname, q->qtype);
    if (zone == NULL) {
        a->rcode = SB_RCODE_REFUSED;
        return;
    }
    a->qzone = zone;
    resolve(a, zone);
    a->exact_at = 0;
    write_extras(a);
}

static size_t response_limit(const sb_answer_config_t *cfg, sb_transport_t transport,
                             const sb_query_t *q, size_t cap)
{
    size_t limit;
    if (transport == SB_TRANSPORT_TCP)
        limit = SB_DNS_TCP_MAX;
    else if (!q->edns)
        limit = SB_DNS_UDP_LEGACY_MAX;
    else {
        limit = q->edns_udp_size < SB_DNS_UDP_LEGACY_MAX ? SB_DNS_UDP_LEGACY_MAX : q->edns_udp_size;
        if (limit > cfg->udp_max)
            limit = cfg->udp_max;
    }
    return limit < cap ? limit : cap;
}

static uint8_t *put_option(uint8_t *p, uint16_t code, uint16_t len)
{
    sb_put16(p, code);
    sb_put16(p + 2, len);
    return p + OPTION_HEADER_LEN;
}

/* RFC 7873 §5.2: echo the client cookie with a server cookie; one the client
 * sent back is reused while it is fresh, and replaced when it is not ours,
 * not for this client, or old. */
static uint8_t *put_cookie(const answer_t *a, uint8_t *p)
{
    const sb_query_t *q = a->q;
    const sb_client_t *c = a->client;
    const uint8_t *client_cookie = q->cookie;
    p = put_option(p, SB_EDNS_OPT_COOKIE, COOKIE_LEN);
    memcpy(p, client_cookie, SB_COOKIE_CLIENT_LEN);
    p += SB_COOKIE_CLIENT_LEN;
    const uint8_t *sent = client_cookie + SB_COOKIE_CLIENT_LEN;
    size_t sent_len = q->cookie_len - SB_COOKIE_CLIENT_LEN;
    sb_cookie_verdict_t verdict = sent_len > 0
                                      ? sb_cookie_check(&a->cfg->cookie_key, client_cookie, sent,
                                                        sent_len, c->addr, c->addr_len, c->now)
                                      : SB_COOKIE_BAD;
    a->info->cookie_valid = verdict != SB_COOKIE_BAD;
    if (verdict == SB_COOKIE_FRESH)
        memcpy(p, sent, SB_COOKIE_SERVER_LEN);
    else
        sb_cookie_make(&a->cfg->cookie_key, client_cookie, c->addr, c->addr_len, c->now, p);
    return p + SB_COOKIE_SERVER_LEN;
}

/* RFC 7871 §7.2.1: the option as received, with scope 0 for now: the
 * answer fills in the scope its choices needed (sb_answer()). */
static uint8_t *put_ecs(const sb_query_ecs_t *ecs, uint8_t *p)
{
    p = put_option(p, SB_EDNS_OPT_ECS, (uint16_t)(4 + ecs->addr_len));
    sb_put16(p, ecs->family);
    p[2] = ecs->source_prefix;
    p[3] = 0; /* scope */
    memcpy(p + 4, ecs->addr, ecs->addr_len);
    return p + 4 + ecs->addr_len;
}

/* Our OPT record, into `opt` (OPT_MAX bytes); returns its length. Its
 * extended rcode is filled in by write_opt(). Options answer only queries
 * that were understood: never with FORMERR or BADVERS. */
static size_t build_opt(const answer_t *a, sb_query_status_t status, uint8_t *opt,
                        uint16_t *ecs_scope_at)
{
    const sb_query_t *q = a->q;
    opt[0] = 0; /* root owner */
    sb_put16(opt + 1, SB_TYPE_OPT);
    sb_put16(opt + 3, a->cfg->udp_max);
    sb_put32(opt + 5, q->edns_do ? SB_EDNS_DO : 0);
    uint8_t *p = opt + OPT_LEN;
    if (status != SB_QUERY_FORMERR && q->edns_version == 0) {
        if (q->nsid_requested && a->cfg->nsid_len > 0) {
            p = put_option(p, SB_EDNS_OPT_NSID, a->cfg->nsid_len);
            memcpy(p, a->cfg->nsid, a->cfg->nsid_len);
            p += a->cfg->nsid_len;
        }
        if (q->cookie != NULL)
            p = put_cookie(a, p);
        if (q->has_ecs) {
            *ecs_scope_at = (uint16_t)(p - opt + OPTION_HEADER_LEN + 3);
            p = put_ecs(&q->ecs, p);
        }
    }
    sb_put16(opt + 9, (uint16_t)(p - opt - OPT_LEN));
    return (size_t)(p - opt);
}

static void write_opt(answer_t *a, uint8_t *opt, size_t opt_len)
{
    opt[5] = (uint8_t)(a->rcode >> 4); /* the extended rcode's upper bits */
    if (sb_writer_bytes(&a->w, opt, opt_len))
        a->w.counts[SB_SECTION_ADDITIONAL]++;
}

/* The query's flags a response carries back: the opcode always; RD and CD
 * only for QUERY, the one opcode that defines them (ISC's EDNS compliance
 * checker flags them on a NOTIMP). */
static uint16_t echoed_flags(const sb_query_t *q)
{
    uint16_t opcode = q->flags & SB_OPCODE_MASK;
    if (opcode >> SB_OPCODE_SHIFT == SB_OPCODE_QUERY)
        return q->flags & (SB_OPCODE_MASK | SB_FLAG_RD | SB_FLAG_CD);
    return opcode;
}

static void write_header(answer_t *a)
{
    const sb_query_t *q = a->q;
    uint16_t flags = SB_FLAG_QR | echoed_flags(q) | (a->rcode & SB_RCODE_MASK);
    if (a->aa)
        flags |= SB_FLAG_AA;
    if (a->tc)
        flags |= SB_FLAG_TC;
    uint8_t *h = a->w.buf;
    sb_put16(h + SB_HDR_ID, q->id);
    sb_put16(h + SB_HDR_FLAGS, flags);
    sb_put16(h + SB_HDR_QDCOUNT, q->have_question ? 1 : 0);
    sb_put16(h + SB_HDR_ANCOUNT, a->w.counts[SB_SECTION_ANSWER]);
    sb_put16(h + SB_HDR_NSCOUNT, a->w.counts[SB_SECTION_AUTHORITY]);
    sb_put16(h + SB_HDR_ARCOUNT, a->w.counts[SB_SECTION_ADDITIONAL]);
}

/* The kind of response, and the name it counts under (sb_response_kind_t).
 * "Answered" means data in the answer section: a referral cut short by its
 * glue (TC set, records kept) is still a referral. */
static void classify(const answer_t *a, const uint8_t *req, sb_answer_info_t *info)
{
    bool answered = a->w.counts[SB_SECTION_ANSWER] > 0;
    info->kind_name = NULL;
    if (a->rcode == SB_RCODE_NXDOMAIN) {
        info->kind = SB_RESPONSE_NXDOMAIN;
        info->kind_name = a->negative != NULL ? sb_zone_apex(a->negative) : NULL;
    } else if (a->rcode != SB_RCODE_NOERROR) {
        info->kind = SB_RESPONSE_ERROR;
    } else if (!answered && a->cut != NULL) {
        info->kind = SB_RESPONSE_REFERRAL;
        info->kind_name = a->cut->name;
    } else if (!answered && a->negative != NULL) {
        info->kind = SB_RESPONSE_NODATA;
        info->kind_name = sb_zone_apex(a->negative);
    } else if (a->dname != NULL) {
        info->kind = SB_RESPONSE_DNAME;
        info->kind_name = a->dname->name;
    } else if (a->wildcard != NULL) {
        info->kind = SB_RESPONSE_WILDCARD;
        info->kind_name = a->wildcard->name;
    } else {
        info->kind = SB_RESPONSE_ANSWER;
        info->kind_name = a->q->have_question ? req + SB_DNS_HEADER_LEN : NULL;
    }
}

size_t sb_answer_slip(uint8_t *resp, size_t len, sb_answer_info_t *info)
{
    size_t end = info->question_end, opt = info->opt_len;
    if (end + opt > len)
        return len;
    memmove(resp + end, resp + len - opt, opt);
    sb_put16(resp + SB_HDR_FLAGS, sb_get16(resp + SB_HDR_FLAGS) | SB_FLAG_TC);
    sb_put16(resp + SB_HDR_ANCOUNT, 0);
    sb_put16(resp + SB_HDR_NSCOUNT, 0);
    sb_put16(resp + SB_HDR_ARCOUNT, opt > 0 ? 1 : 0);
    info->truncated = true;
    info->endpoint_count = 0;
    return end + opt;
}

size_t sb_answer(const sb_gen_t *gen, const sb_answer_config_t *cfg, const sb_client_t *client,
                 const uint8_t *req, size_t req_len, uint8_t *resp, size_t resp_cap,
                 sb_answer_info_t *info)
{
    sb_query_t q;
    sb_query_status_t status = sb_query_parse(req, req_len, &q);
    memset(info, 0, offsetof(sb_answer_info_t, endpoints)); /* the rest: up to endpoint_count */
    info->qtype = q.qtype;
    if (status == SB_QUERY_DROP) {
        info->dropped = true;
        return 0;
    }
    answer_t a;
    memset(&a, 0, offsetof(answer_t, w));
    a.gen = gen;
    a.cfg = cfg;
    a.info = info;
    a.client = client;
    a.q = &q;
    size_t limit = response_limit(cfg, client->transport, &q, resp_cap);
    uint8_t opt[OPT_MAX];
    uint16_t ecs_scope_at = 0; /* where the ECS option's scope is in opt, if any */
    size_t opt_len = q.edns ? build_opt(&a, status, opt, &ecs_scope_at) : 0;
    sb_writer_init(&a.w, resp, limit - opt_len);
    a.w.len = SB_DNS_HEADER_LEN;
    if (q.have_question) {
        sb_writer_bytes(&a.w, q.question, q.question_len);
        sb_writer_note_labels(&a.w, SB_DNS_HEADER_LEN, q.qname.off, q.qname.labels);
    }
    a.after_question = sb_writer_mark(&a.w);
    info->question_end = (uint16_t)a.w.len;
    if (status == SB_QUERY_FORMERR)
        a.rcode = SB_RCODE_FORMERR;
    else if (status == SB_QUERY_NOTIMP)
        a.rcode = SB_RCODE_NOTIMP;
    else
        answer_query(&a);
    classify(&a, req, info);
    if (q.edns) {
        if (ecs_scope_at != 0)
            opt[ecs_scope_at] = a.ecs_scope;
        sb_writer_set_limit(&a.w, limit);
        size_t before = a.w.len;
        write_opt(&a, opt, opt_len);
        info->opt_len = (uint16_t)(a.w.len - before);
    }
    write_header(&a);
    info->rcode = a.rcode;
    info->truncated = a.tc;
    if (a.tc) /* a truncated answer gives no endpoint: the TCP retry does */
        info->endpoint_count = 0;
    return a.w.len;
}
