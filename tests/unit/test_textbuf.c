/* The growable text buffer (sb_textbuf): appends of every size keep the
 * text whole and NUL-terminated across growth; a writer may fill reserved
 * room itself; take hands the text over and leaves the buffer empty; a
 * size no buffer can reach fails it, later appends are ignored, and take
 * gives NULL. */
#include "sb_test.h"

#include "sb_textbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void appends_survive_growth(void **state)
{
    (void)state;
    sb_textbuf_t b = {0};
    char want[64];
    size_t total = 0;
    for (int i = 0; i < 20000; i++) { /* ~150 KB: the buffer doubles several times */
        int n = snprintf(want, sizeof(want), "line %d\n", i);
        sb_textbuf_puts(&b, want);
        total += (size_t)n;
        assert_int_equal(b.len, total);
        assert_int_equal(b.data[b.len], '\0');
    }
    assert_true(b.cap >= b.len + 1);
    assert_string_equal(b.data + b.len - 11, "line 19999\n");
    assert_memory_equal(b.data, "line 0\nline 1\n", 14);
    size_t len;
    char *text = sb_textbuf_take(&b, &len);
    assert_non_null(text);
    assert_int_equal(len, total);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(text);
}

static void reserved_room_filled_by_the_writer(void **state)
{
    (void)state;
    sb_textbuf_t b = {0};
    sb_textbuf_put(&b, "ab", 2);
    assert_true(sb_textbuf_reserve(&b, 3));
    memcpy(b.data + b.len, "cde", 3);
    b.len += 3;
    b.data[b.len] = '\0';
    sb_textbuf_put(&b, "f", 1);
    assert_string_equal(b.data, "abcdef");
    sb_textbuf_free(&b);
    assert_null(b.data);
}

static void nothing_written_takes_null(void **state)
{
    (void)state;
    sb_textbuf_t b = {0};
    size_t len = 7;
    assert_null(sb_textbuf_take(&b, &len));
    assert_int_equal(len, 0);
}

static void an_unreachable_size_fails_the_buffer(void **state)
{
    (void)state;
    sb_textbuf_t b = {0};
    sb_textbuf_puts(&b, "kept until take");
    assert_false(sb_textbuf_reserve(&b, SIZE_MAX - 1));
    assert_true(b.failed);
    sb_textbuf_puts(&b, "ignored");
    assert_false(sb_textbuf_reserve(&b, 1));
    size_t len = 7;
    assert_null(sb_textbuf_take(&b, &len));
    assert_int_equal(len, 0);
    assert_false(b.failed); /* empty again, usable */
    sb_textbuf_puts(&b, "again");
    assert_string_equal(b.data, "again");
    sb_textbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_survive_growth),
        cmocka_unit_test(reserved_room_filled_by_the_writer),
        cmocka_unit_test(nothing_written_takes_null),
        cmocka_unit_test(an_unreachable_size_fails_the_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
