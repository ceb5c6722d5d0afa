/*
 * libFuzzer harness for the state file's parser: every input is the text
 * of a state file, given to sb_state_parse() as start-up reads it.
 *
 * Checked, aborting on a violation:
 *   - every entry handed over has an action the file format knows, a
 *     profile and an endpoint, and is marked as restored;
 *   - the count returned is the entries kept, and kept plus dropped is the
 *     number of entries visited or dropped;
 *   - a file that is refused as a whole says where and what, names the
 *     file, and quotes none of its text (no "near '...'").
 * ASan, UBSan and LeakSanitizer catch the rest.
 *
 * Build and run: see docs/development.md, "Fuzzing".
 */
#include "fuzz.h"

#include "sb_log.h"
#include "sb_state.h"

#include <errno.h>
#include <string.h>

static size_t visited;

/* Keep every other entry, so that both counts move. */
static bool visit(const sb_state_entry_t *e, void *arg)
{
    (void)arg;
    const sb_override_t *o = &e->override;
    CHECK(e->action != NULL && o->profile != NULL && o->endpoint != NULL);
    CHECK(strcmp(e->action, "drain") == 0 || strcmp(e->action, "force") == 0 ||
          strcmp(e->action, "switchover") == 0);
    CHECK(o->op == SB_OVERRIDE_DRAIN || o->op == SB_OVERRIDE_FORCE ||
          o->op == SB_OVERRIDE_SWITCHOVER);
    CHECK(o->restored);
    CHECK(strlen(o->profile) < (1u << 30)); /* readable to its end */
    return visited++ % 2 == 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_log_set_level(SB_LOG_ERROR); /* dropped entries log warnings */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    size_t dropped = 0;
    visited = 0;
    int kept = sb_state_parse("state.json", (const char *)data, size, visit, NULL, &dropped, err,
                              sizeof(err));
    if (kept == -EINVAL) {
        CHECK(strncmp(err, "state.json", 10) == 0);
        CHECK(strstr(err, " near ") == NULL);
        CHECK(visited == 0);
        return 0;
    }
    CHECK(kept >= 0);
    CHECK((size_t)kept == (visited + 1) / 2);
    CHECK(dropped >= visited - (size_t)kept);
    return 0;
}
