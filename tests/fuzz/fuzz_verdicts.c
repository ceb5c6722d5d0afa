/*
 * libFuzzer harness for the fleet's health messages: every input is one
 * message as <fleet>.health.<node> delivers it, given to
 * sb_verdicts_decode().
 *
 * Checked, aborting on a violation: a message that reads has a valid node
 * name, a period in range, at most SB_VERDICTS_PER_MESSAGE views each with
 * a profile and an endpoint of 1-255 bytes, and reads back the same once
 * written again; one that does not leaves nothing behind.
 * ASan, UBSan and LeakSanitizer catch the rest.
 */
#include "fuzz.h"

#include "sb_verdicts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_round_trip(const sb_verdicts_t *m)
{
    sb_verdicts_writer_t w;
    CHECK(sb_verdicts_begin(&w, m->node, m->full) == 0);
    for (size_t i = 0; i < m->count; i++)
        CHECK(sb_verdicts_add(&w, m->views[i].profile, m->views[i].endpoint, m->views[i].up) == 0);
    char *text = sb_verdicts_finish(&w);
    CHECK(text != NULL);
    sb_verdicts_t back;
    CHECK(sb_verdicts_decode(text, strlen(text), &back) == 0);
    CHECK(back.count == m->count && back.full == m->full && strcmp(back.node, m->node) == 0);
    for (size_t i = 0; i < m->count; i++) {
        CHECK(strcmp(back.views[i].profile, m->views[i].profile) == 0);
        CHECK(strcmp(back.views[i].endpoint, m->views[i].endpoint) == 0);
        CHECK(back.views[i].up == m->views[i].up);
    }
    sb_verdicts_free(&back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_verdicts_t m;
    int rc = sb_verdicts_decode((const char *)data, size, &m);
    if (rc < 0) {
        CHECK(rc == -EINVAL || rc == -ENOMEM);
        CHECK(m.doc == NULL && m.views == NULL);
        return 0;
    }
    CHECK(sb_verdicts_node_ok(m.node));
    CHECK(m.period_ms >= 100 && m.period_ms <= 3600000);
    CHECK(m.count <= SB_VERDICTS_PER_MESSAGE);
    for (size_t i = 0; i < m.count; i++) {
        size_t pl = strlen(m.views[i].profile), el = strlen(m.views[i].endpoint);
        CHECK(pl >= 1 && pl <= 255 && el >= 1 && el <= 255);
    }
    check_round_trip(&m);
    sb_verdicts_free(&m);
    return 0;
}
