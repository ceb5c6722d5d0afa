#include "sb_diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct sb_diag {
    char *messages[SB_DIAG_MAX];
    size_t kept;
    size_t total;
};

sb_diag_t *sb_diag_new(void)
{
    return calloc(1, sizeof(sb_diag_t));
}

void sb_diag_free(sb_diag_t *diag)
{
    if (diag == NULL)
        return;
    for (size_t i = 0; i < diag->kept; i++)
        free(diag->messages[i]);
    free(diag);
}

void sb_diag_error(sb_diag_t *diag, sb_pos_t pos, const char *fmt, ...)
{
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
    if (copy != NULL)
        diag->messages[diag->kept++] = copy;
}

size_t sb_diag_count(const sb_diag_t *diag)
{
    return diag->total;
}

const char *sb_diag_message(const sb_diag_t *diag, size_t i)
{
    return i < diag->kept ? diag->messages[i] : NULL;
}

void sb_diag_print(const sb_diag_t *diag, FILE *out)
{
    for (size_t i = 0; i < diag->kept; i++)
        fprintf(out, "%s\n", diag->messages[i]);
    if (diag->total > diag->kept)
        fprintf(out, "... and %zu more errors\n", diag->total - diag->kept);
}
