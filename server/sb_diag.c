#include "sb_diag.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;
    char *file; /* our own copy: the caller's may not outlive us */
    sb_pos_t pos;
    size_t seq; /* arrival order, to keep the sort stable */
} message_t;

struct sb_diag {
    message_t messages[SB_DIAG_MAX];
    size_t kept;
    size_t total;
    bool sorted;
};

sb_diag_t *sb_diag_new(void)
{
    return calloc(1, sizeof(sb_diag_t));
}

void sb_diag_free(sb_diag_t *diag)
{
    if (diag == NULL)
        return;
    for (size_t i = 0; i < diag->kept; i++) {
        free(diag->messages[i].text);
        free(diag->messages[i].file);
    }
    free(diag);
}

/* Every diagnostic has a position. One without a file comes from a
 * position field that was never set: a bug, which debug builds (the tests,
 * the fuzzers) stop at. A release build still reports the error, marked,
 * rather than crash a running server in the middle of a reload. */
static sb_pos_t placed(sb_pos_t pos)
{
    assert(pos.file != NULL && "a diagnostic without a position");
    if (pos.file == NULL)
        pos = (sb_pos_t){SB_DIAG_NO_POSITION, 0, 0};
    return pos;
}

void sb_diag_error(sb_diag_t *diag, sb_pos_t pos, const char *fmt, ...)
{
    pos = placed(pos);
    diag->total++;
    if (diag->kept >= SB_DIAG_MAX)
        return;
    char body[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    char line[1400];
    if (pos.line == 0)
        snprintf(line, sizeof(line), "%s: %s", pos.file, body);
    else
        snprintf(line, sizeof(line), "%s:%u:%u: %s", pos.file, pos.line, pos.col, body);
    char *copy = strdup(line);
    char *file = strdup(pos.file);
    if (copy == NULL || file == NULL) {
        free(copy);
        free(file);
        return;
    }
    pos.file = file;
    diag->messages[diag->kept] = (message_t){copy, file, pos, diag->kept};
    diag->kept++;
    diag->sorted = false;
}

/* Messages are reported in file order (file name, line, column), whatever
 * order the checks found them in. */
static int cmp_message(const void *va, const void *vb)
{
    const message_t *a = va, *b = vb;
    int c = strcmp(a->pos.file, b->pos.file);
    if (c == 0)
        c = (a->pos.line > b->pos.line) - (a->pos.line < b->pos.line);
    if (c == 0)
        c = (a->pos.col > b->pos.col) - (a->pos.col < b->pos.col);
    if (c == 0)
        c = (a->seq > b->seq) - (a->seq < b->seq);
    return c;
}

static void sort(sb_diag_t *diag)
{
    if (!diag->sorted)
        qsort(diag->messages, diag->kept, sizeof(message_t), cmp_message);
    diag->sorted = true;
}

size_t sb_diag_count(const sb_diag_t *diag)
{
    return diag->total;
}

const char *sb_diag_message(sb_diag_t *diag, size_t i)
{
    sort(diag);
    return i < diag->kept ? diag->messages[i].text : NULL;
}

void sb_diag_print(sb_diag_t *diag, FILE *out)
{
    sort(diag);
    for (size_t i = 0; i < diag->kept; i++)
        fprintf(out, "%s\n", diag->messages[i].text);
    if (diag->total > diag->kept)
        fprintf(out, "... and %zu more errors\n", diag->total - diag->kept);
}
