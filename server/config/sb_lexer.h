/*
 * sb_lexer — splits a zone file into entries of tokens (RFC 1035 §5.1).
 *
 * An entry is one logical line: a line, or several joined by parentheses.
 * Comments (';' to end of line) are dropped. Quoted strings may span part or
 * all of a token and keep their quotes in the token text, so that a record's
 * data can be handed on to ldns exactly as written. Backslash escapes are
 * kept verbatim too. '(' and ')' are separators, never part of a token.
 *
 * The lexer knows nothing of record types or of Switchboard's profile blocks;
 * the zone file parser gives entries their meaning.
 *
 * Ownership: the lexer owns the file text and the tokens of the current
 * entry; an entry stays valid until the next sb_lexer_next() or close.
 * Thread: one lexer per thread.
 */
#ifndef SB_LEXER_H
#define SB_LEXER_H

#include "sb_diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *text; /* NUL-terminated, as written (quotes and escapes kept) */
    size_t len;
    sb_pos_t pos;
    bool quoted; /* a double-quoted section appears in the token */
} sb_token_t;

typedef struct {
    const sb_token_t *tokens;
    size_t count;
    bool blank_owner; /* the line began with white space: no owner token */
    sb_pos_t pos;     /* where the entry begins */
} sb_entry_t;

typedef struct sb_lexer sb_lexer_t;

/* Largest zone file read. */
#define SB_LEXER_MAX_FILE ((uint64_t)1 << 30)

/* Read `path` (a regular file of at most SB_LEXER_MAX_FILE bytes) into
 * memory. `path` is borrowed: it must outlive the lexer and every position
 * taken from it (callers keep it in their arena). A problem with the file is
 * recorded at `where` — the $INCLUDE that named it — or, when `where.line`
 * is 0, against the file itself. A NUL byte anywhere is an error (zone files
 * are text). Returns 0, or a negative code: -ENOMEM, or another after
 * recording the problem. */
int sb_lexer_open(sb_lexer_t **out, const char *path, sb_pos_t where, sb_diag_t *diag);

/* Lex text held in memory (for tests); `name` is borrowed like `path`. */
int sb_lexer_open_text(sb_lexer_t **out, const char *name, const char *text, size_t len,
                       sb_diag_t *diag);

void sb_lexer_close(sb_lexer_t *lexer);

/* The file name as given, for positions. Valid until close. */
const char *sb_lexer_file(const sb_lexer_t *lexer);

/* Next entry: returns 1 with *entry filled, 0 at end of file. Lexical errors
 * (unterminated quote, unbalanced parenthesis, stray byte) are recorded in
 * the diagnostics; the offending entry is skipped and lexing resumes on the
 * next line. Returns -ENOMEM when out of memory. */
int sb_lexer_next(sb_lexer_t *lexer, sb_entry_t *entry);

#endif
