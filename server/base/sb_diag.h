/*
 * sb_diag — collected configuration diagnostics.
 *
 * Config parsing does not stop at the first problem: every error is recorded
 * with its position and parsing goes on, so that one run of
 * `switchboard check` shows them all (NSD c_error, relayd yyerror).
 *
 * Every message has the form `file:line:col: message`. `line` and `col` are
 * 1-based; col counts bytes. A position with line 0 names only the file.
 *
 * Errors make a configuration unusable. Warnings do not: they name
 * something that works but is probably not what the operator wants (a
 * profile TTL that defeats failover); they read `file:line:col: warning:
 * message` and are kept apart from the errors, so that counting errors
 * decides, as before, whether a configuration loads.
 *
 * Ownership: the caller owns the sb_diag_t; message strings belong to it.
 * Thread: not thread-safe; one collector per parse.
 */
#ifndef SB_DIAG_H
#define SB_DIAG_H

#include <stdio.h>
#include <stddef.h>

typedef struct {
    const char *file; /* borrowed; the diagnostics keep their own copy */
    unsigned line;
    unsigned col;
} sb_pos_t;

typedef struct sb_diag sb_diag_t;

/* Returns NULL when out of memory. */
sb_diag_t *sb_diag_new(void);
void sb_diag_free(sb_diag_t *diag);

/* Record an error at `pos`. After SB_DIAG_MAX errors further ones are counted
 * but not kept. `pos.file` must be set: a position that was never filled in
 * is a bug (an assertion in debug builds; release builds name the file
 * SB_DIAG_NO_POSITION instead of crashing). */
void sb_diag_error(sb_diag_t *diag, sb_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a warning at `pos`, as sb_diag_error() records an error. */
void sb_diag_warning(sb_diag_t *diag, sb_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define SB_DIAG_MAX         200
#define SB_DIAG_NO_POSITION "(unknown position)"

/* Errors recorded (kept or not). */
size_t sb_diag_count(const sb_diag_t *diag);
/* The i-th kept error, complete with its position prefix, or NULL past the
 * last. Messages are ordered by file, line and column (file-level ones
 * first in their file). */
const char *sb_diag_message(sb_diag_t *diag, size_t i);

/* The same for warnings. */
size_t sb_diag_warning_count(const sb_diag_t *diag);
const char *sb_diag_warning_message(sb_diag_t *diag, size_t i);

/* Write every kept error (or warning) in that order, one per line, and a
 * summary line when some were dropped. When `out` is the journal's stream
 * (sb_log_detect_journal()), each line starts with its priority, <3> for
 * errors and <4> for warnings. */
void sb_diag_print(sb_diag_t *diag, FILE *out);
void sb_diag_print_warnings(sb_diag_t *diag, FILE *out);

#endif
