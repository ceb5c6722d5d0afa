/* Monitor settings: keys, defaults, overrides and whole-monitor checks. */
#include "sb_test.h"

#include "sb_monitor.h"

static sb_arena_t *arena;

static int setup(void **state)
{
    (void)state;
    arena = sb_arena_new();
    return arena == NULL;
}

static int teardown(void **state)
{
    (void)state;
    sb_arena_destroy(arena);
    return 0;
}

static const sb_pos_t here = {"m", 1, 1};

static void protocols(void **state)
{
    (void)state;
    sb_monitor_proto_t p;
    assert_int_equal(sb_monitor_proto_parse("https", &p), 0);
    assert_int_equal(p, SB_MONITOR_HTTPS);
    assert_int_equal(sb_monitor_proto_parse("HTTP", &p), -EINVAL);
    assert_string_equal(sb_monitor_proto_name(SB_MONITOR_TCP), "tcp");
    sb_monitor_t m;
    sb_monitor_init(&m, SB_MONITOR_HTTPS, here);
    assert_int_equal(sb_monitor_port(&m), 443);
    sb_monitor_init(&m, SB_MONITOR_HTTP, here);
    assert_int_equal(sb_monitor_port(&m), 80);
}

static void keys_and_status(void **state)
{
    (void)state;
    sb_monitor_t m;
    char why[SB_WHY_MAX];
    sb_monitor_init(&m, SB_MONITOR_HTTP, here);
    assert_int_equal(sb_monitor_set(&m, "expect", "200,204,300-399", here, arena, why), 0);
    assert_true(sb_monitor_status_ok(&m, 204));
    assert_true(sb_monitor_status_ok(&m, 302));
    assert_false(sb_monitor_status_ok(&m, 201));
    assert_false(sb_monitor_status_ok(&m, 503));
    assert_int_equal(sb_monitor_set(&m, "colour", "red", here, arena, why), SB_ENOTFOUND);
    assert_int_equal(sb_monitor_set(&m, "host", "a/b", here, arena, why), -EINVAL);
    assert_true(sb_monitor_is_key("rise"));
    assert_false(sb_monitor_is_key("priority"));
}

static void derived_timeout_and_checks(void **state)
{
    (void)state;
    sb_monitor_t m;
    char why[SB_WHY_MAX];
    sb_pos_t where;
    sb_monitor_init(&m, SB_MONITOR_HTTP, here);
    assert_int_equal(sb_monitor_check(&m, why, &where), 0);
    assert_int_equal(m.timeout_ms, 5000);
    sb_monitor_init(&m, SB_MONITOR_HTTP, here);
    sb_monitor_set(&m, "interval", "100ms", here, arena, why);
    assert_int_equal(sb_monitor_check(&m, why, &where), 0);
    assert_int_equal(m.timeout_ms, 50);
    sb_monitor_init(&m, SB_MONITOR_NONE, here);
    sb_pos_t at = {"m", 3, 9};
    sb_monitor_set(&m, "port", "80", at, arena, why);
    assert_int_equal(sb_monitor_check(&m, why, &where), -EINVAL);
    assert_string_equal(why, "'port' does not apply to a none monitor");
    assert_int_equal(where.line, 3);
    assert_int_equal(where.col, 9);
}

static void overrides(void **state)
{
    (void)state;
    sb_monitor_t base, over;
    char why[SB_WHY_MAX];
    sb_monitor_init(&base, SB_MONITOR_HTTP, here);
    sb_monitor_set(&base, "path", "/health", here, arena, why);
    memset(&over, 0, sizeof(over));
    sb_monitor_set(&over, "port", "8443", here, arena, why);
    sb_monitor_set(&over, "fall", "5", here, arena, why);
    sb_monitor_apply(&base, &over);
    assert_int_equal(base.port, 8443);
    assert_int_equal(base.fall, 5);
    assert_string_equal(base.path, "/health");
    assert_int_equal(base.rise, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(protocols),
        cmocka_unit_test(keys_and_status),
        cmocka_unit_test(derived_timeout_and_checks),
        cmocka_unit_test(overrides),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
