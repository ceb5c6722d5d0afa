/* DNS server cookies (RFC 9018): the SipHash-2-4 they rest on, and which
 * cookies are accepted, renewed or refused. */
#include "sb_test.h"

#include "sb_cookie.h"
#include "sb_dns.h"

#include <sodium.h>

static sb_cookie_key_t key;
static const uint8_t client[8] = {0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57};
static const uint8_t addr4[4] = {198, 51, 100, 100};

static void siphash_reference_vector(void **state)
{
    (void)state;
    /* The SipHash paper's test vector: key 00..0f, message 00..0e. */
    uint8_t k[16], m[15], out[8];
    for (int i = 0; i < 16; i++)
        k[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        m[i] = (uint8_t)i;
    crypto_shorthash_siphash24(out, m, sizeof(m), k);
    static const uint8_t expected[8] = {0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1};
    assert_memory_equal(out, expected, 8);
}

static void rfc9018_example(void **state)
{
    (void)state;
    /* RFC 9018 appendix A.1: client 2464c4abcf10c957, client address
     * 198.51.100.100, secret e5e973e5a6b2a43f48e7dc849e37bfcf, timestamp
     * 1559731985: server cookie 010000005cf79f111f8130c3eee29480. */
    sb_cookie_key_t k;
    assert_int_equal(sb_cookie_key_parse(&k, "e5e973e5a6b2a43f48e7dc849e37bfcf"), 0);
    uint8_t out[16];
    sb_cookie_make(&k, client, addr4, 4, 1559731985u, out);
    static const uint8_t expected[16] = {0x01, 0x00, 0x00, 0x00, 0x5c, 0xf7, 0x9f, 0x11,
                                         0x1f, 0x81, 0x30, 0xc3, 0xee, 0xe2, 0x94, 0x80};
    assert_memory_equal(out, expected, 16);
}

static void verdicts(void **state)
{
    (void)state;
    assert_int_equal(sb_cookie_key_parse(&key, "000102030405060708090A0B0C0D0E0F"), 0);
    uint32_t t = 1800000000u;
    uint8_t sc[16];
    sb_cookie_make(&key, client, addr4, 4, t, sc);
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, t), SB_COOKIE_FRESH);
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, t + 1799), SB_COOKIE_FRESH);
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, t + 1800), SB_COOKIE_RENEW);
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, t + 3600), SB_COOKIE_RENEW);
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, t + 3601), SB_COOKIE_BAD);
    /* From up to five minutes in the future (another server's clock). */
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, t - 300), SB_COOKIE_FRESH);
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, t - 301), SB_COOKIE_BAD);
    /* Another client address, another client cookie, another secret. */
    static const uint8_t other_addr[4] = {198, 51, 100, 101};
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, other_addr, 4, t), SB_COOKIE_BAD);
    uint8_t other_client[8];
    memcpy(other_client, client, 8);
    other_client[7] ^= 1;
    assert_int_equal(sb_cookie_check(&key, other_client, sc, 16, addr4, 4, t), SB_COOKIE_BAD);
    sb_cookie_key_t other_key = key;
    other_key.secret[0] ^= 1;
    assert_int_equal(sb_cookie_check(&other_key, client, sc, 16, addr4, 4, t), SB_COOKIE_BAD);
    /* Another length or version is not ours. */
    assert_int_equal(sb_cookie_check(&key, client, sc, 8, addr4, 4, t), SB_COOKIE_BAD);
    sc[0] = 2;
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, t), SB_COOKIE_BAD);
    /* Timestamps wrap (RFC 1982 serial arithmetic). */
    sb_cookie_make(&key, client, addr4, 4, 0xffffff00u, sc);
    assert_int_equal(sb_cookie_check(&key, client, sc, 16, addr4, 4, 0x10u), SB_COOKIE_FRESH);
}

static void secret_parsing_and_randomness(void **state)
{
    (void)state;
    sb_cookie_key_t k;
    assert_int_equal(sb_cookie_key_parse(&k, "000102"), -EINVAL);
    assert_int_equal(sb_cookie_key_parse(&k, "000102030405060708090a0b0c0d0e0g"), -EINVAL);
    assert_int_equal(sb_cookie_key_parse(&k, "000102030405060708090a0b0c0d0e0f00"), -EINVAL);
    sb_cookie_key_t a, b;
    assert_int_equal(sb_cookie_key_random(&a), 0);
    assert_int_equal(sb_cookie_key_random(&b), 0);
    assert_memory_not_equal(a.secret, b.secret, sizeof(a.secret));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(siphash_reference_vector),
        cmocka_unit_test(rfc9018_example),
        cmocka_unit_test(verdicts),
        cmocka_unit_test(secret_parsing_and_randomness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
