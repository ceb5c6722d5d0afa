/* The monitor pool: equal settings share one copy, any setting that differs
 * does not, positions are cleared; and a zone's endpoints through it. */
#include "sb_test.h"
#include "sb_test_route.h"

#include "sb_monitor.h"
#include "sb_monitor_pool.h"

static sb_arena_t *arena;
static sb_monitor_pool_t *pool;

static int setup(void **state)
{
    (void)state;
    arena = sb_arena_new();
    return arena == NULL || sb_monitor_pool_new(&pool) < 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_monitor_pool_free(pool);
    sb_arena_destroy(arena);
    return 0;
}

/* An HTTP monitor named at `line`, with `key` set to `value` there (no key:
 * the defaults). */
static sb_monitor_t http(unsigned line, const char *key, const char *value)
{
    char why[SB_WHY_MAX];
    sb_pos_t at = {"example.com.zone", line, 5};
    sb_monitor_t m;
    sb_monitor_init(&m, SB_MONITOR_HTTP, at);
    if (key != NULL && sb_monitor_set(&m, key, value, at, arena, why) != 0)
        fail_msg("%s=%s: %s", key, value, why);
    return m;
}

static void equal_settings_share_one_copy(void **state)
{
    (void)state;
    /* Written at other places, each string a copy of its own. */
    sb_monitor_t a = http(10, "header", "X-Check: 1"), b = http(20, "header", "X-Check: 1");
    assert_ptr_not_equal(a.headers[0], b.headers[0]);
    const sb_monitor_t *pa = sb_monitor_pool_intern(pool, arena, &a);
    const sb_monitor_t *pb = sb_monitor_pool_intern(pool, arena, &b);
    assert_non_null(pa);
    assert_ptr_equal(pa, pb);
    assert_int_equal(sb_monitor_pool_count(pool), 1);
    assert_true(sb_monitor_pool_same(&a, &b));
    /* The shared copy keeps the settings and none of the positions. */
    assert_string_equal(pa->headers[0], "X-Check: 1");
    assert_int_equal(pa->header_count, 1);
    assert_int_equal(pa->proto_pos.line, 0);
    for (int k = 0; k < SB_MK_COUNT; k++)
        assert_int_equal(pa->pos[k].line, 0);
    assert_true(pa->set & (1u << SB_MK_HEADER));
}

/* Each key with two values: the monitors differ in that setting alone
 * (both have it given), so they must not share. */
static const struct {
    const char *key, *one, *other;
} settings[] = {
    {"port", "8080", "8081"},
    {"path", "/a", "/b"},
    {"host", "a.example", "b.example"},
    {"interval", "10s", "20s"},
    {"timeout", "1s", "2s"},
    {"fall", "3", "4"},
    {"rise", "2", "3"},
    {"expect", "200", "200,204"},
    {"expect", "200-299", "200-298"},
    {"method", "GET", "HEAD"},
    {"header", "X-A: 1", "X-A: 2"},
    {"body", "ok", "OK"},
    {"body-kib", "8", "16"},
    {"keep-alive", "yes", "no"},
    {"tls-verify", "yes", "no"},
    {"ca-file", "/dev/null", "/etc/passwd"},
    {"client-cert", "/dev/null", "/etc/passwd"},
    {"client-key", "/dev/null", "/etc/passwd"},
    {"send", "PING", "PONG"},
    {"receive", "PING", "PONG"},
    {"family", "ipv4", "ipv6"},
    {"probe-target", "a.example", "b.example"},
    {"probe-target", "a.example:81", "a.example:82"},
    {"flap-limit", "3", "4"},
    {"flap-window", "5m", "6m"},
    {"hold-down", "10m", "11m"},
    {"fleet", "majority", "all"},
    {"source", "192.0.2.1", "192.0.2.2"},
};

