/*
 * sb_test_route — routing helpers for unit tests: what a profile answers
 * now (the first endpoint a query of `qtype` from a client the method
 * knows nothing about gets, NULL: none; the view operators see), a profile
 * by name, and queries with an EDNS Client Subnet option.
 */
#ifndef SB_TEST_ROUTE_H
#define SB_TEST_ROUTE_H

#include "sb_addr.h"
#include "sb_dns.h"
#include "sb_gen.h"
#include "sb_route.h"
#include "sb_test.h"

#include <string.h>

static inline const sb_endpoint_t *sb_test_answer(const sb_profile_t *p, uint16_t qtype)
{
    sb_route_client_t nobody = {0};
    sb_route_answer_t r;
    sb_route_answer(p, qtype, &nobody, &r);
    return r.count > 0 ? r.endpoints[0] : NULL;
}

/* The endpoints family `fam` answers with now ("east", "east,west",
 * "none"), into a static buffer. */
static inline const char *sb_test_answering(const sb_profile_t *p, int fam)
{
    static sb_route_view_t v;
    sb_route_view(p, sb_route_published(p), &v);
    return v.answering[fam];
}

static inline sb_route_status_t sb_test_status(const sb_profile_t *p, int fam)
{
    return sb_route_published(p)->family[fam].status;
}

/* The profile `owner` ("www.example.com.") of `gen`; fails the test when
 * there is none. */
static inline sb_profile_t *sb_test_profile(const sb_gen_t *gen, const char *owner)
{
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        sb_profile_t *p = sb_gen_profile(gen, i);
        if (strcmp(p->owner_text, owner) == 0)
            return p;
    }
    fail_msg("no profile %s", owner);
    return NULL;
}

/* A query (ID `id`) for `name` of `qtype`, with, when `ecs` is not NULL, an
 * EDNS Client Subnet option for that network (its family, length and
 * address bytes). Returns its length; `buf` holds at least 300 bytes. */
static inline size_t sb_test_query(uint8_t *buf, uint16_t id, const char *name, uint16_t qtype,
                                   const sb_prefix_t *ecs)
{
    memset(buf, 0, 12);
    sb_put16(buf, id);
    sb_put16(buf + 4, 1);
    size_t n = 12 + (size_t)sb_name_from_text(name, buf + 12);
    sb_put16(buf + n, qtype);
    sb_put16(buf + n + 2, SB_CLASS_IN);
    n += 4;
    if (ecs == NULL)
        return n;
    uint8_t bytes = (uint8_t)((ecs->len + 7) / 8);
    sb_put16(buf + 10, 1); /* ARCOUNT: the OPT */
    buf[n] = 0;
    sb_put16(buf + n + 1, SB_TYPE_OPT);
    sb_put16(buf + n + 3, 1232);
    sb_put32(buf + n + 5, 0);
    sb_put16(buf + n + 9, (uint16_t)(4 + 4 + bytes));
    sb_put16(buf + n + 11, SB_EDNS_OPT_ECS);
    sb_put16(buf + n + 13, (uint16_t)(4 + bytes));
    sb_put16(buf + n + 15, ecs->family == 4 ? 1 : 2);
    buf[n + 17] = ecs->len;
    buf[n + 18] = 0; /* scope */
    memcpy(buf + n + 19, ecs->addr, bytes);
    return n + 19 + bytes;
}

#endif
