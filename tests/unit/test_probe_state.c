/* Names an operator types (sb_probe_state_resolve_profile, _endpoint): a
 * profile by its whole name (with or without the final dot, in any case)
 * or by its first labels when one profile only has them; an endpoint by
 * its name in any case, or a whole word of it at its start or end when one
 * endpoint only has it; several matches are an error naming them; none is
 * an error with a "did you mean" when one is a slip away. Names the server
 * wrote itself (sb_probe_state_find_*) stay exact. */
#include "sb_test.h"

#include "sb_probe_state.h"

#include <errno.h>

static const char *const FILES[4] = {
    "example.com.zone",
    SB_TEST_HEADER "www profile priority {\n  monitor none\n"
                   "  endpoint us-east east priority=1\n"
                   "  endpoint us-west west priority=2\n"
                   "  endpoint eu_central east priority=3\n}\n"
                   "app profile priority {\n  monitor none\n"
                   "  endpoint east 192.0.2.1 priority=1\n"
                   "  endpoint East2 192.0.2.2 priority=2\n}\n"
                   "api.v2 profile priority {\n  monitor none\n"
                   "  endpoint a 192.0.2.1 priority=1\n}\n",
    "example.net.zone",
    "$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n"
    "www profile priority {\n  monitor none\n  endpoint a 192.0.2.1 priority=1\n}\n",
};

static sb_gen_t *gen;
static sb_probe_states_t st;
static char why[512];

static int setup(void **state)
{
    (void)state;
    sb_diag_t *diag = sb_diag_new();
    assert_int_equal(sb_zonedir_load_texts(&gen, FILES, 2, diag), 0);
    sb_diag_free(diag);
    assert_int_equal(sb_probe_state_init(&st, gen), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_probe_state_free(&st);
    sb_gen_free(gen);
    return 0;
}

/* The profile `typed` resolves to (its name), or NULL with `why` set. */
static const char *profile(const char *typed, int want_rc)
{
    sb_profile_state_t *ps = NULL;
    why[0] = '\0';
    assert_int_equal(sb_probe_state_resolve_profile(&st, typed, &ps, why, sizeof(why)), want_rc);
    assert_true(want_rc == 0 ? ps != NULL : ps == NULL);
    return ps != NULL ? ps->profile->owner_text : NULL;
}

static void profiles_by_whole_or_relative_name(void **state)
{
    (void)state;
    assert_string_equal(profile("www.example.com.", 0), "www.example.com.");
    assert_string_equal(profile("WWW.Example.COM", 0), "www.example.com.");
    assert_string_equal(profile("app", 0), "app.example.com.");
    assert_string_equal(profile("APP.example", 0), "app.example.com.");
    assert_string_equal(profile("api.v2", 0), "api.v2.example.com.");
    assert_string_equal(profile("www.example.net", 0), "www.example.net.");
    /* A relative name is whole labels, and never absolute. */
    assert_null(profile("ap", -ENOENT));
    assert_string_equal(why, "no profile named ap; did you mean app.example.com. or "
                             "api.v2.example.com.?");
    assert_string_equal(profile("api", 0), "api.v2.example.com.");
    assert_null(profile("v2", -ENOENT)); /* the start of a name, not its middle */
    assert_string_equal(why, "no profile named v2");
    assert_null(profile("app.", -ENOENT));
    assert_string_equal(why, "no profile named app.; did you mean app.example.com.?");
    /* Found the server's way: exactly. */
    assert_null(sb_probe_state_find_profile(&st, "app"));
}

static void ambiguous_and_unknown_profiles(void **state)
{
    (void)state;
    assert_null(profile("www", -EINVAL));
    assert_string_equal(why, "profile name www could be www.example.com. or www.example.net.; "
                             "give more of the name");
    assert_null(profile("www.exmaple.com", -ENOENT)); /* a swap */
    assert_string_equal(why, "no profile named www.exmaple.com; did you mean www.example.com.?");
    assert_null(profile("ww", -ENOENT));
    assert_string_equal(why, "no profile named ww; did you mean www.example.com. or "
                             "www.example.net.?");
    assert_null(profile("nope.example.com", -ENOENT));
    assert_string_equal(why, "no profile named nope.example.com");
}

/* The endpoint `typed` resolves to in `profile_name`, or NULL. */
static const char *endpoint(const char *profile_name, const char *typed, int want_rc)
{
    sb_profile_state_t *ps = sb_probe_state_find_profile(&st, profile_name);
    sb_ep_state_t *es = NULL;
    assert_non_null(ps);
    why[0] = '\0';
    assert_int_equal(sb_probe_state_resolve_endpoint(ps, typed, &es, why, sizeof(why)), want_rc);
    assert_true(want_rc == 0 ? es != NULL : es == NULL);
    return es != NULL ? es->ep->name : NULL;
}

static void endpoints_by_name_or_word(void **state)
{
    (void)state;
    const char *www = "www.example.com.", *app = "app.example.com.";
    assert_string_equal(endpoint(www, "us-east", 0), "us-east");
    assert_string_equal(endpoint(www, "US-EAST", 0), "us-east");
    assert_string_equal(endpoint(www, "east", 0), "us-east");  /* the last word */
    assert_string_equal(endpoint(www, "eu", 0), "eu_central"); /* the first */
    assert_string_equal(endpoint(www, "central", 0), "eu_central");
    assert_string_equal(endpoint(app, "east", 0), "east"); /* exact beats any case */
    assert_string_equal(endpoint(app, "EAST2", 0), "East2");
    /* Part of a word is not a word. */
    assert_null(endpoint(www, "eas", -ENOENT));
    assert_string_equal(why, "profile www.example.com. has no endpoint named 'eas'");
    assert_null(endpoint(www, "us", -EINVAL));
    assert_string_equal(why, "endpoint 'us' of profile www.example.com. could be 'us-east' or "
                             "'us-west'; give its whole name");
    assert_null(endpoint(www, "us-wset", -ENOENT));
    assert_string_equal(why, "profile www.example.com. has no endpoint named 'us-wset'; did you "
                             "mean 'us-west'?");
    /* Found the server's way: exactly. */
    assert_null(sb_probe_state_find_endpoint(sb_probe_state_find_profile(&st, www), "east"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(profiles_by_whole_or_relative_name),
        cmocka_unit_test(ambiguous_and_unknown_profiles),
        cmocka_unit_test(endpoints_by_name_or_word),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
