/* "Did you mean" (sb_suggest): the edit distance (a swap of neighbours is
 * one edit, case does not count, and the cap cuts a long comparison
 * short), what counts as close (a third of what differs, 1 to 3 edits,
 * fewer than the typed text's length), every candidate at the smallest
 * distance kept once, and the words. */
#include "sb_test.h"

#include "sb_suggest.h"

static size_t dist(const char *a, const char *b)
{
    return sb_suggest_distance(a, strlen(a), b, strlen(b), 10);
}

static void edit_distance(void **state)
{
    (void)state;
    assert_int_equal(dist("status", "status"), 0);
    assert_int_equal(dist("STATUS", "status"), 0);
    assert_int_equal(dist("stauts", "status"), 1); /* a swap */
    assert_int_equal(dist("statu", "status"), 1);
    assert_int_equal(dist("sttus", "status"), 1);
    assert_int_equal(dist("xtatus", "status"), 1);
    assert_int_equal(dist("", "abc"), 3);
    assert_int_equal(dist("kitten", "sitting"), 3);
    assert_int_equal(dist("ca", "abc"), 3); /* no edit of a swapped pair again */
    /* Past the cap, cap + 1: lengths alone, or every path too long. */
    assert_int_equal(sb_suggest_distance("a", 1, "abcdef", 6, 2), 3);
    assert_int_equal(sb_suggest_distance("abcdef", 6, "uvwxyz", 6, 2), 3);
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(sb_suggest_distance(long_name, 299, long_name, 299, 3), 4);
}

static const char *suggest(const char *typed, const char *const *names, size_t n)
{
    static char out[256];
    sb_suggest_t s;
    sb_suggest_init(&s, typed);
    for (size_t i = 0; i < n; i++)
        sb_suggest_consider(&s, names[i], strlen(names[i]), names[i]);
    return sb_suggest_text(&s, "'", out, sizeof(out));
}

static void suggestions(void **state)
{
    (void)state;
    static const char *const commands[] = {"status",  "drain",      "undrain",  "force",
                                           "unforce", "switchover", "failback", "reload"};
    assert_string_equal(suggest("stauts", commands, 8), "; did you mean 'status'?");
    assert_string_equal(suggest("drian", commands, 8), "; did you mean 'drain'?");
    assert_string_equal(suggest("unfroce", commands, 8), "; did you mean 'unforce'?");
    /* Too far to be a slip: nothing. */
    assert_string_equal(suggest("launch", commands, 8), "");
    assert_string_equal(suggest("x", commands, 8), "");
    assert_string_equal(suggest("unfo", commands, 8), ""); /* a prefix, not a slip */
    static const char *const short_names[] = {"a", "b", "ab"};
    assert_string_equal(suggest("c", short_names, 3), ""); /* every character changed */
    assert_string_equal(suggest("cb", short_names, 3), "; did you mean 'b' or 'ab'?");
    /* Every one at the smallest distance, in the order given, once. */
    static const char *const regions[] = {"east", "west", "east", "north", "easy", "eas1"};
    assert_string_equal(suggest("eas", regions, 6), "; did you mean 'east', 'easy' or 'eas1'?");
    assert_string_equal(suggest("eest", regions, 6), "; did you mean 'east' or 'west'?");
    assert_string_equal(suggest("wst", regions, 6), "; did you mean 'west'?");
}

/* The shown name may be longer than the one compared: a profile's whole
 * name for its first label. */
static void shown_names(void **state)
{
    (void)state;
    char out[128];
    sb_suggest_t s;
    sb_suggest_init(&s, "ww");
    sb_suggest_consider(&s, "www.example.com.", 3, "www.example.com.");
    sb_suggest_consider(&s, "api.example.com.", 3, "api.example.com.");
    assert_string_equal(sb_suggest_text(&s, "", out, sizeof(out)),
                        "; did you mean www.example.com.?");
    sb_suggest_init(&s, "nope.example.com");
    sb_suggest_consider(&s, "www.example.com", 15, "www.example.com.");
    assert_string_equal(sb_suggest_text(&s, "", out, sizeof(out)), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edit_distance),
        cmocka_unit_test(suggestions),
        cmocka_unit_test(shown_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
