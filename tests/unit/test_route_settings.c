/* The routing settings of zone files, each error by its exact text with
 * its file:line:col: weights, subnets, regions (and the geo codes they are
 * written in), locations (and closest's geometry), the profile line's
 * max-answers, order, sticky, all-down and fallback, and nesting; and the
 * checks each method makes at load. What the methods answer is in
 * test_route_methods.c. */
#include "sb_test.h"

#include "sb_geo_code.h"
#include "sb_route_closest.h"
#include "sb_value.h"

#include <math.h>

/* ---- subnet, geo and closest: load-time checks ---------------------------- */

#define PROFILE(line, body) SB_TEST_HEADER line "\n    monitor none\n" body "}\n"

static void subnet_profiles_refused(void **state)
{
    (void)state;
    sb_test_expect_errors(PROFILE("net profile subnet {",
                                  "    endpoint a 192.0.2.1 subnets=10.0.0.0/8\n"
                                  "    endpoint b 192.0.2.2 subnets=default,10.0.0.0/8\n"),
                          1,
                          "example.com.zone:11:26: endpoint 'b' lists 10.0.0.0/8, which endpoint "
                          "'a' serves already; a network has one endpoint (use a nested profile "
                          "for failover within it)");
    sb_test_expect_errors(
        PROFILE("net profile subnet {",
                "    endpoint a 192.0.2.1 subnets=10.0.0.0/8,default,10.0.0.0/8\n"),
        1, "example.com.zone:10:26: endpoint 'a' lists 10.0.0.0/8 twice");
    sb_test_expect_errors(
        PROFILE("net profile subnet {", "    endpoint a 192.0.2.1 subnets=10.1.0.0/8,default\n"
                                        "    endpoint b 192.0.2.2 subnets=10.0.0.0/33,nonsense\n"),
        3,
        "example.com.zone:10:34: bad subnet '10.1.0.0/8' (a network such as 192.0.2.0/24 or "
        "2001:db8::/32, no bits set past its length; or default)",
        "example.com.zone:11:34: bad subnet '10.0.0.0/33' (a network such as 192.0.2.0/24 or "
        "2001:db8::/32, no bits set past its length; or default)",
        "example.com.zone:11:46: bad subnet 'nonsense' (a network such as 192.0.2.0/24 or "
        "2001:db8::/32, no bits set past its length; or default)");
    /* No default: refused per answer family, unless both /0 are listed. */
    sb_test_expect_errors(
        PROFILE("net profile subnet {", "    endpoint a 192.0.2.1 subnets=0.0.0.0/0\n"
                                        "    endpoint b 2001:db8::1 subnets=::/0,10.0.0.0/8\n"),
        2,
        "example.com.zone:8:1: profile net.example.com.: clients outside every listed subnet "
        "have no endpoint; add 'default' to the subnets= of the endpoints that serve them",
        "example.com.zone:8:1: profile net.example.com.: clients outside every listed subnet "
        "have no endpoint for AAAA; add 'default' to the subnets= of the endpoints that serve "
        "them");
    sb_gen_free(sb_test_load_ok(PROFILE("net profile subnet {",
                                        "    endpoint a 192.0.2.1 subnets=0.0.0.0/0,::/0\n"
                                        "    endpoint b 2001:db8::1 subnets=::/0,0.0.0.0/0\n")));
}

