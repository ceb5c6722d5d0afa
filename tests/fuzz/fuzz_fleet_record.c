/*
 * libFuzzer harness for the fleet's override records: every input is one
 * value as the fleet's bucket delivers it (from any node, or anyone who can
 * write to the bucket), given to sb_fleet_record_decode().
 *
 * Checked, aborting on a violation:
 *   - a value that decodes has a known action, a profile, an endpoint
 *     unless it is a failback, a valid node name, a setter that names
 *     the node, and no end unless it is a force or a switchover;
 *     encoding it again and decoding that gives the same override, and its
 *     slot key can be made;
 *   - one that does not has words and no document.
 * ASan, UBSan and LeakSanitizer catch the rest.
 *
 * Build and run: see docs/development.md, "Fuzzing".
 */
#include "fuzz.h"

#include "sb_fleet_config.h"
#include "sb_fleet_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_round_trip(const sb_fleet_record_t *r)
{
    sb_override_t as_asked = r->override; /* the record names its node itself */
    as_asked.by = r->asked_by;
    const sb_override_t *o = &as_asked;
    char *again = sb_fleet_record_encode(o, r->node, r->at_ms);
    CHECK(again != NULL);
    sb_fleet_record_t back;
    char err[160];
    CHECK(sb_fleet_record_decode(again, strlen(again), &back, err, sizeof(err)) == 0);
    CHECK(back.override.op == o->op);
    CHECK(strcmp(back.override.profile, o->profile) == 0);
    CHECK((back.override.endpoint == NULL) ==
          (o->endpoint == NULL || o->op == SB_OVERRIDE_FAILBACK));
    CHECK(back.override.force_up == o->force_up && back.override.until_ms == o->until_ms);
    CHECK(strcmp(back.node, r->node) == 0 && back.at_ms == r->at_ms);
    CHECK(strcmp(back.override.by, r->override.by) == 0);
    sb_fleet_record_free(&back);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_fleet_record_t r;
    char err[160] = "";
    int rc = sb_fleet_record_decode((const char *)data, size, &r, err, sizeof(err));
    if (rc < 0) {
        CHECK(rc == -EINVAL || rc == -ENOMEM);
        CHECK(err[0] != '\0');
        CHECK(r.doc == NULL);
        return 0;
    }
    const sb_override_t *o = &r.override;
    CHECK(o->profile != NULL && r.node != NULL && o->by != NULL && r.asked_by != NULL);
    CHECK(sb_fleet_config_name_ok(r.node));
    CHECK(o->endpoint != NULL || o->op == SB_OVERRIDE_FAILBACK);
    CHECK(o->until_ms >= 0 && (o->until_ms == 0 || sb_override_timed(o->op)));
    const char *at = strrchr(o->by, '@');
    CHECK(at != NULL && strcmp(at + 1, r.node) == 0);
    char key[SB_FLEET_KEY_MAX];
    CHECK(sb_fleet_record_key(o, key, sizeof(key)) == 0);
    check_round_trip(&r);
    sb_fleet_record_free(&r);
    return 0;
}
