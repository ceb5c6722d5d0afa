#include "sb_route_subnet.h"

#include "sb_addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Node 0 is "no node"; the roots follow it. */
typedef struct {
    uint32_t child[2];
    uint16_t endpoint; /* whose prefix ends here, or SB_PICK_NONE */
} node_t;

enum { CLIENT_V4 = 0, CLIENT_V6 = 1, CLIENT_FAMILIES = 2 };

typedef struct {
    node_t *nodes;
    uint32_t used, cap;
    uint32_t root[SB_FAMILIES][CLIENT_FAMILIES];
} trie_t;

static uint32_t new_node(trie_t *t)
{
    node_t *n = &t->nodes[t->used];
    n->child[0] = n->child[1] = 0;
    n->endpoint = SB_PICK_NONE;
    return t->used++;
}

static int bit_at(const uint8_t *addr, unsigned i)
{
    return addr[i / 8] >> (7 - i % 8) & 1;
}

static void report_clash(const sb_profile_t *p, const sb_endpoint_t *ep, const sb_prefix_t *net,
                         uint16_t other, sb_diag_t *diag)
{
    char text[SB_ADDR_TEXT_MAX];
    sb_addr_t a = {.family = net->family};
    memcpy(a.bytes, net->addr, 16);
    sb_addr_format(&a, text, sizeof(text));
    if (other == ep->index)
        sb_diag_error(diag, ep->route_pos, "endpoint '%s' lists %s/%u twice", ep->name, text,
                      net->len);
    else
        sb_diag_error(diag, ep->route_pos,
                      "endpoint '%s' lists %s/%u, which endpoint '%s' serves already; a network "
                      "has one endpoint (use a nested profile for failover within it)",
                      ep->name, text, net->len, p->endpoints[other].name);
}

static void insert(trie_t *t, const sb_profile_t *p, const sb_endpoint_t *ep,
                   const sb_prefix_t *net, sb_diag_t *diag)
{
    uint32_t at = t->root[sb_route_family_of_endpoint(ep)][net->family == 6];
    for (unsigned i = 0; i < net->len; i++) {
        int b = bit_at(net->addr, i);
        if (t->nodes[at].child[b] == 0) {
            uint32_t fresh = new_node(t);
            t->nodes[at].child[b] = fresh;
        }
        at = t->nodes[at].child[b];
    }
    if (t->nodes[at].endpoint != SB_PICK_NONE)
        report_clash(p, ep, net, t->nodes[at].endpoint, diag);
    else
        t->nodes[at].endpoint = ep->index;
}

/* Clients of every family and address find an endpoint: one is `default`,
 * or both /0 roots have one, per answer family that has endpoints. */
static void check_default(const sb_profile_t *p, const trie_t *t, sb_diag_t *diag)
{
    bool has[SB_FAMILIES] = {false, false}, dflt[SB_FAMILIES] = {false, false};
    for (uint16_t i = 0; i < p->count; i++) {
        has[sb_route_family_of_endpoint(&p->endpoints[i])] = true;
        dflt[sb_route_family_of_endpoint(&p->endpoints[i])] |= p->endpoints[i].in_default;
    }
    for (int f = 0; f < SB_FAMILIES; f++) {
        if (!has[f] || dflt[f])
            continue;
        if (t->nodes[t->root[f][CLIENT_V4]].endpoint != SB_PICK_NONE &&
            t->nodes[t->root[f][CLIENT_V6]].endpoint != SB_PICK_NONE)
            continue;
        sb_diag_error(diag, p->pos,
                      "profile %s: clients outside every listed subnet have no endpoint%s; add "
                      "'default' to the subnets= of the endpoints that serve them",
                      p->owner_text, f == SB_FAMILY_V6 ? " for AAAA" : "");
    }
}

static int build(sb_profile_t *p, sb_arena_t *arena, sb_diag_t *diag)
{
    size_t cap = 1 + SB_FAMILIES * CLIENT_FAMILIES;
    for (uint16_t i = 0; i < p->count; i++) {
        for (uint16_t k = 0; k < p->endpoints[i].subnet_count; k++)
            cap += p->endpoints[i].subnets[k].len;
    }
    trie_t *t = sb_arena_alloc(arena, sizeof(*t));
    if (t == NULL || (t->nodes = sb_arena_alloc(arena, cap * sizeof(node_t))) == NULL)
        return -ENOMEM;
    t->used = 0;
    t->cap = (uint32_t)cap;
    new_node(t); /* 0: none */
    for (int f = 0; f < SB_FAMILIES; f++) {
        for (int c = 0; c < CLIENT_FAMILIES; c++)
            t->root[f][c] = new_node(t);
    }
    for (uint16_t i = 0; i < p->count; i++) {
        const sb_endpoint_t *ep = &p->endpoints[i];
        for (uint16_t k = 0; k < ep->subnet_count; k++)
            insert(t, p, ep, &ep->subnets[k], diag);
    }
    check_default(p, t, diag);
    p->method_data = t;
    return 0;
}

/* The endpoint whose listed network is the longest match for the client
 * (SB_PICK_NONE: none), and the bits the answer holds for in *scope. A
 * client that sent a shorter subnet than the server's limit is walked on
 * past it, on zero bits, while listed networks go deeper: the scope then
 * says, longer than its prefix, that the answer is for that address only
 * (RFC 7871 §7.2.1). Past the limit nothing is known or walked. */
static uint16_t lookup(const trie_t *t, int fam, const sb_route_client_t *c, uint8_t *scope)
{
    const node_t *n = &t->nodes[t->root[fam][c->family == 6]];
    uint16_t best = n->endpoint;
    unsigned depth = 0, bits = c->cut;
    bool stopped = false;
    while (depth < bits) {
        uint32_t next = n->child[bit_at(c->addr, depth)];
        if (next == 0) {
            stopped = true;
            break;
        }
        n = &t->nodes[next];
        depth++;
        if (n->endpoint != SB_PICK_NONE)
            best = n->endpoint;
    }
    /* Walked off the trie where a sibling branch exists: that bit decided. */
    bool forked = stopped && (n->child[0] != 0 || n->child[1] != 0);
    *scope = (uint8_t)(forked ? depth + 1 : depth);
    return best;
}

static void answer(const sb_profile_t *profile, const sb_route_decision_t *d,
                   const sb_route_family_t *f, const sb_route_client_t *client,
                   sb_route_answer_t *out)
{
    if (f->count == 0)
        return;
    uint16_t match = SB_PICK_NONE;
    if (client->family != 0)
        match = lookup(profile->method_data, (int)(f - d->family), client, &out->scope);
    if (match != SB_PICK_NONE && d->live[match]) {
        sb_route_put(profile, match, out);
        return;
    }
    sb_route_put_default(profile, f, out);
}

const sb_route_method_t sb_route_subnet = {
    .name = "subnet",
    .settings = SB_ROUTE_SET_SUBNETS,
    .routes_on_client = true,
    .build = build,
    .answer = answer,
};
