/* Name-value files: comments, blanks and CRs dropped, where name and value
 * start, a line cut at a NUL, a file that cannot be read, and a stop
 * asked for by the caller. */
#include "sb_test.h"

#include "sb_kvfile.h"

#include <stdlib.h>
#include <unistd.h>

typedef struct {
    char seen[8][80];
    int count;
    int stop_at; /* 0: never */
} lines_t;

static int collect(void *arg, const char *name, size_t name_len, const char *value,
                   sb_pos_t name_pos, sb_pos_t value_pos)
{
    lines_t *l = arg;
    snprintf(l->seen[l->count % 8], sizeof(l->seen[0]), "%u:%u %.*s|%s|%u", name_pos.line,
             name_pos.col, (int)name_len, name, value, value_pos.col);
    l->count++;
    return l->count == l->stop_at ? -EINTR : 0;
}

static char path[64];

static void write_file(const char *text, size_t len)
{
    snprintf(path, sizeof(path), "/tmp/sb-test-kvfile-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void lines_names_and_values(void **state)
{
    (void)state;
    const char text[] = "# a comment\n"
                        "\n"
                        "zones zones\n"
                        "  listen\t 127.0.0.1:5353  # trailing words\r\n"
                        "threads\n"
                        "\t\t\n"
                        "nsid ns1\0hidden after a NUL\n"
                        "last line without a newline";
    write_file(text, sizeof(text) - 1);
    lines_t l = {0};
    sb_diag_t *diag = sb_diag_new();
    assert_int_equal(sb_kvfile_read(path, collect, &l, diag), 0);
    assert_int_equal(sb_diag_count(diag), 0);
    assert_int_equal(l.count, 5);
    assert_string_equal(l.seen[0], "3:1 zones|zones|7");
    assert_string_equal(l.seen[1], "4:3 listen|127.0.0.1:5353|11");
    assert_string_equal(l.seen[2], "5:1 threads||8");
    assert_string_equal(l.seen[3], "7:1 nsid|ns1|6");
    assert_string_equal(l.seen[4], "8:1 last|line without a newline|6");
    sb_diag_free(diag);
    unlink(path);
}

static void the_caller_may_stop(void **state)
{
    (void)state;
    const char text[] = "a 1\nb 2\nc 3\n";
    write_file(text, sizeof(text) - 1);
    lines_t l = {.stop_at = 2};
    sb_diag_t *diag = sb_diag_new();
    assert_int_equal(sb_kvfile_read(path, collect, &l, diag), -EINTR);
    assert_int_equal(l.count, 2);
    sb_diag_free(diag);
    unlink(path);
}

static void what_cannot_be_read_is_an_error_at_the_file(void **state)
{
    (void)state;
    lines_t l = {0};
    sb_diag_t *diag = sb_diag_new();
    assert_int_equal(sb_kvfile_read("/nonexistent/sb.conf", collect, &l, diag), 0);
    assert_int_equal(sb_kvfile_read("/tmp", collect, &l, diag), 0);
    assert_int_equal(l.count, 0);
    assert_int_equal(sb_diag_count(diag), 2);
    assert_string_equal(sb_diag_message(diag, 0),
                        "/nonexistent/sb.conf: cannot read: No such file or directory");
    assert_string_equal(sb_diag_message(diag, 1), "/tmp: cannot read: not a regular file");
    sb_diag_free(diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_names_and_values),
        cmocka_unit_test(the_caller_may_stop),
        cmocka_unit_test(what_cannot_be_read_is_an_error_at_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
