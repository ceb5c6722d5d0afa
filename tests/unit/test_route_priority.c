/* The priority routing method: selection per address family, every
 * endpoint down, switchover and drain, equal primaries, and what a
 * published decision answers. */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_route_priority.h"

static sb_endpoint_t eps[4];
static sb_profile_t profile;

static void make(const sb_target_kind_t *kinds, size_t n, bool addresses)
{
    sb_route_release(&profile);
    memset(eps, 0, sizeof(eps));
    memset(&profile, 0, sizeof(profile));
    for (size_t i = 0; i < n; i++) {
        eps[i].kind = kinds[i];
        eps[i].index = (uint16_t)i;
        eps[i].priority = (uint32_t)i + 1;
    }
    profile.endpoints = eps;
    profile.count = (uint16_t)n;
    profile.addresses = addresses;
    profile.route = &sb_route_priority;
    profile.max_answers = 8;
    sb_route_publish(&profile, sb_route_decide(&profile, NULL));
}

/* What a decision means: the endpoint family `fam` leads with, and its
 * status, through sb_route_lead(); the decision is freed. */
typedef struct {
    uint16_t primary, v6;
    bool primary_fail_open, v6_fail_open;
} choice_t;

static choice_t choose_with(const sb_route_input_t *in)
{
    sb_route_decision_t *d = sb_route_decide(&profile, in);
    assert_non_null(d);
    choice_t c = {
        .primary = sb_route_lead(d, SB_FAMILY_PRIMARY),
        .v6 = sb_route_lead(d, SB_FAMILY_V6),
        .primary_fail_open = d->family[SB_FAMILY_PRIMARY].status == SB_ROUTE_FAIL_OPEN,
        .v6_fail_open = d->family[SB_FAMILY_V6].status == SB_ROUTE_FAIL_OPEN,
    };
    sb_route_discard(d);
    return c;
}

static choice_t choose(const bool *usable)
{
    sb_route_input_t in = {.usable = usable, .preferred = SB_PICK_NONE};
    return choose_with(&in);
}

static void publish(const bool *usable)
{
    sb_route_input_t in = {.usable = usable, .preferred = SB_PICK_NONE};
    sb_route_release(&profile);
    sb_route_publish(&profile, sb_route_decide(&profile, &in));
}

static const sb_endpoint_t *answer(uint16_t qtype)
{
    sb_route_client_t nobody = {0};
    sb_route_answer_t r;
    sb_route_answer(&profile, qtype, &nobody, &r);
    return r.count > 0 ? r.endpoints[0] : NULL;
}

static uint16_t lead(int fam)
{
    return sb_route_lead(sb_route_published(&profile), fam);
}

static void first_usable_in_priority_order(void **state)
{
    (void)state;
    const sb_target_kind_t k[3] = {SB_TARGET_NAME, SB_TARGET_NAME, SB_TARGET_NAME};
    make(k, 3, false);
    assert_int_equal(lead(SB_FAMILY_PRIMARY), 0);
    bool usable[3] = {false, true, true};
    choice_t c = choose(usable);
    assert_int_equal(c.primary, 1);
    assert_false(c.primary_fail_open);
    assert_int_equal(c.v6, SB_PICK_NONE);
    usable[0] = true;
    assert_int_equal(choose(usable).primary, 0);
}

static void all_down_fails_open_to_first(void **state)
{
    (void)state;
    const sb_target_kind_t k[3] = {SB_TARGET_NAME, SB_TARGET_NAME, SB_TARGET_NAME};
    make(k, 3, false);
    bool usable[3] = {false, false, false};
    choice_t c = choose(usable);
    assert_int_equal(c.primary, 0);
    assert_true(c.primary_fail_open);
    publish(usable);
    assert_int_equal(lead(SB_FAMILY_PRIMARY), 0);
    /* Name profiles answer any type with the chosen endpoint. */
    assert_ptr_equal(answer(SB_TYPE_TXT), &eps[0]);
}

