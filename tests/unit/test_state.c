/* The state file: its atomic write (contents, mode, no temporary left, a
 * directory that cannot be written reported with its path, planted
 * symlinks never followed), its parsing (entries read or dropped, and
 * reports that never quote the file's text), and overrides taken through
 * it the way a restart does: a force's and a switchover's end kept, and one
 * whose end has come not restored. */
#include "sb_test.h"
#include "sb_test_log.h"

#include "sb_override.h"
#include "sb_probe_state.h"
#include "sb_state.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files in `dir`, "." and ".." aside. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void saves_atomically(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-state-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/state.json", dir);
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
    assert_int_equal(entries(dir), 1); /* no temporary file left */
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
    assert_string_equal(err, "cannot create a temporary file beside /proc/sb-no-such/state.json: "
                             "No such file or directory");
    json_decref(empty);
}

/* A symlink planted where the old code put its temporary file, and one at
 * the state file's own path: root must write neither target. The state file
 * becomes a regular file of its own. */
static void never_follows_planted_symlinks(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-state-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], tmp[300], victim[300], victim2[300], err[256];
    snprintf(path, sizeof(path), "%s/state.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    snprintf(victim2, sizeof(victim2), "%s/victim2", dir);
    write_text(victim, "precious\n");
    write_text(victim2, "precious too\n");
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(symlink(victim2, path), 0);
    json_t *empty = json_array();
    assert_int_equal(sb_state_save(path, empty, err, sizeof(err)), 0);
    assert_string_equal(read_text(victim), "precious\n");
    assert_string_equal(read_text(victim2), "precious too\n");
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(entries(dir), 4); /* state.json, its .tmp symlink, both victims */
    json_decref(empty);
    unlink(tmp);
    unlink(path);
    unlink(victim);
    unlink(victim2);
    rmdir(dir);
}

typedef struct {
    int seen;
    char names[4][64];
} visits_t;

static bool keep_all_but_west(const sb_state_entry_t *e, void *arg)
{
    visits_t *v = arg;
    snprintf(v->names[v->seen++ % 4], 64, "%zu:%s:%s:%s:%d:%s", e->index, e->action,
             e->override.profile, e->override.endpoint, e->override.force_up,
             e->override.by != NULL ? e->override.by : "-");
    assert_true(e->override.restored);
    return strcmp(e->override.endpoint, "west") != 0;
}

static void parses_entries_and_drops_the_unreadable(void **state)
{
    (void)state;
    const char *text = "{\"version\": 1, \"overrides\": ["
                       "{\"action\": \"drain\", \"profile\": \"a.\", \"endpoint\": \"east\", "
                       "\"by\": \"uid=0\"},"
                       "{\"action\": \"force\", \"profile\": \"a.\", \"endpoint\": \"west\", "
                       "\"state\": \"down\", \"until_ms\": 5},"
                       "{\"action\": \"explode\", \"profile\": \"a.\", \"endpoint\": \"x\"},"
                       "{\"profile\": \"a.\"},"
                       "{\"action\": \"switchover\", \"profile\": \"b.\", \"endpoint\": \"n\"},"
                       /* a force with no state, or a garbled one: dropped, never taken as up */
                       "{\"action\": \"force\", \"profile\": \"a.\", \"endpoint\": \"x\"},"
                       "{\"action\": \"force\", \"profile\": \"a.\", \"endpoint\": \"x\", "
                       "\"state\": \"dwon\"}"
                       "]}";
    visits_t v = {0};
    size_t dropped;
    char err[256];
    int kept = sb_state_parse("s.json", text, strlen(text), keep_all_but_west, &v, &dropped, err,
                              sizeof(err));
    assert_int_equal(kept, 2);
    assert_int_equal(dropped, 5);
    assert_int_equal(v.seen, 3);
    assert_string_equal(v.names[0], "0:drain:a.:east:0:uid=0");
    assert_string_equal(v.names[1], "1:force:a.:west:0:-");
    assert_string_equal(v.names[2], "4:switchover:b.:n:0:-");
}

/* What a damaged file says: where, and what kind of problem; never the
 * text found there (the path may name /etc/shadow). */
static void reports_never_quote_the_file(void **state)
{
    (void)state;
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"root:$6$secret:19000:0:99999:7:::\n", "s.json:1:4: not JSON ('[' or '{' expected)"},
        {"{\"version\": 1, \"overrides\": [secret]}", "s.json:1:35: not JSON (invalid token)"},
        {"{\"version\": 1, \"version\": 1, \"overrides\": []}",
         "s.json:1:24: not JSON (duplicate object key)"},
        {"{\"version\": 2, \"overrides\": []}",
         "s.json: not a version 1 state file (no \"overrides\" list)"},
        {"[\"secret\"]", "s.json: not a version 1 state file (no \"overrides\" list)"},
        {"", "s.json:1:0: not JSON ('[' or '{' expected)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        visits_t v = {0};
        size_t dropped;
        char err[256];
        int rc = sb_state_parse("s.json", cases[i].text, strlen(cases[i].text), keep_all_but_west,
                                &v, &dropped, err, sizeof(err));
        assert_int_equal(rc, -EINVAL);
        assert_string_equal(err, cases[i].err);
        assert_int_equal(v.seen, 0);
    }
}

