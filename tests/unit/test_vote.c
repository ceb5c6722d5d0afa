/* The fleet's vote: every setting read and written back, every bad one
 * refused, and each rule's verdict at its edges. */
#include "sb_test.h"

#include "sb_value.h"
#include "sb_vote.h"

static sb_vote_t parse_ok(const char *text)
{
    sb_vote_t v;
    char why[SB_WHY_MAX];
    if (sb_vote_parse(text, &v, why) != 0)
        fail_msg("%s: %s", text, why);
    char back[16];
    assert_string_equal(sb_vote_format(v, back, sizeof(back)), text);
    return v;
}

static void settings(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("local").kind, SB_VOTE_LOCAL);
    assert_int_equal(parse_ok("any").kind, SB_VOTE_ANY);
    assert_int_equal(parse_ok("majority").kind, SB_VOTE_MAJORITY);
    assert_int_equal(parse_ok("all").kind, SB_VOTE_ALL);
    sb_vote_t v = parse_ok("2");
    assert_int_equal(v.kind, SB_VOTE_COUNT);
    assert_int_equal(v.n, 2);
    v = parse_ok("60%");
    assert_int_equal(v.kind, SB_VOTE_PERCENT);
    assert_int_equal(v.n, 60);
    const char *bad[] = {"", "most", "0", "65", "0%", "101%", "%", "-1", "1.5", "50%%"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char why[SB_WHY_MAX];
        assert_int_equal(sb_vote_parse(bad[i], &v, why), -EINVAL);
        assert_non_null(strstr(why, "must be local, any, majority, all"));
    }
}

static void verdicts(void **state)
{
    (void)state;
    sb_vote_t any = {SB_VOTE_ANY, 0}, maj = {SB_VOTE_MAJORITY, 0}, all = {SB_VOTE_ALL, 0};
    sb_vote_t two = {SB_VOTE_COUNT, 2}, p60 = {SB_VOTE_PERCENT, 60};
    assert_false(sb_vote_decide(any, 0, 0)); /* nobody reporting */
    assert_true(sb_vote_decide(any, 1, 3));
    assert_false(sb_vote_decide(any, 0, 3));
    assert_true(sb_vote_decide(maj, 2, 3));
    assert_false(sb_vote_decide(maj, 1, 3));
    assert_false(sb_vote_decide(maj, 2, 4)); /* half is not more than half */
    assert_true(sb_vote_decide(all, 3, 3));
    assert_false(sb_vote_decide(all, 2, 3));
    assert_true(sb_vote_decide(two, 2, 5));
    assert_false(sb_vote_decide(two, 1, 1));
    assert_true(sb_vote_decide(p60, 3, 5));
    assert_false(sb_vote_decide(p60, 2, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(settings),
        cmocka_unit_test(verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
