#include "sb_zone.h"

#include "sb_dns.h"
#include "sb_error.h"
#include "sb_mapbuf.h"
#include "sb_prewritten.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *owner; /* lower-case, in the arena */
    uint8_t owner_len;
    uint16_t type;
    uint32_t ttl;
    sb_rdata_t rd;
    sb_pos_t pos;
} pending_rr_t;

struct sb_zone {
    sb_arena_t *arena;
    const uint8_t *apex; /* lower-case */
    uint8_t apex_len;
    unsigned apex_labels;
    const char *apex_text;
    const char *file;
    sb_node_t *apex_node;
    const sb_rrset_t *soa;
    const sb_prewritten_t *negative;
    bool has_wildcard; /* some name starts with "*": worth looking for one */
    sb_node_t **table;
    size_t mask;
    size_t node_count;
    uint64_t seed;
    pending_rr_t *pending; /* in pending_buf: a zone's worth is large */
    size_t pending_count;
    sb_mapbuf_t pending_buf;
    const uint8_t *last_owner; /* of the record added last, shared by the next ones */
    uint8_t flags_seen;        /* every SB_NODE_* flag some node has */
    sb_profile_t **profiles;
    size_t profile_count;
    size_t profile_cap;
};

int sb_zone_new(sb_zone_t **out, sb_arena_t *arena, const uint8_t *apex, const char *file)
{
    sb_zone_t *z = sb_arena_alloc(arena, sizeof(*z));
    size_t len = sb_name_len(apex);
    uint8_t *lc = sb_arena_alloc(arena, len);
    char *text = sb_arena_alloc(arena, SB_NAME_TEXT_MAX);
    if (z == NULL || lc == NULL || text == NULL)
        return -ENOMEM;
    sb_name_lower(lc, apex, len);
    sb_name_to_text(lc, text, SB_NAME_TEXT_MAX);
    z->arena = arena;
    z->apex = lc;
    z->apex_len = (uint8_t)len;
    z->apex_labels = sb_name_labels(lc);
    z->apex_text = text;
    z->file = file;
    z->seed = (uint64_t)(uintptr_t)z * 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;
    *out = z;
    return 0;
}

static int grow(void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *grown = realloc(*items, ncap * size);
    if (grown == NULL)
        return -ENOMEM;
    *items = grown;
    *cap = ncap;
    return 0;
}

int sb_zone_add_rr(sb_zone_t *z, const uint8_t *owner, uint16_t type, uint32_t ttl,
                   const uint8_t *rdata, uint16_t rdlen, const uint16_t *name_off,
                   uint8_t name_count, sb_pos_t pos)
{
    if (sb_mapbuf_reserve(&z->pending_buf, (z->pending_count + 1) * sizeof(pending_rr_t)) < 0)
        return -ENOMEM;
    z->pending = z->pending_buf.data;
    size_t olen = sb_name_len(owner);
    uint8_t lc[SB_NAME_MAX];
    sb_name_lower(lc, owner, olen);
    /* Records of one name mostly come together: they share one copy. */
    const uint8_t *kept = z->last_owner;
    if (kept == NULL || sb_name_len(kept) != olen || memcmp(kept, lc, olen) != 0)
        kept = sb_arena_memdup_bytes(z->arena, lc, olen);
    uint8_t *data = sb_arena_memdup_bytes(z->arena, rdata, rdlen);
    if (kept == NULL || (data == NULL && rdlen > 0))
        return -ENOMEM;
    z->last_owner = kept;
    pending_rr_t *p = &z->pending[z->pending_count++];
    p->owner = kept;
    p->owner_len = (uint8_t)olen;
    p->type = type;
    p->ttl = ttl;
    p->rd.data = data;
    p->rd.len = rdlen;
    p->rd.name_count = name_count > 2 ? 2 : name_count;
    for (uint8_t i = 0; i < p->rd.name_count; i++)
        p->rd.name_off[i] = name_off[i];
    p->pos = pos;
    return 0;
}