static void families_are_chosen_separately(void **state)
{
    (void)state;
    const sb_target_kind_t k[4] = {SB_TARGET_V6, SB_TARGET_V4, SB_TARGET_V6, SB_TARGET_V4};
    make(k, 4, true);
    assert_int_equal(lead(SB_FAMILY_PRIMARY), 1);
    assert_int_equal(lead(SB_FAMILY_V6), 0);
    bool usable[4] = {false, false, true, true};
    choice_t c = choose(usable);
    assert_int_equal(c.primary, 3);
    assert_int_equal(c.v6, 2);
    usable[2] = false; /* every IPv6 endpoint down; IPv4 fine */
    c = choose(usable);
    assert_int_equal(c.v6, 0);
    assert_true(c.v6_fail_open);
    assert_false(c.primary_fail_open);
    publish(usable);
    assert_ptr_equal(answer(SB_TYPE_A), &eps[3]);
    assert_ptr_equal(answer(SB_TYPE_AAAA), &eps[0]);
    assert_null(answer(SB_TYPE_MX));
}

static void one_family_only(void **state)
{
    (void)state;
    const sb_target_kind_t k[2] = {SB_TARGET_V4, SB_TARGET_V4};
    make(k, 2, true);
    assert_null(answer(SB_TYPE_AAAA));
    assert_ptr_equal(answer(SB_TYPE_A), &eps[0]);
}

static void switchover_and_drain(void **state)
{
    (void)state;
    const sb_target_kind_t k[4] = {SB_TARGET_NAME, SB_TARGET_NAME, SB_TARGET_NAME, SB_TARGET_NAME};
    make(k, 4, false);
    bool usable[4] = {true, true, true, true};
    bool eligible[4] = {true, true, true, true};
    sb_route_input_t in = {.usable = usable, .eligible = eligible, .preferred = 2};
    /* A switchover answers with its endpoint while the primary is fine. */
    assert_int_equal(choose_with(&in).primary, 2);
    /* If it is down, the rest follow in priority order. */
    usable[2] = false;
    assert_int_equal(choose_with(&in).primary, 0);
    /* A drained endpoint is never chosen, not even to fail open. */
    in.preferred = SB_PICK_NONE;
    eligible[0] = false;
    assert_int_equal(choose_with(&in).primary, 1);
    memset(usable, 0, sizeof(usable));
    choice_t c = choose_with(&in);
    assert_int_equal(c.primary, 1);
    assert_true(c.primary_fail_open);
    /* Failing open follows the switchover too. */
    in.preferred = 3;
    assert_int_equal(choose_with(&in).primary, 3);
    /* Nothing eligible: nothing answers. */
    memset(eligible, 0, sizeof(eligible));
    assert_int_equal(choose_with(&in).primary, SB_PICK_NONE);
}

/* Addresses that share the top usable priority answer together, one
 * RRset, up to max-answers; names never do (one CNAME). */
static void equal_primaries_answer_together(void **state)
{
    (void)state;
    const sb_target_kind_t k[4] = {SB_TARGET_V4, SB_TARGET_V4, SB_TARGET_V4, SB_TARGET_V4};
    make(k, 4, true);
    eps[1].priority = 1; /* 0 and 1 share priority 1; 2 has 3, 3 has 4 */
    sb_route_client_t nobody = {0};
    sb_route_answer_t r;
    sb_route_answer(&profile, SB_TYPE_A, &nobody, &r);
    assert_int_equal(r.count, 2);
    assert_ptr_equal(r.endpoints[0], &eps[0]);
    assert_ptr_equal(r.endpoints[1], &eps[1]);
    assert_int_equal(r.scope, 0);
    bool usable[4] = {false, true, true, true};
    publish(usable); /* one of the pair down: the other alone */
    sb_route_answer(&profile, SB_TYPE_A, &nobody, &r);
    assert_int_equal(r.count, 1);
    assert_ptr_equal(r.endpoints[0], &eps[1]);
    profile.max_answers = 1;
    usable[0] = true;
    publish(usable);
    sb_route_answer(&profile, SB_TYPE_A, &nobody, &r);
    assert_int_equal(r.count, 1);
    assert_true(sb_route_may_answer(&profile, sb_route_published(&profile), 0));
    assert_false(sb_route_may_answer(&profile, sb_route_published(&profile), 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_usable_in_priority_order),
        cmocka_unit_test(all_down_fails_open_to_first),
        cmocka_unit_test(families_are_chosen_separately),
        cmocka_unit_test(one_family_only),
        cmocka_unit_test(switchover_and_drain),
        cmocka_unit_test(equal_primaries_answer_together),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    sb_route_release(&profile);
    return failed;
}
