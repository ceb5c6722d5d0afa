/* The log line's shape: values quoted and escaped by sb_log_quote(), and
 * whole lines as sb_log() writes them. */
#include "sb_test.h"

#include "sb_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *quote(const char *text, bool always)
{
    static char buf[SB_LOG_QUOTE_MAX];
    return sb_log_quote(buf, sizeof(buf), text, always);
}

static void plain_values(void **state)
{
    (void)state;
    assert_string_equal(quote("refused", false), "refused");
    assert_string_equal(quote("refused", true), "\"refused\"");
    assert_string_equal(quote("uid=1000", false), "uid=1000");
    assert_string_equal(quote("/var/lib/switchboard/state.json", false),
                        "/var/lib/switchboard/state.json");
    assert_string_equal(quote("", false), "\"\"");
    assert_string_equal(quote("connect refused", false), "\"connect refused\"");
    assert_string_equal(quote("café", false), "café"); /* UTF-8 stays as it is */
}

static void escapes(void **state)
{
    (void)state;
    /* The real lines that broke the format. */
    assert_string_equal(
        quote("/tmp/sb/state.json: not a version 1 state file (no \"overrides\" list)", true),
        "\"/tmp/sb/state.json: not a version 1 state file (no \\\"overrides\\\" list)\"");
    assert_string_equal(
        quote("example.com.zone:18:19: unexpected '\"x y\"' after the A record's data", true),
        "\"example.com.zone:18:19: unexpected '\\\"x y\\\"' after the A record's data\"");
    assert_string_equal(quote("a\\b", false), "\"a\\\\b\"");
    assert_string_equal(quote("say \"hi\"", false), "\"say \\\"hi\\\"\"");
    assert_string_equal(quote("x\"y", false), "\"x\\\"y\"");
    /* Nothing can end the line or fake a key on a new one. */
    assert_string_equal(quote("one\ntwo\r\tthree", true), "\"one\\ntwo\\r\\tthree\"");
    assert_string_equal(quote("\x01\x1f\x7f", false), "\"\\x01\\x1f\\x7f\"");
    assert_string_equal(quote("a\nevent=fake", false), "\"a\\nevent=fake\"");
}

static void cut_to_fit(void **state)
{
    (void)state;
    char buf[8];
    /* Room for 5 characters between the quotes. */
    assert_string_equal(sb_log_quote(buf, sizeof(buf), "abcdefgh", true), "\"abcde\"");
    /* An escape that does not fit whole is left out. */
    assert_string_equal(sb_log_quote(buf, sizeof(buf), "abcd\"e", true), "\"abcd\"");
    assert_string_equal(sb_log_quote(buf, sizeof(buf), "abc\"e", true), "\"abc\\\"\"");
    assert_string_equal(sb_log_quote(buf, sizeof(buf), "ab\x01", true), "\"ab\"");
    /* Unquoted, the whole buffer but the NUL. */
    assert_string_equal(sb_log_quote(buf, sizeof(buf), "abcdefghij", false), "abcdefg");
    char tiny[3];
    assert_string_equal(sb_log_quote(tiny, sizeof(tiny), "abc", true), "\"\"");
}

/* A line as written to a pipe, without its timestamp. */
static void whole_line(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    sb_log_set_fd(fds[1]);
    char q[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_ERROR, "state-unreadable",
           "reason=%s action=\"starting without saved overrides\"",
           sb_log_quote(q, sizeof(q), "s.json: not a version 1 state file (no \"overrides\" list)",
                        true));
    sb_log_set_fd(2);
    close(fds[1]);
    char line[512] = "";
    ssize_t n = read(fds[0], line, sizeof(line) - 1);
    close(fds[0]);
    assert_true(n > 0);
    line[n] = '\0';
    const char *rest = strstr(line, " level=");
    assert_non_null(rest);
    assert_string_equal(rest,
                        " level=error event=state-unreadable reason=\"s.json: not a version 1 "
                        "state file (no \\\"overrides\\\" list)\" action=\"starting without "
                        "saved overrides\"\n");
}

/* What one sb_log() line at `level` looks like on a fresh pipe, with
 * $JOURNAL_STREAM naming that pipe (`match`) or something else. */
static void journal_line(sb_log_level_t level, bool match, char *line, size_t cap)
{
    int fds[2];
    struct stat st;
    char env[64];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(fstat(fds[1], &st), 0);
    snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
             (uintmax_t)st.st_ino + (match ? 0 : 1));
    setenv("JOURNAL_STREAM", env, 1);
    sb_log_set_fd(fds[1]);
    assert_int_equal(sb_log_detect_journal(), match);
    sb_log(level, "endpoint-state", "to=down");
    sb_log_set_fd(2);
    sb_log_detect_journal(); /* no longer: stderr is not that pipe */
    unsetenv("JOURNAL_STREAM");
    close(fds[1]);
    ssize_t n = read(fds[0], line, cap - 1);
    close(fds[0]);
    assert_true(n > 0);
    line[n] = '\0';
}

/* journald takes "<N>" at a line's start as its priority (and strips it):
 * there only when standard error is the journal's stream. */
static void journal_priorities(void **state)
{
    (void)state;
    static const struct {
        sb_log_level_t level;
        const char *prefix;
    } cases[] = {{SB_LOG_ERROR, "<3>ts="}, {SB_LOG_WARNING, "<4>ts="}, {SB_LOG_INFO, "<6>ts="}};
    char line[512];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        journal_line(cases[i].level, true, line, sizeof(line));
        assert_memory_equal(line, cases[i].prefix, strlen(cases[i].prefix));
        journal_line(cases[i].level, false, line, sizeof(line));
        assert_memory_equal(line, "ts=", 3);
    }
    setenv("JOURNAL_STREAM", "garbage", 1);
    assert_false(sb_log_detect_journal());
    unsetenv("JOURNAL_STREAM");
    assert_false(sb_log_detect_journal());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_values),       cmocka_unit_test(escapes),
        cmocka_unit_test(cut_to_fit),         cmocka_unit_test(whole_line),
        cmocka_unit_test(journal_priorities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