int sb_zone_add_profile(sb_zone_t *z, sb_profile_t *profile)
{
    if (grow((void **)&z->profiles, &z->profile_cap, z->profile_count, sizeof(void *)) < 0)
        return -ENOMEM;
    z->profiles[z->profile_count++] = profile;
    return 0;
}

/* ---- the name index ---------------------------------------------------- */

static size_t slot_of(const sb_zone_t *z, const uint8_t *lc, size_t len)
{
    return (size_t)sb_name_hash(lc, len, z->seed) & z->mask;
}

/* sb_zone_find(), inline in the lookup that calls it once per label. */
static inline const sb_node_t *find_node(const sb_zone_t *z, const uint8_t *lc, size_t len)
{
    if (z->table == NULL)
        return NULL;
    for (size_t i = slot_of(z, lc, len);; i = (i + 1) & z->mask) {
        const sb_node_t *n = z->table[i];
        if (n == NULL)
            return NULL;
        if (n->name_len == len && sb_name_same(n->name, lc, len))
            return n;
    }
}

const sb_node_t *sb_zone_find(const sb_zone_t *z, const uint8_t *lc, size_t len)
{
    return find_node(z, lc, len);
}

static size_t free_slot(const sb_zone_t *z, const uint8_t *lc, size_t len)
{
    size_t i = slot_of(z, lc, len);
    while (z->table[i] != NULL)
        i = (i + 1) & z->mask;
    return i;
}

/* Room for one more name: the table is kept at most half full. Its size
 * is guessed from the owners (table_capacity()); names that exist only as
 * ancestors of others may outgrow it, and then it doubles. */
static int table_reserve(sb_zone_t *z)
{
    size_t cap = z->mask + 1;
    if ((z->node_count + 1) * 2 <= cap)
        return 0;
    sb_node_t **old = z->table;
    sb_node_t **grown = sb_arena_alloc(z->arena, 2 * cap * sizeof(*grown));
    if (grown == NULL)
        return -ENOMEM;
    z->table = grown;
    z->mask = 2 * cap - 1;
    for (size_t i = 0; i < cap; i++) {
        if (old[i] != NULL)
            z->table[free_slot(z, old[i]->name, old[i]->name_len)] = old[i];
    }
    return 0;
}

/* The node of `lc`, made if new. `lc` must live in the zone's arena, lower
 * case: the node keeps it as its name rather than a copy. */
