/* Anti-flap hold-down. */
#include "sb_test.h"

#include "sb_flap.h"

#define WINDOW 60000u  /* 1m */
#define HOLD   300000u /* 5m */

static void off_when_limit_is_zero(void **state)
{
    (void)state;
    sb_flap_t f;
    sb_flap_init(&f, 0, WINDOW, HOLD);
    for (uint64_t t = 1000; t < 2000; t += 10)
        assert_false(sb_flap_note_change(&f, t));
    assert_false(sb_flap_held(&f, 2000));
    assert_int_equal(sb_flap_held_until(&f), 0);
    assert_int_equal(sb_flap_changes_in_window(&f, 2000), 0);
}

static void limit_changes_are_allowed(void **state)
{
    (void)state;
    sb_flap_t f;
    sb_flap_init(&f, 3, WINDOW, HOLD);
    assert_false(sb_flap_note_change(&f, 1000));
    assert_false(sb_flap_note_change(&f, 2000));
    assert_false(sb_flap_note_change(&f, 3000));
    assert_int_equal(sb_flap_changes_in_window(&f, 3000), 3);
    assert_false(sb_flap_held(&f, 3000));
    assert_int_equal(sb_flap_held_until(&f), 0);
}

static void one_more_holds_down(void **state)
{
    (void)state;
    sb_flap_t f;
    sb_flap_init(&f, 3, WINDOW, HOLD);
    sb_flap_note_change(&f, 1000);
    sb_flap_note_change(&f, 2000);
    sb_flap_note_change(&f, 3000);
    assert_true(sb_flap_note_change(&f, 4000));
    assert_int_equal(sb_flap_changes_in_window(&f, 4000), 4);
    assert_int_equal(sb_flap_held_until(&f), 4000 + HOLD);
    assert_true(sb_flap_held(&f, 4000));
    assert_true(sb_flap_held(&f, 4000 + HOLD - 1));
}

static void old_changes_fall_out_of_the_window(void **state)
{
    (void)state;
    sb_flap_t f;
    sb_flap_init(&f, 2, WINDOW, HOLD);
    sb_flap_note_change(&f, 1000);
    sb_flap_note_change(&f, 2000);
    /* The change at 1000 is exactly one window old at 61000: out. */
    assert_int_equal(sb_flap_changes_in_window(&f, 1000 + WINDOW - 1), 2);
    assert_int_equal(sb_flap_changes_in_window(&f, 1000 + WINDOW), 1);
    assert_false(sb_flap_note_change(&f, 1000 + WINDOW));
    assert_false(sb_flap_held(&f, 1000 + WINDOW));
    /* 2000, 61000 and now 61500: three within the window. */
    assert_true(sb_flap_note_change(&f, 61500));
    assert_int_equal(sb_flap_held_until(&f), 61500 + HOLD);
    /* Long after, nothing is in the window any more. */
    assert_int_equal(sb_flap_changes_in_window(&f, 61500 + WINDOW), 0);
}

static void a_change_while_held_extends(void **state)
{
    (void)state;
    sb_flap_t f;
    sb_flap_init(&f, 2, WINDOW, HOLD);
    sb_flap_note_change(&f, 1000);
    sb_flap_note_change(&f, 2000);
    assert_true(sb_flap_note_change(&f, 3000));
    assert_int_equal(sb_flap_held_until(&f), 3000 + HOLD);
    /* Flapping on, within the window: extended. */
    assert_true(sb_flap_note_change(&f, 4000));
    assert_int_equal(sb_flap_held_until(&f), 4000 + HOLD);
    /* One change after the window emptied, still held: extended too. */
    uint64_t later = 4000 + 2 * WINDOW;
    assert_true(sb_flap_held(&f, later));
    assert_int_equal(sb_flap_changes_in_window(&f, later), 0);
    assert_true(sb_flap_note_change(&f, later));
    assert_int_equal(sb_flap_held_until(&f), later + HOLD);
}

