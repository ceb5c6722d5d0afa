/*
 * libFuzzer harness for the HTTP API's requests: every input is one request
 * as libmicrohttpd hands it over, written as
 *   METHOD \n PATH \n AUTHORIZATION \n BODY
 * (missing lines are empty), given to sb_api_request_parse() and the
 * Authorization value to sb_api_request_bearer().
 *
 * Checked, aborting on a violation:
 *   - the status is 200, 400, 404, 405 or 413; 405 says what is allowed;
 *     anything but 200 has words for the client and no request;
 *   - a 200 is the page (GET or HEAD of /), the status (GET or HEAD of
 *     /api/v1/status, no token needed), or a POST of /api/v1/COMMAND
 *     whose parsed request is COMMAND's and needs the token; its override
 *     obeys what fuzz_request checks (a profile; an endpoint unless a
 *     failback; an end only for force and switchover, 1 s to a year on);
 *   - a bearer token found lies inside the header, is not empty, and is
 *     made of token characters only.
 * ASan, UBSan and LeakSanitizer catch the rest.
 *
 * Build and run: see docs/development.md, "Fuzzing".
 */
#include "fuzz.h"

#include "sb_api_request.h"

#include <string.h>

#define NOW 1700000000000LL

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* The next line of the input, NUL-terminated, in `out` (cut to `cap`). */
static const uint8_t *line(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    const uint8_t *stop = nl != NULL ? nl : end;
    size_t n = (size_t)(stop - p) < cap - 1 ? (size_t)(stop - p) : cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return nl != NULL ? nl + 1 : end;
}

static void check_bearer(const char *header)
{
    const char *token = NULL;
    size_t len = 0;
    if (sb_api_request_bearer(header, &token, &len) < 0)
        return;
    CHECK(token >= header && token + len <= header + strlen(header));
    CHECK(len > 0 && sb_api_request_token_ok(token, len));
}

static void check_ok(const char *method, const char *path, const sb_api_request_t *r)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (r->kind == SB_API_PAGE) {
        CHECK(get && strcmp(path, SB_API_PAGE_PATH) == 0 && !r->action && r->req.doc == NULL);
        return;
    }
    CHECK(r->kind == SB_API_CONTROL && r->req.doc != NULL && r->req.command != NULL);
    if (r->req.command->kind == SB_REQUEST_STATUS) {
        CHECK(get && strcmp(path, SB_API_STATUS_PATH) == 0 && !r->action);
        return;
    }
    CHECK(strcmp(method, "POST") == 0 && r->action);
    CHECK(strncmp(path, SB_API_PREFIX, strlen(SB_API_PREFIX)) == 0);
    CHECK(strcmp(path + strlen(SB_API_PREFIX), r->req.command->name) == 0);
    if (r->req.command->kind != SB_REQUEST_OVERRIDE)
        return;
    const sb_override_t *o = &r->req.override;
    CHECK(o->profile != NULL && o->by == NULL);
    CHECK(o->endpoint != NULL || o->op == SB_OVERRIDE_FAILBACK);
    CHECK(o->until_ms == 0 || sb_override_timed(o->op));
    CHECK(o->until_ms == 0 || (o->until_ms >= NOW + 1000 &&
                               o->until_ms <= NOW + (int64_t)SB_REQUEST_FOR_MAX_SECONDS * 1000));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char method[32], path[512], auth[512];
    const uint8_t *end = data + size, *p = data;
    p = line(p, end, method, sizeof(method));
    p = line(p, end, path, sizeof(path));
    p = line(p, end, auth, sizeof(auth));
    check_bearer(auth);
    sb_api_request_t r;
    char err[512] = "";
    const char *allow = NULL;
    int status = sb_api_request_parse(method, path, (const char *)p, (size_t)(end - p), NOW, &r,
                                      err, sizeof(err), &allow);
    if (status != 200) {
        CHECK(status == 400 || status == 404 || status == 405 || status == 413);
        CHECK(err[0] != '\0' && r.req.doc == NULL);
        CHECK((status == 405) == (allow != NULL));
        return 0;
    }
    check_ok(method, path, &r);
    sb_api_request_free(&r);
    return 0;
}
