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

/* Set `key` and expect it to be refused with `expected` as the reason. */
static void refused(sb_monitor_proto_t proto, const char *key, const char *value,
                    const char *expected)
{
    sb_monitor_t m;
    char why[SB_WHY_MAX];
    sb_monitor_init(&m, proto, here);
    assert_int_equal(sb_monitor_set(&m, key, value, here, arena, why), -EINVAL);
    assert_string_equal(why, expected);
}

/* Settings each accepted alone, refused together by sb_monitor_check(). */
static void refused_together(sb_monitor_proto_t proto, const char *k1, const char *v1,
                             const char *k2, const char *v2, const char *expected)
{
    sb_monitor_t m;
    char why[SB_WHY_MAX];
    sb_pos_t where;
    sb_monitor_init(&m, proto, here);
    assert_int_equal(sb_monitor_set(&m, k1, v1, here, arena, why), 0);
    if (k2 != NULL)
        assert_int_equal(sb_monitor_set(&m, k2, v2, here, arena, why), 0);
    assert_int_equal(sb_monitor_check(&m, why, &where), -EINVAL);
    assert_string_equal(why, expected);
}

static void http_settings(void **state)
{
    (void)state;
    sb_monitor_t m;
    char why[SB_WHY_MAX];
    sb_pos_t where;
    sb_monitor_init(&m, SB_MONITOR_HTTPS, here);
    assert_int_equal(m.method, SB_HTTP_GET);
    assert_true(m.tls_verify);
    assert_int_equal(m.body_kib, 64);
    assert_int_equal(sb_monitor_set(&m, "method", "HEAD", here, arena, why), 0);
    assert_int_equal(sb_monitor_set(&m, "header", "X-Probe: switchboard", here, arena, why), 0);
    assert_int_equal(sb_monitor_set(&m, "header", "Accept: */*", here, arena, why), 0);
    assert_int_equal(m.header_count, 2);
    assert_string_equal(m.headers[1], "Accept: */*");
    assert_int_equal(sb_monitor_set(&m, "tls-verify", "no", here, arena, why), 0);
    assert_false(m.tls_verify);
    assert_int_equal(sb_monitor_set(&m, "ca-file", "/etc/hostname", here, arena, why), 0);
    assert_int_equal(sb_monitor_check(&m, why, &where), 0);
    for (int i = 2; i < SB_MONITOR_MAX_HEADERS; i++)
        assert_int_equal(sb_monitor_set(&m, "header", "A: b", here, arena, why), 0);
    assert_int_equal(sb_monitor_set(&m, "header", "A: b", here, arena, why), -EINVAL);
    assert_string_equal(why, "at most 8 headers");
    refused(SB_MONITOR_HTTP, "method", "POST", "must be GET or HEAD");
    refused(SB_MONITOR_HTTP, "header", "NoColon",
            "must be \"Name: value\" with a header name "
            "and no control bytes");
    refused(SB_MONITOR_HTTP, "header", "Bad Name: x",
            "must be \"Name: value\" with a header "
            "name and no control bytes");
    refused(SB_MONITOR_HTTP, "header", "X: a\rb",
            "must be \"Name: value\" with a header name "
            "and no control bytes");
    refused(SB_MONITOR_HTTP, "body-kib", "2048", "must be from 1 to 1024");
    refused(SB_MONITOR_HTTPS, "tls-verify", "off", "must be yes or no");
    refused(SB_MONITOR_HTTP, "keep-alive", "1", "must be yes or no");
    refused(SB_MONITOR_HTTPS, "ca-file", "ca.pem", "must be an absolute path");
    refused(SB_MONITOR_HTTPS, "ca-file", "/nonexistent/ca.pem",
            "cannot be read: No such file or directory");
    /* A HEAD response has no body to match or read. */
    refused_together(SB_MONITOR_HTTP, "method", "HEAD", "body", "ok",
                     "'body' needs method=GET: a HEAD response has no body");
    refused_together(SB_MONITOR_HTTP, "method", "HEAD", "body-kib", "8",
                     "'body-kib' needs method=GET: a HEAD response has no body");
    /* body-kib caps the body read with or without a text to find. */
    sb_monitor_init(&m, SB_MONITOR_HTTP, here);
    assert_int_equal(sb_monitor_set(&m, "body-kib", "8", here, arena, why), 0);
    assert_int_equal(sb_monitor_check(&m, why, &where), 0);
    assert_int_equal(m.body_kib, 8);
    /* keep-alive: off unless asked, for http and https, and an endpoint
     * may turn it on or off. */
    sb_monitor_init(&m, SB_MONITOR_HTTP, here);
    assert_false(m.keep_alive);
    assert_int_equal(sb_monitor_set(&m, "keep-alive", "yes", here, arena, why), 0);
    assert_true(m.keep_alive);
    sb_monitor_t endpoint;
    sb_monitor_init(&endpoint, SB_MONITOR_HTTP, here);
    assert_int_equal(sb_monitor_set(&endpoint, "keep-alive", "no", here, arena, why), 0);
    sb_monitor_apply(&m, &endpoint);
    assert_false(m.keep_alive);
    refused_together(SB_MONITOR_TCP, "port", "25", "keep-alive", "yes",
                     "'keep-alive' does not apply to a tcp monitor");
    /* TLS settings mean nothing to plain HTTP. */
    refused_together(SB_MONITOR_HTTP, "tls-verify", "no", NULL, NULL,
                     "'tls-verify' does not apply to a http monitor");
}

