/* The HTTP API's requests: every resource and method, each action's body
 * into the control protocol's request, every way a request can be wrong
 * with its status and words, and bearer tokens. */
#include "sb_test.h"

#include "sb_api_request.h"

#define NOW 1700000000000LL

static sb_api_request_t parse_ok(const char *method, const char *path, const char *body)
{
    sb_api_request_t r;
    char err[512] = "";
    const char *allow;
    int status = sb_api_request_parse(method, path, body, body ? strlen(body) : 0, NOW, &r, err,
                                      sizeof(err), &allow);
    if (status != 200)
        fail_msg("%s %s %s: %d %s", method, path, body ? body : "", status, err);
    return r;
}

static void expect_status(const char *method, const char *path, const char *body, int want,
                          const char *words, const char *want_allow)
{
    sb_api_request_t r;
    char err[512] = "";
    const char *allow;
    int status = sb_api_request_parse(method, path, body, body ? strlen(body) : 0, NOW, &r, err,
                                      sizeof(err), &allow);
    assert_int_equal(status, want);
    assert_string_equal(err, words);
    assert_null(r.req.doc);
    if (want_allow == NULL)
        assert_null(allow);
    else
        assert_string_equal(allow, want_allow);
}

/* GET /api/v1/status?profile=a,b&down=1&limit=N&offset=N, and what is
 * refused. */
static void status_query(void **state)
{
    (void)state;
    char err[512] = "";
    sb_api_request_t r = parse_ok("GET", "/api/v1/status", NULL);
    assert_int_equal(sb_api_request_status_query(&r, "www,app.example.com.", "true", "10", "20",
                                                 err, sizeof(err)),
                     200);
    assert_int_equal(json_array_size(r.req.profiles), 2);
    assert_string_equal(json_string_value(json_array_get(r.req.profiles, 1)), "app.example.com.");
    assert_true(r.req.down);
    assert_int_equal(r.req.limit, 10);
    assert_int_equal(r.req.offset, 20);
    sb_api_request_free(&r);
    r = parse_ok("GET", "/api/v1/status", NULL);
    assert_int_equal(sb_api_request_status_query(&r, NULL, "0", NULL, NULL, err, sizeof(err)), 200);
    assert_false(r.req.down);
    assert_null(r.req.profiles);
    static const struct {
        const char *profile, *down, *limit, *offset, *words;
    } bad[] = {
        {NULL, "yes", NULL, NULL, "down= takes 1, true, 0 or false"},
        {NULL, NULL, "-1", NULL, "limit= takes a whole number"},
        {NULL, NULL, NULL, "1x", "offset= takes a whole number"},
        {"www,,api", NULL, NULL, NULL, "profile= holds an empty or unreadable name"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sb_api_request_status_query(&r, bad[i].profile, bad[i].down, bad[i].limit,
                                                     bad[i].offset, err, sizeof(err)),
                         400);
        assert_string_equal(err, bad[i].words);
    }
    sb_api_request_free(&r);
}

static void resources(void **state)
{
    (void)state;
    sb_api_request_t r = parse_ok("GET", "/", NULL);
    assert_int_equal(r.kind, SB_API_PAGE);
    assert_false(r.action);
    r = parse_ok("HEAD", "/api/v1/status", NULL);
    assert_int_equal(r.kind, SB_API_CONTROL);
    assert_false(r.action);
    assert_int_equal(r.req.command->kind, SB_REQUEST_STATUS);
    sb_api_request_free(&r);
    r = parse_ok("POST", "/api/v1/reload", NULL);
    assert_true(r.action);
    assert_int_equal(r.req.command->kind, SB_REQUEST_RELOAD);
    sb_api_request_free(&r);
    r = parse_ok("POST", "/api/v1/reload", "{}");
    assert_int_equal(r.req.command->kind, SB_REQUEST_RELOAD);
    sb_api_request_free(&r);
}

static void actions(void **state)
{
    (void)state;
    sb_api_request_t r = parse_ok("POST", "/api/v1/drain",
                                  "{\"profile\": \"www.example.com\", \"endpoint\": \"east\"}");
    assert_int_equal(r.req.override.op, SB_OVERRIDE_DRAIN);
    assert_string_equal(r.req.override.profile, "www.example.com");
    assert_string_equal(r.req.override.endpoint, "east");
    assert_false(r.req.override.local);
    sb_api_request_free(&r);
    r = parse_ok("POST", "/api/v1/force",
                 "{\"profile\": \"p\", \"endpoint\": \"e\", \"state\": \"down\", \"for\": \"30m\", "
                 "\"local\": true}");
    assert_int_equal(r.req.override.op, SB_OVERRIDE_FORCE);
    assert_false(r.req.override.force_up);
    assert_true(r.req.override.local);
    assert_int_equal(r.req.override.until_ms, NOW + 30 * 60 * 1000);
    sb_api_request_free(&r);
    /* "for" rounds up to a whole second, as ctl's --for does. */
    r = parse_ok("POST", "/api/v1/switchover",
                 "{\"profile\": \"p\", \"endpoint\": \"w\", \"for\": \"1500ms\"}");
    assert_int_equal(r.req.override.until_ms, NOW + 2000);
    sb_api_request_free(&r);
    r = parse_ok("POST", "/api/v1/switchover",
                 "{\"profile\": \"p\", \"endpoint\": \"w\", \"for_seconds\": 7200}");
    assert_int_equal(r.req.override.until_ms, NOW + 7200 * 1000);
    sb_api_request_free(&r);
    static const char *const names[] = {"undrain", "unforce"};
    for (size_t i = 0; i < 2; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/api/v1/%s", names[i]);
        r = parse_ok("POST", path, "{\"profile\": \"p\", \"endpoint\": \"e\"}");
        assert_string_equal(r.req.command->name, names[i]);
        sb_api_request_free(&r);
    }
    r = parse_ok("POST", "/api/v1/failback", "{\"profile\": \"p\"}");
    assert_int_equal(r.req.override.op, SB_OVERRIDE_FAILBACK);
    sb_api_request_free(&r);
}

