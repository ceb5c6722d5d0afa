/* The routing methods beyond priority (weighted, all, subnet) and the part
 * every method shares, from zone texts loaded as a reload loads them:
 * decisions made with sb_route_decide() and published, then
 * sb_route_answer() asked with crafted clients. Their settings' errors
 * are in test_route_settings.c; geo and closest answer only with a
 * location database (tests/scenario). */
#include "sb_test.h"
#include "sb_test_route.h"

#include "sb_dns.h"
#include "sb_route.h"
#include "sb_route_weighted.h"

static sb_gen_t *gen;

static int teardown(void **state)
{
    (void)state;
    sb_gen_free(gen);
    gen = NULL;
    return 0;
}

/* ---- loading and deciding ------------------------------------------------ */

static sb_profile_t *profile_named(const char *owner)
{
    return sb_test_profile(gen, owner);
}

/* Load `text` (the generation replaces the last one) and return `owner`. */
static sb_profile_t *load(const char *text, const char *owner)
{
    sb_gen_free(gen);
    gen = sb_test_load_ok(text);
    return profile_named(owner);
}

static uint16_t index_of(const sb_profile_t *p, const char *name)
{
    for (uint16_t i = 0; i < p->count; i++) {
        if (strcmp(p->endpoints[i].name, name) == 0)
            return i;
    }
    fail_msg("no endpoint %s", name);
    return SB_PICK_NONE;
}

/* Whether endpoint `name` is in the comma-separated `list`. */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = list; s != NULL && *s != '\0';
         s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL) {
        if (strncmp(s, name, n) == 0 && (s[n] == ',' || s[n] == '\0'))
            return true;
    }
    return false;
}

/* Decide and publish: the endpoints named in `down` unusable, those in
 * `drained` not eligible, `preferred` (NULL: none) switched over to. No
 * reader holds the old decision: it is released first. */
static void decide(sb_profile_t *p, const char *down, const char *drained, const char *preferred)
{
    bool usable[64], eligible[64];
    assert_true(p->count <= 64);
    for (uint16_t i = 0; i < p->count; i++) {
        usable[i] = !listed(down, p->endpoints[i].name);
        eligible[i] = !listed(drained, p->endpoints[i].name);
    }
    sb_route_input_t in = {.usable = usable,
                           .eligible = eligible,
                           .preferred = preferred ? index_of(p, preferred) : SB_PICK_NONE};
    sb_route_release(p);
    sb_route_publish(p, sb_route_decide(p, &in));
}

/* ---- asking -------------------------------------------------------------- */

/* A client as the answer path hands it over: `addr` cut to `prefix`, from
 * a server whose limit (--ecs-prefix) is `cut`. */
static sb_route_client_t client_cut(const char *addr, uint8_t prefix, uint8_t cut)
{
    sb_addr_t a;
    assert_int_equal(sb_addr_parse(addr, &a), 0);
    sb_route_client_t c = {.family = a.family, .prefix = prefix, .cut = cut};
    for (unsigned b = 0; b < prefix; b++)
        c.addr[b / 8] |= (uint8_t)(a.bytes[b / 8] & (0x80u >> (b % 8)));
    return c;
}

/* The same from a server that looks at every bit. */
static sb_route_client_t client(const char *addr, uint8_t prefix)
{
    return client_cut(addr, prefix, strchr(addr, ':') ? 128 : 32);
}

/* The endpoints answering, as "a,b" ("" for none), and the scope. */
static const char *ask(const sb_profile_t *p, uint16_t qtype, const sb_route_client_t *c,
                       int *scope)
{
    static char names[256];
    sb_route_answer_t r;
    sb_route_answer(p, qtype, c, &r);
    names[0] = '\0';
    for (uint8_t k = 0; k < r.count; k++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof(names) - used, "%s%s", k ? "," : "", r.endpoints[k]->name);
    }
    if (scope != NULL)
        *scope = r.scope;
    return names;
}

/* The one endpoint `addr`/`prefix` gets for an A query, and the scope. */
static const char *ask_from(const sb_profile_t *p, const char *addr, uint8_t prefix, int *scope)
{
    sb_route_client_t c = client(addr, prefix);
    return ask(p, SB_TYPE_A, &c, scope);
}

/* The index of the one endpoint answering `c` (A). */
static uint16_t pick(const sb_profile_t *p, const sb_route_client_t *c)
{
    sb_route_answer_t r;
    sb_route_answer(p, SB_TYPE_A, c, &r);
    assert_int_equal(r.count, 1);
    return r.endpoints[0]->index;
}

/* ---- weighted ------------------------------------------------------------ */

static const char *WEIGHTED =
    SB_TEST_HEADER "www profile weighted ttl=30 {\n"
                   "    monitor none\n"
                   "    endpoint one 192.0.2.1 weight=1\n"
                   "    endpoint three 192.0.2.3 weight=3\n"
                   "    endpoint six 192.0.2.6 weight=6\n"
                   "    endpoint zero 192.0.2.9 weight=0\n"
                   "    endpoint six6 2001:db8::6 weight=6\n"
                   "}\n"
                   "sticky profile weighted sticky=yes sticky-prefix=24,48 {\n"
                   "    monitor none\n"
                   "    endpoint a 192.0.2.1\n"
                   "    endpoint b 192.0.2.2\n"
                   "    endpoint c 192.0.2.3\n"
                   "    endpoint d 192.0.2.4\n"
                   "    endpoint z 192.0.2.9 weight=0\n"
                   "}\n";

