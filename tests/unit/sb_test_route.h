/*
 * sb_test_route — what a profile answers now, for unit tests: the first
 * endpoint a query of `qtype` from a client the method knows nothing about
 * gets (NULL: none), and the view operators see.
 */
#ifndef SB_TEST_ROUTE_H
#define SB_TEST_ROUTE_H

#include "sb_route.h"

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

#endif