static sb_node_t *node_get(sb_zone_t *z, const uint8_t *lc, size_t len)
{
    if (table_reserve(z) < 0)
        return NULL;
    size_t i = slot_of(z, lc, len);
    for (; z->table[i] != NULL; i = (i + 1) & z->mask) {
        sb_node_t *n = z->table[i];
        if (n->name_len == len && memcmp(n->name, lc, len) == 0)
            return n;
    }
    sb_node_t *n = sb_arena_alloc(z->arena, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->name = lc;
    n->name_len = (uint8_t)len;
    n->labels = (uint8_t)sb_name_labels(lc);
    z->table[i] = n;
    z->node_count++;
    return n;
}

/* Make sure every ancestor of `name` below the apex exists, so that empty
 * non-terminals answer NODATA rather than NXDOMAIN (RFC 4592 §2.2.2). */
static int add_ancestors(sb_zone_t *z, const uint8_t *name)
{
    const uint8_t *p = name;
    unsigned labels = sb_name_labels(name);
    while (labels > z->apex_labels + 1) {
        p += *p + 1;
        labels--;
        if (node_get(z, p, sb_name_len(p)) == NULL)
            return -ENOMEM;
    }
    return 0;
}

static bool same_owner(const pending_rr_t *a, const pending_rr_t *b)
{
    return a->owner_len == b->owner_len && memcmp(a->owner, b->owner, a->owner_len) == 0;
}

/* Room for the apex, each owner (the records sorted) and each profile, at
 * most half full; ancestors that own nothing grow it (table_reserve()). */
static size_t table_capacity(const sb_zone_t *z)
{
    size_t names = 1 + z->profile_count;
    for (size_t i = 0; i < z->pending_count; i++)
        names += i == 0 || !same_owner(&z->pending[i - 1], &z->pending[i]);
    size_t cap = 16;
    while (cap < names * 2)
        cap <<= 1;
    return cap;
}

/* ---- grouping records into RRsets -------------------------------------- */

static int cmp_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

static int cmp_pending(const void *va, const void *vb)
{
    const pending_rr_t *a = va, *b = vb;
    int c = cmp_bytes(a->owner, a->owner_len, b->owner, b->owner_len);
    if (c != 0)
        return c;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    c = cmp_bytes(a->rd.data, a->rd.len, b->rd.data, b->rd.len);
    if (c != 0)
        return c;
    /* Same record twice: keep file order so the first one is reported. */
    if (a->pos.file != b->pos.file)
        return a->pos.file < b->pos.file ? -1 : 1;
    return a->pos.line != b->pos.line ? (a->pos.line < b->pos.line ? -1 : 1) : 0;
}

static void merge(const pending_rr_t *src, size_t lo, size_t mid, size_t hi, pending_rr_t *dst)
{
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        dst[k++] = cmp_pending(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
    while (i < mid)
        dst[k++] = src[i++];
    while (j < hi)
        dst[k++] = src[j++];
}

/* The records in cmp_pending() order: a merge sort through a mapped buffer
 * as large as the records. glibc's qsort would malloc its own, which raises
 * malloc's thresholds for good (sb_mapbuf.h); this one is unmapped at once,
 * and is made before the RRsets are, below the load's peak. Returns 0 or
 * -ENOMEM. */
static int sort_pending(sb_zone_t *z)
{
    size_t n = z->pending_count;
    sb_mapbuf_t tmp = {0};
    if (n < 2)
        return 0;
    if (sb_mapbuf_reserve(&tmp, n * sizeof(pending_rr_t)) < 0)
        return -ENOMEM;
    pending_rr_t *from = z->pending, *to = tmp.data;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            merge(from, lo, mid, hi, to);
        }
        pending_rr_t *t = from;
        from = to;
        to = t;
    }
    if (from != z->pending)
        memcpy(z->pending, from, n * sizeof(pending_rr_t));
    sb_mapbuf_free(&tmp);
    return 0;
}

static bool same_rr(const pending_rr_t *a, const pending_rr_t *b)
{
    return a->rd.len == b->rd.len && memcmp(a->rd.data, b->rd.data, a->rd.len) == 0;
}

static const char *type_name(uint16_t type, char *buf, size_t cap);

/* The types whose sets keep each record's position (sb_rrset_t). */
static bool keeps_positions(uint16_t type)
{
    return type == SB_TYPE_NS || type == SB_TYPE_MX || type == SB_TYPE_SRV;
}

/* Builds one RRset from pending[first..end) (same owner and type). */
static int build_rrset(sb_zone_t *z, sb_node_t *node, size_t first, size_t end, sb_diag_t *diag)
{
    const pending_rr_t *head = &z->pending[first];
    size_t unique = 0;
    for (size_t i = first; i < end; i++)
        unique += (i == first || !same_rr(&z->pending[i - 1], &z->pending[i]));
    sb_rrset_t *set = sb_arena_alloc(z->arena, sizeof(*set));
    sb_rdata_t *rd = sb_arena_alloc(z->arena, unique * sizeof(*rd));
    sb_pos_t *rd_pos =
        keeps_positions(head->type) ? sb_arena_alloc(z->arena, unique * sizeof(*rd_pos)) : NULL;
    if (set == NULL || rd == NULL || (keeps_positions(head->type) && rd_pos == NULL))
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = first; i < end; i++) {
        const pending_rr_t *p = &z->pending[i];
        if (i != first && same_rr(&z->pending[i - 1], p))
            continue;
        if (rd_pos != NULL)
            rd_pos[n] = p->pos;
        if (p->ttl != head->ttl) {
            char buf[24];
            const char *tn = type_name(p->type, buf, sizeof(buf));
            sb_diag_error(diag, p->pos,
                          "%s record has TTL %u but the other %s records of this name have "
                          "TTL %u; all records of one type and name must share one TTL",
                          tn, p->ttl, tn, head->ttl);
        }
        rd[n++] = p->rd;
    }
    set->type = head->type;
    set->count = (uint16_t)(unique > 65535 ? 65535 : unique);
    set->ttl = head->ttl;
    set->rdata = rd;
    set->rdata_pos = rd_pos;
    set->pos = head->pos;
    set->next = node->rrsets;
    node->rrsets = set;
    if (head->type == SB_TYPE_CNAME)
        node->flags |= SB_NODE_CNAME;
    if (head->type == SB_TYPE_DNAME)
        node->flags |= SB_NODE_DNAME;
    if (head->type == SB_TYPE_NS && node != z->apex_node)
        node->flags |= SB_NODE_CUT;
    z->flags_seen |= node->flags;
    return 0;
}