static void tcp_family_target_and_hold_down(void **state)
{
    (void)state;
    sb_monitor_t m;
    char why[SB_WHY_MAX];
    sb_pos_t where;
    sb_monitor_init(&m, SB_MONITOR_TCP, here);
    assert_int_equal(sb_monitor_set(&m, "send", "PING\r\n", here, arena, why), 0);
    assert_int_equal(sb_monitor_set(&m, "receive", "+PONG", here, arena, why), 0);
    assert_int_equal(sb_monitor_set(&m, "family", "ipv6-first", here, arena, why), 0);
    assert_int_equal(m.family, SB_FAMILY_IPV6_FIRST);
    assert_int_equal(
        sb_monitor_set(&m, "probe-target", "health.east.internal:8443", here, arena, why), 0);
    assert_string_equal(m.probe_host, "health.east.internal");
    assert_int_equal(sb_monitor_port(&m), 8443);
    assert_int_equal(sb_monitor_check(&m, why, &where), 0); /* the port came with the target */
    assert_int_equal(sb_monitor_set(&m, "probe-target", "[2001:db8::1]:53", here, arena, why), 0);
    assert_string_equal(m.probe_host, "2001:db8::1");
    assert_int_equal(sb_monitor_port(&m), 53);
    assert_int_equal(sb_monitor_set(&m, "probe-target", "2001:db8::2", here, arena, why), 0);
    assert_string_equal(m.probe_host, "2001:db8::2");
    assert_int_equal(m.probe_port, 0);
    assert_int_equal(sb_monitor_set(&m, "flap-limit", "4", here, arena, why), 0);
    assert_int_equal(sb_monitor_set(&m, "hold-down", "2m", here, arena, why), 0);
    assert_int_equal(m.hold_down_ms, 120000);
    assert_int_equal(m.flap_window_ms, 300000); /* the default */
    refused(SB_MONITOR_TCP, "family", "both", "must be ipv4-first, ipv6-first, ipv4 or ipv6");
    refused(SB_MONITOR_TCP, "probe-target", "a/b",
            "must be a host name or address with an optional port, as in "
            "health.east.internal:8443 or [2001:db8::1]:8443");
    refused(SB_MONITOR_TCP, "probe-target", "host:0", "has a bad port (1-65535)");
    refused(SB_MONITOR_TCP, "flap-limit", "1", "must be from 2 to 100");
    refused(SB_MONITOR_TCP, "hold-down", "500ms", "must be from 1s to 24h");
    /* A hold-down without a limit means nothing: refused. */
    refused_together(SB_MONITOR_TCP, "port", "25", "hold-down", "5m",
                     "'hold-down' needs 'flap-limit'");
    /* send and receive are for tcp only. */
    refused_together(SB_MONITOR_HTTP, "send", "x", NULL, NULL,
                     "'send' does not apply to a http monitor");
}

static void endpoint_headers_replace_the_profiles(void **state)
{
    (void)state;
    sb_monitor_t base, over;
    char why[SB_WHY_MAX];
    sb_monitor_init(&base, SB_MONITOR_HTTP, here);
    sb_monitor_set(&base, "header", "A: 1", here, arena, why);
    sb_monitor_set(&base, "header", "B: 2", here, arena, why);
    memset(&over, 0, sizeof(over));
    sb_monitor_set(&over, "header", "C: 3", here, arena, why);
    sb_monitor_set(&over, "probe-target", "10.0.0.1:8080", here, arena, why);
    sb_monitor_apply(&base, &over);
    assert_int_equal(base.header_count, 1);
    assert_string_equal(base.headers[0], "C: 3");
    assert_string_equal(base.probe_host, "10.0.0.1");
    assert_int_equal(sb_monitor_port(&base), 8080);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(protocols),
        cmocka_unit_test(keys_and_status),
        cmocka_unit_test(derived_timeout_and_checks),
        cmocka_unit_test(overrides),
        cmocka_unit_test(http_settings),
        cmocka_unit_test(tcp_family_target_and_hold_down),
        cmocka_unit_test(endpoint_headers_replace_the_profiles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
