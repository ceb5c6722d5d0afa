#include "sb_route_weighted.h"

#include <string.h>

uint64_t sb_route_weighted_hash(const uint8_t addr[16], uint8_t family, uint8_t prefix)
{
    /* FNV-1a over the bytes that hold the prefix, the last one masked, then
     * a 64-bit finaliser: the same on every node and every run. */
    uint64_t h = 0xcbf29ce484222325ull ^ family;
    size_t bytes = (prefix + 7u) / 8u;
    for (size_t i = 0; i < bytes; i++) {
        uint8_t b = addr[i];
        if (i == bytes - 1 && prefix % 8u)
            b &= (uint8_t)(0xff00u >> (prefix % 8u));
        h = (h ^ b) * 0x100000001b3ull;
    }
    h ^= prefix;
    h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdull;
    h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static void answer(const sb_profile_t *profile, const sb_route_decision_t *d,
                   const sb_route_family_t *f, const sb_route_client_t *client,
                   sb_route_answer_t *out)
{
    (void)d;
    if (f->count == 0 || f->total == 0)
        return;
    uint32_t point;
    if (profile->sticky && client->family != 0) {
        uint8_t want = profile->sticky_prefix[client->family == 6];
        uint8_t prefix = client->prefix < want ? client->prefix : want;
        point = (uint32_t)(sb_route_weighted_hash(client->addr, client->family, prefix) % f->total);
        out->scope = prefix;
    } else {
        point = (uint32_t)(((uint64_t)sb_route_random() * f->total) >> 32);
    }
    sb_route_put(profile, sb_route_by_weight(f, point), out);
}

const sb_route_method_t sb_route_weighted = {
    .name = "weighted",
    .settings = SB_ROUTE_SET_WEIGHT,
    .routes_on_client = true,
    .answer = answer,
};