/* The records sorted (cmp_pending()): each name's node made once. */
static int build_nodes(sb_zone_t *z, sb_diag_t *diag)
{
    size_t i = 0;
    sb_node_t *node = NULL;
    while (i < z->pending_count) {
        const pending_rr_t *p = &z->pending[i];
        if (i == 0 || !same_owner(&z->pending[i - 1], p)) {
            node = node_get(z, p->owner, p->owner_len);
            if (node == NULL || add_ancestors(z, p->owner) < 0)
                return -ENOMEM;
        }
        size_t end = i;
        while (end < z->pending_count && z->pending[end].type == p->type &&
               same_owner(&z->pending[end], p))
            end++;
        int rc = build_rrset(z, node, i, end, diag);
        if (rc < 0)
            return rc;
        i = end;
    }
    return 0;
}

/* ---- whole-zone checks ------------------------------------------------- */

/* The type's mnemonic as ldns knows it (RRSIG, not TYPE46), or TYPEnnn
 * (RFC 3597) for one it does not. */
static const char *type_name(uint16_t type, char *buf, size_t cap)
{
    const ldns_rr_descriptor *d = ldns_rr_descript(type);
    if (d != NULL && d->_name != NULL)
        return d->_name;
    snprintf(buf, cap, "TYPE%u", type);
    return buf;
}

static void check_apex(const sb_zone_t *z, sb_diag_t *diag)
{
    sb_pos_t file_pos = {z->file, 0, 0};
    const sb_rrset_t *soa = sb_zone_node_rrset(z->apex_node, SB_TYPE_SOA);
    if (soa == NULL)
        sb_diag_error(diag, file_pos, "zone %s has no SOA record at its apex", z->apex_text);
    else if (soa->count > 1)
        sb_diag_error(diag, soa->pos, "zone %s has %u SOA records; it must have exactly one",
                      z->apex_text, soa->count);
    if (sb_zone_node_rrset(z->apex_node, SB_TYPE_NS) == NULL)
        sb_diag_error(diag, file_pos, "zone %s has no NS records at its apex", z->apex_text);
}

/* The node's name as text, into `buf` (SB_NAME_TEXT_MAX): made only for a
 * message, never for every name of a large zone. */
static const char *node_text(const sb_node_t *n, char *buf)
{
    sb_name_to_text(n->name, buf, SB_NAME_TEXT_MAX);
    return buf;
}

static void check_cname(const sb_zone_t *z, const sb_node_t *n, sb_diag_t *diag)
{
    const sb_rrset_t *cname = sb_zone_node_rrset(n, SB_TYPE_CNAME);
    char text[SB_NAME_TEXT_MAX];
    if (n == z->apex_node) {
        sb_diag_error(diag, cname->pos,
                      "CNAME at the zone apex %s is not allowed (the apex has SOA and NS)",
                      node_text(n, text));
        return;
    }
    if (cname->count > 1)
        sb_diag_error(diag, cname->pos, "%s has %u CNAME records; a name has at most one",
                      node_text(n, text), cname->count);
    for (const sb_rrset_t *s = n->rrsets; s != NULL; s = s->next) {
        if (s->type != SB_TYPE_CNAME) {
            char tn[24];
            sb_diag_error(diag, s->pos,
                          "%s record at %s, which has a CNAME; a CNAME cannot have other data",
                          type_name(s->type, tn, sizeof(tn)), node_text(n, text));
        }
    }
}