#define DRAWS 100000

/* Random draws land in proportion to the weights: counts for 1:3:6 pass
 * a chi-square test (2 degrees of freedom, 27.63 at p = 1e-6: the draws are
 * random, and a suite run thousands of times must not fail by chance;
 * a skew of a few percent is still far past it at 100,000 draws), and the
 * endpoint of weight 0 is never drawn while the others are usable. */
static void weighted_draws_follow_the_weights(void **state)
{
    (void)state;
    sb_profile_t *p = load(WEIGHTED, "www.example.com.");
    unsigned counts[5] = {0};
    sb_route_client_t nobody = {0}, someone = client("198.51.100.0", 24);
    for (int k = 0; k < DRAWS; k++) {
        sb_route_answer_t r;
        sb_route_answer(p, SB_TYPE_A, k % 2 ? &someone : &nobody, &r);
        assert_int_equal(r.count, 1);
        assert_int_equal(r.scope, 0); /* not sticky: the client does not count */
        counts[r.endpoints[0]->index]++;
    }
    const double share[3] = {0.1, 0.3, 0.6};
    double chi2 = 0;
    for (int i = 0; i < 3; i++) {
        double expected = DRAWS * share[i];
        chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
    }
    printf("weighted 1:3:6 over %d draws: %u %u %u, chi-square %.2f\n", DRAWS, counts[0], counts[1],
           counts[2], chi2);
    assert_true(chi2 < 27.63);
    assert_int_equal(counts[index_of(p, "zero")], 0);
    /* AAAA draws from the IPv6 endpoints alone. */
    assert_string_equal(ask(p, SB_TYPE_AAAA, &nobody, NULL), "six6");
}

/* Weight 0 answers only when no endpoint of weight above 0 can: alone
 * usable it answers; failing open it does not (the others weigh more). */
static void weight_zero_is_the_last_resort(void **state)
{
    (void)state;
    sb_profile_t *p = load(WEIGHTED, "www.example.com.");
    decide(p, "one,three,six", NULL, NULL);
    for (int k = 0; k < 100; k++)
        assert_string_equal(ask_from(p, "192.0.2.1", 32, NULL), "zero");
    assert_int_equal(p->endpoints[index_of(p, "zero")].weight, 0);
    decide(p, "one,three,six,zero", NULL, NULL);
    assert_int_equal(sb_route_published(p)->family[SB_FAMILY_PRIMARY].status, SB_ROUTE_FAIL_OPEN);
    for (int k = 0; k < 1000; k++)
        assert_string_not_equal(ask_from(p, "192.0.2.1", 32, NULL), "zero");
    /* Every other one drained: zero fails open alone. */
    decide(p, "one,three,six,zero", "one,three,six", NULL);
    assert_string_equal(ask_from(p, "192.0.2.1", 32, NULL), "zero");
}

/* sticky=yes: a client's subnet (its first sticky-prefix bits) picks its
 * endpoint, the same every time, with that many bits as the scope. */
static void sticky_keeps_a_subnet_on_one_endpoint(void **state)
{
    (void)state;
    sb_profile_t *p = load(WEIGHTED, "sticky.example.com.");
    unsigned per[5] = {0};
    for (int i = 0; i < 4000; i++) {
        char text[32];
        snprintf(text, sizeof(text), "10.%d.%d.1", i / 256, i % 256);
        sb_route_client_t c = client(text, 32);
        uint16_t first = pick(p, &c);
        per[first]++;
        for (int host = 2; host < 40; host += 7) {
            snprintf(text, sizeof(text), "10.%d.%d.%d", i / 256, i % 256, host);
            c = client(text, 32);
            assert_int_equal(pick(p, &c), first);
        }
    }
    for (int i = 0; i < 4; i++) /* 1000 expected each */
        assert_in_range(per[i], 850, 1150);
    assert_int_equal(per[index_of(p, "z")], 0);
    int scope;
    ask_from(p, "10.1.2.3", 32, &scope);
    assert_int_equal(scope, 24); /* min(client prefix, sticky prefix) */
    ask_from(p, "10.1.2.3", 20, &scope);
    assert_int_equal(scope, 20);
    ask_from(p, "2001:db8:1:2::1", 64, &scope);
    assert_int_equal(scope, 48);
    ask_from(p, "2001:db8:1:2::1", 40, &scope);
    assert_int_equal(scope, 40);
    /* A client the answer path knows nothing of is drawn at random. */
    sb_route_client_t nobody = {0};
    unsigned seen = 0;
    for (int k = 0; k < 200; k++)
        seen |= 1u << pick(p, &nobody);
    assert_int_equal(seen, 0xf);
    sb_route_answer_t r;
    sb_route_answer(p, SB_TYPE_A, &nobody, &r);
    assert_int_equal(r.scope, 0);
}

/* The hash has no seed: every process and every node of a fleet picks the
 * same endpoint for a subnet. */
