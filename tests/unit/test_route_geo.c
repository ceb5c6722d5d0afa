/* The geo and closest routing methods with a location database: the one
 * make_route_geo_db.py writes at build time (SB_TEST_GEO_DATABASE names
 * it; without it these tests are skipped). Queries go through sb_answer(),
 * from client addresses and with EDNS Client Subnet, and the answers are
 * read back as endpoint names with the ECS scope. Also the load-time
 * errors that need a database: endpoints closest cannot place. */
#include "sb_test.h"
#include "sb_test_route.h"

#include "sb_answer.h"
#include "sb_dns.h"
#include "sb_route.h"

#include <ldns/ldns.h>
#include <stdlib.h>
#include <unistd.h>

static const char *database;
static sb_gen_t *gen;

static const char *ZONE =
    SB_TEST_HEADER "geo profile geo {\n"
                   "    monitor none\n"
                   "    endpoint bavaria 192.0.2.101 regions=DE-BY\n"
                   "    endpoint germany 192.0.2.102 regions=DE\n"
                   "    endpoint europe 192.0.2.103 regions=continent:EU\n"
                   "    endpoint far 192.0.2.104 regions=US-CA,JP,BR\n"
                   "    endpoint rest 192.0.2.105 regions=default\n"
                   "    endpoint europe6 2001:db8::103 regions=continent:EU,default\n"
                   "}\n"
                   "near profile closest {\n"
                   "    monitor none\n"
                   "    endpoint fra 192.0.2.201 location=50.11,8.68\n"
                   "    endpoint nyc 192.0.2.202 location=40.71,-74.01\n"
                   "    endpoint syd 192.0.2.203 location=-33.87,151.21\n"
                   "    endpoint tokyo 203.0.113.50\n"
                   "}\n";

/* ---- loading and deciding ------------------------------------------------ */

static int load_with(const char *text, const char *db, sb_gen_t **out, sb_diag_t **diag)
{
    const char *files[2] = {"example.com.zone", text};
    *diag = sb_diag_new();
    *out = NULL;
    return sb_zonedir_load_texts_with(out, files, 1, db, *diag);
}

static int setup(void **state)
{
    (void)state;
    database = getenv("SB_TEST_GEO_DATABASE");
    if (database == NULL || access(database, R_OK) != 0) {
        database = NULL;
        return 0;
    }
    sb_diag_t *diag;
    int rc = load_with(ZONE, database, &gen, &diag);
    if (rc != 0)
        sb_diag_print(diag, stderr);
    sb_diag_free(diag);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    sb_gen_free(gen);
    return 0;
}

#define NEEDS_DATABASE()                                                                           \
    do {                                                                                           \
        if (database == NULL) {                                                                    \
            fprintf(stderr, "no SB_TEST_GEO_DATABASE: skipped\n");                                 \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static sb_profile_t *profile_named(const char *owner)
{
    return sb_test_profile(gen, owner);
}

/* Publish with the endpoints named in `down` (comma-separated) unusable. */
static void decide(sb_profile_t *p, const char *down)
{
    bool usable[16];
    for (uint16_t i = 0; i < p->count; i++) {
        const char *name = p->endpoints[i].name, *at = down ? strstr(down, name) : NULL;
        size_t n = strlen(name);
        usable[i] = !(at != NULL && (at == down || at[-1] == ',') && (at[n] == ',' || !at[n]));
    }
    sb_route_input_t in = {.usable = usable, .preferred = SB_PICK_NONE};
    sb_route_release(p);
    sb_route_publish(p, sb_route_decide(p, &in));
}

/* ---- asking -------------------------------------------------------------- */

/* A query for `name`; with `ecs` ("192.0.2.0/24") an ECS option. */
static size_t query(uint8_t *buf, const char *name, uint16_t qtype, const char *ecs)
{
    sb_prefix_t net;
    if (ecs != NULL)
        assert_int_equal(sb_addr_prefix_parse(ecs, &net), 0);
    return sb_test_query(buf, 0x4242, name, qtype, ecs != NULL ? &net : NULL);
}

/* The name of the endpoint of `p` with the address `text`. */
static const char *endpoint_at(const sb_profile_t *p, const char *text)
{
    sb_addr_t a;
    assert_int_equal(sb_addr_parse(text, &a), 0);
    for (uint16_t i = 0; i < p->count; i++) {
        const sb_addr_t *e = &p->endpoints[i].addr;
        if (e->family == a.family && memcmp(e->bytes, a.bytes, a.family == 4 ? 4 : 16) == 0)
            return p->endpoints[i].name;
    }
    return text;
}

/* The endpoints answering `qtype` for profile `owner` (a name under
 * example.com), asked from `from`, with ECS for `ecs` unless NULL; the
 * scope of the response's ECS option into *scope. */
static const char *ask(const char *owner, uint16_t qtype, const char *from, const char *ecs,
                       int *scope)
{
    static char names[128];
    uint8_t q[512], resp[1232];
    size_t qlen = query(q, owner, qtype, ecs);
    sb_addr_t src;
    assert_int_equal(sb_addr_parse(from, &src), 0);
    sb_client_t client = {.transport = SB_TRANSPORT_UDP, .addr_len = src.family == 4 ? 4 : 16};
    memcpy(client.addr, src.bytes, client.addr_len);
    sb_answer_config_t cfg = {.udp_max = 1232};
    sb_answer_info_t info;
    size_t len = sb_answer(gen, &cfg, &client, q, qlen, resp, sizeof(resp), &info);
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, resp, len), LDNS_STATUS_OK);
    names[0] = '\0';
    ldns_rr_list *an = ldns_pkt_answer(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
        char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(an, i), 0));
        size_t used = strlen(names);
        snprintf(names + used, sizeof(names) - used, "%s%s", i ? "," : "",
                 endpoint_at(profile_named(owner), s));
        free(s);
    }
    ldns_pkt_free(pkt);
    if (scope != NULL && ecs != NULL) {
        /* The ECS option ends the response: its scope, then the address. */
        sb_prefix_t net;
        assert_int_equal(sb_addr_prefix_parse(ecs, &net), 0);
        *scope = resp[len - (net.len + 7u) / 8u - 1];
    }
    return names;
}