static void geo_codes_read_and_write_back(void **state)
{
    (void)state;
    const char *good[] = {"continent:EU", "continent:AN", "DE",    "US",  "ZW",
                          "US-CA",        "GB-ENG",       "FR-75", "CN-1"};
    char why[SB_WHY_MAX], text[SB_GEO_CODE_TEXT_MAX];
    sb_geo_code_t code;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(sb_geo_code_parse(good[i], &code, why), 0);
        assert_string_equal(sb_geo_code_text(code, text, sizeof(text)), good[i]);
    }
    assert_int_equal(sb_geo_code_parse("continent:EU", &code, why), 0);
    assert_int_equal(sb_geo_code_kind(code), SB_GEO_CONTINENT);
    assert_int_equal(code, sb_geo_code_make(SB_GEO_CONTINENT, "EU", 2, "", 0));
    assert_int_equal(sb_geo_code_parse("DE", &code, why), 0);
    assert_int_equal(sb_geo_code_kind(code), SB_GEO_COUNTRY);
    assert_int_equal(sb_geo_code_parse("US-CA", &code, why), 0);
    assert_int_equal(sb_geo_code_kind(code), SB_GEO_SUBDIVISION);
    assert_int_equal(code, sb_geo_code_make(SB_GEO_SUBDIVISION, "US", 2, "CA", 2));
    /* A continent and a country of the same letters differ. */
    sb_geo_code_t na, na_country;
    assert_int_equal(sb_geo_code_parse("continent:NA", &na, why), 0);
    assert_int_equal(sb_geo_code_parse("NA", &na_country, why), 0);
    assert_int_not_equal(na, na_country);
    /* The database's fields, malformed: 0. */
    assert_int_equal(sb_geo_code_make(SB_GEO_COUNTRY, "DEU", 3, "", 0), 0);
    assert_int_equal(sb_geo_code_make(SB_GEO_SUBDIVISION, "US", 2, "", 0), 0);
    assert_int_equal(sb_geo_code_make(SB_GEO_COUNTRY, "US", 2, "CA", 2), 0);
    assert_int_equal(sb_geo_code_make(SB_GEO_SUBDIVISION, "US", 2, "CALI", 4), 0);
}

static void bad_geo_codes(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"continent:XX", "continents are AF, AN, AS, EU, NA, OC and SA"},
        {"continent:eu", "continents are AF, AN, AS, EU, NA, OC and SA"},
        {"continent:", "continents are AF, AN, AS, EU, NA, OC and SA"},
        {"ZZ", "ZZ is not an ISO 3166-1 country code"},
        {"UK", "UK is not an ISO 3166-1 country code"},
        {"ZZ-CA", "ZZ is not an ISO 3166-1 country code"},
        {"de", "expected a country (DE), a subdivision (US-CA) or a continent (continent:EU)"},
        {"D", "expected a country (DE), a subdivision (US-CA) or a continent (continent:EU)"},
        {"DEU", "expected a country (DE), a subdivision (US-CA) or a continent (continent:EU)"},
        {"", "expected a country (DE), a subdivision (US-CA) or a continent (continent:EU)"},
        {"US-", "a subdivision is CC-XXX: 1-3 capital letters or digits after the country and "
                "'-', as in US-CA"},
        {"US-CALI", "a subdivision is CC-XXX: 1-3 capital letters or digits after the country "
                    "and '-', as in US-CA"},
        {"US-ca", "a subdivision is CC-XXX: 1-3 capital letters or digits after the country and "
                  "'-', as in US-CA"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char why[SB_WHY_MAX] = "";
        sb_geo_code_t code = 12345;
        assert_int_equal(sb_geo_code_parse(bad[i].text, &code, why), -EINVAL);
        assert_string_equal(why, bad[i].why);
        assert_int_equal(code, 12345);
    }
}

/* Without a location database a geo or closest profile is refused, by a
 * message naming the option; the method's own checks report as well. */