static void the_sticky_hash_is_fixed(void **state)
{
    (void)state;
    const uint8_t v4[16] = {192, 0, 2, 0}, v4_host[16] = {192, 0, 2, 77};
    assert_int_equal(sb_route_weighted_hash(v4, 4, 24), 0x15224bd74e869905ull);
    assert_int_equal(sb_route_weighted_hash(v4_host, 4, 24), 0x15224bd74e869905ull);
    const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
    assert_int_equal(sb_route_weighted_hash(v6, 6, 48), 0x40cd0ae7d628a6f8ull);
    assert_int_not_equal(sb_route_weighted_hash(v4, 4, 23), sb_route_weighted_hash(v4, 4, 24));
    assert_int_not_equal(sb_route_weighted_hash(v4, 6, 24), sb_route_weighted_hash(v4, 4, 24));
}

#define SUBNETS 12000

static void picks(const sb_profile_t *p, uint16_t *out)
{
    for (int i = 0; i < SUBNETS; i++) {
        char text[32];
        snprintf(text, sizeof(text), "10.%d.%d.0", i / 256, i % 256);
        sb_route_client_t c = client(text, 24);
        out[i] = pick(p, &c);
    }
}

/* While every endpoint is usable a client's endpoint is its home: the
 * hash modulo the total weight, along the running sums of weight over
 * the endpoints of weight above 0 (here a, b, c, d of weight 1). */
static void sticky_homes_follow_the_hash(void **state)
{
    (void)state;
    sb_profile_t *p = load(WEIGHTED, "sticky.example.com.");
    for (int i = 0; i < 2000; i++) {
        char text[32];
        snprintf(text, sizeof(text), "10.%d.%d.0", i / 256, i % 256);
        sb_route_client_t c = client(text, 24);
        uint64_t h = sb_route_weighted_hash(c.addr, 4, 24);
        assert_int_equal(pick(p, &c), h % 4);
    }
}

/* When the usable set changes only the clients of the endpoint that
 * stopped answering move, spread over the others by weight; an endpoint
 * of weight 0 going down moves nobody; a drain is the same as down; all
 * come back with it. */
static void sticky_clients_move_only_off_a_down_endpoint(void **state)
{
    (void)state;
    sb_profile_t *p = load(WEIGHTED, "sticky.example.com.");
    static uint16_t before[SUBNETS], after[SUBNETS], drained[SUBNETS];
    picks(p, before);
    decide(p, "z", NULL, NULL);
    picks(p, after);
    assert_memory_equal(before, after, sizeof(before));
    decide(p, "d", NULL, NULL);
    picks(p, after);
    uint16_t d = index_of(p, "d");
    unsigned moved = 0, of_d = 0, to[5] = {0};
    for (int i = 0; i < SUBNETS; i++) {
        assert_int_not_equal(after[i], d);
        if (before[i] != d) {
            moved += after[i] != before[i];
            continue;
        }
        of_d++;
        to[after[i]]++;
    }
    printf("sticky, 4 x weight 1, d down: d's %u clients went to a %u, b %u, c %u; "
           "%u others moved\n",
           of_d, to[0], to[1], to[2], moved);
    assert_int_equal(moved, 0);
    for (int i = 0; i < 3; i++) /* a third of d's each */
        assert_in_range(to[i], of_d / 3 - of_d / 10, of_d / 3 + of_d / 10);
    assert_int_equal(to[index_of(p, "z")], 0);
    decide(p, NULL, "d", NULL);
    picks(p, drained);
    assert_memory_equal(after, drained, sizeof(after));
    decide(p, NULL, NULL, NULL);
    picks(p, after);
    assert_memory_equal(before, after, sizeof(before));
    /* Only z usable: z answers everyone. */
    decide(p, "a,b,c,d", NULL, NULL);
    picks(p, after);
    for (int i = 0; i < SUBNETS; i++)
        assert_int_equal(after[i], index_of(p, "z"));
}

/* ---- all ----------------------------------------------------------------- */

static const char *ALL = SB_TEST_HEADER "pool profile all max-answers=3 {\n"
                                        "    monitor none\n"
                                        "    endpoint p1 192.0.2.1\n"
                                        "    endpoint p2 192.0.2.2\n"
                                        "    endpoint p3 192.0.2.3\n"
                                        "    endpoint p4 192.0.2.4\n"
                                        "    endpoint p5 192.0.2.5\n"
                                        "    endpoint q6 2001:db8::6\n"
                                        "}\n"
                                        "shuffled profile all order=random max-answers=4 {\n"
                                        "    monitor none\n"
                                        "    endpoint s0 192.0.2.10\n"
                                        "    endpoint s1 192.0.2.11\n"
                                        "    endpoint s2 192.0.2.12\n"
                                        "    endpoint s3 192.0.2.13\n"
                                        "    endpoint s4 192.0.2.14\n"
                                        "    endpoint s5 192.0.2.15\n"
                                        "}\n"
                                        "many profile all {\n"
                                        "    monitor none\n"
                                        "    endpoint m0 192.0.2.20\n"
                                        "    endpoint m1 192.0.2.21\n"
                                        "    endpoint m2 192.0.2.22\n"
                                        "    endpoint m3 192.0.2.23\n"
                                        "    endpoint m4 192.0.2.24\n"
                                        "    endpoint m5 192.0.2.25\n"
                                        "    endpoint m6 192.0.2.26\n"
                                        "    endpoint m7 192.0.2.27\n"
                                        "    endpoint m8 192.0.2.28\n"
                                        "    endpoint m9 192.0.2.29\n"
                                        "}\n";