/* ---- geo ----------------------------------------------------------------- */

/* The client's subdivision, else its country, else its continent: the most
 * specific place listed answers; places nobody lists get the default. The
 * scope is the database network's length. */
static void geo_answers_the_most_specific_place(void **state)
{
    (void)state;
    NEEDS_DATABASE();
    const char *www = "geo.example.com.";
    int scope;
    assert_string_equal(ask(www, SB_TYPE_A, "192.0.2.7", NULL, NULL), "bavaria");
    assert_string_equal(ask(www, SB_TYPE_A, "198.51.100.9", "192.0.2.0/24", &scope), "bavaria");
    assert_int_equal(scope, 24);
    assert_string_equal(ask(www, SB_TYPE_A, "192.0.2.7", "198.51.100.0/24", &scope), "far");
    assert_int_equal(scope, 24);
    assert_string_equal(ask(www, SB_TYPE_A, "203.0.113.1", NULL, NULL), "far"); /* JP */
    assert_string_equal(ask(www, SB_TYPE_A, "100.64.1.1", NULL, NULL), "far");  /* BR, registered */
    assert_string_equal(ask(www, SB_TYPE_A, "10.30.1.1", NULL, NULL), "rest");  /* ZA, AF */
    /* Not in the database: the default; the scope is where its tree
     * ends (10.9/16 leaves 10.20/16 and 10.30/16 at bit 11). */
    assert_string_equal(ask(www, SB_TYPE_A, "192.0.2.7", "10.9.0.0/16", &scope), "rest");
    assert_int_equal(scope, 12);
    /* IPv6 clients, and the AAAA family's own endpoints. */
    assert_string_equal(ask(www, SB_TYPE_A, "2001:db8::5", NULL, NULL), "europe"); /* FR */
    assert_string_equal(ask(www, SB_TYPE_AAAA, "2001:db8::5", NULL, NULL), "europe6");
    assert_string_equal(ask(www, SB_TYPE_AAAA, "198.51.100.9", NULL, NULL), "europe6");
    assert_string_equal(ask(www, SB_TYPE_A, "192.0.2.7", "2001:db8:1::/48", &scope), "europe");
    assert_int_equal(scope, 32);
}

/* A place whose endpoint is not usable falls to the next less specific
 * place listed, then to the default, then to the first usable. */
static void geo_falls_back_through_wider_places(void **state)
{
    (void)state;
    NEEDS_DATABASE();
    sb_profile_t *p = profile_named("geo.example.com.");
    const char *steps[][2] = {
        {"bavaria", "germany"},
        {"bavaria,germany", "europe"},
        {"bavaria,germany,europe", "rest"},
        {"bavaria,germany,europe,rest", "far"},
    };
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        decide(p, steps[k][0]);
        assert_string_equal(ask("geo.example.com.", SB_TYPE_A, "192.0.2.7", NULL, NULL),
                            steps[k][1]);
    }
    decide(p, NULL);
}

/* ---- closest ------------------------------------------------------------- */

/* The usable endpoint nearest the client's coordinates answers; an
 * endpoint without location= is placed by its own address. Clients the
 * database cannot place get the first usable endpoint. */
