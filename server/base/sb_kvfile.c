#include "sb_kvfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One line, without its newline: trimmed, then split and handed over. */
static int one_line(char *line, sb_pos_t pos, sb_kvfile_fn fn, void *arg)
{
    char *p = line;
    while (is_blank(*p))
        p++;
    char *hash = strchr(p, '#');
    if (hash != NULL)
        *hash = '\0';
    size_t end = strlen(p);
    while (end > 0 && (is_blank(p[end - 1]) || p[end - 1] == '\r'))
        p[--end] = '\0';
    if (*p == '\0')
        return 0;
    size_t nlen = strcspn(p, " \t");
    char *value = p + nlen;
    while (is_blank(*value))
        value++;
    sb_pos_t name_pos = pos, value_pos = pos;
    name_pos.col = (unsigned)(p - line + 1);
    value_pos.col = (unsigned)(value - line + 1);
    return fn(arg, p, nlen, value, name_pos, value_pos);
}

int sb_kvfile_read(const char *path, sb_kvfile_fn fn, void *arg, sb_diag_t *diag)
{
    sb_pos_t pos = {path, 0, 0};
    FILE *f = fopen(path, "r");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        sb_diag_error(diag, pos, "cannot read: %s",
                      f == NULL ? strerror(errno) : "not a regular file");
        if (f != NULL)
            fclose(f);
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        pos.line++;
        line[strcspn(line, "\n")] = '\0';
        rc = one_line(line, pos, fn, arg);
    }
    if (ferror(f))
        sb_diag_error(diag, pos, "cannot read: %s", strerror(errno));
    free(line);
    fclose(f);
    return rc;
}