static void any_setting_that_differs_is_not_shared(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        sb_monitor_t a = http(1, settings[i].key, settings[i].one);
        sb_monitor_t b = http(1, settings[i].key, settings[i].other);
        sb_monitor_t again = http(2, settings[i].key, settings[i].one);
        if (sb_monitor_pool_same(&a, &b))
            fail_msg("%s=%s and %s=%s compared equal", settings[i].key, settings[i].one,
                     settings[i].key, settings[i].other);
        const sb_monitor_t *pa = sb_monitor_pool_intern(pool, arena, &a);
        assert_ptr_not_equal(pa, sb_monitor_pool_intern(pool, arena, &b));
        assert_ptr_equal(pa, sb_monitor_pool_intern(pool, arena, &again));
    }
    /* Given or left at its default is a difference too, as is the protocol,
     * and an empty string is not none. */
    sb_monitor_t dflt = http(1, NULL, NULL), given = http(1, "interval", "10s");
    assert_false(sb_monitor_pool_same(&dflt, &given));
    sb_monitor_t tcp;
    sb_monitor_init(&tcp, SB_MONITOR_TCP, (sb_pos_t){"z", 1, 1});
    assert_false(sb_monitor_pool_same(&dflt, &tcp));
    sb_monitor_t none = http(1, NULL, NULL), empty = http(1, NULL, NULL);
    empty.host = "";
    assert_false(sb_monitor_pool_same(&none, &empty));
}

static void many_monitors_grow_the_table(void **state)
{
    (void)state;
    const sb_monitor_t *first[200];
    char port[8];
    for (int i = 0; i < 200; i++) {
        snprintf(port, sizeof(port), "%d", 1000 + i);
        sb_monitor_t m = http(1, "port", port);
        first[i] = sb_monitor_pool_intern(pool, arena, &m);
        assert_non_null(first[i]);
    }
    assert_int_equal(sb_monitor_pool_count(pool), 200);
    for (int i = 0; i < 200; i++) {
        snprintf(port, sizeof(port), "%d", 1000 + i);
        sb_monitor_t m = http(3, "port", port);
        assert_ptr_equal(sb_monitor_pool_intern(pool, arena, &m), first[i]);
    }
    assert_int_equal(sb_monitor_pool_count(pool), 200);
}

static const char *ZONE = SB_TEST_HEADER "www profile priority {\n"
                                         "    monitor http path=/health\n"
                                         "    endpoint east east priority=1\n"
                                         "    endpoint west west priority=2 port=8080\n"
                                         "}\n"
                                         "api profile priority {\n"
                                         "    monitor http path=/health\n"
                                         "    endpoint east east priority=1\n"
                                         "    endpoint west west priority=2\n"
                                         "}\n"
                                         "img profile priority {\n"
                                         "    monitor http path=/img\n"
                                         "    endpoint east east priority=1\n"
                                         "}\n";

/* Through the loader: endpoints of different profiles with the same
 * settings share their monitor; another setting, by the profile or the
 * endpoint, has its own. */
static void a_zones_endpoints_share_equal_monitors(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(ZONE);
    const sb_profile_t *www = sb_test_profile(gen, "www.example.com.");
    const sb_profile_t *api = sb_test_profile(gen, "api.example.com.");
    const sb_profile_t *img = sb_test_profile(gen, "img.example.com.");
    const sb_monitor_t *shared = www->endpoints[0].monitor;
    assert_ptr_equal(api->endpoints[0].monitor, shared);
    assert_ptr_equal(api->endpoints[1].monitor, shared);
    assert_ptr_not_equal(www->endpoints[1].monitor, shared); /* port=8080 */
    assert_int_equal(www->endpoints[1].monitor->port, 8080);
    assert_ptr_not_equal(img->endpoints[0].monitor, shared); /* path=/img */
    assert_string_equal(img->endpoints[0].monitor->path, "/img");
    assert_string_equal(shared->path, "/health");
    sb_gen_free(gen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(equal_settings_share_one_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(any_setting_that_differs_is_not_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(many_monitors_grow_the_table, setup, teardown),
        cmocka_unit_test(a_zones_endpoints_share_equal_monitors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
