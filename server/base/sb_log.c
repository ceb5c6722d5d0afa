#include "sb_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = SB_LOG_INFO;
static atomic_int log_fd = 2;
static atomic_bool log_syslog = false;
static atomic_bool log_journal = false; /* prefix lines with "<N>" */

static const char *const level_names[] = {"debug", "info", "warning", "error"};
/* Each level's syslog priority: syslog(3)'s, and the journal's "<N>". */
static const int priorities[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};

void sb_log_set_level(sb_log_level_t level)
{
    atomic_store(&log_level, (int)level);
}

void sb_log_set_fd(int fd)
{
    atomic_store(&log_fd, fd);
}

bool sb_log_detect_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    uintmax_t dev, ino;
    struct stat st;
    char end;
    bool is = env != NULL && sscanf(env, "%ju:%ju%c", &dev, &ino, &end) == 2 &&
              fstat(atomic_load(&log_fd), &st) == 0 && (uintmax_t)st.st_dev == dev &&
              (uintmax_t)st.st_ino == ino;
    atomic_store(&log_journal, is);
    return is;
}

const char *sb_log_journal_prefix(int fd, sb_log_level_t level)
{
    static const char *const prefixes[] = {"<7>", "<6>", "<4>", "<3>"};
    if (!atomic_load(&log_journal) || fd != atomic_load(&log_fd))
        return "";
    return prefixes[level];
}

void sb_log_use_syslog(const char *ident)
{
    openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    atomic_store(&log_syslog, true);
}

int sb_log_level_parse(const char *text, sb_log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (sb_log_level_t)i;
            return 0;
        }
    }
    return -EINVAL;
}

bool sb_log_enabled(sb_log_level_t level)
{
    return (int)level >= atomic_load_explicit(&log_level, memory_order_relaxed);
}

/* The escaped form of one byte of a value, into `out`; returns its length. */
static size_t escape_byte(unsigned char c, char out[5])
{
    static const char hex[] = "0123456789abcdef";
    static const char named[][2] = {
        {'\n', 'n'}, {'\r', 'r'}, {'\t', 't'}, {'"', '"'}, {'\\', '\\'}};
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (c == (unsigned char)named[i][0]) {
            out[0] = '\\';
            out[1] = named[i][1];
            return 2;
        }
    }
    if (c < 0x20 || c == 0x7f) {
        out[0] = '\\';
        out[1] = 'x';
        out[2] = hex[c >> 4];
        out[3] = hex[c & 0xf];
        return 4;
    }
    out[0] = (char)c;
    return 1;
}

static bool needs_quotes(const char *text)
{
    if (*text == '\0')
        return true;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\\')
            return true;
    }
    return false;
}

const char *sb_log_quote(char *buf, size_t cap, const char *text, bool always)
{
    bool quote = always || needs_quotes(text);
    size_t end = cap - 1 - (quote ? 1 : 0); /* room for the closing quote and the NUL */
    size_t n = 0;
    if (quote)
        buf[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        char e[5];
        size_t k = escape_byte(*p, e);
        if (n + k > end)
            break;
        memcpy(buf + n, e, k);
        n += k;
    }
    if (quote)
        buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

static size_t format_timestamp(char *buf, size_t cap)
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, cap - n, ".%03ldZ", now.tv_nsec / 1000000L);
    return n + (size_t)(m > 0 ? m : 0);
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere left to report a logging failure */
        buf += w;
        len -= (size_t)w;
    }
}

void sb_log(sb_log_level_t level, const char *event, const char *fmt, ...)
{
    if (!sb_log_enabled(level))
        return;
    char line[4096];
    size_t cap = sizeof(line) - 1; /* room for the newline */
    char ts[40], prio[8] = "";
    format_timestamp(ts, sizeof(ts));
    if (atomic_load_explicit(&log_journal, memory_order_relaxed))
        snprintf(prio, sizeof(prio), "<%d>", priorities[level]);
    int n = snprintf(line, cap, "%sts=%s level=%s event=%s", prio, ts, level_names[level], event);
    size_t len = n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap);
    if (fmt != NULL && len + 1 < cap) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + len, cap - len, fmt, ap);
        va_end(ap);
        if (m > 0)
            len += (size_t)m < cap - len ? (size_t)m : cap - len - 1;
    }
    if (atomic_load_explicit(&log_syslog, memory_order_relaxed)) {
        /* syslog stamps its own time; the rest of the line is the same. */
        line[len] = '\0';
        const char *rest = strstr(line, " level=");
        syslog(priorities[level], "%s", rest != NULL ? rest + 1 : line);
        return;
    }
    line[len++] = '\n';
    write_all(atomic_load(&log_fd), line, len);
}
