/* The routing seam: a method registered only here (it routes on the
 * client) answers from decisions made by sb_route; sb_answer hands it each
 * query's family and client — its subnet from EDNS Client Subnet, else
 * its source address, cut to the server's limit — and writes the scope it
 * reports into the response's ECS option. */
#include "sb_test.h"
#include "sb_test_route.h"

#include "sb_answer.h"
#include "sb_dns.h"
#include "sb_route.h"
#include "sb_route_methods.h"

#include <ldns/ldns.h>
#include <stdlib.h>

static const char *ZONE = SB_TEST_HEADER "www profile priority ttl=30 {\n"
                                         "    monitor none\n"
                                         "    endpoint east east priority=1\n"
                                         "    endpoint west west priority=2\n"
                                         "}\n";

/* ---- a method that routes on the client ----------------------------------
 * A query is answered by endpoint (last byte the client may use) modulo
 * the endpoint count, when that one may answer; else none. Its scope is
 * the client's prefix. */

static unsigned answered;
/* What the last answer was given (copied: the client is the caller's). */
static uint16_t last_family;
static sb_route_client_t last_client;

static void by_client_answer(const sb_profile_t *p, const sb_route_decision_t *d,
                             const sb_route_family_t *f, const sb_route_client_t *client,
                             sb_route_answer_t *out)
{
    answered++;
    last_family = (uint16_t)(f - d->family);
    last_client = *client;
    uint8_t key = client->prefix > 0 ? client->addr[(client->prefix - 1) / 8] : 0;
    uint16_t i = (uint16_t)(key % p->count);
    if (d->live[i])
        sb_route_put(p, i, out);
    out->scope = client->prefix;
}

static const sb_route_method_t by_client = {
    .name = "by-client",
    .routes_on_client = true,
    .answer = by_client_answer,
};

/* ---- asking -------------------------------------------------------------- */

static sb_gen_t *gen;
static sb_profile_t *www;
static sb_answer_config_t cfg = {.udp_max = 1232};

/* A query for www.example.com of `qtype`, with an ECS option for `subnet`
 * (an IPv4 network of `prefix` bits) when `subnet` is not NULL. */
static size_t query(uint8_t *buf, uint16_t qtype, const uint8_t *subnet, uint8_t prefix)
{
    sb_prefix_t net = {.family = 4, .len = prefix};
    if (subnet != NULL)
        memcpy(net.addr, subnet, (prefix + 7u) / 8u);
    return sb_test_query(buf, 0x1234, "www.example.com.", qtype, subnet != NULL ? &net : NULL);
}

/* The CNAME target www answers with, asked from `from`; "" for none; the
 * scope of the response's ECS option in *scope (-1: none). */
static const char *asked(const uint8_t from[4], const uint8_t *subnet, uint8_t prefix, int *scope)
{
    static char target[SB_NAME_TEXT_MAX];
    uint8_t q[512], resp[1232];
    size_t qlen = query(q, SB_TYPE_A, subnet, prefix);
    sb_client_t client = {.transport = SB_TRANSPORT_UDP, .addr_len = 4, .now = 1700000000u};
    memcpy(client.addr, from, 4);
    sb_answer_info_t info;
    size_t len = sb_answer(gen, &cfg, &client, q, qlen, resp, sizeof(resp), &info);
    assert_true(len > 0);
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, resp, len), LDNS_STATUS_OK);
    target[0] = '\0';
    ldns_rr_list *an = ldns_pkt_answer(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
        ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
            char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
            snprintf(target, sizeof(target), "%s", s);
            free(s);
        }
    }
    ldns_pkt_free(pkt);
    /* The ECS option is the response's last bytes: its scope is 4 + 3 bytes
     * into the option data. */
    *scope = subnet != NULL ? resp[len - ((prefix + 7) / 8) - 1] : -1;
    return target;
}

static const char *asked_from(const uint8_t from[4], const uint8_t *subnet)
{
    int scope;
    return asked(from, subnet, 24, &scope);
}

static void republish(const bool *usable, const bool *eligible, uint16_t preferred)
{
    sb_route_input_t in = {.usable = usable, .eligible = eligible, .preferred = preferred};
    sb_route_publish(www, sb_route_decide(www, &in));
}

