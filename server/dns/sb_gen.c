#include "sb_gen.h"

#include "sb_arena.h"
#include "sb_dns.h"
#include "sb_error.h"
#include "sb_geo.h"
#include "sb_prewritten.h"
#include "sb_route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A slot of the apex index: the apex is kept in the slot itself, so that
 * a probe compares it without reaching into the zone. Empty: zone NULL. */
typedef struct {
    const uint8_t *apex; /* lower-case, the zone's own */
    size_t apex_len;
    const sb_zone_t *zone;
} apex_slot_t;

struct sb_gen {
    sb_arena_t *arena;
    sb_zone_t **zones;
    size_t zone_count;
    apex_slot_t *table; /* apex index, open addressing */
    size_t mask;
    uint64_t seed;
    unsigned apex_labels_min, apex_labels_max; /* of the indexed zones */
    sb_profile_t **profiles;
    size_t profile_count;
    sb_geo_t *geo;
    size_t endpoint_count;
    size_t fallback_count; /* profiles with a fallback target */
};

void sb_gen_free(sb_gen_t *gen)
{
    if (gen == NULL)
        return;
    sb_arena_t *arena = gen->arena;
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++)
        sb_route_release(sb_gen_profile(gen, i));
    sb_geo_close(gen->geo);
    free(gen->zones);
    free(gen);
    sb_arena_destroy(arena);
}

int sb_gen_add_zone(sb_gen_t *gen, sb_zone_t *zone)
{
    sb_zone_t **grown = realloc(gen->zones, (gen->zone_count + 1) * sizeof(*grown));
    if (grown == NULL)
        return -ENOMEM;
    gen->zones = grown;
    gen->zones[gen->zone_count++] = zone;
    return 0;
}

static size_t slot_of(const sb_gen_t *gen, const uint8_t *lc, size_t len)
{
    return (size_t)sb_name_hash(lc, len, gen->seed) & gen->mask;
}

static inline const sb_zone_t *find_apex(const sb_gen_t *gen, const uint8_t *lc, size_t len)
{
    for (size_t i = slot_of(gen, lc, len);; i = (i + 1) & gen->mask) {
        const apex_slot_t *s = &gen->table[i];
        if (s->zone == NULL)
            return NULL;
        if (s->apex_len == len && sb_name_same(s->apex, lc, len))
            return s->zone;
    }
}

const sb_zone_t *sb_gen_find_zone(const sb_gen_t *gen, const sb_lname_t *name)
{
    /* Only suffixes as long as some apex can name a zone: one hash for a
     * name in the usual generation of zones at one depth. */
    unsigned longest = name->labels < gen->apex_labels_max ? name->labels : gen->apex_labels_max;
    unsigned shortest = gen->apex_labels_min > 0 ? gen->apex_labels_min : 1;
    for (unsigned keep = longest; keep >= shortest; keep--) {
        size_t len;
        const uint8_t *suffix = sb_name_lname_suffix(name, keep, &len);
        const sb_zone_t *z = find_apex(gen, suffix, len);
        if (z != NULL)
            return z;
    }
    return NULL;
}

/* Index the zones by apex; two files for one zone (names differing only in
 * case) are an error. */
static int index_zones(sb_gen_t *gen, sb_diag_t *diag)
{
    size_t cap = 8;
    while (cap < gen->zone_count * 2)
        cap <<= 1;
    gen->table = sb_arena_alloc(gen->arena, cap * sizeof(*gen->table));
    if (gen->table == NULL)
        return -ENOMEM;
    gen->mask = cap - 1;
    gen->seed = (uint64_t)(uintptr_t)gen * 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < gen->zone_count; i++) {
        const sb_zone_t *z = gen->zones[i];
        const uint8_t *apex = sb_zone_apex(z);
        size_t len = sb_name_len(apex);
        const sb_zone_t *dup = find_apex(gen, apex, len);
        if (dup != NULL) {
            sb_pos_t at = {sb_zone_file(z), 0, 0};
            sb_diag_error(diag, at, "zone %s is also defined by %s", sb_zone_apex_text(z),
                          sb_zone_file(dup));
            continue;
        }
        unsigned labels = sb_zone_apex_labels(z);
        if (gen->apex_labels_max == 0 || labels < gen->apex_labels_min)
            gen->apex_labels_min = labels;
        if (labels > gen->apex_labels_max)
            gen->apex_labels_max = labels;
        size_t s = slot_of(gen, apex, len);
        while (gen->table[s].zone != NULL)
            s = (s + 1) & gen->mask;
        gen->table[s] = (apex_slot_t){apex, len, z};
    }
    return 0;
}

/* A profile's fallback targets (one or one per family) share one id, after
 * every endpoint's: one answer counter per profile with a fallback. */
static void number_fallbacks(sb_gen_t *gen)
{
    for (size_t i = 0; i < gen->profile_count; i++) {
        sb_profile_t *p = gen->profiles[i];
        if (p->fallback[0] == NULL && p->fallback[1] == NULL)
            continue;
        uint32_t id = (uint32_t)(gen->endpoint_count + gen->fallback_count++);
        for (int fam = 0; fam < 2; fam++) {
            if (p->fallback[fam] != NULL)
                p->fallback[fam]->id = id;
        }
    }
}

