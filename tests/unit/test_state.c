/* The state file's atomic write: contents, mode, no temporary left, and a
 * directory that cannot be written reported with its path. */
#include "sb_test.h"

#include "sb_state.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void saves_atomically(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-state-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], tmp[300], err[256];
    snprintf(path, sizeof(path), "%s/state.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    json_t *list = json_pack("[{s:s, s:s, s:s, s:s}]", "action", "drain", "profile",
                             "www.example.com.", "endpoint", "east", "by", "uid=0");
    assert_int_equal(sb_state_save(path, list, err, sizeof(err)), 0);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
    assert_true(json_equal(json_object_get(doc, "overrides"), list));
    json_decref(doc);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_not_equal(access(tmp, F_OK), 0);
    /* Saving again replaces the file whole. */
    json_t *empty = json_array();
    assert_int_equal(sb_state_save(path, empty, err, sizeof(err)), 0);
    doc = json_load_file(path, 0, &jerr);
    assert_int_equal(json_array_size(json_object_get(doc, "overrides")), 0);
    json_decref(doc);
    json_decref(empty);
    json_decref(list);
    unlink(path);
    rmdir(dir);
}

static void reports_an_unwritable_place(void **state)
{
    (void)state;
    char err[256];
    json_t *empty = json_array();
    assert_true(sb_state_save("/proc/sb-no-such/state.json", empty, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "/proc/sb-no-such/state.json.tmp"));
    json_decref(empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(saves_atomically),
        cmocka_unit_test(reports_an_unwritable_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