static void geo_profiles_refused(void **state)
{
    (void)state;
    sb_test_expect_errors(
        PROFILE("geo profile geo {", "    endpoint a 192.0.2.1 regions=DE,continent:EU\n"
                                     "    endpoint b 192.0.2.2 regions=FR,DE\n"),
        3,
        "example.com.zone:8:1: profile geo.example.com.: clients from places no endpoint lists "
        "have no endpoint; add 'default' to the regions= of the endpoints that serve them",
        "example.com.zone:8:1: profile geo.example.com. routes by location (geo) but the server "
        "has no location database; start it with --geo-database PATH",
        "example.com.zone:11:26: endpoint 'b' lists DE, which endpoint 'a' serves already; a "
        "place has one endpoint (use a nested profile for failover within it)");
    sb_test_expect_errors(
        PROFILE("geo profile geo {", "    endpoint a 192.0.2.1 regions=DE,DE,default\n"), 2,
        "example.com.zone:8:1: profile geo.example.com. routes by location (geo) but the server "
        "has no location database; start it with --geo-database PATH",
        "example.com.zone:10:26: endpoint 'a' lists DE twice");
    sb_test_expect_errors(
        PROFILE("geo profile geo {", "    endpoint a 192.0.2.1 regions=ZZ,us-ca,default\n"), 3,
        "example.com.zone:8:1: profile geo.example.com. routes by location (geo) but the server "
        "has no location database; start it with --geo-database PATH",
        "example.com.zone:10:34: bad region 'ZZ': ZZ is not an ISO 3166-1 country code",
        "example.com.zone:10:37: bad region 'us-ca': expected a country (DE), a subdivision "
        "(US-CA) or a continent (continent:EU)");
    /* The same text through the call that names the database: NULL. */
    const char *text =
        PROFILE("geo profile geo {",
                "    endpoint a 192.0.2.1 regions=DE,default\n"
                "    endpoint b 2001:db8::1 regions=continent:EU,continent:AF,continent:AN,"
                "continent:AS,continent:NA,continent:OC,continent:SA\n");
    const char *files[2] = {"example.com.zone", text};
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *g = NULL;
    assert_int_equal(sb_zonedir_load_texts_with(&g, files, 1, NULL, diag), SB_ECONFIG);
    assert_null(g);
    assert_int_equal(sb_diag_count(diag), 1);
    assert_non_null(strstr(sb_diag_message(diag, 0), "start it with --geo-database PATH"));
    sb_diag_free(diag);
    /* A database that cannot be read: named by its path (once), with why. */
    diag = sb_diag_new();
    assert_int_equal(sb_zonedir_load_texts_with(&g, files, 1, "/nonexistent/geo.mmdb", diag),
                     SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 1);
    const char *msg = sb_diag_message(diag, 0), *why = ": No such file or directory";
    const char *head = "/nonexistent/geo.mmdb: cannot read the location database: ";
    assert_memory_equal(msg, head, strlen(head));
    assert_string_equal(msg + strlen(msg) - strlen(why), why);
    sb_diag_free(diag);
}

/* closest compares locations as unit vectors: the larger dot product is
 * the shorter great-circle distance. */
static void closest_unit_vectors(void **state)
{
    (void)state;
    float u[3];
    sb_route_closest_unit(0, 0, u);
    assert_true(fabsf(u[0] - 1) < 1e-6f && fabsf(u[1]) < 1e-6f && fabsf(u[2]) < 1e-6f);
    sb_route_closest_unit(0, 90, u);
    assert_true(fabsf(u[0]) < 1e-6f && fabsf(u[1] - 1) < 1e-6f && fabsf(u[2]) < 1e-6f);
    sb_route_closest_unit(90, 123, u);
    assert_true(fabsf(u[2] - 1) < 1e-6f && fabsf(u[0]) < 1e-6f && fabsf(u[1]) < 1e-6f);
    sb_route_closest_unit(-33.87f, 151.21f, u);
    assert_true(fabsf(u[0] * u[0] + u[1] * u[1] + u[2] * u[2] - 1) < 1e-5f);
    /* Frankfurt, New York, Sydney, Singapore: from Paris and from Tokyo. */
    const float places[4][2] = {
        {50.11f, 8.68f}, {40.71f, -74.01f}, {-33.87f, 151.21f}, {1.35f, 103.82f}};
    const float from[2][2] = {{48.86f, 2.35f}, {35.68f, 139.69f}};
    const int nearest[2] = {0, 3};
    for (int c = 0; c < 2; c++) {
        float cu[3], best = -2;
        int at = -1;
        sb_route_closest_unit(from[c][0], from[c][1], cu);
        for (int i = 0; i < 4; i++) {
            sb_route_closest_unit(places[i][0], places[i][1], u);
            float dot = u[0] * cu[0] + u[1] * cu[1] + u[2] * cu[2];
            if (dot > best) {
                best = dot;
                at = i;
            }
        }
        assert_int_equal(at, nearest[c]);
    }
}

