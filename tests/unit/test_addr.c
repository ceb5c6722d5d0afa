/* Addresses as bytes: from and to text, to a socket address, prefixes;
 * and listen addresses with their ports. */
#include "sb_test.h"

#include "sb_addr.h"
#include "sb_listen_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static void addresses(void **state)
{
    (void)state;
    sb_addr_t a;
    char text[SB_ADDR_TEXT_MAX];
    assert_int_equal(sb_addr_parse("192.0.2.1", &a), 0);
    assert_int_equal(a.family, 4);
    assert_memory_equal(a.bytes, ((uint8_t[]){192, 0, 2, 1}), 4);
    assert_string_equal(sb_addr_format(&a, text, sizeof(text)), "192.0.2.1");
    assert_int_equal(sb_addr_parse("2001:DB8::1", &a), 0);
    assert_int_equal(a.family, 6);
    assert_string_equal(sb_addr_format(&a, text, sizeof(text)), "2001:db8::1");
    const char *bad[] = {"", "192.0.2", "192.0.2.256", "[::1]", "::1:53:", "east", "1.2.3.4:53"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sb_addr_parse(bad[i], &a), -EINVAL);
}

static void socket_addresses(void **state)
{
    (void)state;
    sb_addr_t a;
    struct sockaddr_storage ss;
    assert_int_equal(sb_addr_parse("192.0.2.1", &a), 0);
    assert_int_equal(sb_addr_sockaddr(&a, 8443, &ss), sizeof(struct sockaddr_in));
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&ss;
    assert_int_equal(v4->sin_family, AF_INET);
    assert_int_equal(ntohs(v4->sin_port), 8443);
    assert_memory_equal(&v4->sin_addr, a.bytes, 4);
    assert_int_equal(sb_addr_parse("2001:db8::1", &a), 0);
    assert_int_equal(sb_addr_sockaddr(&a, 53, &ss), sizeof(struct sockaddr_in6));
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&ss;
    assert_int_equal(v6->sin6_family, AF_INET6);
    assert_int_equal(ntohs(v6->sin6_port), 53);
    assert_memory_equal(&v6->sin6_addr, a.bytes, 16);
}

static void prefixes(void **state)
{
    (void)state;
    sb_prefix_t p;
    assert_int_equal(sb_addr_prefix_parse("192.0.2.0/24", &p), 0);
    assert_int_equal(p.family, 4);
    assert_int_equal(p.len, 24);
    assert_int_equal(sb_addr_prefix_parse("2001:db8::/32", &p), 0);
    assert_int_equal(p.family, 6);
    assert_int_equal(p.len, 32);
    assert_int_equal(sb_addr_prefix_parse("192.0.2.7", &p), 0);
    assert_int_equal(p.len, 32);
    assert_int_equal(sb_addr_prefix_parse("::1", &p), 0);
    assert_int_equal(p.len, 128);
    /* Mapped IPv4 is IPv4: that is how such clients are judged. */
    assert_int_equal(sb_addr_prefix_parse("::ffff:192.0.2.0/120", &p), 0);
    assert_int_equal(p.family, 4);
    assert_int_equal(p.len, 24);
    assert_memory_equal(p.addr, ((uint8_t[]){192, 0, 2, 0}), 4);
    const char *bad[] = {"192.0.2.1/24",
                         "192.0.2.0/33",
                         "2001:db8::/129",
                         "192.0.2.0/",
                         "192.0.2.0/x",
                         "example.com",
                         "",
                         "2001:db8::1/64"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sb_addr_prefix_parse(bad[i], &p), -EINVAL);
}

static void listen_addresses(void **state)
{
    (void)state;
    sb_listen_addr_t l;
    char text[64];
    assert_int_equal(sb_listen_addr_parse("127.0.0.1:5353", &l), 0);
    sb_listen_addr_format(&l, text, sizeof(text));
    assert_string_equal(text, "127.0.0.1:5353");
    assert_int_equal(sb_listen_addr_port(&l), 5353);
    assert_false(sb_listen_addr_is_wildcard(&l));
    assert_int_equal(sb_listen_addr_parse("0.0.0.0", &l), 0); /* port 53 by default */
    assert_int_equal(sb_listen_addr_port(&l), 53);
    assert_true(sb_listen_addr_is_wildcard(&l));
    assert_int_equal(sb_listen_addr_parse("[::1]:0", &l), 0);
    sb_listen_addr_format(&l, text, sizeof(text));
    assert_string_equal(text, "[::1]:0");
    assert_int_equal(sb_listen_addr_parse("[::]:53", &l), 0);
    assert_true(sb_listen_addr_is_wildcard(&l));
    const char *bad[] = {"",           "::1:53",          "[::1",         "[::1]x",
                         "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:5x", "localhost:53"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sb_listen_addr_parse(bad[i], &l), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses),
        cmocka_unit_test(socket_addresses),
        cmocka_unit_test(prefixes),
        cmocka_unit_test(listen_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
