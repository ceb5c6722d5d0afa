/*
 * Warnings for NS, MX and SRV targets with no address inside the served
 * zones (sb_zonedir_targets.h).
 */
#include "sb_zonedir_targets.h"

#include "sb_dns.h"
#include "sb_zone.h"

#include <stdio.h>
#include <string.h>

/* Where the target name starts in each type's data. */
static const struct {
    uint16_t type;
    uint16_t offset;
    const char *what; /* what fails when the target cannot be reached */
} kinds[] = {
    {SB_TYPE_NS, 0, "resolvers cannot reach that nameserver"},
    {SB_TYPE_MX, 2, "mail cannot be delivered there"},
    {SB_TYPE_SRV, 6, "clients cannot reach the service there"},
};

typedef struct {
    const sb_gen_t *gen;
    sb_diag_t *diag;
} walk_t;

static bool has_address(const sb_node_t *n)
{
    return n != NULL && (n->profile != NULL || sb_zone_node_rrset(n, SB_TYPE_A) != NULL ||
                         sb_zone_node_rrset(n, SB_TYPE_AAAA) != NULL);
}

/* Why `target` (in zone `z`) cannot be reached, or NULL when it can, or is
 * not this zone's to answer. `ns`: glue below a delegation counts. */
static const char *unreachable(const sb_zone_t *z, const sb_lname_t *target, bool ns)
{
    sb_match_t m;
    sb_zone_lookup(z, target, SB_TYPE_A, &m);
    switch (m.kind) {
    case SB_MATCH_NXDOMAIN:
        return "does not exist there";
    case SB_MATCH_DNAME:
        return NULL;
    case SB_MATCH_REFERRAL:
        if (!ns || has_address(sb_zone_find(z, target->lc, target->len)))
            return NULL; /* delegated: the child zone answers, or glue is there */
        return "is below a delegation and has no glue A or AAAA record";
    case SB_MATCH_EXACT:
    case SB_MATCH_WILDCARD:
        break;
    }
    if (m.node->profile == NULL && (m.node->flags & SB_NODE_CNAME))
        return "is a CNAME (RFC 2181 10.3: it must be the name that owns the addresses)";
    return has_address(m.node) ? NULL : "has no A or AAAA record";
}

/* One record's target. */
static void check_target(const walk_t *w, const sb_node_t *owner, const sb_rrset_t *set,
                         size_t kind, const sb_rdata_t *rd)
{
    uint16_t off = kinds[kind].offset;
    if (rd->len <= off || rd->data[off] == 0) /* "." : no target */
        return;
    sb_lname_t target;
    sb_name_to_lname(&target, rd->data + off);
    const sb_zone_t *z = sb_gen_find_zone(w->gen, &target);
    const char *why = z != NULL ? unreachable(z, &target, kinds[kind].type == SB_TYPE_NS) : NULL;
    if (why == NULL)
        return;
    char owner_text[SB_NAME_TEXT_MAX], target_text[SB_NAME_TEXT_MAX];
    sb_name_to_text(owner->name, owner_text, sizeof(owner_text));
    sb_name_to_text(rd->data + off, target_text, sizeof(target_text));
    const char *type = kinds[kind].type == SB_TYPE_NS   ? "NS"
                       : kinds[kind].type == SB_TYPE_MX ? "MX"
                                                        : "SRV";
    sb_diag_warning(w->diag, set->rdata_pos != NULL ? set->rdata_pos[rd - set->rdata] : set->pos,
                    "%s record of %s names %s, which is in the served zone %s but %s: %s", type,
                    owner_text, target_text, sb_zone_apex_text(z), why, kinds[kind].what);
}

static void check_node(const sb_node_t *n, void *arg)
{
    const walk_t *w = arg;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const sb_rrset_t *set = sb_zone_node_rrset(n, kinds[k].type);
        for (uint16_t i = 0; set != NULL && i < set->count; i++)
            check_target(w, n, set, k, &set->rdata[i]);
    }
}

void sb_zonedir_targets_check(const sb_gen_t *gen, sb_diag_t *diag)
{
    walk_t w = {.gen = gen, .diag = diag};
    for (size_t i = 0; i < sb_gen_zone_count(gen); i++)
        sb_zone_foreach_node(sb_gen_zone(gen, i), check_node, &w);
}