/* A closest profile without a database: refused whether or not its
 * endpoints have location=; a bad location= is reported as well. */
static void closest_profiles_refused(void **state)
{
    (void)state;
    sb_test_expect_errors(
        PROFILE("near profile closest {", "    endpoint a 192.0.2.1 location=50.11,8.68\n"
                                          "    endpoint b 192.0.2.2\n"),
        1,
        "example.com.zone:8:1: profile near.example.com. routes by location (closest) but the "
        "server has no location database; start it with --geo-database PATH");
}

/* ---- zone-file settings: each error, by its text ------------------------- */

static void weight_errors(void **state)
{
    (void)state;
    /* Bad weights are reported as such, and not taken for weights of 0. */
    sb_test_expect_errors(
        PROFILE("www profile weighted {", "    endpoint a east weight=1001\n"
                                          "    endpoint b west weight=-1\n"
                                          "    endpoint c west weight=x\n"),
        3, "example.com.zone:10:28: bad weight '1001': weight must be from 0 to 1000",
        "example.com.zone:11:28: bad weight '-1': weight must be a whole number from 0 to 1000",
        "example.com.zone:12:28: bad weight 'x': weight must be a whole number from 0 to 1000");
    sb_test_expect_errors(
        PROFILE("www profile priority {", "    endpoint a east priority=1 weight=2\n"), 1,
        "example.com.zone:10:32: weight= does not apply to routing method priority (it is for: "
        "weighted)");
    sb_test_expect_errors(
        PROFILE("www profile weighted {", "    endpoint a east weight=0\n"
                                          "    endpoint b west weight=0\n"),
        1,
        "example.com.zone:8:1: profile www.example.com.: every endpoint has weight=0; weight 0 "
        "answers only when no endpoint of weight above 0 can, so at least one needs more");
    /* One without weight= weighs 1. */
    sb_gen_free(
        sb_test_load_ok(PROFILE("www profile weighted {", "    endpoint a east\n"
                                                          "    endpoint b west weight=0\n")));
}

static void list_and_location_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(
        PROFILE("www profile weighted {", "    endpoint a east subnets=10.0.0.0/8\n"), 1,
        "example.com.zone:10:21: subnets= does not apply to routing method weighted (it is for: "
        "subnet)");
    sb_test_expect_errors(
        PROFILE("www profile priority {", "    endpoint a east priority=1 regions=DE\n"), 1,
        "example.com.zone:10:32: regions= does not apply to routing method priority (it is for: "
        "geo)");
    sb_test_expect_errors(PROFILE("www profile closest {",
                                  "    endpoint a 192.0.2.1 location=91,0\n"
                                  "    endpoint b 192.0.2.2 location=10\n"
                                  "    endpoint c 192.0.2.3 location=1,2,3\n"
                                  "    endpoint d 192.0.2.3 location=nan,2\n"
                                  "    endpoint e 192.0.2.3 location=0,180.5\n"),
                          6,
                          "example.com.zone:8:1: profile www.example.com. routes by location "
                          "(closest) but the server has no "
                          "location database; start it with --geo-database PATH",
                          "example.com.zone:10:35: bad location '91,0' (latitude,longitude in "
                          "degrees, as in 50.11,8.68)",
                          "example.com.zone:11:35: bad location '10' (latitude,longitude in "
                          "degrees, as in 50.11,8.68)",
                          "example.com.zone:12:35: bad location '1,2,3' (latitude,longitude in "
                          "degrees, as in 50.11,8.68)",
                          "example.com.zone:13:35: bad location 'nan,2' (latitude,longitude in "
                          "degrees, as in 50.11,8.68)",
                          "example.com.zone:14:35: bad location '0,180.5' (latitude,longitude in "
                          "degrees, as in 50.11,8.68)");
    sb_test_expect_errors(
        PROFILE("www profile geo {", "    endpoint a 192.0.2.1 regions=DE,default location=1,2\n"),
        2,
        "example.com.zone:8:1: profile www.example.com. routes by location (geo) but the server "
        "has no "
        "location database; start it with --geo-database PATH",
        "example.com.zone:10:45: location= does not apply to routing method geo (it is for: "
        "closest)");
}

