/*
 * sb_log — one-line, key=value event log.
 *
 * Every line has the same stable shape, so that journald, grep and log
 * shippers can all read it:
 *
 *     ts=2026-11-21T22:54:00.123Z level=info event=endpoint-state key=value ...
 *
 * The caller supplies the event name and the key=value tail. A value that is
 * free text (a reason, a message, an error, a path) goes through
 * sb_log_quote(), which puts it in double quotes when it needs them and
 * escapes what would break the line's shape, so that a parser can split
 * every line the same way.
 *
 * Output goes to standard error by default (journald-friendly: one event
 * per line), or to syslog (facility daemon, the level as its priority, the
 * ts= field left to syslog). Each line is emitted with a single write(2) or
 * syslog(3) call, so lines from different threads never interleave. When
 * standard error is the journal's stream (sb_log_detect_journal()), each
 * line starts with its syslog priority, "<4>" for a warning, which journald
 * takes as the line's priority and removes: `journalctl -p warning` then
 * finds every warning.
 *
 * Thread: sb_log() may be called from any thread. sb_log_set_level() and
 * sb_log_set_fd() are meant for start-up, before other threads run; the level
 * is read atomically, so a later change is safe but takes effect eventually.
 *
 * Never call sb_log() on the query path except through a rate limit: writing
 * to a slow log consumer would block answering.
 */
#ifndef SB_LOG_H
#define SB_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SB_LOG_DEBUG = 0,
    SB_LOG_INFO = 1,
    SB_LOG_WARNING = 2,
    SB_LOG_ERROR = 3,
} sb_log_level_t;

/* Lines below `level` are discarded. Default: SB_LOG_INFO. */
void sb_log_set_level(sb_log_level_t level);

/* Redirect output to `fd` (which the caller keeps open). Default: 2. */
void sb_log_set_fd(int fd);

/* Whether the log's descriptor is the journal's stream: systemd sets
 * $JOURNAL_STREAM to "DEVICE:INODE" of the stream it gives a service as
 * standard error, and the descriptor's fstat() must match it (a child
 * that inherited the variable but writes elsewhere does not prefix). When
 * it is, lines carry the "<N>" priority prefix from now on. Start-up only,
 * after sb_log_set_fd(). */
bool sb_log_detect_journal(void);

/* For other lines written to `fd` that the journal should file at
 * `level` (configuration errors, say): "<3>" and the like when `fd` is the
 * log's descriptor and that is the journal's stream, else "". */
const char *sb_log_journal_prefix(int fd, sb_log_level_t level);

/* Send lines to syslog instead, as `ident` (start-up only). */
void sb_log_use_syslog(const char *ident);

/* Parse "debug", "info", "warning" or "error". Returns 0 or -EINVAL. */
int sb_log_level_parse(const char *text, sb_log_level_t *out);

bool sb_log_enabled(sb_log_level_t level);

/* A buffer for sb_log_quote() that holds any value a line has room for. */
#define SB_LOG_QUOTE_MAX 1024

/* `text` as a log value, written into `buf` (of `cap` bytes, at least 3)
 * and returned, for a "%s": in double quotes, with `"` and `\` escaped by a
 * backslash and control bytes as \n, \r, \t or \xHH, so that a value can
 * neither end the line nor its quotes. Without `always`, a value that needs
 * no quotes (not empty; no space, `"`, `\` or control byte) is written as
 * it is (`by=uid=0` reads well: a key never holds an `=`). A value too long
 * for `buf` is cut, never inside an escape, and its quotes are still
 * closed. Bytes from 0x80 up (UTF-8) are kept. */
const char *sb_log_quote(char *buf, size_t cap, const char *text, bool always);

/* Emit one line. `event` is a short kebab-case word; `fmt` formats the
 * key=value tail (may be NULL for none). Lines longer than 4 KiB are cut. */
void sb_log(sb_log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
