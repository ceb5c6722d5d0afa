/*
 * libFuzzer harness for the control socket's requests: every input is one
 * request as a client sends it, given to sb_request_parse().
 *
 * Checked, aborting on a violation:
 *   - a request that parses has a command from the table; an override has
 *     a profile, and an endpoint unless it is a failback; a force or a
 *     switchover ends never, or from 1 s to a year after now; no other
 *     override has an end; a status's profiles, when given, are at most
 *     SB_REQUEST_MAX_PROFILES names, none empty;
 *   - one that does not has words for the client and no document.
 * ASan, UBSan and LeakSanitizer catch the rest.
 *
 * Build and run: see docs/development.md, "Fuzzing".
 */
#include "fuzz.h"

#include "sb_request.h"

#include <errno.h>
#include <string.h>

#define NOW 1700000000000LL

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_override(const sb_request_t *r)
{
    const sb_override_t *o = &r->override;
    CHECK(o->op == r->command->op);
    CHECK(o->profile != NULL);
    CHECK(o->endpoint != NULL || o->op == SB_OVERRIDE_FAILBACK);
    CHECK(o->by == NULL);
    CHECK(o->until_ms == 0 || sb_override_timed(o->op));
    if (o->until_ms != 0) {
        CHECK(o->until_ms >= NOW + 1000);
        CHECK(o->until_ms <= NOW + (int64_t)SB_REQUEST_FOR_MAX_SECONDS * 1000);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_request_t r;
    char err[512] = "";
    int rc = sb_request_parse((const char *)data, size, NOW, &r, err, sizeof(err));
    if (rc < 0) {
        CHECK(rc == -EINVAL);
        CHECK(err[0] != '\0');
        CHECK(r.doc == NULL && r.command == NULL);
        return 0;
    }
    CHECK(rc == 0 && r.doc != NULL && r.command != NULL);
    CHECK(sb_request_command(r.command->name) == r.command);
    if (r.command->kind == SB_REQUEST_OVERRIDE)
        check_override(&r);
    /* status's profiles, when given, are a list of names within bounds. */
    CHECK(r.profiles == NULL || r.command->kind == SB_REQUEST_STATUS);
    for (size_t i = 0; i < json_array_size(r.profiles); i++)
        CHECK(json_string_length(json_array_get(r.profiles, i)) > 0);
    CHECK(json_array_size(r.profiles) <= SB_REQUEST_MAX_PROFILES);
    sb_request_free(&r);
    return 0;
}