static void profile_line_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(
        PROFILE("www profile all max-answers=0 {", "    endpoint a 192.0.2.1\n"), 1,
        "example.com.zone:8:29: bad max-answers '0': max-answers must be from 1 to 16");
    sb_test_expect_errors(
        PROFILE("www profile all max-answers=17 {", "    endpoint a 192.0.2.1\n"), 1,
        "example.com.zone:8:29: bad max-answers '17': max-answers must be from 1 to 16");
    sb_test_expect_errors(
        PROFILE("www profile weighted max-answers=2 {", "    endpoint a 192.0.2.1\n"), 1,
        "example.com.zone:8:22: max-answers= does not apply to routing method weighted (it is for: "
        "priority, all)");
    sb_test_expect_errors(PROFILE("www profile all order=sideways {", "    endpoint a 192.0.2.1\n"),
                          1, "example.com.zone:8:23: bad order 'sideways' (rotate or random)");
    sb_test_expect_errors(
        PROFILE("www profile priority order=random {", "    endpoint a 192.0.2.1 priority=1\n"), 1,
        "example.com.zone:8:22: order= does not apply to routing method priority (it is for: all)");
    sb_test_expect_errors(
        PROFILE("www profile weighted sticky-prefix=24,56 {", "    endpoint a 192.0.2.1\n"), 1,
        "example.com.zone:8:1: profile www.example.com.: sticky-prefix= needs sticky=yes");
    sb_test_expect_errors(PROFILE("www profile weighted sticky=maybe sticky-prefix=33,56 {",
                                  "    endpoint a 192.0.2.1\n"),
                          2, "example.com.zone:8:29: bad sticky 'maybe' (yes or no)",
                          "example.com.zone:8:49: bad sticky-prefix '33,56' (IPv4 and IPv6 prefix "
                          "lengths, as in 24,56)");
    sb_test_expect_errors(
        PROFILE("www profile weighted sticky=yes sticky-prefix=24 {", "    endpoint a 192.0.2.1\n"),
        1,
        "example.com.zone:8:47: bad sticky-prefix '24' (IPv4 and IPv6 prefix lengths, as in "
        "24,56)");
    sb_test_expect_errors(PROFILE("www profile all sticky=yes {", "    endpoint a 192.0.2.1\n"), 1,
                          "example.com.zone:8:17: sticky= does not apply to routing method all (it "
                          "is for: weighted)");
    sb_test_expect_errors(
        PROFILE("www profile all {", "    endpoint a east\n"
                                     "    endpoint b west\n"),
        1,
        "example.com.zone:8:1: profile www.example.com.: routing method all answers with several "
        "address "
        "records; a profile of names answers with one CNAME (use priority or weighted)");
}

