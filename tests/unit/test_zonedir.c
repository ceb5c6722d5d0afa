/* Loading a zones directory: file naming, a missing directory, endpoint
 * targets served by another zone of the same generation, and the warnings
 * for NS, MX and SRV targets there with no address. */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_error.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const SUB_ZONE = "$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_all(const char *dir, const char *const *names, size_t n)
{
    char path[512];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void directory_rules(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-gen-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    assert_int_equal(sb_zonedir_load(&gen, dir, NULL, diag), SB_ECONFIG);
    char expect[300];
    snprintf(expect, sizeof(expect), "%s: no zone files (NAME.zone) in the zones directory", dir);
    assert_string_equal(sb_diag_message(diag, 0), expect);
    sb_diag_free(diag);

    write_file(dir, "example.com.zone", SB_TEST_HEADER);
    write_file(dir, ".hidden.zone", "garbage");
    write_file(dir, "notes.txt", "garbage");
    write_file(dir, "example.com.zone~", "garbage");
    diag = sb_diag_new();
    assert_int_equal(sb_zonedir_load(&gen, dir, NULL, diag), 0);
    assert_int_equal(sb_gen_zone_count(gen), 1);
    sb_gen_free(gen);
    sb_diag_free(diag);

    write_file(dir, "Example.COM.zone", SB_TEST_HEADER);
    write_file(dir, "bad..name.zone", SB_TEST_HEADER);
    diag = sb_diag_new();
    assert_int_equal(sb_zonedir_load(&gen, dir, NULL, diag), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    snprintf(expect, sizeof(expect),
             "%s/bad..name.zone: file name does not name a zone (expected NAME.zone, as in "
             "example.com.zone)",
             dir);
    assert_string_equal(sb_diag_message(diag, 0), expect);
    snprintf(expect, sizeof(expect),
             "%s/example.com.zone: zone example.com. is also defined by %s/Example.COM.zone", dir,
             dir);
    assert_string_equal(sb_diag_message(diag, 1), expect);
    sb_diag_free(diag);
    const char *names[] = {"example.com.zone",  ".hidden.zone",     "notes.txt",
                           "example.com.zone~", "Example.COM.zone", "bad..name.zone"};
    remove_all(dir, names, 6);
}

static void missing_directory(void **state)
{
    (void)state;
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    assert_int_equal(sb_zonedir_load(&gen, "/nonexistent-zones", NULL, diag), SB_ECONFIG);
    assert_string_equal(sb_diag_message(diag, 0),
                        "/nonexistent-zones: cannot open the zones directory: No such file or "
                        "directory");
    sb_diag_free(diag);
}

static void cross_zone_endpoint_addresses(void **state)
{
    (void)state;
    /* An endpoint in one served zone pointing into another takes its
     * addresses from the other zone's data. */
    const char *files[4] = {"example.com.zone",
                            SB_TEST_HEADER "www profile priority {\n  monitor http\n"
                                           "  endpoint a ns1.example.net. priority=1\n}\n",
                            "example.net.zone", SUB_ZONE};
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    assert_int_equal(sb_zonedir_load_texts(&gen, files, 2, diag), 0);
    const sb_endpoint_t *ep = &sb_gen_profile(gen, 0)->endpoints[0];
    assert_int_equal(ep->zone_addr_count, 1);
    assert_memory_equal(ep->zone_addrs[0].bytes, "\xc0\x00\x02\x01", 4);
    sb_gen_free(gen);
    sb_diag_free(diag);
}

/* NS, MX and SRV targets inside the served zones with no address are
 * warnings at their record (named-checkzone's checks): the zone loads. */
static void targets_without_addresses_are_warnings(void **state)
{
    (void)state;
    const char *files[4] = {
        "example.com.zone",
        SB_TEST_HEADER "@ NS ns2\n"                   /* 8: does not exist */
                       "@ MX 10 mail\n"               /* 9: does not exist */
                       "@ MX 20 alias\n"              /* 10: a CNAME */
                       "@ MX 30 east\n"               /* 11: fine */
                       "@ MX 40 www\n"                /* 12: a profile: fine */
                       "@ MX 50 mx.elsewhere.net.\n"  /* 13: outside: fine */
                       "@ MX 60 ns1.example.net.\n"   /* 14: another served zone */
                       "@ MX 70 gone.example.net.\n"  /* 15: not in it */
                       "alias CNAME east\n"           /* 16 */
                       "nullmx MX 0 .\n"              /* 17: null MX: fine */
                       "_sip._tcp SRV 0 5 5060 sip\n" /* 18: does not exist */
                       "_none._tcp SRV 0 0 0 .\n"     /* 19: no service: fine */
                       "_w._tcp SRV 0 0 80 x.wild\n"  /* 20: a wildcard: fine */
                       "*.wild A 192.0.2.7\n"         /* 21 */
                       "sub NS ns.sub\n"              /* 22: glue: fine */
                       "sub NS ns2.sub\n"             /* 23: no glue */
                       "ns.sub A 192.0.2.53\n"        /* 24 */
                       "mxd MX 10 mail.sub\n"         /* 25: delegated: fine */
                       "www profile priority {\n  monitor none\n"
                       "  endpoint a 192.0.2.1 priority=1\n}\n",
        "example.net.zone",
        SUB_ZONE,
    };
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    assert_int_equal(sb_zonedir_load_texts(&gen, files, 2, diag), 0);
    assert_non_null(gen);
    assert_int_equal(sb_diag_count(diag), 0);
    static const char *const want[] = {
        "example.com.zone:8:1: warning: NS record of example.com. names ns2.example.com., which "
        "is in the served zone example.com. but does not exist there: resolvers cannot reach "
        "that nameserver",
        "example.com.zone:9:1: warning: MX record of example.com. names mail.example.com., which "
        "is in the served zone example.com. but does not exist there: mail cannot be delivered "
        "there",
        "example.com.zone:10:1: warning: MX record of example.com. names alias.example.com., "
        "which is in the served zone example.com. but is a CNAME (RFC 2181 10.3: it must be "
        "the name that owns the addresses): mail cannot be delivered there",
        "example.com.zone:15:1: warning: MX record of example.com. names gone.example.net., "
        "which is in the served zone example.net. but does not exist there: mail cannot be "
        "delivered there",
        "example.com.zone:18:1: warning: SRV record of _sip._tcp.example.com. names "
        "sip.example.com., which is in the served zone example.com. but does not exist there: "
        "clients cannot reach the service there",
        "example.com.zone:23:1: warning: NS record of sub.example.com. names "
        "ns2.sub.example.com., which is in the served zone example.com. but is below a "
        "delegation and has no glue A or AAAA record: resolvers cannot reach that nameserver",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(sb_diag_warning_message(diag, i), want[i]);
    assert_int_equal(sb_diag_warning_count(diag), sizeof(want) / sizeof(want[0]));
    sb_gen_free(gen);
    sb_diag_free(diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(directory_rules),
        cmocka_unit_test(missing_directory),
        cmocka_unit_test(cross_zone_endpoint_addresses),
        cmocka_unit_test(targets_without_addresses_are_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
