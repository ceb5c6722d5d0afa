/* Zone lookup directly: exact, wildcard, NXDOMAIN, referral, DS at a cut. */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_zone.h"

#include <stdlib.h>

static sb_gen_t *gen;
static const sb_zone_t *zone;

static int setup(void **state)
{
    (void)state;
    gen = sb_test_load_ok(SB_TEST_HEADER "*.w A 192.0.2.1\n"
                                         "a.b.c A 192.0.2.2\n"
                                         "cut NS ns.cut\n"
                                         "ns.cut A 192.0.2.3\n");
    zone = sb_gen_zone(gen, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_gen_free(gen);
    return 0;
}

static sb_match_t look(const char *text, uint16_t qtype)
{
    uint8_t w[SB_NAME_MAX];
    sb_lname_t n;
    assert_true(sb_name_from_text(text, w) > 0);
    sb_name_to_lname(&n, w);
    sb_match_t m;
    sb_zone_lookup(zone, &n, qtype, &m);
    return m;
}

static void kinds(void **state)
{
    (void)state;
    sb_match_t m = look("example.com.", SB_TYPE_SOA);
    assert_int_equal(m.kind, SB_MATCH_EXACT);
    assert_true(m.node->flags & SB_NODE_APEX);
    m = look("A.B.C.example.com.", SB_TYPE_A);
    assert_int_equal(m.kind, SB_MATCH_EXACT);
    m = look("b.c.example.com.", SB_TYPE_A); /* empty non-terminal */
    assert_int_equal(m.kind, SB_MATCH_EXACT);
    assert_null(m.node->rrsets);
    m = look("x.b.c.example.com.", SB_TYPE_A);
    assert_int_equal(m.kind, SB_MATCH_NXDOMAIN);
    m = look("x.y.w.example.com.", SB_TYPE_A);
    assert_int_equal(m.kind, SB_MATCH_WILDCARD);
    assert_non_null(sb_zone_node_rrset(m.node, SB_TYPE_A));
    m = look("deep.host.cut.example.com.", SB_TYPE_A);
    assert_int_equal(m.kind, SB_MATCH_REFERRAL);
    assert_int_equal(m.cut_labels, 3);
    m = look("ns.cut.example.com.", SB_TYPE_A); /* glue is not authoritative */
    assert_int_equal(m.kind, SB_MATCH_REFERRAL);
    m = look("cut.example.com.", SB_TYPE_DS);
    assert_int_equal(m.kind, SB_MATCH_EXACT);
    m = look("cut.example.com.", SB_TYPE_NS);
    assert_int_equal(m.kind, SB_MATCH_REFERRAL);
}

/* The lookup skips the search for a wildcard in a zone without one; a
 * zone whose only wildcards are a profile's name, or an empty
 * non-terminal above one, still has them. */
static void wildcards_of_profiles_count(void **state)
{
    (void)state;
    static const char *const zones[] = {
        SB_TEST_HEADER "*.p profile priority {\n"
                       "    monitor none\n"
                       "    endpoint a 192.0.2.1 priority=1\n"
                       "}\n",
        SB_TEST_HEADER "x.*.e profile priority {\n"
                       "    monitor none\n"
                       "    endpoint a 192.0.2.1 priority=1\n"
                       "}\n",
    };
    static const char *const asked[] = {"q.p.example.com.", "q.e.example.com."};
    for (size_t i = 0; i < 2; i++) {
        sb_gen_t *g = sb_test_load_ok(zones[i]);
        uint8_t w[SB_NAME_MAX];
        sb_lname_t n;
        assert_true(sb_name_from_text(asked[i], w) > 0);
        sb_name_to_lname(&n, w);
        sb_match_t m;
        sb_zone_lookup(sb_gen_zone(g, 0), &n, SB_TYPE_A, &m);
        assert_int_equal(m.kind, SB_MATCH_WILDCARD);
        sb_zone_lookup(zone, &n, SB_TYPE_A, &m); /* the other zone's has none there */
        assert_int_equal(m.kind, SB_MATCH_NXDOMAIN);
        sb_gen_free(g);
    }
}

static void counts(void **state)
{
    (void)state;
    /* apex ns1 east west *.w w a.b.c b.c c cut ns.cut = 11 */
    assert_int_equal(sb_zone_node_count(zone), 11);
    assert_non_null(sb_zone_soa(zone));
    assert_int_equal(sb_zone_apex_labels(zone), 2);
}

/* The name index is sized from the owners; names that exist only as the
 * ancestors of deep owners (five each here) outgrow it, and it grows. */
static void index_grows_for_ancestors(void **state)
{
    (void)state;
    enum { OWNERS = 300 };
    char *text = malloc(OWNERS * 64 + 1024);
    size_t o = (size_t)sprintf(text, SB_TEST_HEADER);
    for (int i = 0; i < OWNERS; i++)
        o += (size_t)sprintf(text + o, "a.b.c.d.e.n%d A 192.0.2.%d\n", i, i % 250 + 1);
    sb_gen_t *deep = sb_test_load_ok(text);
    free(text);
    const sb_zone_t *z = sb_gen_zone(deep, 0);
    /* apex ns1 east west, and six names under each n<i> (n<i> itself too) */
    assert_int_equal(sb_zone_node_count(z), 4 + OWNERS * 6);
    for (int i = 0; i < OWNERS; i++) {
        char name[64];
        uint8_t w[SB_NAME_MAX];
        snprintf(name, sizeof(name), "a.b.c.d.e.n%d.example.com.", i);
        int n = sb_name_from_text(name, w);
        for (int k = 0; k < 6; k++) {
            const sb_node_t *found = sb_zone_find(z, w, (size_t)n);
            assert_non_null(found);
            assert_true((k == 0) == (found->rrsets != NULL));
            n -= w[0] + 1;
            memmove(w, w + w[0] + 1, (size_t)n);
        }
    }
    sb_gen_free(deep);
}

/* Records of a few names written interleaved, with repeats: sorted into
 * one RRset per name with each address once, in address order. */
static void records_sorted_and_merged(void **state)
{
    (void)state;
    enum { RECORDS = 3000, NAMES = 7 };
    char *text = malloc(RECORDS * 40 + 1024);
    size_t o = (size_t)sprintf(text, SB_TEST_HEADER);
    for (int i = 0; i < RECORDS; i++)
        o += (size_t)sprintf(text + o, "n%d A 10.0.%d.%d\n", i % NAMES, (i * 7919) % 3,
                             (i * 104729) % 200);
    sb_gen_t *g = sb_test_load_ok(text);
    free(text);
    const sb_zone_t *z = sb_gen_zone(g, 0);
    for (int n = 0; n < NAMES; n++) {
        char name[32];
        snprintf(name, sizeof(name), "n%d.example.com.", n);
        const sb_rrset_t *set = sb_test_rrset(z, name, SB_TYPE_A);
        assert_non_null(set);
        bool seen[3][200] = {{false}};
        for (int i = n; i < RECORDS; i += NAMES)
            seen[(i * 7919) % 3][(i * 104729) % 200] = true;
        unsigned expected = 0;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 200; b++)
                expected += seen[a][b];
        assert_int_equal(set->count, expected);
        for (uint16_t k = 1; k < set->count; k++)
            assert_true(memcmp(set->rdata[k - 1].data, set->rdata[k].data, 4) < 0);
    }
    sb_gen_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kinds),
        cmocka_unit_test(wildcards_of_profiles_count),
        cmocka_unit_test(counts),
        cmocka_unit_test(index_grows_for_ancestors),
        cmocka_unit_test(records_sorted_and_merged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