/* order=rotate: each answer is max-answers endpoints in a row of the
 * usable ones, starting one further each time, so every usable endpoint
 * leads in turn. */
static void all_rotates_through_every_usable_endpoint(void **state)
{
    (void)state;
    sb_profile_t *p = load(ALL, "pool.example.com.");
    sb_route_client_t c = client("198.51.100.7", 32);
    sb_route_answer_t r;
    unsigned led = 0;
    uint16_t last = SB_PICK_NONE;
    for (int k = 0; k < 10; k++) {
        sb_route_answer(p, SB_TYPE_A, &c, &r);
        assert_int_equal(r.count, 3);
        assert_int_equal(r.scope, 0);
        uint16_t lead = r.endpoints[0]->index;
        for (int j = 1; j < 3; j++)
            assert_int_equal(r.endpoints[j]->index, (lead + j) % 5);
        if (last != SB_PICK_NONE)
            assert_int_equal(lead, (last + 1) % 5);
        last = lead;
        led |= 1u << lead;
    }
    assert_int_equal(led, 0x1f);
    assert_string_equal(ask(p, SB_TYPE_AAAA, &c, NULL), "q6");
    /* Without max-answers=, 8 of the 10. */
    p = profile_named("many.example.com.");
    sb_route_answer(p, SB_TYPE_A, &c, &r);
    assert_int_equal(r.count, 8);
    assert_int_equal(p->max_answers, 8);
}

/* Drained and unusable endpoints are left out; fewer usable than
 * max-answers: each usable one, every time. */
static void all_leaves_out_drained_and_down(void **state)
{
    (void)state;
    sb_profile_t *p = load(ALL, "pool.example.com.");
    decide(p, "p3", "p2", NULL);
    for (int k = 0; k < 20; k++) {
        const char *got = ask_from(p, "198.51.100.7", 32, NULL);
        assert_false(listed(got, "p2") || listed(got, "p3"));
        assert_true(listed(got, "p1") && listed(got, "p4") && listed(got, "p5"));
    }
    /* Every one down: failing open, the eligible ones answer (not p2). */
    decide(p, "p1,p2,p3,p4,p5", "p2", NULL);
    for (int k = 0; k < 20; k++)
        assert_false(listed(ask_from(p, "198.51.100.7", 32, NULL), "p2"));
}

/* order=random: max-answers distinct endpoints, any of them first. */
static void all_shuffles_distinct_endpoints(void **state)
{
    (void)state;
    sb_profile_t *p = load(ALL, "shuffled.example.com.");
    sb_route_client_t nobody = {0};
    unsigned first[6] = {0};
    for (int k = 0; k < 6000; k++) {
        sb_route_answer_t r;
        sb_route_answer(p, SB_TYPE_A, &nobody, &r);
        assert_int_equal(r.count, 4);
        unsigned seen = 0;
        for (int j = 0; j < 4; j++)
            seen |= 1u << r.endpoints[j]->index;
        assert_int_equal(__builtin_popcount(seen), 4);
        first[r.endpoints[0]->index]++;
    }
    for (int i = 0; i < 6; i++) /* 1000 expected each */
        assert_in_range(first[i], 850, 1150);
    decide(p, "s0,s1,s2", NULL, NULL); /* three usable: all three, shuffled */
    for (int k = 0; k < 50; k++) {
        const char *got = ask(p, SB_TYPE_A, &nobody, NULL);
        assert_true(listed(got, "s3") && listed(got, "s4") && listed(got, "s5"));
        assert_int_equal(strlen(got), 8);
    }
}

/* ---- subnet -------------------------------------------------------------- */

static const char *SUBNET =
    SB_TEST_HEADER "net profile subnet {\n"
                   "    monitor none\n"
                   "    endpoint a 192.0.2.1 subnets=10.0.0.0/8\n"
                   "    endpoint b 192.0.2.2 subnets=10.1.0.0/16\n"
                   "    endpoint c 192.0.2.3 subnets=10.1.2.0/24,2001:db8::/32\n"
                   "    endpoint d 192.0.2.4 subnets=default\n"
                   "    endpoint e 192.0.2.5 subnets=default,172.16.0.0/12\n"
                   "    endpoint a6 2001:db8::1 subnets=10.0.0.0/8,::/0\n"
                   "    endpoint b6 2001:db8::2 subnets=0.0.0.0/0\n"
                   "}\n";

/* The longest listed network holding the client answers; clients outside
 * every one get the first `default` endpoint. */
