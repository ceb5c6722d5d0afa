#include "sb_diag.h"

#include "sb_log.h"

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

/* One kind of message: errors, or warnings. */
typedef struct {
    message_t messages[SB_DIAG_MAX];
    size_t kept;
    size_t total;
    bool sorted;
} list_t;

struct sb_diag {
    list_t errors;
    list_t warnings;
};

sb_diag_t *sb_diag_new(void)
{
    return calloc(1, sizeof(sb_diag_t));
}

static void list_free(list_t *l)
{
    for (size_t i = 0; i < l->kept; i++) {
        free(l->messages[i].text);
        free(l->messages[i].file);
    }
}

void sb_diag_free(sb_diag_t *diag)
{
    if (diag == NULL)
        return;
    list_free(&diag->errors);
    list_free(&diag->warnings);
    free(diag);
}

/* Every diagnostic has a position. One without a file comes from a
 * position field that was never set: a bug, which debug builds (the tests,
 * the fuzzers) stop at. A release build still reports it, marked, rather
 * than crash a running server in the middle of a reload. */
static sb_pos_t placed(sb_pos_t pos)
{
    assert(pos.file != NULL && "a diagnostic without a position");
    if (pos.file == NULL)
        pos = (sb_pos_t){SB_DIAG_NO_POSITION, 0, 0};
    return pos;
}

__attribute__((format(printf, 4, 0))) static void add(list_t *l, sb_pos_t pos, const char *prefix,
                                                      const char *fmt, va_list ap)
{
    pos = placed(pos);
    l->total++;
    if (l->kept >= SB_DIAG_MAX)
        return;
    char body[1024];
    vsnprintf(body, sizeof(body), fmt, ap);
    char line[1400];
    if (pos.line == 0)
        snprintf(line, sizeof(line), "%s: %s%s", pos.file, prefix, body);
    else
        snprintf(line, sizeof(line), "%s:%u:%u: %s%s", pos.file, pos.line, pos.col, prefix, body);
    char *copy = strdup(line);
    char *file = strdup(pos.file);
    if (copy == NULL || file == NULL) {
        free(copy);
        free(file);
        return;
    }
    pos.file = file;
    l->messages[l->kept] = (message_t){copy, file, pos, l->kept};
    l->kept++;
    l->sorted = false;
}

void sb_diag_error(sb_diag_t *diag, sb_pos_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(&diag->errors, pos, "", fmt, ap);
    va_end(ap);
}

void sb_diag_warning(sb_diag_t *diag, sb_pos_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(&diag->warnings, pos, "warning: ", fmt, ap);
    va_end(ap);
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

static void sort(list_t *l)
{
    if (!l->sorted)
        qsort(l->messages, l->kept, sizeof(message_t), cmp_message);
    l->sorted = true;
}

size_t sb_diag_count(const sb_diag_t *diag)
{
    return diag->errors.total;
}

size_t sb_diag_warning_count(const sb_diag_t *diag)
{
    return diag->warnings.total;
}

static const char *message(list_t *l, size_t i)
{
    sort(l);
    return i < l->kept ? l->messages[i].text : NULL;
}

const char *sb_diag_message(sb_diag_t *diag, size_t i)
{
    return message(&diag->errors, i);
}

const char *sb_diag_warning_message(sb_diag_t *diag, size_t i)
{
    return message(&diag->warnings, i);
}

/* Each line with the journal's priority for `level` when `out` is the
 * journal's stream (sb_log_journal_prefix), so that journalctl -p finds a
 * configuration error that stopped a start. */
static void print(list_t *l, const char *what, FILE *out, sb_log_level_t level)
{
    const char *prio = sb_log_journal_prefix(fileno(out), level);
    sort(l);
    for (size_t i = 0; i < l->kept; i++)
        fprintf(out, "%s%s\n", prio, l->messages[i].text);
    if (l->total > l->kept)
        fprintf(out, "%s... and %zu more %s\n", prio, l->total - l->kept, what);
}

void sb_diag_print(sb_diag_t *diag, FILE *out)
{
    print(&diag->errors, "errors", out, SB_LOG_ERROR);
}

void sb_diag_print_warnings(sb_diag_t *diag, FILE *out)
{
    print(&diag->warnings, "warnings", out, SB_LOG_WARNING);
}