static void read_refuses_what_is_not_a_file(void **state)
{
    (void)state;
    char err[256], *text;
    size_t len;
    assert_int_equal(sb_state_read("/dev/null", &text, &len, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "/dev/null: not a regular file");
    assert_null(text);
    assert_int_equal(sb_state_read("/nonexistent/state.json", &text, &len, err, sizeof(err)),
                     -ENOENT);
    assert_int_equal(sb_state_read("/etc/hostname", &text, &len, err, sizeof(err)), 0);
    assert_true(len > 0);
    free(text);
}

/* ---- overrides through the file, as across a restart --------------------- */

#define WWW "www.example.com."

static const char *ZONE = SB_TEST_HEADER "www profile priority {\n"
                                         "    monitor none\n"
                                         "    endpoint east east priority=1\n"
                                         "    endpoint west west priority=2\n"
                                         "}\n";

typedef struct {
    sb_probe_states_t *st;
    int64_t now;
} restore_to_t;

/* As the server restores (sb_state_restore): what has ended stays out. */
static bool apply_unless_ended(const sb_state_entry_t *e, void *arg)
{
    restore_to_t *to = arg;
    char why[256];
    if (sb_override_ended(&e->override, to->now))
        return false;
    return sb_override_apply(to->st, &e->override, why, sizeof(why)) == 0;
}

/* The worker's overrides now, saved to `path` and read back into a fresh
 * state for `gen` at `now`; returns how many were restored. */
static int through_the_file(const char *path, sb_probe_states_t *from, sb_gen_t *gen,
                            sb_probe_states_t *to, int64_t now)
{
    char err[256], *text;
    size_t len, dropped;
    json_t *list = sb_override_list(from);
    assert_int_equal(sb_state_save(path, list, err, sizeof(err)), 0);
    json_decref(list);
    assert_int_equal(sb_state_read(path, &text, &len, err, sizeof(err)), 0);
    assert_int_equal(sb_probe_state_init(to, gen), 0);
    restore_to_t arg = {to, now};
    int kept =
        sb_state_parse(path, text, len, apply_unless_ended, &arg, &dropped, err, sizeof(err));
    free(text);
    return kept;
}

static void ends_survive_a_restart(void **state)
{
    (void)state;
    sb_test_log_start();
    char dir[] = "/tmp/sb-state-XXXXXX", path[256], why[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/state.json", dir);
    sb_gen_t *gen = sb_test_load_ok(ZONE);
    sb_probe_states_t before, after;
    assert_int_equal(sb_probe_state_init(&before, gen), 0);
    sb_override_t over = {.op = SB_OVERRIDE_SWITCHOVER,
                          .profile = WWW,
                          .endpoint = "west",
                          .until_ms = 5000,
                          .by = "uid=7"};
    sb_override_t force = {.op = SB_OVERRIDE_FORCE,
                           .profile = WWW,
                           .endpoint = "east",
                           .force_up = true,
                           .until_ms = 9000,
                           .by = "uid=8"};
    assert_int_equal(sb_override_apply(&before, &over, why, sizeof(why)), 0);
    assert_int_equal(sb_override_apply(&before, &force, why, sizeof(why)), 0);
    /* Before either end: both back, with their ends and setters. */
    assert_int_equal(through_the_file(path, &before, gen, &after, 4999), 2);
    sb_profile_state_t *ps = sb_probe_state_find_profile(&after, WWW);
    assert_int_equal(ps->switchover, 1);
    assert_int_equal(ps->switchover_until_ms, 5000);
    assert_string_equal(ps->switchover_by, "uid=7");
    assert_int_equal(ps->eps[0].forced, 1);
    assert_int_equal(ps->eps[0].force_until_ms, 9000);
    assert_int_equal(sb_test_times_logged("action=switchover profile=" WWW " endpoint=west "
                                          "until_ms=5000 by=state-file set_by=\"uid=7\"\n"),
                     1);
    /* ... and the restored switchover still ends by itself. */
    assert_true(sb_override_expire(&after, 5000));
    assert_int_equal(ps->switchover, SB_PICK_NONE);
    sb_probe_state_free(&after);
    /* After the switchover's end: it is not restored; the force is. */
    assert_int_equal(through_the_file(path, &before, gen, &after, 5000), 1);
    ps = sb_probe_state_find_profile(&after, WWW);
    assert_int_equal(ps->switchover, SB_PICK_NONE);
    assert_int_equal(ps->eps[0].force_until_ms, 9000);
    sb_probe_state_free(&after);
    sb_probe_state_free(&before);
    sb_gen_free(gen);
    unlink(path);
    rmdir(dir);
    sb_test_log_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(saves_atomically),
        cmocka_unit_test(reports_an_unwritable_place),
        cmocka_unit_test(never_follows_planted_symlinks),
        cmocka_unit_test(parses_entries_and_drops_the_unreadable),
        cmocka_unit_test(reports_never_quote_the_file),
        cmocka_unit_test(read_refuses_what_is_not_a_file),
        cmocka_unit_test(ends_survive_a_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
