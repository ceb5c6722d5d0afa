/* The strict query parser: what is accepted, what is FORMERR, NOTIMP or
 * dropped. */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_query.h"

static size_t header(uint8_t *b, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
    sb_put16(b, 0x1234);
    sb_put16(b + 2, flags);
    sb_put16(b + 4, qd);
    sb_put16(b + 6, an);
    sb_put16(b + 8, ns);
    sb_put16(b + 10, ar);
    return 12;
}

static size_t question(uint8_t *b, const char *name, uint16_t type)
{
    int n = sb_name_from_text(name, b);
    sb_put16(b + n, type);
    sb_put16(b + n + 2, SB_CLASS_IN);
    return (size_t)n + 4;
}

static size_t opt(uint8_t *b, uint16_t size, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
    b[0] = 0;
    sb_put16(b + 1, SB_TYPE_OPT);
    sb_put16(b + 3, size);
    sb_put32(b + 5, ttl);
    sb_put16(b + 9, rdlen);
    if (rdlen > 0)
        memcpy(b + 11, rdata, rdlen);
    return 11u + rdlen;
}

static void plain_query(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t n = header(b, SB_FLAG_RD, 1, 0, 0, 0);
    n += question(b + n, "WWW.Example.com.", SB_TYPE_A);
    sb_query_t q;
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_OK);
    assert_int_equal(q.id, 0x1234);
    assert_true(q.have_question);
    assert_int_equal(q.qtype, SB_TYPE_A);
    assert_int_equal(q.qclass, SB_CLASS_IN);
    assert_int_equal(q.qname.labels, 3);
    assert_int_equal(q.qname.len, 17);
    assert_memory_equal(q.qname.lc, "\3www\7example\3com", 17);
    assert_int_equal(q.question_len, 21);
    assert_memory_equal(q.question, b + 12, 3); /* the raw bytes keep their case */
    assert_false(q.edns);
}

static void edns_fields(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t n = header(b, 0, 1, 0, 0, 1);
    n += question(b + n, "example.com.", SB_TYPE_SOA);
    static const uint8_t cookie[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    n += opt(b + n, 4096, 0x00018000u, cookie, sizeof(cookie));
    sb_query_t q;
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_OK);
    assert_true(q.edns);
    assert_int_equal(q.edns_udp_size, 4096);
    assert_int_equal(q.edns_version, 1);
    assert_true(q.edns_do);
}

static void formerr_cases(void **state)
{
    (void)state;
    uint8_t b[600];
    sb_query_t q;
    size_t n;
    /* QDCOUNT 0 and 2. */
    n = header(b, 0, 0, 0, 0, 0);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
    n = header(b, 0, 2, 0, 0, 0);
    n += question(b + n, "a.", SB_TYPE_A);
    n += question(b + n, "b.", SB_TYPE_A);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
    /* An answer record in a query. */
    n = header(b, 0, 1, 1, 0, 0);
    n += question(b + n, "a.", SB_TYPE_A);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
    /* A label of 64 bytes (the length byte has 0x40 set). */
    n = header(b, 0, 1, 0, 0, 0);
    b[n++] = 64;
    memset(b + n, 'a', 64);
    n += 64;
    b[n++] = 0;
    sb_put32(b + n, 0x00010001);
    n += 4;
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
    /* A name over 255 bytes: five labels of 63. */
    n = header(b, 0, 1, 0, 0, 0);
    for (int i = 0; i < 5; i++) {
        b[n++] = 63;
        memset(b + n, 'a', 63);
        n += 63;
    }
    b[n++] = 0;
    sb_put32(b + n, 0x00010001);
    n += 4;
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
    /* Type and class cut off. */
    n = header(b, 0, 1, 0, 0, 0);
    n += question(b + n, "a.", SB_TYPE_A);
    assert_int_equal(sb_query_parse(b, n - 1, &q), SB_QUERY_FORMERR);
    assert_false(q.have_question);
    /* Trailing garbage after the last record. */
    b[n] = 0xff;
    assert_int_equal(sb_query_parse(b, n + 1, &q), SB_QUERY_FORMERR);
    assert_true(q.have_question); /* still echoed */
}

static void formerr_opt_cases(void **state)
{
    (void)state;
    uint8_t b[600];
    sb_query_t q;
    size_t base = header(b, 0, 1, 0, 0, 2);
    base += question(b + base, "a.", SB_TYPE_A);
    /* Two OPT records. */
    size_t n = base + opt(b + base, 1232, 0, NULL, 0);
    n += opt(b + n, 1232, 0, NULL, 0);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
    assert_false(q.edns); /* a broken OPT is not echoed */
    /* An option whose length runs past the record. */
    sb_put16(b + 10, 1);
    static const uint8_t bad[] = {0, 10, 0, 9, 1, 2, 3};
    n = base + opt(b + base, 1232, 0, bad, sizeof(bad));
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
    /* An OPT cut short. */
    n = base + opt(b + base, 1232, 0, NULL, 0);
    assert_int_equal(sb_query_parse(b, n - 2, &q), SB_QUERY_FORMERR);
    /* An OPT not owned by the root. */
    b[base] = 1;
    b[base + 1] = 'x';
    b[base + 2] = 0;
    sb_put16(b + base + 3, SB_TYPE_OPT);
    sb_put16(b + base + 5, 1232);
    sb_put32(b + base + 7, 0);
    sb_put16(b + base + 11, 0);
    assert_int_equal(sb_query_parse(b, base + 13, &q), SB_QUERY_FORMERR);
}

static void notimp_and_drop(void **state)
{
    (void)state;
    uint8_t b[512];
    sb_query_t q;
    size_t n = header(b, 4 << SB_OPCODE_SHIFT, 1, 0, 0, 0); /* NOTIFY */
    n += question(b + n, "example.com.", SB_TYPE_SOA);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_NOTIMP);
    assert_true(q.have_question);
    assert_int_equal(q.opcode, 4);
    n = header(b, SB_FLAG_QR, 1, 0, 0, 0);
    n += question(b + n, "example.com.", SB_TYPE_SOA);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_DROP);
    assert_int_equal(sb_query_parse(b, 11, &q), SB_QUERY_DROP);
    assert_int_equal(sb_query_parse(b, 0, &q), SB_QUERY_DROP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_query),     cmocka_unit_test(edns_fields),
        cmocka_unit_test(formerr_cases),   cmocka_unit_test(formerr_opt_cases),
        cmocka_unit_test(notimp_and_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