static void subnet_longest_match(void **state)
{
    (void)state;
    sb_profile_t *p = load(SUBNET, "net.example.com.");
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "c");
    assert_string_equal(ask_from(p, "10.1.2.200", 32, NULL), "c");
    assert_string_equal(ask_from(p, "10.1.3.0", 24, NULL), "b");
    assert_string_equal(ask_from(p, "10.1.255.0", 24, NULL), "b");
    assert_string_equal(ask_from(p, "10.2.0.0", 24, NULL), "a");
    assert_string_equal(ask_from(p, "10.255.0.0", 16, NULL), "a");
    assert_string_equal(ask_from(p, "172.20.0.0", 24, NULL), "e");
    assert_string_equal(ask_from(p, "192.0.2.0", 24, NULL), "d");
    assert_string_equal(ask_from(p, "2001:db8:1::", 48, NULL), "c");
    assert_string_equal(ask_from(p, "2001:db9::", 48, NULL), "d");
    /* A short client prefix matches what its bits reach. */
    assert_string_equal(ask_from(p, "10.1.0.0", 16, NULL), "b");
    assert_string_equal(ask_from(p, "10.1.0.0", 12, NULL), "a");
    /* No client: the default. */
    sb_route_client_t nobody = {0};
    int scope;
    assert_string_equal(ask(p, SB_TYPE_A, &nobody, &scope), "d");
    assert_int_equal(scope, 0);
}

static int scope_of(const sb_profile_t *p, uint16_t qtype, const char *addr, uint8_t prefix)
{
    sb_route_client_t c = client(addr, prefix);
    int scope;
    ask(p, qtype, &c, &scope);
    return scope;
}

/* The scope: where the client's path leaves the trie, plus one when the
 * node it stops at branches the other way (that bit decided); the depth
 * walked when it stops at a leaf. */
static void subnet_scope_is_the_bits_that_decided(void **state)
{
    (void)state;
    sb_profile_t *p = load(SUBNET, "net.example.com.");
    /* 10.1.3/24 leaves 10.1.2/24's path at bit 23: 24 bits decided. */
    assert_int_equal(scope_of(p, SB_TYPE_A, "10.1.3.0", 24), 24);
    /* 10.1.5/24 (00000101) leaves 10.1.2's (00000010) at bit 21. */
    assert_int_equal(scope_of(p, SB_TYPE_A, "10.1.5.0", 24), 22);
    /* 10.2/16 (00000010) leaves 10.1's (00000001) at bit 14. */
    assert_int_equal(scope_of(p, SB_TYPE_A, "10.2.0.0", 24), 15);
    /* 192 (11000000) leaves 172's path (10101100) at bit 1. */
    assert_int_equal(scope_of(p, SB_TYPE_A, "192.0.2.0", 24), 2);
    /* The whole path walked: the leaf's depth. */
    assert_int_equal(scope_of(p, SB_TYPE_A, "10.1.2.0", 24), 24);
    assert_int_equal(scope_of(p, SB_TYPE_A, "10.1.2.128", 25), 24);
    assert_int_equal(scope_of(p, SB_TYPE_A, "172.16.0.0", 24), 12);
    /* The client's bits run out while listed networks go deeper: the walk
     * goes on as if the rest were zero, and the scope may be longer than
     * the client's prefix (10.1.0.0/16 answers b for 10.1.0.0/23 only,
     * 10.1.2.0/24 being c's). */
    assert_int_equal(scope_of(p, SB_TYPE_A, "10.1.0.0", 16), 23);
    assert_int_equal(scope_of(p, SB_TYPE_A, "10.0.0.0", 8), 16);
    assert_int_equal(scope_of(p, SB_TYPE_A, "10.0.0.0", 4), 5);
    assert_int_equal(scope_of(p, SB_TYPE_A, "172.16.0.0", 8), 12);
    /* No further than the server's limit: with --ecs-prefix 20, 10.1.2/24
     * (c's) is past what is known of an address; b's 10.1/16 answers, for
     * the 20 bits seen. */
    sb_route_client_t c = client_cut("10.1.2.0", 20, 20);
    int scope;
    assert_string_equal(ask(p, SB_TYPE_A, &c, &scope), "b");
    assert_int_equal(scope, 20);
    c = client_cut("10.1.2.0", 24, 24);
    assert_string_equal(ask(p, SB_TYPE_A, &c, &scope), "c");
    assert_int_equal(scope, 24);
    c = client_cut("10.1.0.0", 16, 24); /* on zero bits to the limit */
    assert_string_equal(ask(p, SB_TYPE_A, &c, &scope), "b");
    assert_int_equal(scope, 23);
    /* IPv6: 2001:db9:: leaves 2001:db8::/32 at its last bit. */
    assert_int_equal(scope_of(p, SB_TYPE_A, "2001:db9::", 56), 32);
    assert_int_equal(scope_of(p, SB_TYPE_A, "2001:db8:ffff::", 56), 32);
    assert_int_equal(scope_of(p, SB_TYPE_A, "3000::", 56), 4); /* 0x30 and 0x20 at bit 3 */
    /* The AAAA trie: ::/0 alone for IPv6 clients (nothing to decide), and
     * for IPv4 ones 0.0.0.0/0 with 10/8 beside it. */
    assert_int_equal(scope_of(p, SB_TYPE_AAAA, "2001:db8::", 56), 0);
    assert_int_equal(scope_of(p, SB_TYPE_AAAA, "10.9.9.0", 24), 8);
    assert_int_equal(scope_of(p, SB_TYPE_AAAA, "192.0.2.0", 24), 1);
}

