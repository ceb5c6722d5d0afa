/* Loading a zones directory: file naming, a missing directory, and
 * endpoint targets served by another zone of the same generation. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(directory_rules),
        cmocka_unit_test(missing_directory),
        cmocka_unit_test(cross_zone_endpoint_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
