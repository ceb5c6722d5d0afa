/*
 * sb_log — one-line, key=value event log.
 *
 * Every line has the same stable shape, so that journald, grep and log
 * shippers can all read it:
 *
 *     ts=2026-11-21T22:54:00.123Z level=info event=endpoint-state key=value ...
 *
 * The caller supplies the event name and the key=value tail; values that may
 * contain spaces are written in double quotes by the caller.
 *
 * Output goes to standard error by default (journald-friendly: one event
 * per line), or to syslog (facility daemon, the level as its priority, the
 * ts= field left to syslog). Each line is emitted with a single write(2) or
 * syslog(3) call, so lines from different threads never interleave.
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

/* Send lines to syslog instead, as `ident` (start-up only). */
void sb_log_use_syslog(const char *ident);

/* Parse "debug", "info", "warning" or "error". Returns 0 or -EINVAL. */
int sb_log_level_parse(const char *text, sb_log_level_t *out);

bool sb_log_enabled(sb_log_level_t level);

/* Emit one line. `event` is a short kebab-case word; `fmt` formats the
 * key=value tail (may be NULL for none). Lines longer than 4 KiB are cut. */
void sb_log(sb_log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
