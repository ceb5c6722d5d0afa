/* The priority routing method: selection per address family, every
 * endpoint down, switchover and drain, and what its word answers. */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_route_priority.h"

static sb_endpoint_t eps[4];
static sb_profile_t profile;

static void make(const sb_target_kind_t *kinds, size_t n, bool addresses)
{
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
    sb_route_publish(&profile, sb_route_default(&profile));
}

static sb_choice_t choose_with(const sb_route_input_t *in)
{
    return sb_route_describe(&profile, sb_route_decide(&profile, in));
}

static sb_choice_t choose(const bool *usable)
{
    sb_route_input_t in = {.usable = usable, .preferred = SB_PICK_NONE};
    return choose_with(&in);
}

static void publish(const bool *usable)
{
    sb_route_input_t in = {.usable = usable, .preferred = SB_PICK_NONE};
    sb_route_publish(&profile, sb_route_decide(&profile, &in));
}

static const sb_endpoint_t *answer(uint16_t qtype)
{
    sb_route_client_t nobody = {0};
    return sb_route_answer(&profile, qtype, &nobody);
}

static void first_usable_in_priority_order(void **state)
{
    (void)state;
    const sb_target_kind_t k[3] = {SB_TARGET_NAME, SB_TARGET_NAME, SB_TARGET_NAME};
    make(k, 3, false);
    assert_int_equal(sb_route_current(&profile).primary, 0);
    bool usable[3] = {false, true, true};
    sb_choice_t c = choose(usable);
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
    sb_choice_t c = choose(usable);
    assert_int_equal(c.primary, 0);
    assert_true(c.primary_fail_open);
    publish(usable);
    sb_choice_t got = sb_route_current(&profile);
    assert_int_equal(got.primary, 0);
    assert_true(got.primary_fail_open);
    /* Name profiles answer any type with the chosen endpoint. */
    assert_ptr_equal(answer(SB_TYPE_TXT), &eps[0]);
}

static void families_are_chosen_separately(void **state)
{
    (void)state;
    const sb_target_kind_t k[4] = {SB_TARGET_V6, SB_TARGET_V4, SB_TARGET_V6, SB_TARGET_V4};
    make(k, 4, true);
    sb_choice_t c = sb_route_current(&profile);
    assert_int_equal(c.primary, 1);
    assert_int_equal(c.v6, 0);
    bool usable[4] = {false, false, true, true};
    c = choose(usable);
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
    sb_choice_t c = choose_with(&in);
    assert_int_equal(c.primary, 1);
    assert_true(c.primary_fail_open);
    /* Failing open follows the switchover's order too. */
    in.preferred = 3;
    assert_int_equal(choose_with(&in).primary, 3);
    /* Nothing eligible: nothing answers. */
    memset(eligible, 0, sizeof(eligible));
    assert_int_equal(choose_with(&in).primary, SB_PICK_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_usable_in_priority_order),
        cmocka_unit_test(all_down_fails_open_to_first),
        cmocka_unit_test(families_are_chosen_separately),
        cmocka_unit_test(one_family_only),
        cmocka_unit_test(switchover_and_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
