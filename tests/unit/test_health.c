/* The fall/rise state machine. */
#include "sb_test.h"

#include "sb_health.h"

static void first_result_decides(void **state)
{
    (void)state;
    sb_health_t h;
    sb_health_init(&h, 3, 2);
    assert_int_equal(h.state, SB_HEALTH_CHECKING);
    assert_true(sb_health_feed(&h, true));
    assert_int_equal(h.state, SB_HEALTH_UP);
    sb_health_init(&h, 3, 2);
    assert_true(sb_health_feed(&h, false));
    assert_int_equal(h.state, SB_HEALTH_DOWN);
}

static void fall_needs_consecutive_failures(void **state)
{
    (void)state;
    sb_health_t h;
    sb_health_init(&h, 3, 2);
    sb_health_feed(&h, true);
    assert_false(sb_health_feed(&h, false));
    assert_false(sb_health_feed(&h, false));
    assert_false(sb_health_feed(&h, true)); /* a success resets the count */
    assert_false(sb_health_feed(&h, false));
    assert_false(sb_health_feed(&h, false));
    assert_int_equal(h.state, SB_HEALTH_UP);
    assert_true(sb_health_feed(&h, false));
    assert_int_equal(h.state, SB_HEALTH_DOWN);
    assert_false(sb_health_feed(&h, false)); /* already down: no change */
}

static void rise_needs_consecutive_successes(void **state)
{
    (void)state;
    sb_health_t h;
    sb_health_init(&h, 1, 3);
    sb_health_feed(&h, false);
    assert_false(sb_health_feed(&h, true));
    assert_false(sb_health_feed(&h, false)); /* a failure resets the count */
    assert_false(sb_health_feed(&h, true));
    assert_false(sb_health_feed(&h, true));
    assert_true(sb_health_feed(&h, true));
    assert_int_equal(h.state, SB_HEALTH_UP);
    /* fall=1: the very next failure takes it down. */
    assert_true(sb_health_feed(&h, false));
}

static void forced_and_names(void **state)
{
    (void)state;
    sb_health_t h;
    sb_health_init(&h, 2, 2);
    sb_health_force(&h, SB_HEALTH_UP);
    assert_int_equal(h.state, SB_HEALTH_UP);
    assert_string_equal(sb_health_state_name(SB_HEALTH_CHECKING), "checking");
    assert_string_equal(sb_health_state_name(SB_HEALTH_UP), "up");
    assert_string_equal(sb_health_state_name(SB_HEALTH_DOWN), "down");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_result_decides),
        cmocka_unit_test(fall_needs_consecutive_failures),
        cmocka_unit_test(rise_needs_consecutive_successes),
        cmocka_unit_test(forced_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