static void hold_ends_at_until(void **state)
{
    (void)state;
    sb_flap_t f;
    sb_flap_init(&f, 2, WINDOW, HOLD);
    sb_flap_note_change(&f, 1000);
    sb_flap_note_change(&f, 2000);
    sb_flap_note_change(&f, 3000);
    uint64_t until = sb_flap_held_until(&f);
    assert_true(sb_flap_held(&f, until - 1));
    assert_false(sb_flap_held(&f, until));
    assert_int_equal(sb_flap_held_until(&f), until); /* the last one, still known */
    /* After the hold, a single change is just a change. */
    assert_false(sb_flap_note_change(&f, until + 10));
    assert_false(sb_flap_held(&f, until + 10));
}

static void the_count_and_the_limit_are_capped(void **state)
{
    (void)state;
    sb_flap_t f;
    sb_flap_init(&f, 2, WINDOW, HOLD);
    for (uint64_t t = 1; t <= 10; t++)
        sb_flap_note_change(&f, t);
    assert_int_equal(sb_flap_changes_in_window(&f, 10), 3); /* limit + 1 kept */
    sb_flap_init(&f, 200, WINDOW, HOLD);
    assert_int_equal(f.limit, SB_FLAP_MAX_LIMIT);
    for (uint64_t t = 1; t <= SB_FLAP_MAX_LIMIT; t++)
        assert_false(sb_flap_note_change(&f, t));
    assert_true(sb_flap_note_change(&f, SB_FLAP_MAX_LIMIT + 1));
    assert_int_equal(sb_flap_changes_in_window(&f, SB_FLAP_MAX_LIMIT + 1), SB_FLAP_MAX_LIMIT + 1);
}

/* A reload with new settings: the changes already counted count on under
 * the new limit and window, and a hold in progress runs out as set. */
static void reconfigured_keeps_its_changes(void **state)
{
    (void)state;
    sb_flap_t f;
    sb_flap_init(&f, 2, WINDOW, HOLD);
    sb_flap_note_change(&f, 1000);
    sb_flap_note_change(&f, 2000);
    sb_flap_reconfigure(&f, 10, 5 * WINDOW, 2 * HOLD);
    assert_int_equal(f.limit, 10);
    assert_int_equal(f.window_ms, 5 * WINDOW);
    assert_int_equal(f.hold_ms, 2 * HOLD);
    assert_int_equal(sb_flap_changes_in_window(&f, 2000), 2);
    /* The old limit (2) would hold at the third; the new one (10) does not. */
    assert_false(sb_flap_note_change(&f, 3000));
    for (uint64_t t = 4000; t < 11000; t += 1000)
        assert_false(sb_flap_note_change(&f, t));
    assert_true(sb_flap_note_change(&f, 11000)); /* the eleventh */
    assert_int_equal(sb_flap_held_until(&f), 11000 + 2 * HOLD);
    /* A smaller limit keeps only the newest changes, and the hold. */
    sb_flap_reconfigure(&f, 3, WINDOW, HOLD);
    assert_int_equal(sb_flap_changes_in_window(&f, 11000), 4);
    assert_int_equal(sb_flap_held_until(&f), 11000 + 2 * HOLD);
    assert_true(sb_flap_held(&f, 11000 + 2 * HOLD - 1));
    /* Turned off: nothing counts, but the hold in progress still ends as set. */
    sb_flap_reconfigure(&f, 0, WINDOW, HOLD);
    assert_int_equal(sb_flap_changes_in_window(&f, 11000), 0);
    assert_true(sb_flap_held(&f, 12000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(off_when_limit_is_zero),
        cmocka_unit_test(limit_changes_are_allowed),
        cmocka_unit_test(one_more_holds_down),
        cmocka_unit_test(old_changes_fall_out_of_the_window),
        cmocka_unit_test(a_change_while_held_extends),
        cmocka_unit_test(hold_ends_at_until),
        cmocka_unit_test(the_count_and_the_limit_are_capped),
        cmocka_unit_test(reconfigured_keeps_its_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
