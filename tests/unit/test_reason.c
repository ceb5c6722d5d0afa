/* Probe result words: one per reason, as logs and status show them. */
#include "sb_test.h"

#include "sb_reason.h"

static const char *words(sb_reason_t reason, uint32_t number, const char *text)
{
    static char buf[128];
    sb_result_t r = {.reason = reason, .number = number, .text = text};
    return sb_reason_format(&r, buf, sizeof(buf));
}

static void formatting(void **state)
{
    (void)state;
    assert_string_equal(words(SB_REASON_OK, 0, NULL), "ok");
    assert_string_equal(words(SB_REASON_OK, 200, NULL), "HTTP 200");
    assert_string_equal(words(SB_REASON_TIMEOUT, 1000, NULL), "timeout after 1000 ms");
    assert_string_equal(words(SB_REASON_REFUSED, 0, NULL), "connect refused");
    assert_string_equal(words(SB_REASON_HTTP_STATUS, 503, NULL), "HTTP 503");
    assert_string_equal(words(SB_REASON_HTTP_STATUS, 100, NULL), "HTTP 100");
    assert_string_equal(words(SB_REASON_HTTP_STATUS, 999, NULL), "HTTP 999");
    assert_string_equal(words(SB_REASON_HTTP_STATUS, 1000, NULL), "HTTP 1000");
    assert_string_equal(words(SB_REASON_HTTP_STATUS, 42, NULL), "HTTP 42");
    assert_string_equal(words(SB_REASON_RESOLVE_FAILED, 0, "NXDOMAIN"), "resolve failed: NXDOMAIN");
    assert_string_equal(words(SB_REASON_RESET, 0, NULL), "connection reset");
    assert_string_equal(words(SB_REASON_TLS, 0, "handshake failed"), "TLS handshake failed");
    assert_string_equal(words(SB_REASON_TLS, 0, "certificate expired"), "TLS certificate expired");
    assert_string_equal(words(SB_REASON_BODY_MISMATCH, 64, "all systems go"),
                        "body did not contain 'all systems go' in the first 64 KiB");
    assert_string_equal(words(SB_REASON_LOCAL, 0, "too many open files"),
                        "local error: too many open files");
}

static void keys(void **state)
{
    (void)state;
    for (int r = 0; r < SB_REASON_COUNT; r++)
        assert_non_null(sb_reason_key((sb_reason_t)r));
    assert_string_equal(sb_reason_key(SB_REASON_TIMEOUT), "timeout");
    assert_string_equal(sb_reason_key(SB_REASON_BODY_MISMATCH), "body_mismatch");
    assert_string_equal(sb_reason_key(SB_REASON_COUNT), "unknown");
}

/* Every reason has a class; only ok is in the ok class; the classes'
 * labels are distinct. */
static void classes(void **state)
{
    (void)state;
    assert_int_equal(sb_reason_class(SB_REASON_OK), SB_REASON_CLASS_OK);
    for (int r = 1; r < SB_REASON_COUNT; r++) {
        sb_reason_class_t c = sb_reason_class((sb_reason_t)r);
        assert_true(c > SB_REASON_CLASS_OK && c < SB_REASON_CLASS_COUNT);
    }
    assert_int_equal(sb_reason_class(SB_REASON_REFUSED), SB_REASON_CLASS_CONNECT);
    assert_int_equal(sb_reason_class(SB_REASON_HTTP_STATUS), SB_REASON_CLASS_RESPONSE);
    assert_int_equal(sb_reason_class(SB_REASON_NO_ADDRESS), SB_REASON_CLASS_RESOLVE);
    for (int a = 0; a < SB_REASON_CLASS_COUNT; a++)
        for (int b = a + 1; b < SB_REASON_CLASS_COUNT; b++)
            assert_string_not_equal(sb_reason_class_key((sb_reason_class_t)a),
                                    sb_reason_class_key((sb_reason_class_t)b));
    assert_string_equal(sb_reason_class_key(SB_REASON_CLASS_TLS), "tls");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formatting),
        cmocka_unit_test(keys),
        cmocka_unit_test(classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