/* The nearest delegation point (never the apex) and the nearest DNAME
 * owner (the apex too) strictly above `n`, or NULL: one walk up for both,
 * and none in a zone that has neither. */
static void flagged_above(const sb_zone_t *z, const sb_node_t *n, const sb_node_t **cut,
                          const sb_node_t **dname)
{
    *cut = *dname = NULL;
    if (!(z->flags_seen & (SB_NODE_CUT | SB_NODE_DNAME)))
        return;
    const uint8_t *p = n->name;
    for (unsigned labels = n->labels; labels > z->apex_labels; labels--) {
        p += *p + 1;
        const sb_node_t *a = sb_zone_find(z, p, sb_name_len(p));
        if (a == NULL)
            continue;
        if (*cut == NULL && (a->flags & SB_NODE_CUT))
            *cut = a;
        if (*dname == NULL && (a->flags & SB_NODE_DNAME))
            *dname = a;
    }
}

static bool is_address(uint16_t type)
{
    return type == SB_TYPE_A || type == SB_TYPE_AAAA;
}

static void check_occlusion(const sb_zone_t *z, const sb_node_t *n, sb_diag_t *diag)
{
    const sb_node_t *cut, *dname;
    flagged_above(z, n, &cut, &dname);
    char text[SB_NAME_TEXT_MAX], cut_text[SB_NAME_TEXT_MAX];
    for (const sb_rrset_t *s = n->rrsets; s != NULL; s = s->next) {
        char tn[24];
        if (dname != NULL) {
            sb_diag_error(diag, s->pos,
                          "%s record at %s is below the DNAME at %s and would never be served "
                          "(RFC 6672 section 2.3)",
                          type_name(s->type, tn, sizeof(tn)), node_text(n, text),
                          node_text(dname, cut_text));
        } else if (cut != NULL && !is_address(s->type)) {
            sb_diag_error(diag, s->pos,
                          "%s record at %s is below the delegation to %s and would never be "
                          "served; only glue A and AAAA records belong there",
                          type_name(s->type, tn, sizeof(tn)), node_text(n, text),
                          node_text(cut, cut_text));
        } else if (cut == NULL && (n->flags & SB_NODE_CUT) && s->type != SB_TYPE_NS &&
                   s->type != SB_TYPE_DS && !is_address(s->type)) {
            sb_diag_error(diag, s->pos,
                          "%s record at the delegation point %s would never be served; only NS, "
                          "DS and glue records belong there",
                          type_name(s->type, tn, sizeof(tn)), node_text(n, text));
        }
    }
}

static void check_node(const sb_zone_t *z, const sb_node_t *n, sb_diag_t *diag)
{
    const sb_rrset_t *ns = sb_zone_node_rrset(n, SB_TYPE_NS);
    if (ns != NULL && n->name[0] == 1 && n->name[1] == '*') {
        char text[SB_NAME_TEXT_MAX];
        sb_name_to_text(n->name, text, sizeof(text));
        sb_diag_error(diag, ns->pos,
                      "NS records at the wildcard %s are not supported: a delegation needs a "
                      "real name (RFC 4592 section 4.2)",
                      text);
    }
    if (n->flags & SB_NODE_CNAME)
        check_cname(z, n, diag);
    const sb_rrset_t *dname = sb_zone_node_rrset(n, SB_TYPE_DNAME);
    if (dname != NULL && dname->count > 1) {
        char text[SB_NAME_TEXT_MAX];
        sb_name_to_text(n->name, text, sizeof(text));
        sb_diag_error(diag, dname->pos,
                      "%s has %u DNAME records; a name has at most one (RFC 6672 section 2.4)",
                      text, dname->count);
    }
    const sb_rrset_t *soa = sb_zone_node_rrset(n, SB_TYPE_SOA);
    if (soa != NULL && n != z->apex_node)
        sb_diag_error(diag, soa->pos,
                      "SOA record below the zone apex %s; a zone has one SOA, at "
                      "its apex",
                      z->apex_text);
    if (n != z->apex_node && n->rrsets != NULL)
        check_occlusion(z, n, diag);
}

