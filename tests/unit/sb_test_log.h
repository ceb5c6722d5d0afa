/*
 * What a unit test's code logged: the log (sb_log) sent to a temporary
 * file while a test runs, read back whole, counted, or forgotten.
 */
#ifndef SB_TEST_LOG_H
#define SB_TEST_LOG_H

#include "sb_test.h"

#include "sb_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char sb_test_log_path[64];
static int sb_test_log_fd = -1;

/* Send the log to a new temporary file. */
static inline void sb_test_log_start(void)
{
    snprintf(sb_test_log_path, sizeof(sb_test_log_path), "/tmp/sb-test-log-XXXXXX");
    sb_test_log_fd = mkstemp(sb_test_log_path);
    assert_true(sb_test_log_fd >= 0);
    sb_log_set_fd(sb_test_log_fd);
}

/* The log back to standard error; the file removed. */
static inline void sb_test_log_stop(void)
{
    sb_log_set_fd(2);
    if (sb_test_log_fd >= 0) {
        close(sb_test_log_fd);
        unlink(sb_test_log_path);
    }
    sb_test_log_fd = -1;
}

/* Everything logged since the start, or since the log was last forgotten. */
static inline const char *sb_test_logged(void)
{
    static char text[65536];
    ssize_t n = pread(sb_test_log_fd, text, sizeof(text) - 1, 0);
    assert_true(n >= 0);
    text[n] = '\0';
    return text;
}

static inline unsigned sb_test_times_logged(const char *words)
{
    unsigned n = 0;
    for (const char *p = sb_test_logged(); (p = strstr(p, words)) != NULL; p++)
        n++;
    return n;
}

static inline void sb_test_log_forget(void)
{
    assert_int_equal(ftruncate(sb_test_log_fd, 0), 0);
    assert_int_equal(lseek(sb_test_log_fd, 0, SEEK_SET), 0);
}

#endif
