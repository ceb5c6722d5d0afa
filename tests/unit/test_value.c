/* Typed config values: durations, integers, status ranges. */
#include "sb_test.h"

#include "sb_value.h"

static void durations(void **state)
{
    (void)state;
    uint64_t ms;
    char why[SB_WHY_MAX];
    assert_int_equal(sb_value_duration_ms("250ms", &ms, why), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(sb_value_duration_ms("2s", &ms, why), 0);
    assert_int_equal(ms, 2000);
    assert_int_equal(sb_value_duration_ms("1.5s", &ms, why), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(sb_value_duration_ms("5m", &ms, why), 0);
    assert_int_equal(ms, 300000);
    assert_int_equal(sb_value_duration_ms("1h", &ms, why), 0);
    assert_int_equal(ms, 3600000);
    assert_int_equal(sb_value_duration_ms("2", &ms, why), -EINVAL);
    assert_string_equal(why, "needs a unit: ms, s, m or h (as in 2s)");
    assert_int_equal(sb_value_duration_ms("s", &ms, why), -EINVAL);
    assert_string_equal(why, "must be a number with a unit, such as 500ms, 2s, 5m or 1h");
    assert_int_equal(sb_value_duration_ms("1.5ms", &ms, why), -EINVAL);
    assert_string_equal(why, "is finer than one millisecond");
    assert_int_equal(sb_value_duration_ms("2d", &ms, why), -EINVAL);
    char buf[32];
    sb_value_format_duration(2000, buf, sizeof(buf));
    assert_string_equal(buf, "2s");
    sb_value_format_duration(1500, buf, sizeof(buf));
    assert_string_equal(buf, "1500ms");
    sb_value_format_duration(120000, buf, sizeof(buf));
    assert_string_equal(buf, "2m");
}

static void integers(void **state)
{
    (void)state;
    uint64_t v;
    char why[SB_WHY_MAX];
    assert_int_equal(sb_value_uint("10", 1, 10, &v, why), 0);
    assert_int_equal(v, 10);
    assert_int_equal(sb_value_uint("11", 1, 10, &v, why), -EINVAL);
    assert_string_equal(why, "must be from 1 to 10");
    assert_int_equal(sb_value_uint("1x", 1, 10, &v, why), -EINVAL);
    assert_string_equal(why, "must be a whole number from 1 to 10");
    assert_int_equal(sb_value_uint("", 1, 10, &v, why), -EINVAL);
    assert_int_equal(sb_value_uint("99999999999999999999999", 1, 10, &v, why), -EINVAL);
}

static void status_ranges(void **state)
{
    (void)state;
    sb_status_range_t r[4];
    size_t n;
    char why[SB_WHY_MAX];
    assert_int_equal(sb_value_status_ranges("200-299,301", r, 4, &n, why), 0);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].lo, 200);
    assert_int_equal(r[0].hi, 299);
    assert_int_equal(r[1].lo, 301);
    assert_int_equal(r[1].hi, 301);
    assert_int_equal(sb_value_status_ranges("99", r, 4, &n, why), -EINVAL);
    assert_int_equal(sb_value_status_ranges("200,", r, 4, &n, why), -EINVAL);
    assert_int_equal(sb_value_status_ranges("200-", r, 4, &n, why), -EINVAL);
    assert_int_equal(sb_value_status_ranges("1,2", r, 4, &n, why), -EINVAL);
    assert_int_equal(sb_value_status_ranges("200,201,202,203,204", r, 4, &n, why), -EINVAL);
    assert_string_equal(why, "has more than 4 ranges");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations),
        cmocka_unit_test(integers),
        cmocka_unit_test(status_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