static bool profile_clash(const sb_node_t *n, const sb_profile_t *p, uint16_t *type)
{
    for (const sb_rrset_t *s = n->rrsets; s != NULL; s = s->next) {
        if (!p->addresses || is_address(s->type) || s->type == SB_TYPE_CNAME) {
            *type = s->type;
            return true;
        }
    }
    return false;
}

static int attach_profile(sb_zone_t *z, sb_profile_t *p, sb_diag_t *diag)
{
    sb_node_t *n = node_get(z, p->owner, p->owner_len);
    if (n == NULL || add_ancestors(z, p->owner) < 0)
        return -ENOMEM;
    uint16_t type;
    char tn[24];
    const sb_node_t *cut, *dname;
    flagged_above(z, n, &cut, &dname);
    if (n->profile != NULL) {
        sb_diag_error(diag, p->pos, "%s already has a profile (at line %u)", p->owner_text,
                      n->profile->pos.line);
    } else if (n == z->apex_node && !p->addresses) {
        sb_diag_error(diag, p->pos,
                      "a profile of name endpoints answers with a CNAME, which cannot be at the "
                      "zone apex %s; use address endpoints there",
                      p->owner_text);
    } else if (profile_clash(n, p, &type)) {
        sb_diag_error(diag, p->pos, "%s has both a profile and %s records; %s", p->owner_text,
                      type_name(type, tn, sizeof(tn)),
                      p->addresses ? "a profile of address endpoints may share its name only "
                                     "with records other than A, AAAA and CNAME"
                                   : "a profile of name endpoints answers with a CNAME, which "
                                     "cannot have other data");
    } else if (cut != NULL || (n->flags & SB_NODE_CUT)) {
        sb_diag_error(diag, p->pos,
                      "profile %s is at or below a delegation and would never be "
                      "served",
                      p->owner_text);
    } else if (dname != NULL) {
        sb_diag_error(diag, p->pos, "profile %s is below a DNAME and would never be served",
                      p->owner_text);
    }
    if (n->profile == NULL)
        n->profile = p;
    return 0;
}

/* ---- prewritten pieces of answers ------------------------------------------ */

static bool write_answer_set(sb_writer_t *w, void *arg)
{
    const sb_rrset_t *set = arg;
    for (uint16_t i = 0; i < set->count; i++) {
        const sb_rdata_t *rd = &set->rdata[i];
        if (!sb_writer_rr(w, SB_SECTION_ANSWER, NULL, SB_DNS_HEADER_LEN, set->type, set->ttl,
                          rd->data, rd->len, rd->name_off, rd->name_count))
            return false;
    }
    return true;
}

uint32_t sb_zone_negative_ttl(const sb_zone_t *z)
{
    const sb_rdata_t *rd = &z->soa->rdata[0];
    uint32_t minimum = sb_get32(rd->data + rd->len - 4);
    return z->soa->ttl < minimum ? z->soa->ttl : minimum; /* RFC 2308 §3 */
}

static bool write_negative(sb_writer_t *w, void *arg)
{
    const sb_zone_t *z = arg;
    const sb_rdata_t *rd = &z->soa->rdata[0];
    size_t owner_at = w->len;
    return sb_writer_rr(w, SB_SECTION_AUTHORITY, z->apex, 0, SB_TYPE_SOA, sb_zone_negative_ttl(z),
                        rd->data, rd->len, rd->name_off, rd->name_count) &&
           (w->buf[owner_at] & 0xc0) == 0xc0; /* SB_ZONE_NEGATIVE_TTL_AT counts on it */
}

/* Every RRset as an answer, and the SOA as a negative answer, written
 * once now rather than per query. */
static int prewrite(sb_zone_t *z)
{
    for (size_t i = 0; i <= z->mask; i++) {
        sb_node_t *n = z->table[i];
        for (sb_rrset_t *s = n != NULL ? (sb_rrset_t *)n->rrsets : NULL; s != NULL;
             s = (sb_rrset_t *)s->next) {
            s->plain = true;
            for (uint16_t r = 0; r < s->count; r++)
                s->plain &= s->rdata[r].name_count == 0;
            if (!s->plain &&
                sb_prewritten_build(&s->answer, z->arena, n->name, write_answer_set, s) < 0)
                return -ENOMEM;
        }
    }
    if (z->soa == NULL || z->soa->rdata[0].len < 22)
        return 0;
    return sb_prewritten_build(&z->negative, z->arena, z->apex, write_negative, z);
}