/* Each answer family has its own tries: a network may be listed by an
 * IPv4 and an IPv6 endpoint both. */
static void subnet_tries_per_answer_family(void **state)
{
    (void)state;
    sb_profile_t *p = load(SUBNET, "net.example.com.");
    sb_route_client_t ten = client("10.9.9.0", 24), other = client("192.0.2.0", 24),
                      six = client("2001:db8::", 48);
    assert_string_equal(ask(p, SB_TYPE_A, &ten, NULL), "a");
    assert_string_equal(ask(p, SB_TYPE_AAAA, &ten, NULL), "a6");
    assert_string_equal(ask(p, SB_TYPE_AAAA, &other, NULL), "b6");
    assert_string_equal(ask(p, SB_TYPE_AAAA, &six, NULL), "a6");
    assert_string_equal(ask(p, SB_TYPE_A, &six, NULL), "c");
}

/* A match that is not usable (or drained) does not fall back to a shorter
 * match: the `default` endpoints answer, in priority order, and failing
 * those the first usable one. */
static void subnet_unusable_match_goes_to_the_default(void **state)
{
    (void)state;
    sb_profile_t *p = load(SUBNET, "net.example.com.");
    decide(p, "c", NULL, NULL);
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "d");
    decide(p, NULL, "c", NULL);
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "d");
    decide(p, "c,d", NULL, NULL);
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "e");
    decide(p, "c,d,e", NULL, NULL);
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "a");
    assert_string_equal(ask_from(p, "192.0.2.0", 24, NULL), "a");
    decide(p, "a,c,d,e", NULL, NULL);
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "b");
    /* Every one down: failing open, the match answers again. */
    decide(p, "a,b,c,d,e", NULL, NULL);
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "c");
    assert_string_equal(ask_from(p, "192.0.2.0", 24, NULL), "d");
}

/* ---- what every method shares -------------------------------------------- */

static const char *COMMON = SB_TEST_HEADER "closed profile weighted all-down=fail-closed {\n"
                                           "    monitor none\n"
                                           "    endpoint a east\n"
                                           "    endpoint b west\n"
                                           "}\n"
                                           "fb profile weighted fallback=backup.example.net. {\n"
                                           "    monitor none\n"
                                           "    endpoint a east\n"
                                           "    endpoint b west\n"
                                           "}\n"
                                           "fb4 profile all fallback=192.0.2.99 {\n"
                                           "    monitor none\n"
                                           "    endpoint a 192.0.2.1\n"
                                           "    endpoint a6 2001:db8::1\n"
                                           "}\n"
                                           "long profile all max-answers=16 {\n"
                                           "    monitor none\n"
                                           "    endpoint endpoint-01 192.0.2.1\n"
                                           "    endpoint endpoint-02 192.0.2.2\n"
                                           "    endpoint endpoint-03 192.0.2.3\n"
                                           "    endpoint endpoint-04 192.0.2.4\n"
                                           "    endpoint endpoint-05 192.0.2.5\n"
                                           "    endpoint endpoint-06 192.0.2.6\n"
                                           "    endpoint endpoint-07 192.0.2.7\n"
                                           "    endpoint endpoint-08 192.0.2.8\n"
                                           "    endpoint endpoint-09 192.0.2.9\n"
                                           "}\n"
                                           "prio profile priority {\n"
                                           "    monitor none\n"
                                           "    endpoint p1 192.0.2.1 priority=1\n"
                                           "    endpoint p2 192.0.2.2 priority=1\n"
                                           "    endpoint p3 192.0.2.3 priority=2\n"
                                           "}\n";

/* A switchover answers every client with its endpoint, scope 0, whatever
 * the method would pick; not when it is down or drained. */
static void a_switchover_pins_every_client(void **state)
{
    (void)state;
    const char *clients[4] = {"10.1.2.0", "10.2.0.0", "192.0.2.0", "2001:db8::"};
    sb_profile_t *p = load(SUBNET, "net.example.com.");
    decide(p, NULL, NULL, "b");
    for (int k = 0; k < 4; k++) {
        int scope;
        assert_string_equal(ask_from(p, clients[k], 24, &scope), "b");
        assert_int_equal(scope, 0);
    }
    /* The other family is not pinned: its own choice. */
    sb_route_client_t ten = client("10.9.9.0", 24);
    assert_string_equal(ask(p, SB_TYPE_AAAA, &ten, NULL), "a6");
    assert_int_equal(sb_route_lead(sb_route_published(p), SB_FAMILY_PRIMARY), index_of(p, "b"));
    decide(p, "b", NULL, "b");
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "c");
    decide(p, NULL, "b", "b");
    assert_string_equal(ask_from(p, "10.1.2.0", 24, NULL), "c");
    /* Sticky weighted and all: one endpoint, for everyone. */
    p = load(WEIGHTED, "sticky.example.com.");
    decide(p, NULL, NULL, "c");
    for (int k = 0; k < 4; k++) {
        int scope;
        assert_string_equal(ask_from(p, clients[k], 24, &scope), "c");
        assert_int_equal(scope, 0);
    }
    p = load(ALL, "pool.example.com.");
    decide(p, NULL, NULL, "p4");
    assert_string_equal(ask_from(p, "192.0.2.0", 24, NULL), "p4");
    /* Failing open follows the switchover too. */
    decide(p, "p1,p2,p3,p4,p5", NULL, "p4");
    assert_string_equal(ask_from(p, "192.0.2.0", 24, NULL), "p4");
}