static void closest_answers_the_nearest(void **state)
{
    (void)state;
    NEEDS_DATABASE();
    const char *near = "near.example.com.";
    int scope;
    assert_string_equal(ask(near, SB_TYPE_A, "192.0.2.7", NULL, NULL), "fra");     /* Munich */
    assert_string_equal(ask(near, SB_TYPE_A, "198.51.100.1", NULL, NULL), "nyc");  /* SF */
    assert_string_equal(ask(near, SB_TYPE_A, "203.0.113.1", NULL, NULL), "tokyo"); /* Tokyo */
    assert_string_equal(ask(near, SB_TYPE_A, "10.20.1.1", NULL, NULL), "syd");     /* Sydney */
    assert_string_equal(ask(near, SB_TYPE_A, "2001:db8::1", NULL, NULL), "fra");   /* Paris */
    assert_string_equal(ask(near, SB_TYPE_A, "10.30.1.1", NULL, NULL), "fra"); /* no coordinates */
    assert_string_equal(ask(near, SB_TYPE_A, "192.0.2.7", "10.9.0.0/16", &scope), "fra");
    assert_int_equal(scope, 12);
    assert_string_equal(ask(near, SB_TYPE_A, "192.0.2.7", "10.20.0.0/16", &scope), "syd");
    assert_int_equal(scope, 16);
    sb_profile_t *p = profile_named(near);
    const sb_endpoint_t *tokyo = &p->endpoints[3];
    assert_string_equal(tokyo->name, "tokyo");
    assert_true(tokyo->has_location && tokyo->lat > 35.6f && tokyo->lat < 35.7f);
    /* Frankfurt down: Munich's next nearest is New York (6,500 km; Tokyo
     * 9,400, Sydney 16,300); the unplaced get the first usable. */
    decide(p, "fra");
    assert_string_equal(ask(near, SB_TYPE_A, "192.0.2.7", NULL, NULL), "nyc");
    assert_string_equal(ask(near, SB_TYPE_A, "10.30.1.1", NULL, NULL), "nyc");
    decide(p, NULL);
}

/* With a database, endpoints closest cannot place are refused: an
 * address the database has no coordinates for, or a name outside the
 * served zones. Geo's own checks report alone. */
static void endpoints_closest_cannot_place(void **state)
{
    (void)state;
    NEEDS_DATABASE();
    const char *text = SB_TEST_HEADER "a profile closest {\n"
                                      "    monitor none\n"
                                      "    endpoint unknown 10.99.0.1\n"
                                      "    endpoint nocoords 10.30.0.1\n"
                                      "    endpoint ok 10.20.0.1\n"
                                      "}\n"
                                      "n profile closest {\n"
                                      "    monitor none\n"
                                      "    endpoint outside nowhere.example.org.\n"
                                      "    endpoint inside east\n"
                                      "    endpoint given nowhere.example.net. location=1,2\n"
                                      "}\n"
                                      "g profile geo {\n"
                                      "    monitor none\n"
                                      "    endpoint x 192.0.2.1 regions=DE\n"
                                      "}\n";
    sb_gen_t *g;
    sb_diag_t *diag;
    assert_int_equal(load_with(text, database, &g, &diag), SB_ECONFIG);
    assert_null(g);
    const char *want[] = {
        "example.com.zone:10:5: endpoint 'unknown' has no location=LAT,LON and the location "
        "database has no coordinates for its address 10.99.0.1; give it one",
        "example.com.zone:11:5: endpoint 'nocoords' has no location=LAT,LON and the location "
        "database has no coordinates for its address 10.30.0.1; give it one",
        "example.com.zone:16:5: endpoint 'outside' has no location=LAT,LON, and its target is "
        "outside the served zones (no address to place); give it one",
        "example.com.zone:17:5: endpoint 'inside' has no location=LAT,LON and the location "
        "database has no coordinates for its address 127.0.0.10; give it one",
        "example.com.zone:20:1: profile g.example.com.: clients from places no endpoint lists "
        "have no endpoint; add 'default' to the regions= of the endpoints that serve them",
    };
    size_t n = sizeof(want) / sizeof(want[0]);
    if (sb_diag_count(diag) != n)
        sb_diag_print(diag, stderr);
    assert_int_equal(sb_diag_count(diag), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(sb_diag_message(diag, i), want[i]);
    sb_diag_free(diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(geo_answers_the_most_specific_place),
        cmocka_unit_test(geo_falls_back_through_wider_places),
        cmocka_unit_test(closest_answers_the_nearest),
        cmocka_unit_test(endpoints_closest_cannot_place),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
