/* The zone-file lexer: entries, positions, quotes, parentheses, comments. */
#include "sb_test.h"

#include "sb_lexer.h"

static sb_lexer_t *open_text(const char *text, sb_diag_t *diag)
{
    sb_lexer_t *lx;
    assert_int_equal(sb_lexer_open_text(&lx, "t.zone", text, strlen(text), diag), 0);
    return lx;
}

static void entries_and_positions(void **state)
{
    (void)state;
    sb_diag_t *diag = sb_diag_new();
    sb_lexer_t *lx = open_text("; comment\n"
                               "a  IN A 1.2.3.4 ; trailing\n"
                               "\n"
                               "   TXT \"two words\" x\"y z\"\n"
                               "b SOA ( n1 n2 ; inside\n"
                               "        1 2 3 4 5 )\n",
                               diag);
    sb_entry_t e;
    assert_int_equal(sb_lexer_next(lx, &e), 1);
    assert_int_equal(e.count, 4);
    assert_false(e.blank_owner);
    assert_string_equal(e.tokens[0].text, "a");
    assert_int_equal(e.tokens[0].pos.line, 2);
    assert_int_equal(e.tokens[0].pos.col, 1);
    assert_int_equal(e.tokens[2].pos.col, 7);
    assert_int_equal(sb_lexer_next(lx, &e), 1);
    assert_true(e.blank_owner);
    assert_int_equal(e.count, 3);
    assert_string_equal(e.tokens[1].text, "\"two words\"");
    assert_true(e.tokens[1].quoted);
    assert_string_equal(e.tokens[2].text, "x\"y z\"");
    assert_int_equal(e.tokens[2].pos.col, 20);
    assert_int_equal(sb_lexer_next(lx, &e), 1);
    assert_int_equal(e.count, 9);
    assert_string_equal(e.tokens[8].text, "5");
    assert_int_equal(e.tokens[8].pos.line, 6);
    assert_int_equal(e.pos.line, 5);
    assert_int_equal(sb_lexer_next(lx, &e), 0);
    assert_int_equal(sb_diag_count(diag), 0);
    sb_lexer_close(lx);
    sb_diag_free(diag);
}

static void escapes_keep_separators(void **state)
{
    (void)state;
    sb_diag_t *diag = sb_diag_new();
    sb_lexer_t *lx = open_text("a\\ b\\;c \"q\\\"x\"\n", diag);
    sb_entry_t e;
    assert_int_equal(sb_lexer_next(lx, &e), 1);
    assert_int_equal(e.count, 2);
    assert_string_equal(e.tokens[0].text, "a\\ b\\;c");
    assert_string_equal(e.tokens[1].text, "\"q\\\"x\"");
    sb_lexer_close(lx);
    sb_diag_free(diag);
}

static void errors_skip_the_line(void **state)
{
    (void)state;
    sb_diag_t *diag = sb_diag_new();
    sb_lexer_t *lx = open_text("x TXT \"open\nok A 1.2.3.4\ny )\nz (\n", diag);
    sb_entry_t e;
    assert_int_equal(sb_lexer_next(lx, &e), 1);
    assert_string_equal(e.tokens[0].text, "ok");
    assert_int_equal(sb_lexer_next(lx, &e), 0);
    assert_int_equal(sb_diag_count(diag), 3);
    assert_string_equal(sb_diag_message(diag, 0), "t.zone:1:7: unterminated quoted string");
    assert_string_equal(sb_diag_message(diag, 1), "t.zone:3:3: ')' without a matching '('");
    assert_string_equal(sb_diag_message(diag, 2), "t.zone:4:3: parenthesis is never closed");
    sb_lexer_close(lx);
    sb_diag_free(diag);
}

static void missing_file(void **state)
{
    (void)state;
    sb_diag_t *diag = sb_diag_new();
    sb_lexer_t *lx;
    sb_pos_t whole = {0};
    assert_true(sb_lexer_open(&lx, "/nonexistent/x.zone", whole, diag) < 0);
    assert_true(sb_lexer_open(&lx, "/tmp", whole, diag) < 0);
    sb_pos_t at = {"t.zone", 3, 10};
    assert_true(sb_lexer_open(&lx, "/nonexistent/y.inc", at, diag) < 0);
    assert_string_equal(sb_diag_message(diag, 0),
                        "/nonexistent/x.zone: cannot read: No such file or directory");
    assert_string_equal(sb_diag_message(diag, 1), "/tmp: cannot read: not a regular file");
    assert_string_equal(sb_diag_message(diag, 2),
                        "t.zone:3:10: cannot read '/nonexistent/y.inc': No such file or "
                        "directory");
    sb_diag_free(diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entries_and_positions),
        cmocka_unit_test(escapes_keep_separators),
        cmocka_unit_test(errors_skip_the_line),
        cmocka_unit_test(missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
