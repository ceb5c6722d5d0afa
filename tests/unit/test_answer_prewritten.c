/* Answers copied from prewritten pieces (sb_prewritten: the question's own
 * RRsets, negative SOAs, referrals, address endpoints' records, CNAMEs with
 * their target's records) are the bytes the writer writes per query: the
 * same zones loaded twice, once with every piece dropped, asked the same
 * questions of every kind — mixed case,
 * with and without EDNS, with a cookie and a client subnet, over TCP and
 * over UDP at 512 bytes (truncation) — and every response, and what it is
 * counted as (rate limiting's kind and name, endpoints), compared. */
#include "sb_test.h"

#include "sb_answer.h"
#include "sb_dns.h"

#include <string.h>

#define H SB_TEST_HEADER

static const char *ZONE = H "@ MX 10 mail\n"
                            "@ MX 20 mail.example.net.\n"
                            "@ TXT \"apex\"\n"
                            "mail A 192.0.2.25\n"
                            "mail AAAA 2001:db8::25\n"
                            "a CNAME b\n"
                            "b CNAME c\n"
                            "c A 192.0.2.3\n"
                            "c AAAA 2001:db8::3\n"
                            "toapex CNAME @\n"
                            "toother CNAME www.example.net.\n"
                            "toprof CNAME prof\n"
                            "toname CNAME nprof\n"
                            "*.wild CNAME c\n"
                            "*.wa A 192.0.2.9\n"
                            "old DNAME example.net.\n"
                            "srv SRV 1 2 3 mail\n"
                            "x.y.z TXT \"deep\"\n"
                            "deleg NS ns.deleg\n"
                            "deleg NS ns2.deleg\n"
                            "ns.deleg A 192.0.2.50\n"
                            "ns.deleg AAAA 2001:db8::50\n"
                            "ns2.deleg A 192.0.2.51\n"
                            "out NS ns.example.net.\n"
                            "todeleg CNAME host.deleg\n"
                            "many A 192.0.2.101\n"
                            "many A 192.0.2.102\n"
                            "many A 192.0.2.103\n"
                            "prof profile priority ttl=20 {\n"
                            "    monitor none\n"
                            "    endpoint a 192.0.2.20 priority=1\n"
                            "    endpoint b 2001:db8::20 priority=1\n"
                            "}\n"
                            "nprof profile priority ttl=20 {\n"
                            "    monitor none\n"
                            "    endpoint a c.example.com. priority=1\n"
                            "}\n"
                            "closed profile priority ttl=5 all-down=fail-closed {\n"
                            "    monitor none\n"
                            "    endpoint a 192.0.2.30 priority=1\n"
                            "}\n";

static const char *OTHER = "$ORIGIN example.net.\n"
                           "$TTL 300\n"
                           "@ SOA ns1 admin 1 7200 900 1209600 600\n"
                           "@ NS ns1\n"
                           "ns1 A 192.0.2.100\n"
                           "ns A 192.0.2.101\n"
                           "www CNAME back.example.com.\n"
                           "mail A 192.0.2.102\n";

/* Not asked: a question equal to a name the SOA or a referral's NS data
 * holds (ns1, hostmaster, ns.deleg) is pointed at whole by the writer and
 * by its suffix in the piece, both correct (sb_prewritten.h). */
static const char *const names[] = {
    "example.com.",        "www.example.com.",    "mail.example.com.",    "a.example.com.",
    "c.example.com.",      "toapex.example.com.", "toother.example.com.", "toprof.example.com.",
    "toname.example.com.", "q.wild.example.com.", "q.wa.example.com.",    "x.old.example.com.",
    "srv.example.com.",    "y.z.example.com.",    "deleg.example.com.",   "h.deleg.example.com.",
    "out.example.com.",    "h.out.example.com.",  "todeleg.example.com.", "many.example.com.",
    "prof.example.com.",   "closed.example.com.", "nope.example.com.",    "www.example.net.",
    "example.net.",        "nx.example.net.",     "example.org.",
};
static const uint16_t types[] = {SB_TYPE_A,   SB_TYPE_AAAA, SB_TYPE_MX,    SB_TYPE_NS, SB_TYPE_SOA,
                                 SB_TYPE_TXT, SB_TYPE_ANY,  SB_TYPE_CNAME, SB_TYPE_DS, SB_TYPE_SRV};

typedef struct {
    bool edns;
    uint16_t udp_size;
    bool cookie;
    bool ecs;
    sb_transport_t transport;
} variant_t;

static const variant_t variants[] = {
    {false, 0, false, false, SB_TRANSPORT_UDP}, {true, 1232, false, false, SB_TRANSPORT_UDP},
    {true, 512, true, true, SB_TRANSPORT_UDP},  {true, 4096, true, false, SB_TRANSPORT_TCP},
    {false, 0, false, true, SB_TRANSPORT_TCP},
};

static sb_gen_t *prewritten, *per_query;

static sb_gen_t *load(void)
{
    const char *files[4] = {"example.com.zone", ZONE, "example.net.zone", OTHER};
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen = NULL;
    int rc = sb_zonedir_load_texts(&gen, files, 2, diag);
    if (rc != 0)
        sb_diag_print(diag, stderr);
    assert_int_equal(rc, 0);
    sb_diag_free(diag);
    return gen;
}