static void wrong_resources_and_methods(void **state)
{
    (void)state;
    expect_status("GET", "/index.html", NULL, 404, "no such resource; the API is under /api/v1/",
                  NULL);
    expect_status("POST", "/api/v1/nothing", "{}", 404,
                  "no such resource; the API is under /api/v1/", NULL);
    expect_status("POST", "/api/v1/", "{}", 404, "no such resource; the API is under /api/v1/",
                  NULL);
    expect_status("POST", "/api/v1/status", NULL, 405, "/api/v1/status takes GET or HEAD",
                  "GET, HEAD");
    expect_status("DELETE", "/", NULL, 405, "/ takes GET or HEAD", "GET, HEAD");
    expect_status("GET", "/api/v1/drain", NULL, 405, "/api/v1/drain takes POST", "POST");
}

static void bad_bodies(void **state)
{
    (void)state;
    expect_status("POST", "/api/v1/drain", "{\"profile\": ", 400,
                  "the body is not JSON: unexpected token near end of file", NULL);
    expect_status("POST", "/api/v1/drain", "[1]", 400, "the body must be a JSON object", NULL);
    expect_status("POST", "/api/v1/drain", "{\"profile\": \"p\"} {}", 400,
                  "the body is not JSON: end of file expected near '{'", NULL);
    expect_status("POST", "/api/v1/drain", "{\"profile\": \"p\", \"profile\": \"q\"}", 400,
                  "the body is not JSON: duplicate object key near '\"profile\"'", NULL);
    expect_status("POST", "/api/v1/drain",
                  "{\"profile\": \"p\", \"endpoint\": \"e\", "
                  "\"command\": \"reload\"}",
                  400, "unknown field 'command' (the command is the path)", NULL);
    expect_status("POST", "/api/v1/drain", "{\"profile\": \"p\", \"endpont\": \"e\"}", 400,
                  "unknown field 'endpont' (the command is the path)", NULL);
    expect_status("POST", "/api/v1/drain", "{\"profile\": \"p\"}", 400, "drain needs an endpoint",
                  NULL);
    expect_status("POST", "/api/v1/force", "{\"profile\": \"p\", \"endpoint\": \"e\"}", 400,
                  "force needs a state: up or down", NULL);
    expect_status("POST", "/api/v1/switchover",
                  "{\"profile\": \"p\", \"endpoint\": \"e\", "
                  "\"for\": \"2h\", \"for_seconds\": 60}",
                  400, "give for or for_seconds, not both", NULL);
    expect_status("POST", "/api/v1/switchover",
                  "{\"profile\": \"p\", \"endpoint\": \"e\", "
                  "\"for\": 60}",
                  400, "for must be a duration text, as in \"30m\" or \"2h\"", NULL);
    expect_status("POST", "/api/v1/switchover",
                  "{\"profile\": \"p\", \"endpoint\": \"e\", "
                  "\"for\": \"9000h\"}",
                  400,
                  "for_seconds must be from 1 to 31536000 (leave it out for a switchover "
                  "without end)",
                  NULL);
    expect_status("POST", "/api/v1/drain",
                  "{\"profile\": \"p\", \"endpoint\": \"e\", "
                  "\"for\": \"1h\"}",
                  400, "drain takes no for_seconds (only force and switchover end by themselves)",
                  NULL);
    char big[SB_API_BODY_MAX + 2];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_status("POST", "/api/v1/reload", big, 413, "the body is over 8192 bytes", NULL);
}

static void bearer_tokens(void **state)
{
    (void)state;
    const char *token;
    size_t len;
    assert_int_equal(sb_api_request_bearer("Bearer abc-._~+/9==", &token, &len), 0);
    assert_int_equal(len, strlen("abc-._~+/9=="));
    assert_memory_equal(token, "abc-._~+/9==", len);
    assert_int_equal(sb_api_request_bearer("bearer   xyz  ", &token, &len), 0);
    assert_int_equal(len, 3);
    static const char *const bad[] = {"Bearer",      "Bearer ",     "Basic dXNlcjpwYXNz",
                                      "Bearerxyz",   "Bearer a b",  "Bearer =abc",
                                      "Bearer ab=c", "Bearer a\"b", "Bearer é"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sb_api_request_bearer(bad[i], &token, &len) != -EINVAL)
            fail_msg("accepted %s", bad[i]);
    }
    assert_int_equal(sb_api_request_bearer(NULL, &token, &len), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resources),  cmocka_unit_test(status_query),
        cmocka_unit_test(actions),    cmocka_unit_test(wrong_resources_and_methods),
        cmocka_unit_test(bad_bodies), cmocka_unit_test(bearer_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
