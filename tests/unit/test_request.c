/* Control requests: every command read with its arguments, and every way a
 * request can be wrong, with the exact words the client is told. */
#include "sb_test.h"

#include "sb_request.h"

#define NOW 1700000000000LL

static sb_request_t parse_ok(const char *text)
{
    sb_request_t r;
    char err[256] = "";
    if (sb_request_parse(text, strlen(text), NOW, &r, err, sizeof(err)) != 0)
        fail_msg("%s: %s", text, err);
    assert_non_null(r.doc);
    return r;
}

static void expect_error(const char *text, const char *want)
{
    sb_request_t r;
    char err[256];
    assert_int_equal(sb_request_parse(text, strlen(text), NOW, &r, err, sizeof(err)), -EINVAL);
    assert_null(r.doc);
    assert_null(r.command);
    assert_string_equal(err, want);
}

static void commands_and_their_arguments(void **state)
{
    (void)state;
    sb_request_t r = parse_ok("{\"command\": \"status\"}\n");
    assert_int_equal(r.command->kind, SB_REQUEST_STATUS);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"reload\"}");
    assert_int_equal(r.command->kind, SB_REQUEST_RELOAD);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"drain\", \"profile\": \"www.example.com\", "
                 "\"endpoint\": \"east\"}\ntrailing text is not read");
    assert_int_equal(r.command->kind, SB_REQUEST_OVERRIDE);
    assert_int_equal(r.override.op, SB_OVERRIDE_DRAIN);
    assert_string_equal(r.override.profile, "www.example.com");
    assert_string_equal(r.override.endpoint, "east");
    assert_null(r.override.by);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\", "
                 "\"state\": \"down\", \"for_seconds\": 30}");
    assert_int_equal(r.override.op, SB_OVERRIDE_FORCE);
    assert_false(r.override.force_up);
    assert_int_equal(r.override.until_ms, NOW + 30000);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\", "
                 "\"state\": \"up\"}");
    assert_true(r.override.force_up);
    assert_int_equal(r.override.until_ms, 0);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"switchover\", \"profile\": \"p\", \"endpoint\": \"w\", "
                 "\"for_seconds\": 7200}");
    assert_int_equal(r.override.op, SB_OVERRIDE_SWITCHOVER);
    assert_string_equal(r.override.endpoint, "w");
    assert_int_equal(r.override.until_ms, NOW + 7200000);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"switchover\", \"profile\": \"p\", \"endpoint\": \"w\"}");
    assert_int_equal(r.override.until_ms, 0);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"failback\", \"profile\": \"p\"}");
    assert_int_equal(r.override.op, SB_OVERRIDE_FAILBACK);
    assert_null(r.override.endpoint);
    sb_request_free(&r);
}

static void the_table_ctl_builds_from(void **state)
{
    (void)state;
    assert_int_equal(sb_request_command("switchover")->op, SB_OVERRIDE_SWITCHOVER);
    assert_int_equal(sb_request_command("force")->words, 3);
    assert_int_equal(sb_request_command("failback")->words, 1);
    assert_int_equal(sb_request_command("status")->words, 0);
    assert_null(sb_request_command("explode"));
}

/* status may name profiles: only those are shown. */
static void status_of_some_profiles(void **state)
{
    (void)state;
    sb_request_t r = parse_ok("{\"command\": \"status\"}");
    assert_null(r.profiles);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"status\", \"profiles\": [\"www\", \"app.example.com.\"]}");
    assert_int_equal(json_array_size(r.profiles), 2);
    assert_string_equal(json_string_value(json_array_get(r.profiles, 0)), "www");
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"status\", \"profiles\": []}");
    assert_int_equal(json_array_size(r.profiles), 0);
    sb_request_free(&r);
    expect_error("{\"command\": \"status\", \"profiles\": \"www\"}",
                 "bad request: \"profiles\" is not a list");
    expect_error("{\"command\": \"status\", \"profiles\": [\"www\", 1]}",
                 "bad request: \"profiles\" holds something not a name");
    expect_error("{\"command\": \"status\", \"profiles\": [\"\"]}",
                 "bad request: \"profiles\" holds something not a name");
    char big[16 + (SB_REQUEST_MAX_PROFILES + 1) * 4 + 32] =
        "{\"command\": \"status\", \"profiles\": [";
    for (int i = 0; i <= SB_REQUEST_MAX_PROFILES; i++)
        strcat(big, i ? ",\"p\"" : "\"p\"");
    strcat(big, "]}");
    expect_error(big, "status takes at most 256 profiles");
}