static int setup(void **state)
{
    (void)state;
    gen = sb_test_load_ok(ZONE);
    www = sb_gen_profile(gen, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_gen_free(gen);
    return 0;
}

/* ---- the tests ----------------------------------------------------------- */

static void zone_files_name_methods_from_the_table(void **state)
{
    (void)state;
    assert_ptr_equal(www->route, sb_route_methods_find("priority"));
    assert_null(sb_route_methods_find("by-client"));
    char names[64];
    sb_route_methods_list(names, sizeof(names));
    assert_string_equal(names, "priority, weighted, all, subnet, geo, closest");
    sb_route_methods_taking(SB_ROUTE_SET_WEIGHT, names, sizeof(names));
    assert_string_equal(names, "weighted");
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *bad = NULL;
    const char *text = SB_TEST_HEADER "www profile nearest {\n"
                                      "    monitor none\n"
                                      "    endpoint east east priority=1\n"
                                      "}\n";
    const char *files[2] = {"example.com.zone", text};
    assert_int_equal(sb_zonedir_load_texts(&bad, files, 1, diag), SB_ECONFIG);
    assert_string_equal(sb_diag_message(diag, 0),
                        "example.com.zone:8:13: unknown routing method 'nearest' (supported: "
                        "priority, weighted, all, subnet, geo, closest)");
    sb_diag_free(diag);
}

static void the_answer_path_hands_over_family_and_client(void **state)
{
    (void)state;
    const sb_route_method_t *was = www->route;
    www->route = &by_client;
    answered = 0;
    const uint8_t even[4] = {192, 0, 2, 2}, odd[4] = {192, 0, 3, 3};
    /* From the source address, cut to /24: 192.0.2.0 (last byte 2). */
    assert_string_equal(asked_from(even, NULL), "east.example.com.");
    assert_int_equal(answered, 1);
    assert_int_equal(last_family, SB_FAMILY_PRIMARY);
    assert_int_equal(last_client.family, 4);
    assert_int_equal(last_client.prefix, 24);
    const uint8_t cut[4] = {192, 0, 2, 0};
    assert_memory_equal(last_client.addr, cut, 4);
    assert_string_equal(asked_from(odd, NULL), "west.example.com.");
    /* The client's subnet, when it sends one, is what the method sees:
     * 198.51.100.0/24 (100: even) from an odd address. */
    const uint8_t subnet[3] = {198, 51, 100};
    int scope;
    assert_string_equal(asked(odd, subnet, 24, &scope), "east.example.com.");
    assert_int_equal(last_client.prefix, 24);
    assert_int_equal(scope, 24); /* the choice depended on 24 bits */
    /* A longer prefix is cut to the server's limit (here /20): bits past it
     * are not seen, and the scope says so. */
    cfg.ecs_prefix_max[0] = 20;
    assert_string_equal(asked(odd, subnet, 24, &scope), "east.example.com.");
    assert_int_equal(last_client.prefix, 20);
    assert_int_equal(last_client.addr[2], 96); /* 100 & 0xf0 */
    assert_int_equal(scope, 20);
    cfg.ecs_prefix_max[0] = 0;
    /* Source prefix 0 asks that the subnet not be used: the source address
     * is, and the scope stays 0. */
    assert_string_equal(asked(even, subnet, 0, &scope), "east.example.com.");
    assert_int_equal(scope, 0);
    /* What the method leaves out is not answered: west unusable. */
    bool usable[2] = {true, false};
    republish(usable, NULL, SB_PICK_NONE);
    assert_string_equal(asked_from(odd, NULL), "");
    www->route = was;
    republish(NULL, NULL, SB_PICK_NONE);
    assert_string_equal(asked_from(odd, NULL), "east.example.com.");
}

/* What is common to every method: a switchover pins every client to one
 * endpoint, all-down policies, nothing eligible; the method is not asked
 * then, and the scope is 0. */
static void the_common_part_answers_before_the_method(void **state)
{
    (void)state;
    const sb_route_method_t *was = www->route;
    www->route = &by_client;
    const uint8_t even[4] = {192, 0, 2, 2};
    const uint8_t subnet[3] = {198, 51, 100};
    int scope;
    republish(NULL, NULL, 1); /* switchover to west */
    answered = 0;
    assert_string_equal(asked(even, subnet, 24, &scope), "west.example.com.");
    assert_int_equal(answered, 0);
    assert_int_equal(scope, 0);
    bool none[2] = {false, false};
    republish(none, none, SB_PICK_NONE); /* everything drained */
    assert_string_equal(asked_from(even, NULL), "");
    www->all_down = SB_ALL_DOWN_CLOSED;
    republish(none, NULL, SB_PICK_NONE);
    assert_int_equal(sb_route_published(www)->family[0].status, SB_ROUTE_CLOSED);
    assert_string_equal(asked_from(even, NULL), "");
    www->all_down = SB_ALL_DOWN_OPEN;
    republish(none, NULL, SB_PICK_NONE);
    assert_int_equal(sb_route_published(www)->family[0].status, SB_ROUTE_FAIL_OPEN);
    assert_string_equal(asked_from(even, NULL), "east.example.com."); /* the method, over all */
    assert_int_equal(answered, 1);
    www->route = was;
    republish(NULL, NULL, SB_PICK_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zone_files_name_methods_from_the_table),
        cmocka_unit_test(the_answer_path_hands_over_family_and_client),
        cmocka_unit_test(the_common_part_answers_before_the_method),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
