/* Wire-format names: text conversion, comparison, suffixes, hashing. */
#include "sb_test.h"

#include "sb_error.h"
#include "sb_name.h"

static void text_round_trip(void **state)
{
    (void)state;
    uint8_t w[SB_NAME_MAX];
    char t[SB_NAME_TEXT_MAX];
    assert_int_equal(sb_name_from_text("www.Example.com", w), 17);
    assert_memory_equal(w, "\3www\7Example\3com", 17);
    sb_name_to_text(w, t, sizeof(t));
    assert_string_equal(t, "www.Example.com.");
    assert_int_equal(sb_name_from_text(".", w), 1);
    sb_name_to_text(w, t, sizeof(t));
    assert_string_equal(t, ".");
    assert_int_equal(sb_name_from_text("a\\.b\\032c.d.", w), 9);
    sb_name_to_text(w, t, sizeof(t));
    assert_string_equal(t, "a\\.b\\032c.d.");
    assert_int_equal(sb_name_from_text("a..b", w), -EINVAL);
    assert_int_equal(sb_name_from_text("", w), -EINVAL);
    assert_int_equal(sb_name_from_text("a\\999", w), -EINVAL);
    char longlabel[80];
    memset(longlabel, 'x', 64);
    longlabel[64] = '\0';
    assert_int_equal(sb_name_from_text(longlabel, w), SB_ETOOBIG);
    /* 255 bytes is the limit: four labels of 62 and one of 1 make 255. */
    char big[300] = "";
    for (int i = 0; i < 4; i++) {
        strncat(big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
                sizeof(big) - 1);
    }
    strcat(big, "b.");
    assert_int_equal(sb_name_from_text(big, w), 255);
    strcat(big, "c.");
    assert_int_equal(sb_name_from_text(big, w), SB_ETOOBIG);
}

static void compare_and_suffix(void **state)
{
    (void)state;
    uint8_t a[SB_NAME_MAX], b[SB_NAME_MAX], apex[SB_NAME_MAX];
    sb_name_from_text("WWW.example.COM.", a);
    sb_name_from_text("www.Example.com.", b);
    sb_name_from_text("example.com.", apex);
    assert_true(sb_name_equal(a, b));
    assert_true(sb_name_is_within(a, apex));
    assert_false(sb_name_is_within(apex, a));
    assert_int_equal(sb_name_labels(a), 3);
    assert_ptr_equal(sb_name_suffix(a, 2), a + 4);
    sb_lname_t ln;
    sb_name_to_lname(&ln, a);
    assert_int_equal(ln.labels, 3);
    assert_memory_equal(ln.lc, "\3www\7example\3com", 17);
    size_t len;
    const uint8_t *s = sb_name_lname_suffix(&ln, 1, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(s, "\3com", 5);
    assert_int_equal(sb_name_hash(ln.lc, ln.len, 7), sb_name_hash(ln.lc, ln.len, 7));
    assert_int_not_equal(sb_name_hash(ln.lc, ln.len, 7), sb_name_hash(ln.lc, ln.len, 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_round_trip),
        cmocka_unit_test(compare_and_suffix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
