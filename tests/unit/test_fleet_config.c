/* The fleet's settings: server URLs, names, the combinations refused and
 * the defaults filled in. */
#include "sb_test.h"

#include "sb_fleet_config.h"

#include <stdlib.h>

static void servers_are_nats_or_tls_urls(void **state)
{
    (void)state;
    sb_fleet_config_t c;
    sb_fleet_config_init(&c);
    char why[256];
    assert_int_equal(sb_fleet_config_add_server(&c, "nats://127.0.0.1:4222", why), 0);
    assert_int_equal(sb_fleet_config_add_server(&c, "tls://nats.example.net:4443", why), 0);
    const char *bad[] = {"http://a:1",     "nats://a",          "nats://:4222", "nats://a:0",
                         "nats://a:65536", "nats://u:p@a:4222", "nats://a:1/x", "127.0.0.1:4222"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sb_fleet_config_add_server(&c, bad[i], why), -EINVAL);
        assert_non_null(strstr(why, "must be nats://HOST:PORT or tls://HOST:PORT"));
    }
    assert_int_equal(c.server_count, 2);
    assert_true(sb_fleet_config_enabled(&c));
    sb_fleet_config_free(&c);
    assert_false(sb_fleet_config_enabled(&c));
}

static void names_and_combinations(void **state)
{
    (void)state;
    assert_true(sb_fleet_config_name_ok("ns1-eu_west"));
    assert_false(sb_fleet_config_name_ok(""));
    assert_false(sb_fleet_config_name_ok("ns1.example"));
    assert_false(sb_fleet_config_name_ok("a*"));

    sb_fleet_config_t c;
    char why[256];
    sb_fleet_config_init(&c);
    c.required = true;
    assert_int_equal(sb_fleet_config_check(&c, why, sizeof(why)), -EINVAL);
    assert_string_equal(why, "fleet options are given but no fleet-server");
    sb_fleet_config_free(&c);

    sb_fleet_config_init(&c);
    assert_int_equal(sb_fleet_config_add_server(&c, "nats://a:1", why), 0);
    c.user = strdup("sb");
    assert_int_equal(sb_fleet_config_check(&c, why, sizeof(why)), -EINVAL);
    assert_string_equal(why, "fleet-user and fleet-password-file go together");
    c.password = strdup("pw");
    c.token = strdup("t");
    assert_int_equal(sb_fleet_config_check(&c, why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "give one kind of fleet credentials"));
    free(c.token);
    c.token = NULL;
    c.cert_file = strdup("/nonexistent/cert.pem");
    assert_int_equal(sb_fleet_config_check(&c, why, sizeof(why)), -EINVAL);
    assert_string_equal(why, "fleet-cert and fleet-key go together");
    c.key_file = strdup("/nonexistent/key.pem");
    assert_int_equal(sb_fleet_config_check(&c, why, sizeof(why)), -EINVAL);
    assert_string_equal(why, "fleet-cert /nonexistent/cert.pem: No such file or directory");
    sb_fleet_config_free(&c);
}

static void defaults_are_filled(void **state)
{
    (void)state;
    sb_fleet_config_t c;
    char why[256];
    sb_fleet_config_init(&c);
    assert_int_equal(c.replicas, SB_FLEET_DEFAULT_REPLICAS);
    assert_int_equal(c.timeout_ms, SB_FLEET_DEFAULT_TIMEOUT_MS);
    assert_int_equal(sb_fleet_config_add_server(&c, "nats://a:1", why), 0);
    c.node = strdup("ns1");
    assert_int_equal(sb_fleet_config_check(&c, why, sizeof(why)), 0);
    assert_string_equal(c.name, SB_FLEET_DEFAULT_NAME);
    assert_string_equal(c.node, "ns1");
    sb_fleet_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(servers_are_nats_or_tls_urls),
        cmocka_unit_test(names_and_combinations),
        cmocka_unit_test(defaults_are_filled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
