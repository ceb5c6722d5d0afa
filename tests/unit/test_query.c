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

/* A question of labels of `sizes` (then the root), type A class IN. */
static size_t sized_question(uint8_t *b, const unsigned *sizes, size_t count)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        b[n++] = (uint8_t)sizes[i];
        memset(b + n, 'a', sizes[i]);
        n += sizes[i];
    }
    b[n++] = 0;
    sb_put32(b + n, 0x00010001);
    return n + 4;
}

/* The name's bounds, byte by byte: 255 bytes is the longest name (four
 * labels of 62 and one of 1), 256 too long; a name is FORMERR wherever the
 * packet ends inside it, its root byte included. */
static void qname_bounds(void **state)
{
    (void)state;
    uint8_t b[600];
    sb_query_t q;
    static const unsigned longest[5] = {62, 62, 62, 62, 1}, too_long[5] = {62, 62, 62, 62, 2};
    size_t n = header(b, 0, 1, 0, 0, 0);
    n += sized_question(b + n, longest, 5);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_OK);
    assert_int_equal(q.qname.len, 255);
    assert_int_equal(q.qname.labels, 5);
    n = header(b, 0, 1, 0, 0, 0);
    n += sized_question(b + n, too_long, 5);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
    assert_false(q.have_question);
    static const unsigned three[3] = {3, 7, 3};
    size_t full = header(b, 0, 1, 0, 0, 0) + sized_question(b + 12, three, 3);
    assert_int_equal(sb_query_parse(b, full, &q), SB_QUERY_OK);
    for (size_t cut = 12; cut < full; cut++) {
        assert_int_equal(sb_query_parse(b, cut, &q), SB_QUERY_FORMERR);
        assert_false(q.have_question);
    }
    /* The root as the question's name; and nothing after the header. */
    n = header(b, 0, 1, 0, 0, 0);
    n += sized_question(b + n, NULL, 0);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_OK);
    assert_int_equal(q.qname.labels, 0);
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

/* A query for a. with one OPT carrying `options`; returns its length. */
static size_t with_options(uint8_t *b, const uint8_t *options, uint16_t len, uint32_t ttl)
{
    size_t n = header(b, 0, 1, 0, 0, 1);
    n += question(b + n, "a.", SB_TYPE_A);
    return n + opt(b + n, 1232, ttl, options, len);
}

static void options_we_act_on(void **state)
{
    (void)state;
    uint8_t b[600];
    sb_query_t q;
    static const uint8_t opts[] = {
        0, 3,  0, 2, 0xab, 0xcd,                                /* NSID, payload ignored */
        0, 8,  0, 8, 0,    2,    32, 0, 0x20, 0x01, 0x0d, 0xb8, /* ECS 2001:db8::/32 */
        0, 10, 0, 8, 1,    2,    3,  4, 5,    6,    7,    8,    /* client cookie */
        0, 99, 0, 1, 0xff,                                      /* unknown: skipped */
    };
    size_t n = with_options(b, opts, sizeof(opts), 0);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_OK);
    assert_true(q.nsid_requested);
    assert_true(q.has_ecs);
    assert_int_equal(q.ecs.family, 2);
    assert_int_equal(q.ecs.source_prefix, 32);
    assert_int_equal(q.ecs.addr_len, 4);
    assert_memory_equal(q.ecs.addr, "\x20\x01\x0d\xb8", 4);
    assert_int_equal(q.cookie_len, 8);
    assert_memory_equal(q.cookie, "\1\2\3\4\5\6\7\10", 8);
    /* ECS 0.0.0.0/0 (what dig +subnet=0.0.0.0/0 sends): no address bytes. */
    static const uint8_t zero[] = {0, 8, 0, 4, 0, 1, 0, 0};
    n = with_options(b, zero, sizeof(zero), 0);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_OK);
    assert_int_equal(q.ecs.addr_len, 0);
}

static void malformed_options(void **state)
{
    (void)state;
    uint8_t b[600];
    sb_query_t q;
    static const struct {
        uint8_t bytes[48];
        uint16_t len;
    } cases[] = {
        {{0, 8, 0, 7, 0, 1, 24, 1, 192, 0, 2}, 11},     /* ECS scope set in a query */
        {{0, 8, 0, 7, 0, 1, 23, 0, 192, 0, 3}, 11},     /* ECS bits beyond the prefix */
        {{0, 8, 0, 8, 0, 1, 24, 0, 192, 0, 2, 0}, 12},  /* ECS address too long */
        {{0, 8, 0, 4, 0, 0, 0, 0}, 8},                  /* ECS family 0 */
        {{0, 8, 0, 4, 0, 2, 129, 0}, 8},                /* ECS prefix over 128 */
        {{0, 8, 0, 2, 0, 1}, 6},                        /* ECS shorter than its header */
        {{0, 10, 0, 7, 1, 2, 3, 4, 5, 6, 7}, 11},       /* cookie of 7 */
        {{0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 13}, /* cookie of 9 */
        {{0, 10, 0, 41}, 45},                           /* cookie of 41 */
        {{0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}, 24},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = with_options(b, cases[i].bytes, cases[i].len, 0);
        assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_FORMERR);
        assert_true(q.edns); /* the OPT itself was fine: it is echoed */
    }
    /* EDNS version 1: options are not interpreted (BADVERS follows). */
    size_t n = with_options(b, cases[0].bytes, cases[0].len, 0x00010000u);
    assert_int_equal(sb_query_parse(b, n, &q), SB_QUERY_OK);
    assert_false(q.has_ecs);
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
        cmocka_unit_test(plain_query),       cmocka_unit_test(edns_fields),
        cmocka_unit_test(formerr_cases),     cmocka_unit_test(formerr_opt_cases),
        cmocka_unit_test(options_we_act_on), cmocka_unit_test(malformed_options),
        cmocka_unit_test(notimp_and_drop),   cmocka_unit_test(qname_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
