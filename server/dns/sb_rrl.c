#include "sb_rrl.h"

#include "sb_name.h"

#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_PER_BUCKET 8 /* 64-bit slots: one cache line */
#define BUCKETS          16384
#define CAS_ATTEMPTS     4

/* A slot: the key's tag (never 0: 0 is a free slot), the second it counts
 * in (Unix time, modulo 2^16), the responses counted in that second. */
#define SLOT(tag, sec, n) ((uint64_t)(tag) << 32 | (uint64_t)(uint16_t)(sec) << 16 | (uint16_t)(n))
#define SLOT_TAG(v)       ((uint32_t)((v) >> 32))
#define SLOT_SEC(v)       ((uint16_t)((v) >> 16))
#define SLOT_COUNT(v)     ((uint16_t)(v))

struct sb_rrl {
    sb_rrl_config_t cfg;
    unsigned rate[SB_RESPONSE_KINDS];
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    _Alignas(64) _Atomic uint64_t slots[];
};

/* ---- the exempt prefixes ------------------------------------------------- */

/* Whether the client's address (4 bytes for IPv4, 16 for IPv6) is in `p`. */
static bool in_prefix(const sb_prefix_t *p, const sb_client_t *c)
{
    if ((p->family == 4) != (c->addr_len == 4))
        return false;
    size_t full = p->len / 8;
    if (memcmp(p->addr, c->addr, full) != 0)
        return false;
    unsigned rest = p->len % 8;
    uint8_t mask = (uint8_t)(0xff00 >> rest);
    return rest == 0 || ((p->addr[full] ^ c->addr[full]) & mask) == 0;
}

static bool exempt(const sb_rrl_t *r, const sb_client_t *c)
{
    for (size_t i = 0; i < r->cfg.exempt_count; i++) {
        if (in_prefix(&r->cfg.exempt[i], c))
            return true;
    }
    return false;
}

/* ---- the table ---------------------------------------------------------------- */

int sb_rrl_new(sb_rrl_t **out, const sb_rrl_config_t *cfg)
{
    *out = NULL;
    if (cfg->responses == 0 && cfg->nxdomains == 0 && cfg->errors == 0)
        return 0;
    size_t size = sizeof(sb_rrl_t) + (size_t)BUCKETS * SLOTS_PER_BUCKET * sizeof(uint64_t);
    sb_rrl_t *r = aligned_alloc(64, (size + 63) / 64 * 64);
    if (r == NULL || sodium_init() < 0) {
        free(r);
        return -ENOMEM;
    }
    memset(r, 0, size);
    r->cfg = *cfg;
    for (int k = 0; k < SB_RESPONSE_KINDS; k++)
        r->rate[k] = cfg->responses;
    r->rate[SB_RESPONSE_NXDOMAIN] = cfg->nxdomains;
    r->rate[SB_RESPONSE_ERROR] = cfg->errors;
    for (int k = 0; k < SB_RESPONSE_KINDS; k++) /* a count stops at 65535: keep it above */
        r->rate[k] = r->rate[k] < SB_RRL_RATE_MAX ? r->rate[k] : SB_RRL_RATE_MAX;
    crypto_shorthash_keygen(r->hash_key);
    *out = r;
    return 0;
}

void sb_rrl_free(sb_rrl_t *r)
{
    free(r);
}

/* The key of a response: the client's prefix, the kind, the type for an
 * answer, and the kind's name in lower case. */
static uint64_t key_of(const sb_rrl_t *r, const sb_client_t *c, const sb_answer_info_t *info)
{
    uint8_t buf[1 + 16 + 1 + 2 + SB_NAME_MAX];
    size_t n = 0;
    unsigned bits = c->addr_len == 4 ? r->cfg.ipv4_prefix : r->cfg.ipv6_prefix;
    buf[n++] = c->addr_len;
    for (unsigned i = 0; i < c->addr_len; i++) {
        unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
        buf[n++] = (uint8_t)(c->addr[i] & (0xff00 >> keep));
    }
    buf[n++] = (uint8_t)info->kind;
    if (info->kind == SB_RESPONSE_ANSWER) {
        buf[n++] = (uint8_t)(info->qtype >> 8);
        buf[n++] = (uint8_t)info->qtype;
    }
    if (info->kind_name != NULL) {
        size_t len = sb_name_len(info->kind_name);
        sb_name_lower(buf + n, info->kind_name, len);
        n += len;
    }
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, buf, n, r->hash_key);
    return h;
}

/* The slot a key not in the bucket takes: a free one, else the one that
 * counts the oldest second, else the one that has counted least. */
static int victim(const uint64_t seen[SLOTS_PER_BUCKET], uint16_t now)
{
    int best = 0;
    for (int i = 0; i < SLOTS_PER_BUCKET; i++) {
        uint64_t v = seen[i], b = seen[best];
        if (v == 0)
            return i;
        uint16_t age = (uint16_t)(now - SLOT_SEC(v)), best_age = (uint16_t)(now - SLOT_SEC(b));
        if (age > best_age || (age == best_age && SLOT_COUNT(v) < SLOT_COUNT(b)))
            best = i;
    }
    return best;
}

/* Count one response for the key `h` in second `now`; returns the count
 * it makes in that second (0: the table was too busy to say). */
static unsigned count(sb_rrl_t *r, uint64_t h, uint16_t now)
{
    _Atomic uint64_t *bucket = &r->slots[(h % BUCKETS) * SLOTS_PER_BUCKET];
    uint32_t tag = (uint32_t)(h >> 32) | 1;
    for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        uint64_t seen[SLOTS_PER_BUCKET];
        int at = -1;
        for (int i = 0; i < SLOTS_PER_BUCKET; i++) {
            seen[i] = atomic_load_explicit(&bucket[i], memory_order_relaxed);
            if (at < 0 && SLOT_TAG(seen[i]) == tag)
                at = i;
        }
        unsigned n = 1;
        if (at >= 0 && SLOT_SEC(seen[at]) == now)
            n = SLOT_COUNT(seen[at]) < UINT16_MAX ? SLOT_COUNT(seen[at]) + 1u : UINT16_MAX;
        if (at < 0)
            at = victim(seen, now);
        if (atomic_compare_exchange_weak_explicit(&bucket[at], &seen[at], SLOT(tag, now, n),
                                                  memory_order_relaxed, memory_order_relaxed))
            return n;
    }
    return 0;
}

sb_rrl_verdict_t sb_rrl_judge(sb_rrl_t *r, sb_rrl_worker_t *w, const sb_client_t *client,
                              const sb_answer_info_t *info)
{
    unsigned rate = r->rate[info->kind];
    if (rate == 0 || info->cookie_valid || client->addr_len == 0)
        return SB_RRL_SEND;
    if (count(r, key_of(r, client, info), (uint16_t)client->now) <= rate)
        return SB_RRL_SEND;
    if (exempt(r, client))
        return SB_RRL_EXEMPT;
    if (r->cfg.slip == 0)
        return SB_RRL_DROP;
    return ++w->limited % r->cfg.slip == 0 ? SB_RRL_SLIP : SB_RRL_DROP;
}