static void all_down_and_fallback_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(
        PROFILE("www profile priority fallback=192.0.2.99 {", "    endpoint a east priority=1\n"),
        1, "example.com.zone:8:22: fallback= must be one name, like the profile's endpoints");
    sb_test_expect_errors(
        PROFILE("www profile priority fallback=backup.example.net. {",
                "    endpoint a 192.0.2.1 priority=1\n"),
        1,
        "example.com.zone:8:22: fallback= must be an address (one per family), like the profile's "
        "endpoints");
    sb_test_expect_errors(PROFILE("www profile priority fallback=192.0.2.98,192.0.2.99 {",
                                  "    endpoint a 192.0.2.1 priority=1\n"),
                          1, "example.com.zone:8:22: fallback= gives two targets of one kind");
    sb_test_expect_errors(PROFILE("www profile priority fallback=a.example.net.,b.example.net. {",
                                  "    endpoint a east priority=1\n"),
                          1, "example.com.zone:8:22: fallback= gives two targets of one kind");
    sb_test_expect_errors(
        PROFILE("www profile priority fallback=192.0.2.98,2001:db8::99,192.0.2.97 {",
                "    endpoint a 192.0.2.1 priority=1\n"),
        1, "example.com.zone:8:31: at most two fallback targets (an IPv4 and an IPv6 address)");
    sb_test_expect_errors(
        PROFILE("www profile priority all-down=fail-closed fallback=backup.example.net. {",
                "    endpoint a east priority=1\n"),
        1,
        "example.com.zone:8:22: all-down= and fallback= together: a fallback target is itself the "
        "all-down policy");
    sb_test_expect_errors(PROFILE("www profile priority all-down=fail-sideways {",
                                  "    endpoint a east priority=1\n"),
                          1,
                          "example.com.zone:8:31: bad all-down 'fail-sideways' (fail-open, "
                          "fail-closed; for a fallback "
                          "target, write fallback=TARGET)");
    sb_gen_free(sb_test_load_ok(PROFILE("www profile priority fallback=192.0.2.98,2001:db8::99 {",
                                        "    endpoint a 192.0.2.1 priority=1\n")));
}

#define INNER(body) "inner profile priority {\n    monitor none\n" body "}\n"

static void nesting_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(
        PROFILE("www profile priority {", "    endpoint a east priority=1 min-usable=1\n"), 1,
        "example.com.zone:10:32: endpoint 'a': min-usable= is for endpoints that lead to another "
        "profile");
    sb_test_expect_errors(
        PROFILE("www profile priority {", "    endpoint a inner priority=1 min-usable=3\n")
            INNER("    endpoint x east priority=1\n    endpoint y west priority=2\n"),
        1,
        "example.com.zone:10:33: endpoint 'a' needs min-usable=3 of the profile "
        "inner.example.com., "
        "which has 2 endpoints");
    sb_test_expect_errors(
        PROFILE("www profile priority {", "    endpoint a inner priority=1 min-usable=0\n"
                                          "    endpoint b west priority=2 min-usable=1001\n")
            INNER("    endpoint x east priority=1\n"),
        2, "example.com.zone:10:44: bad min-usable '0': min-usable must be from 1 to 1000",
        "example.com.zone:11:43: bad min-usable '1001': min-usable must be from 1 to 1000");
    sb_test_expect_errors(PROFILE("www profile priority {", "    endpoint a inner priority=1\n")
                              INNER("    endpoint x www priority=1\n"),
                          1,
                          "example.com.zone:14:5: endpoint 'x' leads back to the profile "
                          "www.example.com. through nested "
                          "profiles: a loop");
    /* A weighted profile over two nested ones loads. */
    sb_gen_free(sb_test_load_ok(
        PROFILE("www profile weighted {", "    endpoint a inner weight=2 min-usable=1\n"
                                          "    endpoint b inner2 weight=1\n")
            INNER("    endpoint x east priority=1\n") "inner2 profile subnet {\n    monitor none\n"
                                                      "    endpoint y west subnets=default\n}\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subnet_profiles_refused), cmocka_unit_test(geo_codes_read_and_write_back),
        cmocka_unit_test(bad_geo_codes),           cmocka_unit_test(geo_profiles_refused),
        cmocka_unit_test(closest_unit_vectors),    cmocka_unit_test(closest_profiles_refused),
        cmocka_unit_test(weight_errors),           cmocka_unit_test(list_and_location_errors),
        cmocka_unit_test(profile_line_errors),     cmocka_unit_test(all_down_and_fallback_errors),
        cmocka_unit_test(nesting_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