static sb_route_status_t status_of(const sb_profile_t *p, int fam)
{
    return sb_route_published(p)->family[fam].status;
}

/* Nothing usable: fail-closed answers nothing; fallback= answers its
 * target (per family: an address profile with an IPv4 fallback fails
 * open for AAAA); nothing eligible answers nothing either. */
static void all_down_policies(void **state)
{
    (void)state;
    sb_profile_t *p = load(COMMON, "closed.example.com.");
    decide(p, "a,b", NULL, NULL);
    assert_int_equal(status_of(p, SB_FAMILY_PRIMARY), SB_ROUTE_CLOSED);
    assert_string_equal(ask_from(p, "192.0.2.1", 32, NULL), "");
    assert_string_equal(sb_route_status_name(SB_ROUTE_CLOSED), "fail-closed");
    assert_true(sb_route_status_down(SB_ROUTE_CLOSED));
    decide(p, "a", NULL, NULL);
    assert_int_equal(status_of(p, SB_FAMILY_PRIMARY), SB_ROUTE_ANSWERING);
    assert_string_equal(ask_from(p, "192.0.2.1", 32, NULL), "b");
    p = profile_named("fb.example.com.");
    decide(p, "a,b", NULL, NULL);
    assert_int_equal(status_of(p, SB_FAMILY_PRIMARY), SB_ROUTE_FALLBACK);
    sb_route_answer_t r;
    sb_route_client_t nobody = {0};
    sb_route_answer(p, SB_TYPE_A, &nobody, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.endpoints[0]->target_text, "backup.example.net.");
    assert_int_equal(r.endpoints[0]->index, SB_PICK_NONE);
    assert_int_equal(sb_route_lead(sb_route_published(p), SB_FAMILY_PRIMARY), SB_PICK_NONE);
    /* Drained as well: nothing eligible; not the fallback. */
    decide(p, "a,b", "a,b", NULL);
    assert_int_equal(status_of(p, SB_FAMILY_PRIMARY), SB_ROUTE_NONE);
    assert_string_equal(ask(p, SB_TYPE_A, &nobody, NULL), "");
    assert_false(sb_route_status_down(SB_ROUTE_NONE));
    p = profile_named("fb4.example.com.");
    decide(p, "a,a6", NULL, NULL);
    assert_int_equal(status_of(p, SB_FAMILY_PRIMARY), SB_ROUTE_FALLBACK);
    assert_int_equal(status_of(p, SB_FAMILY_V6), SB_ROUTE_FAIL_OPEN);
    assert_string_equal(ask(p, SB_TYPE_A, &nobody, NULL), "fallback");
    assert_string_equal(ask(p, SB_TYPE_AAAA, &nobody, NULL), "a6");
    assert_string_equal(ask(p, SB_TYPE_MX, &nobody, NULL), "");
}

/* Decisions compare by what they answer. */
static void decisions_compare_by_what_they_answer(void **state)
{
    (void)state;
    sb_profile_t *p = load(ALL, "pool.example.com.");
    bool usable[6] = {true, true, false, true, true, true};
    sb_route_input_t in = {.usable = usable, .preferred = SB_PICK_NONE};
    sb_route_decision_t *a = sb_route_decide(p, &in), *b = sb_route_decide(p, &in);
    assert_true(sb_route_same(a, b));
    assert_false(sb_route_same(a, NULL));
    assert_true(sb_route_same(NULL, NULL));
    sb_route_discard(b);
    usable[2] = true;
    b = sb_route_decide(p, &in);
    assert_false(sb_route_same(a, b));
    sb_route_discard(b);
    usable[2] = false;
    in.preferred = 1;
    b = sb_route_decide(p, &in);
    assert_false(sb_route_same(a, b));
    sb_route_discard(b);
    in.preferred = SB_PICK_NONE;
    bool eligible[6] = {true, true, true, true, true, false};
    in.eligible = eligible;
    b = sb_route_decide(p, &in);
    assert_false(sb_route_same(a, b)); /* q6 drained: its family has none */
    assert_int_equal(b->family[SB_FAMILY_V6].status, SB_ROUTE_NONE);
    sb_route_discard(b);
    sb_route_discard(a);
}

static const char *view(const sb_profile_t *p, int fam, sb_route_status_t *status)
{
    static sb_route_view_t v;
    sb_route_view(p, sb_route_published(p), &v);
    *status = v.status[fam];
    return v.answering[fam];
}

