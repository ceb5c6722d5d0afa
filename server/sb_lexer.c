#include "sb_lexer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_lexer {
    const char *file;
    char *src;
    size_t len;
    size_t off;
    unsigned line;
    size_t line_start;
    char *text; /* token text storage for the current entry */
    size_t text_used;
    sb_token_t *tokens;
    size_t count;
    size_t cap;
    sb_diag_t *diag;
};

static int lexer_init(sb_lexer_t **out, const char *name, char *src, size_t len, sb_diag_t *diag)
{
    sb_lexer_t *lx = calloc(1, sizeof(*lx));
    /* Every token's text plus its NUL fits in twice the source length. */
    char *text = malloc(2 * len + 2);
    if (lx == NULL || text == NULL) {
        free(lx);
        free(text);
        free(src);
        return -ENOMEM;
    }
    lx->file = name;
    lx->src = src;
    lx->len = len;
    lx->line = 1;
    lx->text = text;
    lx->diag = diag;
    *out = lx;
    return 0;
}

int sb_lexer_open(sb_lexer_t **out, const char *path, sb_diag_t *diag)
{
    sb_pos_t where = {path, 0, 0};
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int err = -errno;
        sb_diag_error(diag, where, "cannot open: %s", strerror(errno));
        return err;
    }
    char *src = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            char *grown = realloc(src, cap + 65536 + 1);
            if (grown == NULL) {
                free(src);
                fclose(f);
                return -ENOMEM;
            }
            src = grown;
            cap += 65536;
        }
        size_t n = fread(src + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int read_err = ferror(f);
    fclose(f);
    if (read_err) {
        free(src);
        sb_diag_error(diag, where, "cannot read: %s", strerror(EIO));
        return -EIO;
    }
    src[len] = '\0';
    return lexer_init(out, path, src, len, diag);
}

int sb_lexer_open_text(sb_lexer_t **out, const char *name, const char *text, size_t len,
                       sb_diag_t *diag)
{
    char *src = malloc(len + 1);
    if (src == NULL)
        return -ENOMEM;
    memcpy(src, text, len);
    src[len] = '\0';
    return lexer_init(out, name, src, len, diag);
}

void sb_lexer_close(sb_lexer_t *lx)
{
    if (lx == NULL)
        return;
    free(lx->src);
    free(lx->text);
    free(lx->tokens);
    free(lx);
}

const char *sb_lexer_file(const sb_lexer_t *lx)
{
    return lx->file;
}

static sb_pos_t here(const sb_lexer_t *lx)
{
    sb_pos_t p = {lx->file, lx->line, (unsigned)(lx->off - lx->line_start + 1)};
    return p;
}

/* Record an error and drop the current entry: skip the rest of the physical
 * line so that lexing resumes with a fresh entry on the next one. */
static void fail(sb_lexer_t *lx, sb_pos_t pos, const char *msg)
{
    sb_diag_error(lx->diag, pos, "%s", msg);
    while (lx->off < lx->len && lx->src[lx->off] != '\n')
        lx->off++;
    lx->count = 0;
    lx->text_used = 0;
}

static int push_token(sb_lexer_t *lx, size_t start, sb_pos_t pos, bool quoted)
{
    if (lx->count == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 32;
        sb_token_t *grown = realloc(lx->tokens, cap * sizeof(*grown));
        if (grown == NULL)
            return -ENOMEM;
        lx->tokens = grown;
        lx->cap = cap;
    }
    size_t n = lx->off - start;
    char *dst = lx->text + lx->text_used;
    memcpy(dst, lx->src + start, n);
    dst[n] = '\0';
    lx->text_used += n + 1;
    lx->tokens[lx->count++] = (sb_token_t){dst, n, pos, quoted};
    return 0;
}

static bool is_separator(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' || c == ')';
}

/* Scans one token starting at lx->off. Returns 1 when a token was pushed, 0
 * when a lexical error dropped the entry, or -ENOMEM. */
static int scan_token(sb_lexer_t *lx)
{
    size_t start = lx->off;
    sb_pos_t pos = here(lx);
    bool quoted = false;
    while (lx->off < lx->len && !is_separator(lx->src[lx->off])) {
        char c = lx->src[lx->off];
        if (c == '\0') {
            fail(lx, here(lx), "NUL byte in zone file");
            return 0;
        }
        if (c == '\\') {
            if (lx->off + 1 >= lx->len || lx->src[lx->off + 1] == '\n') {
                fail(lx, here(lx), "backslash at end of line");
                return 0;
            }
            lx->off += 2;
            continue;
        }
        if (c == '"') {
            sb_pos_t qpos = here(lx);
            quoted = true;
            lx->off++;
            while (lx->off < lx->len && lx->src[lx->off] != '"' && lx->src[lx->off] != '\n') {
                if (lx->src[lx->off] == '\\' && lx->off + 1 < lx->len &&
                    lx->src[lx->off + 1] != '\n')
                    lx->off++;
                lx->off++;
            }
            if (lx->off >= lx->len || lx->src[lx->off] != '"') {
                fail(lx, qpos, "unterminated quoted string");
                return 0;
            }
            lx->off++;
            continue;
        }
        lx->off++;
    }
    int rc = push_token(lx, start, pos, quoted);
    return rc < 0 ? rc : 1;
}

static void new_line(sb_lexer_t *lx)
{
    lx->off++;
    lx->line++;
    lx->line_start = lx->off;
}

int sb_lexer_next(sb_lexer_t *lx, sb_entry_t *entry)
{
    lx->count = 0;
    lx->text_used = 0;
    int depth = 0;
    sb_pos_t open_pos = {0};
    bool at_line_start = lx->off == lx->line_start;
    entry->blank_owner = false;
    entry->pos = here(lx);
    for (;;) {
        if (lx->count == 0 && depth == 0 && at_line_start) {
            char c = lx->off < lx->len ? lx->src[lx->off] : '\n';
            entry->blank_owner = (c == ' ' || c == '\t');
            entry->pos = here(lx);
        }
        at_line_start = false;
        if (lx->off >= lx->len) {
            if (depth > 0) {
                sb_diag_error(lx->diag, open_pos, "parenthesis is never closed");
                return 0;
            }
            break;
        }
        char c = lx->src[lx->off];
        if (c == ' ' || c == '\t' || c == '\r') {
            lx->off++;
        } else if (c == ';') {
            while (lx->off < lx->len && lx->src[lx->off] != '\n')
                lx->off++;
        } else if (c == '\n') {
            new_line(lx);
            at_line_start = true;
            if (depth == 0 && lx->count > 0)
                break;
        } else if (c == '(') {
            if (depth > 0) {
                fail(lx, here(lx), "nested parenthesis");
                depth = 0;
                continue;
            }
            open_pos = here(lx);
            depth++;
            lx->off++;
        } else if (c == ')') {
            if (depth == 0) {
                fail(lx, here(lx), "')' without a matching '('");
                continue;
            }
            depth--;
            lx->off++;
        } else {
            int rc = scan_token(lx);
            if (rc < 0)
                return rc;
            if (rc == 0)
                depth = 0;
        }
    }
    entry->tokens = lx->tokens;
    entry->count = lx->count;
    return lx->count > 0 ? 1 : 0;
}