/* The record an address endpoint answers the question with (sb_endpoint_t
 * answer_rr), so that a query copies it. */
static void prewrite_address(sb_endpoint_t *ep, uint32_t ttl)
{
    if (ep == NULL || (ep->kind != SB_TARGET_V4 && ep->kind != SB_TARGET_V6))
        return;
    uint8_t *rr = ep->answer_rr;
    uint16_t len = ep->kind == SB_TARGET_V4 ? 4 : 16;
    sb_put16(rr, 0xc000 | SB_DNS_HEADER_LEN);
    sb_put16(rr + 2, ep->kind == SB_TARGET_V4 ? SB_TYPE_A : SB_TYPE_AAAA);
    sb_put16(rr + 4, SB_CLASS_IN);
    sb_put32(rr + 6, ttl);
    sb_put16(rr + 10, len);
    memcpy(rr + 12, ep->addr.bytes, len);
    ep->answer_rr_len = (uint8_t)(12 + len);
}

static int collect_profiles(sb_gen_t *gen)
{
    size_t total = 0;
    for (size_t i = 0; i < gen->zone_count; i++)
        total += sb_zone_profile_count(gen->zones[i]);
    gen->profiles = sb_arena_alloc(gen->arena, (total + 1) * sizeof(*gen->profiles));
    if (gen->profiles == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < gen->zone_count; i++) {
        for (size_t j = 0; j < sb_zone_profile_count(gen->zones[i]); j++) {
            sb_profile_t *p = sb_zone_profile(gen->zones[i], j);
            p->id = (uint32_t)gen->profile_count;
            gen->profiles[gen->profile_count++] = p;
            for (uint16_t k = 0; k < p->count; k++) {
                p->endpoints[k].id = (uint32_t)gen->endpoint_count++;
                prewrite_address(&p->endpoints[k], p->ttl);
            }
            prewrite_address(p->fallback[0], p->ttl);
            prewrite_address(p->fallback[1], p->ttl);
        }
    }
    number_fallbacks(gen);
    return 0;
}

sb_gen_t *sb_gen_new(void)
{
    sb_gen_t *gen = calloc(1, sizeof(*gen));
    if (gen == NULL)
        return NULL;
    gen->arena = sb_arena_new();
    if (gen->arena == NULL) {
        free(gen);
        return NULL;
    }
    return gen;
}

/* ---- prewritten referrals ---------------------------------------------- */

typedef struct {
    const sb_gen_t *gen;
    const sb_node_t *cut;
} referral_build_t;

/* The glue of `target` (inside the delegation) as a referral's additional
 * section has it: its A, then its AAAA records, from whichever served zone
 * holds the name. False when its addresses change while serving (a
 * profile), so that they are written per query. */
static bool write_glue(sb_writer_t *w, const sb_gen_t *gen, const uint8_t *target)
{
    static const uint16_t types[2] = {SB_TYPE_A, SB_TYPE_AAAA};
    sb_lname_t ln;
    sb_name_to_lname(&ln, target);
    const sb_zone_t *zone = sb_gen_find_zone(gen, &ln);
    const sb_node_t *node = zone != NULL ? sb_zone_find(zone, ln.lc, ln.len) : NULL;
    if (node == NULL)
        return true;
    if (node->profile != NULL)
        return false;
    for (int t = 0; t < 2; t++) {
        const sb_rrset_t *set = sb_zone_node_rrset(node, types[t]);
        for (uint16_t i = 0; set != NULL && i < set->count; i++) {
            const sb_rdata_t *rd = &set->rdata[i];
            if (!sb_writer_rr(w, SB_SECTION_ADDITIONAL, target, 0, set->type, set->ttl, rd->data,
                              rd->len, NULL, 0))
                return false;
        }
    }
    return true;
}

/* A referral whose name servers are all inside the delegation: the NS set,
 * then the glue of each, as sb_answer writes it. Others (a name server
 * elsewhere, whose addresses are optional extras) are written per query. */
static bool write_referral(sb_writer_t *w, void *arg)
{
    const referral_build_t *b = arg;
    const sb_rrset_t *ns = sb_zone_node_rrset(b->cut, SB_TYPE_NS);
    for (uint16_t i = 0; i < ns->count; i++) {
        const sb_rdata_t *rd = &ns->rdata[i];
        if (!sb_name_is_within(rd->data, b->cut->name) ||
            !sb_writer_rr(w, SB_SECTION_AUTHORITY, b->cut->name, 0, SB_TYPE_NS, ns->ttl, rd->data,
                          rd->len, rd->name_off, rd->name_count))
            return false;
    }
    for (uint16_t i = 0; i < ns->count; i++) {
        if (!write_glue(w, b->gen, ns->rdata[i].data))
            return false;
    }
    return true;
}

static int build_referral(const sb_node_t *cut, const sb_prewritten_t **referral, void *arg)
{
    referral_build_t *b = arg;
    b->cut = cut;
    return sb_prewritten_build(referral, b->gen->arena, cut->name, write_referral, b);
}