/* What operators see: per family, its status and who may answer. */
static void the_view_says_who_answers(void **state)
{
    (void)state;
    sb_route_status_t st;
    sb_profile_t *p = load(COMMON, "prio.example.com.");
    assert_string_equal(view(p, SB_FAMILY_PRIMARY, &st), "p1,p2"); /* the top priority */
    assert_int_equal(st, SB_ROUTE_ANSWERING);
    assert_string_equal(view(p, SB_FAMILY_V6, &st), "none");
    assert_int_equal(st, SB_ROUTE_NONE);
    decide(p, "p1,p2,p3", NULL, NULL);
    assert_string_equal(view(p, SB_FAMILY_PRIMARY, &st), "p1,p2");
    assert_int_equal(st, SB_ROUTE_FAIL_OPEN);
    decide(p, NULL, NULL, "p3");
    assert_string_equal(view(p, SB_FAMILY_PRIMARY, &st), "p3");
    p = profile_named("fb.example.com.");
    decide(p, "a,b", NULL, NULL);
    assert_string_equal(view(p, SB_FAMILY_PRIMARY, &st), "fallback");
    assert_int_equal(st, SB_ROUTE_FALLBACK);
    p = profile_named("closed.example.com.");
    decide(p, "a,b", NULL, NULL);
    assert_string_equal(view(p, SB_FAMILY_PRIMARY, &st), "none");
    assert_int_equal(st, SB_ROUTE_CLOSED);
    /* Longer than the room: cut at a name, with ",...". */
    p = profile_named("long.example.com.");
    const char *text = view(p, SB_FAMILY_PRIMARY, &st);
    assert_string_equal(text, "endpoint-01,endpoint-02,endpoint-03,endpoint-04,endpoint-05,"
                              "endpoint-06,endpoint-07,...");
    assert_true(strlen(text) < SB_ROUTE_TEXT_MAX);
    sb_route_view(p, NULL, &(sb_route_view_t){0});
}

/* Whether an endpoint answers some client now: the top priority only for
 * priority; the pinned one alone; none drained or down (unless failing
 * open); for weighted, not one of weight 0 while others weigh more. */
static void who_may_answer(void **state)
{
    (void)state;
    sb_profile_t *p = load(COMMON, "prio.example.com.");
    const sb_route_decision_t *d = sb_route_published(p);
    assert_true(sb_route_may_answer(p, d, 0) && sb_route_may_answer(p, d, 1));
    assert_false(sb_route_may_answer(p, d, 2));
    assert_false(sb_route_may_answer(p, d, 3));
    assert_false(sb_route_may_answer(p, NULL, 0));
    p = load(ALL, "pool.example.com.");
    decide(p, "p2", "p3", NULL);
    d = sb_route_published(p);
    assert_true(sb_route_may_answer(p, d, index_of(p, "p1")));
    assert_false(sb_route_may_answer(p, d, index_of(p, "p2")));
    assert_false(sb_route_may_answer(p, d, index_of(p, "p3")));
    assert_true(sb_route_may_answer(p, d, index_of(p, "q6")));
    decide(p, NULL, NULL, "p5");
    d = sb_route_published(p);
    assert_false(sb_route_may_answer(p, d, index_of(p, "p1")));
    assert_true(sb_route_may_answer(p, d, index_of(p, "p5")));
    assert_true(sb_route_may_answer(p, d, index_of(p, "q6"))); /* the other family */
    p = load(WEIGHTED, "www.example.com.");
    d = sb_route_published(p);
    assert_true(sb_route_may_answer(p, d, index_of(p, "one")));
    assert_false(sb_route_may_answer(p, d, index_of(p, "zero")));
    sb_route_status_t st;
    assert_string_equal(view(p, SB_FAMILY_PRIMARY, &st), "one,three,six");
    decide(p, "one,three,six", NULL, NULL);
    assert_true(sb_route_may_answer(p, sb_route_published(p), index_of(p, "zero")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(weighted_draws_follow_the_weights, teardown),
        cmocka_unit_test_teardown(weight_zero_is_the_last_resort, teardown),
        cmocka_unit_test_teardown(sticky_keeps_a_subnet_on_one_endpoint, teardown),
        cmocka_unit_test(the_sticky_hash_is_fixed),
        cmocka_unit_test_teardown(sticky_homes_follow_the_hash, teardown),
        cmocka_unit_test_teardown(sticky_clients_move_only_off_a_down_endpoint, teardown),
        cmocka_unit_test_teardown(all_rotates_through_every_usable_endpoint, teardown),
        cmocka_unit_test_teardown(all_leaves_out_drained_and_down, teardown),
        cmocka_unit_test_teardown(all_shuffles_distinct_endpoints, teardown),
        cmocka_unit_test_teardown(subnet_longest_match, teardown),
        cmocka_unit_test_teardown(subnet_scope_is_the_bits_that_decided, teardown),
        cmocka_unit_test_teardown(subnet_tries_per_answer_family, teardown),
        cmocka_unit_test_teardown(subnet_unusable_match_goes_to_the_default, teardown),
        cmocka_unit_test_teardown(a_switchover_pins_every_client, teardown),
        cmocka_unit_test_teardown(all_down_policies, teardown),
        cmocka_unit_test_teardown(decisions_compare_by_what_they_answer, teardown),
        cmocka_unit_test_teardown(the_view_says_who_answers, teardown),
        cmocka_unit_test_teardown(who_may_answer, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
