/* The routing seam: a method registered only here (it routes on the
 * client) is decided, published and described through sb_route, and
 * sb_answer hands it each query's type and client — source address, and
 * EDNS Client Subnet when the query has one. */
#include "sb_test.h"

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
 * The word is the set of usable endpoints (bit i: endpoint i); a query is
 * answered by endpoint (last byte of the client's subnet, else of its
 * address) modulo the endpoint count, when that one is usable; else none. */

static unsigned decided, described;
/* What the last answer was given (copied: the client is the caller's). */
static uint16_t last_qtype;
static uint8_t last_addr[16], last_addr_len;
static bool last_had_ecs;
static uint8_t last_ecs_prefix;

static uint64_t by_client_decide(const sb_profile_t *p, const sb_route_input_t *in)
{
    decided++;
    uint64_t word = 0;
    for (uint16_t i = 0; i < p->count && i < 64; i++)
        if (in->usable == NULL || in->usable[i])
            word |= 1ull << i;
    return word;
}

static const sb_endpoint_t *by_client_answer(const sb_profile_t *p, uint64_t word, uint16_t qtype,
                                             const sb_route_client_t *client)
{
    last_qtype = qtype;
    last_addr_len = client->addr_len;
    memcpy(last_addr, client->addr, client->addr_len);
    last_had_ecs = client->ecs != NULL;
    last_ecs_prefix = last_had_ecs ? client->ecs->source_prefix : 0;
    uint8_t key = 0;
    if (client->ecs != NULL && client->ecs->addr_len > 0)
        key = client->ecs->addr[client->ecs->addr_len - 1];
    else if (client->addr_len > 0)
        key = client->addr[client->addr_len - 1];
    uint16_t i = (uint16_t)(key % p->count);
    return word >> i & 1 ? &p->endpoints[i] : NULL;
}

static sb_choice_t by_client_describe(const sb_profile_t *p, uint64_t word)
{
    (void)p;
    described++;
    sb_choice_t c = {.primary = word & 1 ? 0 : SB_PICK_NONE, .v6 = SB_PICK_NONE};
    return c;
}

static const sb_route_method_t by_client = {
    .name = "by-client",
    .decide = by_client_decide,
    .answer = by_client_answer,
    .describe = by_client_describe,
};

/* ---- asking -------------------------------------------------------------- */

static sb_gen_t *gen;
static sb_profile_t *www;
static sb_answer_config_t cfg = {.udp_max = 1232};

/* A query for www.example.com of `qtype`, with an ECS option for `subnet`
 * (an IPv4 /24) when `subnet` is not NULL. */
static size_t query(uint8_t *buf, uint16_t qtype, const uint8_t *subnet)
{
    memset(buf, 0, 12);
    sb_put16(buf, 0x1234);
    sb_put16(buf + 4, 1);
    size_t n = 12 + (size_t)sb_name_from_text("www.example.com.", buf + 12);
    sb_put16(buf + n, qtype);
    sb_put16(buf + n + 2, SB_CLASS_IN);
    n += 4;
    if (subnet == NULL)
        return n;
    sb_put16(buf + 10, 1); /* ARCOUNT: the OPT */
    buf[n] = 0;
    sb_put16(buf + n + 1, SB_TYPE_OPT);
    sb_put16(buf + n + 3, 1232);
    sb_put32(buf + n + 5, 0);
    sb_put16(buf + n + 9, 4 + 4 + 3);
    sb_put16(buf + n + 11, SB_EDNS_OPT_ECS);
    sb_put16(buf + n + 13, 4 + 3);
    sb_put16(buf + n + 15, 1); /* family: IPv4 */
    buf[n + 17] = 24;          /* source prefix */
    buf[n + 18] = 0;           /* scope prefix */
    memcpy(buf + n + 19, subnet, 3);
    return n + 22;
}

/* The CNAME target www answers with, asked from `from`; "" for none. */
static const char *asked_from(const uint8_t from[4], const uint8_t *subnet)
{
    static char target[SB_NAME_TEXT_MAX];
    uint8_t q[512], resp[1232];
    size_t qlen = query(q, SB_TYPE_A, subnet);
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
    return target;
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
    assert_string_equal(names, "priority");
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *bad = NULL;
    const char *text = SB_TEST_HEADER "www profile closest {\n"
                                      "    monitor none\n"
                                      "    endpoint east east priority=1\n"
                                      "}\n";
    const char *files[2] = {"example.com.zone", text};
    assert_int_equal(sb_zonedir_load_texts(&bad, files, 1, diag), SB_ECONFIG);
    assert_string_equal(sb_diag_message(diag, 0),
                        "example.com.zone:8:13: unknown routing method 'closest' (supported: "
                        "priority)");
    sb_diag_free(diag);
}

static void decide_publish_describe_go_through_the_method(void **state)
{
    (void)state;
    const sb_route_method_t *was = www->route;
    www->route = &by_client;
    decided = described = 0;
    uint64_t all = sb_route_default(www);
    assert_int_equal(decided, 1);
    assert_int_equal(all, 3); /* both usable */
    bool usable[2] = {false, true};
    sb_route_input_t in = {.usable = usable, .preferred = SB_PICK_NONE};
    sb_route_publish(www, sb_route_decide(www, &in));
    assert_int_equal(sb_route_published(www), 2);
    assert_int_equal(sb_route_current(www).primary, SB_PICK_NONE); /* bit 0 clear */
    assert_int_equal(described, 1);
    sb_route_publish(www, all);
    assert_int_equal(sb_route_describe(www, all).primary, 0);
    www->route = was;
    sb_route_publish(www, sb_route_default(www));
}

static void the_answer_path_hands_over_type_and_client(void **state)
{
    (void)state;
    const sb_route_method_t *was = www->route;
    www->route = &by_client;
    sb_route_publish(www, sb_route_default(www));
    const uint8_t even[4] = {192, 0, 2, 2}, odd[4] = {192, 0, 2, 3};
    assert_string_equal(asked_from(even, NULL), "east.example.com.");
    assert_int_equal(last_qtype, SB_TYPE_A);
    assert_int_equal(last_addr_len, 4);
    assert_memory_equal(last_addr, even, 4);
    assert_false(last_had_ecs);
    assert_string_equal(asked_from(odd, NULL), "west.example.com.");
    /* The client's subnet, when it sends one, is what the method sees too:
     * 198.51.100.0/24 (last byte 100: even) from an odd address. */
    const uint8_t subnet[3] = {198, 51, 100};
    assert_string_equal(asked_from(odd, subnet), "east.example.com.");
    assert_true(last_had_ecs);
    assert_int_equal(last_ecs_prefix, 24);
    /* What the method leaves out is not answered: west unusable. */
    bool usable[2] = {true, false};
    sb_route_input_t in = {.usable = usable, .preferred = SB_PICK_NONE};
    sb_route_publish(www, sb_route_decide(www, &in));
    assert_string_equal(asked_from(odd, NULL), "");
    www->route = was;
    sb_route_publish(www, sb_route_default(www));
    assert_string_equal(asked_from(odd, NULL), "east.example.com.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zone_files_name_methods_from_the_table),
        cmocka_unit_test(decide_publish_describe_go_through_the_method),
        cmocka_unit_test(the_answer_path_hands_over_type_and_client),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
