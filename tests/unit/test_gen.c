/* Generations: several zones, longest-match zone selection, endpoint ids,
 * and the ids of fallback targets after them. */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_error.h"

#include <stdlib.h>

static const char *const SUB_ZONE = "$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";

static void longest_match(void **state)
{
    (void)state;
    const char *files[4] = {"example.com.zone", SB_TEST_HEADER "sub NS ns1.sub\n",
                            "sub.example.com.zone", SUB_ZONE};
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    assert_int_equal(sb_zonedir_load_texts(&gen, files, 2, diag), 0);
    assert_int_equal(sb_gen_zone_count(gen), 2);
    uint8_t w[SB_NAME_MAX];
    sb_lname_t n;
    sb_name_from_text("a.b.Sub.Example.com.", w);
    sb_name_to_lname(&n, w);
    assert_string_equal(sb_zone_apex_text(sb_gen_find_zone(gen, &n)), "sub.example.com.");
    sb_name_from_text("www.example.com.", w);
    sb_name_to_lname(&n, w);
    assert_string_equal(sb_zone_apex_text(sb_gen_find_zone(gen, &n)), "example.com.");
    sb_name_from_text("example.net.", w);
    sb_name_to_lname(&n, w);
    assert_null(sb_gen_find_zone(gen, &n));
    sb_gen_free(gen);
    sb_diag_free(diag);
}

static void endpoint_ids(void **state)
{
    (void)state;
    /* Every endpoint of every zone's profiles gets its own id, 0 to n - 1:
     * per-endpoint counters are arrays indexed by it. */
    const char *files[4] = {"example.com.zone",
                            SB_TEST_HEADER "www profile priority {\n  monitor none\n"
                                           "  endpoint a east priority=1\n"
                                           "  endpoint b west priority=2\n}\n",
                            "example.net.zone",
                            "$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n"
                            "api profile priority {\n  monitor none\n"
                            "  endpoint c 192.0.2.7 priority=1\n}\n"};
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    assert_int_equal(sb_zonedir_load_texts(&gen, files, 2, diag), 0);
    assert_int_equal(sb_gen_endpoint_count(gen), 3);
    bool seen[3] = {false, false, false};
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        const sb_profile_t *p = sb_gen_profile(gen, i);
        for (uint16_t k = 0; k < p->count; k++) {
            assert_true(p->endpoints[k].id < 3);
            assert_false(seen[p->endpoints[k].id]);
            seen[p->endpoints[k].id] = true;
        }
    }
    sb_gen_free(gen);
    sb_diag_free(diag);
}

static void fallback_ids(void **state)
{
    (void)state;
    /* A profile's fallback targets (one per family) share one id, after
     * every endpoint's: the answer counters count them in the same array. */
    const char *files[2] = {"example.com.zone",
                            SB_TEST_HEADER "www profile priority fallback=sorry.example.net. {\n"
                                           "  monitor none\n"
                                           "  endpoint a east priority=1\n}\n"
                                           "plain profile priority {\n  monitor none\n"
                                           "  endpoint b west priority=1\n}\n"
                                           "api profile priority fallback=192.0.2.9,2001:db8::9 {\n"
                                           "  monitor none\n"
                                           "  endpoint c 192.0.2.7 priority=1\n"
                                           "  endpoint d 2001:db8::7 priority=2\n}\n"};
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    assert_int_equal(sb_zonedir_load_texts(&gen, files, 1, diag), 0);
    assert_int_equal(sb_gen_endpoint_count(gen), 4);
    assert_int_equal(sb_gen_fallback_count(gen), 2);
    bool seen[6] = {false};
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        const sb_profile_t *p = sb_gen_profile(gen, i);
        for (uint16_t k = 0; k < p->count; k++)
            seen[p->endpoints[k].id] = true;
        if (strcmp(p->owner_text, "api.example.com.") == 0) {
            assert_non_null(p->fallback[0]);
            assert_non_null(p->fallback[1]);
            assert_int_equal(p->fallback[0]->id, p->fallback[1]->id);
        }
        for (int fam = 0; fam < 2; fam++) {
            if (p->fallback[fam] == NULL)
                continue;
            assert_true(p->fallback[fam]->id >= 4 && p->fallback[fam]->id < 6);
            assert_int_equal(p->fallback[fam]->index, SB_PICK_NONE);
            seen[p->fallback[fam]->id] = true;
        }
    }
    for (int i = 0; i < 6; i++)
        assert_true(seen[i]);
    sb_gen_free(gen);
    sb_diag_free(diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(longest_match),
        cmocka_unit_test(endpoint_ids),
        cmocka_unit_test(fallback_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
