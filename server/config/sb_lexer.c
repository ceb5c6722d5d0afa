#include "sb_lexer.h"

#include "sb_mapbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file's text and the tokens' text are mapped (sb_mapbuf), not
 * malloc'd: a large zone's would otherwise move malloc's thresholds. */
struct sb_lexer {
    const char *file;
    sb_mapbuf_t src_buf;
    sb_mapbuf_t text_buf;
    const char *src;
    size_t len;
    size_t off;
    unsigned line;
    size_t line_start;
    char *text; /* token text storage for the current entry */
    size_t text_used;
    sb_token_t *tokens;
    size_t count;
    size_t cap;
    int depth; /* parentheses open in the current entry */
    sb_diag_t *diag;
};

/* A zone file is text: a NUL byte means the file is something else, and
 * would silently cut strings short. Reported once, with its position. */
static int refuse_nul(const char *name, const char *src, size_t len, sb_diag_t *diag)
{
    const char *nul = memchr(src, '\0', len);
    if (nul == NULL)
        return 0;
    sb_pos_t pos = {name, 1, 1};
    for (const char *p = src; p < nul; p++) {
        if (*p == '\n') {
            pos.line++;
            pos.col = 1;
        } else {
            pos.col++;
        }
    }
    sb_diag_error(diag, pos, "NUL byte in zone file (is it a text file?)");
    return -EINVAL;
}

/* Takes `src` (the text, NUL-terminated, `len` bytes before the NUL). */
static int lexer_init(sb_lexer_t **out, const char *name, sb_mapbuf_t *src, size_t len,
                      sb_diag_t *diag)
{
    if (refuse_nul(name, src->data, len, diag) < 0) {
        sb_mapbuf_free(src);
        return -EINVAL;
    }
    sb_lexer_t *lx = calloc(1, sizeof(*lx));
    /* Every token's text plus its NUL fits in twice the source length. */
    if (lx == NULL || sb_mapbuf_reserve(&lx->text_buf, 2 * len + 2) < 0) {
        free(lx);
        sb_mapbuf_free(src);
        return -ENOMEM;
    }
    lx->file = name;
    lx->src_buf = *src;
    lx->src = src->data;
    lx->len = len;
    lx->line = 1;
    lx->text = lx->text_buf.data;
    lx->diag = diag;
    *out = lx;
    return 0;
}

static void open_error(const char *path, sb_pos_t where, sb_diag_t *diag, const char *why)
{
    if (where.line == 0)
        sb_diag_error(diag, where, "cannot read: %s", why);
    else
        sb_diag_error(diag, where, "cannot read '%s': %s", path, why);
}

/* Read a whole regular file into `buf`, NUL-terminated; 0 or a negative
 * code (the buffer freed). */
static int read_file(int fd, size_t size, sb_mapbuf_t *buf, size_t *len)
{
    if (sb_mapbuf_reserve(buf, size + 1) < 0)
        return -ENOMEM;
    char *src = buf->data;
    size_t n = 0;
    while (n < size) {
        ssize_t r = read(fd, src + n, size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = -errno;
            sb_mapbuf_free(buf);
            return err;
        }
        if (r == 0)
            break; /* the file shrank meanwhile: take what is there */
        n += (size_t)r;
    }
    src[n] = '\0';
    *len = n;
    return 0;
}

/* Open `path` and check that it is a regular file of acceptable size.
 * Returns the fd, or a negative code after recording the problem. */
static int open_regular(const char *path, sb_pos_t where, sb_diag_t *diag, size_t *size)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int err = -errno;
        open_error(path, where, diag, strerror(errno));
        if (fd >= 0)
            close(fd);
        return err;
    }
    const char *why = NULL;
    if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if ((uint64_t)st.st_size > SB_LEXER_MAX_FILE)
        why = "larger than 1 GiB";
    if (why != NULL) {
        open_error(path, where, diag, why);
        close(fd);
        return -EINVAL;
    }
    *size = (size_t)st.st_size;
    return fd;
}

int sb_lexer_open(sb_lexer_t **out, const char *path, sb_pos_t where, sb_diag_t *diag)
{
    if (where.line == 0)
        where = (sb_pos_t){path, 0, 0};
    size_t size = 0, len = 0;
    int fd = open_regular(path, where, diag, &size);
    if (fd < 0)
        return fd;
    sb_mapbuf_t src = {0};
    int err = read_file(fd, size, &src, &len);
    close(fd);
    if (err < 0) {
        if (err != -ENOMEM)
            open_error(path, where, diag, strerror(-err));
        return err;
    }
    return lexer_init(out, path, &src, len, diag);
}

int sb_lexer_open_text(sb_lexer_t **out, const char *name, const char *text, size_t len,
                       sb_diag_t *diag)
{
    sb_mapbuf_t src = {0};
    if (sb_mapbuf_reserve(&src, len + 1) < 0)
        return -ENOMEM;
    memcpy(src.data, text, len); /* the NUL after it: new bytes are zero */
    return lexer_init(out, name, &src, len, diag);
}

void sb_lexer_close(sb_lexer_t *lx)
{
    if (lx == NULL)
        return;
    sb_mapbuf_free(&lx->src_buf);
    sb_mapbuf_free(&lx->text_buf);
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
 * line, or, inside parentheses, everything up to the closing one, so that
 * lexing resumes with a fresh entry and the rest of the broken one does not
 * cause errors of its own. */
static void fail(sb_lexer_t *lx, sb_pos_t pos, const char *msg)
{
    sb_diag_error(lx->diag, pos, "%s", msg);
    while (lx->off < lx->len && lx->src[lx->off] != '\n')
        lx->off++;
    while (lx->depth > 0 && lx->off < lx->len) {
        char c = lx->src[lx->off];
        if (c == ';') {
            while (lx->off < lx->len && lx->src[lx->off] != '\n')
                lx->off++;
            continue;
        }
        if (c == '\n') {
            lx->off++;
            lx->line++;
            lx->line_start = lx->off;
            continue;
        }
        lx->off++;
        if (c == ')')
            lx->depth = 0;
    }
    lx->depth = 0;
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
    lx->depth = 0;
    sb_pos_t open_pos = {0};
    bool at_line_start = lx->off == lx->line_start;
    entry->blank_owner = false;
    entry->pos = here(lx);
    for (;;) {
        if (lx->count == 0 && lx->depth == 0 && at_line_start) {
            char c = lx->off < lx->len ? lx->src[lx->off] : '\n';
            entry->blank_owner = (c == ' ' || c == '\t');
            entry->pos = here(lx);
        }
        at_line_start = false;
        if (lx->off >= lx->len) {
            if (lx->depth > 0) {
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
            if (lx->depth == 0 && lx->count > 0)
                break;
        } else if (c == '(') {
            if (lx->depth > 0) {
                fail(lx, here(lx), "nested parenthesis");
                continue;
            }
            open_pos = here(lx);
            lx->depth++;
            lx->off++;
        } else if (c == ')') {
            if (lx->depth == 0) {
                fail(lx, here(lx), "')' without a matching '('");
                continue;
            }
            lx->depth--;
            lx->off++;
        } else {
            int rc = scan_token(lx);
            if (rc < 0)
                return rc;
        }
    }
    entry->tokens = lx->tokens;
    entry->count = lx->count;
    return lx->count > 0 ? 1 : 0;
}