/* Whether any name (of a record, a profile, or between them) is a
 * wildcard: a zone without one answers a missing name without looking. */
static void note_wildcards(sb_zone_t *z)
{
    for (size_t i = 0; i <= z->mask; i++) {
        const sb_node_t *n = z->table[i];
        if (n != NULL && n->name[0] == 1 && n->name[1] == '*')
            z->has_wildcard = true;
    }
}

static void release_build_state(sb_zone_t *z)
{
    sb_mapbuf_free(&z->pending_buf);
    z->pending = NULL;
    z->pending_count = 0;
    free(z->profiles);
    z->profiles = NULL;
    z->profile_cap = 0;
}

int sb_zone_finish(sb_zone_t *z, sb_diag_t *diag)
{
    size_t errors_before = sb_diag_count(diag);
    int rc = -ENOMEM;
    sb_profile_t **kept = NULL;
    if (sort_pending(z) < 0)
        goto out;
    size_t cap = table_capacity(z);
    z->table = sb_arena_alloc(z->arena, cap * sizeof(sb_node_t *));
    if (z->table == NULL)
        goto out;
    z->mask = cap - 1;
    z->apex_node = node_get(z, z->apex, z->apex_len);
    if (z->apex_node == NULL)
        goto out;
    z->apex_node->flags |= SB_NODE_APEX;
    if ((rc = build_nodes(z, diag)) < 0)
        goto out;
    check_apex(z, diag);
    z->soa = sb_zone_node_rrset(z->apex_node, SB_TYPE_SOA);
    for (size_t i = 0; i <= z->mask; i++) {
        const sb_node_t *n = z->table[i];
        if (n != NULL)
            check_node(z, n, diag);
    }
    for (size_t i = 0; i < z->profile_count; i++) {
        if ((rc = attach_profile(z, z->profiles[i], diag)) < 0)
            goto out;
    }
    note_wildcards(z);
    /* Keep the profile list in the arena for the generation's walkers. */
    kept = sb_arena_alloc(z->arena, (z->profile_count + 1) * sizeof(void *));
    if (kept == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    if (z->profile_count > 0)
        memcpy(kept, z->profiles, z->profile_count * sizeof(void *));
    rc = sb_diag_count(diag) > errors_before ? SB_ECONFIG : prewrite(z);
out:
    release_build_state(z);
    z->profiles = kept;
    return rc;
}

/* ---- accessors ---------------------------------------------------------- */

const uint8_t *sb_zone_apex(const sb_zone_t *z)
{
    return z->apex;
}

size_t sb_zone_apex_len(const sb_zone_t *z)
{
    return z->apex_len;
}

unsigned sb_zone_apex_labels(const sb_zone_t *z)
{
    return z->apex_labels;
}

const char *sb_zone_apex_text(const sb_zone_t *z)
{
    return z->apex_text;
}

const char *sb_zone_file(const sb_zone_t *z)
{
    return z->file;
}

const sb_node_t *sb_zone_apex_node(const sb_zone_t *z)
{
    return z->apex_node;
}

const sb_rrset_t *sb_zone_soa(const sb_zone_t *z)
{
    return z->soa;
}

const sb_prewritten_t *sb_zone_negative(const sb_zone_t *z)
{
    return z->negative;
}

size_t sb_zone_node_count(const sb_zone_t *z)
{
    return z->node_count;
}

size_t sb_zone_profile_count(const sb_zone_t *z)
{
    return z->profile_count;
}

sb_profile_t *sb_zone_profile(const sb_zone_t *z, size_t i)
{
    return z->profiles[i];
}

const sb_rrset_t *sb_zone_node_rrset(const sb_node_t *node, uint16_t type)
{
    for (const sb_rrset_t *s = node->rrsets; s != NULL; s = s->next) {
        if (s->type == type)
            return s;
    }
    return NULL;
}

int sb_zone_prewrite_cnames(sb_zone_t *z,
                            int (*build)(const sb_node_t *node, const sb_cname_answer_t **answers,
                                         void *arg),
                            void *arg)
{
    for (size_t i = 0; z->table != NULL && i <= z->mask; i++) {
        sb_node_t *n = z->table[i];
        if (n == NULL || !(n->flags & SB_NODE_CNAME))
            continue;
        int rc = build(n, &n->cname_answers, arg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int sb_zone_prewrite_referrals(sb_zone_t *z,
                               int (*build)(const sb_node_t *cut, const sb_prewritten_t **referral,
                                            void *arg),
                               void *arg)
{
    for (size_t i = 0; z->table != NULL && i <= z->mask; i++) {
        const sb_node_t *n = z->table[i];
        if (n == NULL || !(n->flags & SB_NODE_CUT))
            continue;
        sb_rrset_t *ns = (sb_rrset_t *)sb_zone_node_rrset(n, SB_TYPE_NS); /* ours, in our arena */
        int rc = build(n, &ns->referral, arg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void sb_zone_drop_prewritten(sb_zone_t *z)
{
    z->negative = NULL;
    for (size_t i = 0; z->table != NULL && i <= z->mask; i++) {
        sb_node_t *n = z->table[i];
        if (n != NULL)
            n->cname_answers = NULL;
        for (const sb_rrset_t *s = n != NULL ? n->rrsets : NULL; s != NULL; s = s->next) {
            sb_rrset_t *set = (sb_rrset_t *)s; /* ours, in our arena */
            set->answer = NULL;
            set->referral = NULL;
            set->plain = false;
        }
    }
}

void sb_zone_foreach_node(const sb_zone_t *z, void (*fn)(const sb_node_t *node, void *arg),
                          void *arg)
{
    for (size_t i = 0; z->table != NULL && i <= z->mask; i++) {
        if (z->table[i] != NULL)
            fn(z->table[i], arg);
    }
}

/* ---- lookup ------------------------------------------------------------- */

static const sb_node_t *find_wildcard(const sb_zone_t *z, const sb_lname_t *q, unsigned encloser)
{
    size_t len;
    const uint8_t *ce = sb_name_lname_suffix(q, encloser, &len);
    uint8_t star[SB_NAME_MAX + 2];
    if (len + 2 > SB_NAME_MAX)
        return NULL;
    star[0] = 1;
    star[1] = '*';
    memcpy(star + 2, ce, len);
    return sb_zone_find(z, star, len + 2);
}

/* RFC 6672 §2.2: a name strictly below a DNAME owner is redirected. */
static bool redirects(const sb_node_t *node, unsigned labels, const sb_lname_t *q, sb_match_t *out)
{
    if (!(node->flags & SB_NODE_DNAME) || labels >= q->labels)
        return false;
    out->kind = SB_MATCH_DNAME;
    out->node = node;
    out->cut_labels = labels;
    return true;
}

void sb_zone_lookup(const sb_zone_t *z, const sb_lname_t *q, uint16_t qtype, sb_match_t *out)
{
    const sb_node_t *node = z->apex_node;
    if (redirects(node, z->apex_labels, q, out))
        return;
    for (unsigned k = z->apex_labels + 1; k <= q->labels; k++) {
        size_t len;
        const uint8_t *suffix = sb_name_lname_suffix(q, k, &len);
        const sb_node_t *next = find_node(z, suffix, len);
        if (next == NULL) {
            const sb_node_t *w = z->has_wildcard ? find_wildcard(z, q, k - 1) : NULL;
            out->kind = w != NULL ? SB_MATCH_WILDCARD : SB_MATCH_NXDOMAIN;
            out->node = w;
            return;
        }
        node = next;
        if ((node->flags & SB_NODE_CUT) && !(k == q->labels && qtype == SB_TYPE_DS)) {
            out->kind = SB_MATCH_REFERRAL;
            out->node = node;
            out->cut_labels = k;
            return;
        }
        if (redirects(node, k, q, out))
            return;
    }
    out->kind = SB_MATCH_EXACT;
    out->node = node;
}