static int setup(void **state)
{
    (void)state;
    prewritten = load();
    per_query = load();
    for (size_t i = 0; i < sb_gen_zone_count(per_query); i++)
        sb_zone_drop_prewritten((sb_zone_t *)sb_gen_zone(per_query, i));
    for (size_t i = 0; i < sb_gen_profile_count(per_query); i++) {
        sb_profile_t *p = sb_gen_profile(per_query, i);
        for (uint16_t k = 0; k < p->count; k++)
            p->endpoints[k].answer_rr_len = 0;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_gen_free(prewritten);
    sb_gen_free(per_query);
    return 0;
}

/* `name` with every other letter in upper case, so that case must come
 * back as asked. */
static void mixed_case(const char *name, char *out)
{
    size_t i = 0;
    for (; name[i] != '\0'; i++)
        out[i] =
            (char)(i % 2 ? name[i] : (name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]));
    out[i] = '\0';
}

static size_t build(uint8_t *buf, const char *name, uint16_t type, const variant_t *v)
{
    memset(buf, 0, SB_DNS_HEADER_LEN);
    sb_put16(buf, 0x2b2b);
    sb_put16(buf + 2, SB_FLAG_RD);
    sb_put16(buf + 4, 1);
    size_t n = SB_DNS_HEADER_LEN + (size_t)sb_name_from_text(name, buf + SB_DNS_HEADER_LEN);
    sb_put16(buf + n, type);
    sb_put16(buf + n + 2, SB_CLASS_IN);
    n += 4;
    if (!v->edns)
        return n;
    static const uint8_t cookie[12] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t ecs[11] = {0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100};
    size_t opts = (v->cookie ? sizeof(cookie) : 0) + (v->ecs ? sizeof(ecs) : 0);
    sb_put16(buf + 10, 1);
    buf[n] = 0;
    sb_put16(buf + n + 1, SB_TYPE_OPT);
    sb_put16(buf + n + 3, v->udp_size);
    sb_put32(buf + n + 5, 0);
    sb_put16(buf + n + 9, (uint16_t)opts);
    n += 11;
    if (v->cookie) {
        memcpy(buf + n, cookie, sizeof(cookie));
        n += sizeof(cookie);
    }
    if (v->ecs) {
        memcpy(buf + n, ecs, sizeof(ecs));
        n += sizeof(ecs);
    }
    return n;
}

static void assert_same_info(const sb_answer_info_t *a, const sb_answer_info_t *b)
{
    assert_int_equal(a->rcode, b->rcode);
    assert_int_equal(a->truncated, b->truncated);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->kind_name == NULL, b->kind_name == NULL);
    if (a->kind_name != NULL)
        assert_true(sb_name_equal(a->kind_name, b->kind_name));
    assert_int_equal(a->question_end, b->question_end);
    assert_int_equal(a->opt_len, b->opt_len);
    assert_int_equal(a->endpoint_count, b->endpoint_count);
    for (uint8_t i = 0; i < a->endpoint_count; i++)
        assert_int_equal(a->endpoints[i]->id, b->endpoints[i]->id);
}

/* One question both ways: the same bytes, counted the same. */
static void ask_both(const char *name, uint16_t type, const variant_t *v)
{
    static uint8_t query[512], r1[65535], r2[65535];
    sb_answer_config_t cfg = {.udp_max = 1232};
    sb_client_t client = {
        .transport = v->transport, .addr_len = 4, .addr = {192, 0, 2, 7}, .now = 1700000000};
    size_t qlen = build(query, name, type, v);
    sb_answer_info_t i1, i2;
    size_t n1 = sb_answer(prewritten, &cfg, &client, query, qlen, r1, sizeof(r1), &i1);
    size_t n2 = sb_answer(per_query, &cfg, &client, query, qlen, r2, sizeof(r2), &i2);
    if (n1 != n2 || memcmp(r1, r2, n1) != 0)
        fail_msg("%s type %u (edns %d, udp %u, %s): %zu bytes prewritten, %zu per query", name,
                 type, v->edns, v->udp_size, v->transport == SB_TRANSPORT_TCP ? "tcp" : "udp", n1,
                 n2);
    assert_same_info(&i1, &i2);
}

static void every_kind_the_same_bytes(void **state)
{
    (void)state;
    char asked[SB_NAME_TEXT_MAX];
    for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
            for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
                ask_both(names[n], types[t], &variants[v]);
                mixed_case(names[n], asked);
                ask_both(asked, types[t], &variants[v]);
            }
        }
    }
}

/* The pieces were there to be used: a static answer, a negative answer, a
 * referral and a profile's address each have theirs. */
static void pieces_are_built(void **state)
{
    (void)state;
    sb_lname_t ln;
    uint8_t wire[SB_NAME_MAX];
    assert_true(sb_name_from_text("deleg.example.com.", wire) > 0);
    sb_name_to_lname(&ln, wire);
    const sb_zone_t *zone = sb_gen_find_zone(prewritten, &ln);
    assert_non_null(sb_zone_negative(zone));
    const sb_node_t *deleg = sb_zone_find(zone, ln.lc, ln.len);
    assert_non_null(sb_zone_node_rrset(deleg, SB_TYPE_NS)->referral);
    assert_non_null(sb_zone_node_rrset(sb_zone_apex_node(zone), SB_TYPE_MX)->answer);
    assert_true(sb_name_from_text("b.example.com.", wire) > 0);
    sb_name_to_lname(&ln, wire);
    assert_non_null(sb_zone_find(zone, ln.lc, ln.len)->cname_answers);
    bool address_rr = false;
    for (size_t i = 0; i < sb_gen_profile_count(prewritten); i++)
        address_rr |= sb_gen_profile(prewritten, i)->endpoints[0].answer_rr_len > 0;
    assert_true(address_rr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pieces_are_built),
        cmocka_unit_test(every_kind_the_same_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