/* status may keep to the profiles in trouble, and show a page of them. */
static void status_filter_and_page(void **state)
{
    (void)state;
    sb_request_t r = parse_ok("{\"command\": \"status\"}");
    assert_false(r.down);
    assert_int_equal(r.offset, 0);
    assert_int_equal(r.limit, 0);
    sb_request_free(&r);
    r = parse_ok("{\"command\": \"status\", \"down\": true, \"offset\": 20, \"limit\": 10}");
    assert_true(r.down);
    assert_int_equal(r.offset, 20);
    assert_int_equal(r.limit, 10);
    sb_request_free(&r);
    expect_error("{\"command\": \"status\", \"down\": 1}",
                 "bad request: \"down\" is not true or false");
    expect_error("{\"command\": \"status\", \"limit\": -1}",
                 "bad request: \"limit\" is not a whole number");
    expect_error("{\"command\": \"status\", \"offset\": \"3\"}",
                 "bad request: \"offset\" is not a whole number");
}

/* Every command has its words for `ctl help`, and only status takes any
 * number of them. */
static void every_command_has_help(void **state)
{
    (void)state;
    size_t n;
    const sb_request_command_t *cmds = sb_request_commands(&n);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(sb_request_command(cmds[i].name), &cmds[i]);
        assert_non_null(cmds[i].args);
        assert_true(strlen(cmds[i].summary) > 0);
        assert_true(strlen(cmds[i].help) > 0 && cmds[i].help[strlen(cmds[i].help) - 1] == '\n');
        assert_int_equal(cmds[i].any_words, cmds[i].kind == SB_REQUEST_STATUS);
    }
}

static void bad_requests(void **state)
{
    (void)state;
    expect_error("", "bad request: '[' or '{' expected near end of file");
    expect_error("[1]", "bad request: not an object");
    expect_error("{}", "bad request: no \"command\"");
    expect_error("{\"command\": 7}", "bad request: \"command\" is not a string");
    expect_error("{\"command\": \"explode\"}", "unknown command 'explode'");
    expect_error("{\"command\": \"status\", \"command\": \"reload\"}",
                 "bad request: duplicate object key near '\"command\"'");
    expect_error("{\"command\": \"drain\", \"profile\": \"p\"}", "drain needs an endpoint");
    expect_error("{\"command\": \"drain\", \"endpoint\": \"e\"}",
                 "bad request: Object item not found: profile");
    expect_error("{\"command\": \"drain\", \"profile\": 1, \"endpoint\": \"e\"}",
                 "bad request: Expected string, got integer");
    expect_error("{\"command\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\"}",
                 "force needs a state: up or down");
    expect_error("{\"command\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\", "
                 "\"state\": \"sideways\"}",
                 "force needs a state: up or down");
    expect_error("{\"command\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\", "
                 "\"state\": \"up\", \"for_seconds\": 0}",
                 "for_seconds must be from 1 to 31536000 (leave it out for a force without end)");
    expect_error("{\"command\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\", "
                 "\"state\": \"up\", \"for_seconds\": 31536001}",
                 "for_seconds must be from 1 to 31536000 (leave it out for a force without end)");
    expect_error("{\"command\": \"force\", \"profile\": \"p\", \"endpoint\": \"e\", "
                 "\"state\": \"up\", \"for_seconds\": \"10\"}",
                 "bad request: Expected integer, got string");
    /* A switchover's end has the same limits, in its own words. */
    expect_error("{\"command\": \"switchover\", \"profile\": \"p\", \"endpoint\": \"w\", "
                 "\"for_seconds\": 0}",
                 "for_seconds must be from 1 to 31536000 (leave it out for a switchover without "
                 "end)");
    expect_error("{\"command\": \"switchover\", \"profile\": \"p\", \"endpoint\": \"w\", "
                 "\"for_seconds\": 31536001}",
                 "for_seconds must be from 1 to 31536000 (leave it out for a switchover without "
                 "end)");
    /* Nothing else ends by itself: an end there would be silently lost. */
    expect_error("{\"command\": \"drain\", \"profile\": \"p\", \"endpoint\": \"e\", "
                 "\"for_seconds\": 60}",
                 "drain takes no for_seconds (only force and switchover end by themselves)");
    expect_error("{\"command\": \"failback\", \"profile\": \"p\", \"for_seconds\": 60}",
                 "failback takes no for_seconds (only force and switchover end by themselves)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commands_and_their_arguments), cmocka_unit_test(the_table_ctl_builds_from),
        cmocka_unit_test(status_of_some_profiles),      cmocka_unit_test(status_filter_and_page),
        cmocka_unit_test(every_command_has_help),       cmocka_unit_test(bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