/* ---- prewritten CNAME answers ----------------------------------------- */

typedef struct {
    const sb_gen_t *gen;
    const sb_node_t *node;        /* the CNAME's owner */
    const sb_rrset_t *target_set; /* of its target */
    const uint8_t *target;
} cname_build_t;

/* The CNAME, then the target's set owned by the target's name, as
 * sb_answer writes the two steps. */
static bool write_cname_answer(sb_writer_t *w, void *arg)
{
    const cname_build_t *b = arg;
    const sb_rrset_t *cname = sb_zone_node_rrset(b->node, SB_TYPE_CNAME);
    const sb_rdata_t *rd = &cname->rdata[0];
    if (!sb_writer_rr(w, SB_SECTION_ANSWER, NULL, SB_DNS_HEADER_LEN, SB_TYPE_CNAME, cname->ttl,
                      rd->data, rd->len, rd->name_off, rd->name_count))
        return false;
    const sb_rrset_t *set = b->target_set;
    for (uint16_t i = 0; i < set->count; i++) {
        const sb_rdata_t *t = &set->rdata[i];
        if (!sb_writer_rr(w, SB_SECTION_ANSWER, b->target, 0, set->type, set->ttl, t->data, t->len,
                          NULL, 0))
            return false;
    }
    return true;
}

/* The node a CNAME's target names, when its answer is static: a name of a
 * served zone (not through a wildcard, a DNAME or a delegation), without
 * a profile or a CNAME of its own. */
static const sb_node_t *static_target(const sb_gen_t *gen, const uint8_t *target)
{
    sb_lname_t ln;
    sb_name_to_lname(&ln, target);
    const sb_zone_t *zone = sb_gen_find_zone(gen, &ln);
    if (zone == NULL)
        return NULL;
    sb_match_t m;
    sb_zone_lookup(zone, &ln, SB_TYPE_A, &m);
    if (m.kind != SB_MATCH_EXACT || m.node->profile != NULL || (m.node->flags & SB_NODE_CNAME))
        return NULL;
    return m.node;
}

static int build_cname_answers(const sb_node_t *node, const sb_cname_answer_t **answers, void *arg)
{
    cname_build_t b = {.gen = arg, .node = node};
    const sb_rrset_t *cname = sb_zone_node_rrset(node, SB_TYPE_CNAME);
    b.target = cname->rdata[0].data;
    const sb_node_t *target = static_target(b.gen, b.target);
    for (const sb_rrset_t *s = target != NULL ? target->rrsets : NULL; s != NULL; s = s->next) {
        if (!s->plain)
            continue; /* names in it: additional data, compression: written per query */
        sb_cname_answer_t *ca = sb_arena_alloc(b.gen->arena, sizeof(*ca));
        if (ca == NULL)
            return -ENOMEM;
        b.target_set = s;
        if (sb_prewritten_build(&ca->piece, b.gen->arena, node->name, write_cname_answer, &b) < 0)
            return -ENOMEM;
        ca->type = s->type;
        ca->next = *answers;
        if (ca->piece != NULL)
            *answers = ca;
    }
    return 0;
}

int sb_gen_seal(sb_gen_t *gen, sb_diag_t *diag)
{
    int rc = index_zones(gen, diag);
    if (rc == 0)
        rc = collect_profiles(gen);
    referral_build_t b = {.gen = gen};
    for (size_t i = 0; rc == 0 && i < gen->zone_count; i++)
        rc = sb_zone_prewrite_referrals(gen->zones[i], build_referral, &b);
    for (size_t i = 0; rc == 0 && i < gen->zone_count; i++)
        rc = sb_zone_prewrite_cnames(gen->zones[i], build_cname_answers, gen);
    return rc;
}

sb_arena_t *sb_gen_arena(sb_gen_t *gen)
{
    return gen->arena;
}

size_t sb_gen_zone_count(const sb_gen_t *gen)
{
    return gen->zone_count;
}

const sb_zone_t *sb_gen_zone(const sb_gen_t *gen, size_t i)
{
    return gen->zones[i];
}

size_t sb_gen_profile_count(const sb_gen_t *gen)
{
    return gen->profile_count;
}

sb_profile_t *sb_gen_profile(const sb_gen_t *gen, size_t i)
{
    return gen->profiles[i];
}

size_t sb_gen_endpoint_count(const sb_gen_t *gen)
{
    return gen->endpoint_count;
}

size_t sb_gen_fallback_count(const sb_gen_t *gen)
{
    return gen->fallback_count;
}

size_t sb_gen_footprint(const sb_gen_t *gen)
{
    return sb_arena_footprint(gen->arena) + sizeof(*gen) + gen->zone_count * sizeof(void *);
}

void sb_gen_set_geo(sb_gen_t *gen, sb_geo_t *geo)
{
    sb_geo_close(gen->geo);
    gen->geo = geo;
}

const sb_geo_t *sb_gen_geo(const sb_gen_t *gen)
{
    return gen->geo;
}
