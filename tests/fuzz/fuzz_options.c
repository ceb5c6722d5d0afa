/*
 * libFuzzer harness for the config file: every input is the text of a
 * switchboard.conf, read by sb_options_parse() through --config, as start-up
 * reads it (the file is written to a directory of the harness's own).
 *
 * Checked, aborting on a violation:
 *   - success and the diagnostics agree;
 *   - every error and warning has a position in the file (or is about the command
 *     line or a file the config names) and never the marker of a missing
 *     one;
 *   - a message on a cookie-secret line is one of its fixed texts: the
 *     value (a secret) is never repeated.
 * ASan, UBSan and LeakSanitizer catch the rest (sb_options_free() must
 * release everything, on every path).
 *
 * Build and run: see docs/development.md, "Fuzzing".
 */
#include "fuzz.h"

#include "sb_error.h"
#include "sb_options.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/sb-fuzz-options-XXXXXX";
static char path[64];

static void remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/switchboard.conf", dir);
    atexit(remove_dir);
    unsetenv("CREDENTIALS_DIRECTORY");
    return 0;
}

/* Whether line `n` (from 1) of the input sets cookie-secret, read as the
 * config file reader reads a line: up to a NUL or '#', blanks around it
 * dropped, the option name up to the first blank. The input may hold NUL
 * bytes, so it is walked by length, not as a string. */
static bool secret_line(const uint8_t *data, size_t size, unsigned n)
{
    const uint8_t *p = data, *end = data + size;
    for (unsigned line = 1; line < n && p != NULL; line++) {
        p = memchr(p, '\n', (size_t)(end - p));
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return false;
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    char *text = strndup((const char *)p, (size_t)((nl != NULL ? nl : end) - p));
    CHECK(text != NULL);
    char *key = text + strspn(text, " \t");
    key[strcspn(key, "#")] = '\0';
    size_t len = strlen(key);
    while (len > 0 && strchr(" \t\r", key[len - 1]) != NULL)
        key[--len] = '\0';
    key[strcspn(key, " \t")] = '\0';
    bool secret = strcmp(key, "cookie-secret") == 0;
    free(text);
    return secret;
}

/* A message on a cookie-secret line is one of these words, whatever the
 * value: the value itself is never repeated. The exposure warning names
 * the config file and its mode, so it is matched up to the path. */
static bool says_nothing_of_the_value(const char *what)
{
    static const char *const known[] = {
        "cookie-secret must be exactly 32 hex digits (16 bytes)",
        "option 'cookie-secret' is given twice",
        "option 'cookie-secret' needs a value",
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(what, known[i]) == 0)
            return true;
    }
    char exposed[128];
    snprintf(exposed, sizeof(exposed), "warning: the cookie secret is in %s ", path);
    return strncmp(what, exposed, strlen(exposed)) == 0;
}

/* Every message on a cookie-secret line of the file. */
static void check_secret_messages(const uint8_t *data, size_t size, const char *msg)
{
    size_t plen = strlen(path);
    unsigned line, col;
    int used = 0;
    if (strncmp(msg, path, plen) != 0 ||
        sscanf(msg + plen, ":%u:%u: %n", &line, &col, &used) != 2 || used == 0 ||
        !secret_line(data, size, line))
        return;
    CHECK(says_nothing_of_the_value(msg + plen + used));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, size, f) == size);
    fclose(f);
    char *argv[] = {"--config", path};
    sb_options_t o;
    sb_diag_t *diag = sb_diag_new();
    CHECK(diag != NULL);
    sb_options_init(&o);
    int rc = sb_options_parse(&o, 2, argv, diag);
    CHECK(rc == 0 || rc == SB_ECONFIG || rc == -ENOMEM);
    CHECK((rc == 0) == (sb_diag_count(diag) == 0));
    const char *msg;
    for (size_t i = 0; (msg = sb_diag_message(diag, i)) != NULL; i++) {
        CHECK(strncmp(msg, SB_DIAG_NO_POSITION, strlen(SB_DIAG_NO_POSITION)) != 0);
        CHECK(strstr(msg, ": ") != NULL);
        check_secret_messages(data, size, msg);
    }
    for (size_t i = 0; (msg = sb_diag_warning_message(diag, i)) != NULL; i++) {
        CHECK(strncmp(msg, SB_DIAG_NO_POSITION, strlen(SB_DIAG_NO_POSITION)) != 0);
        check_secret_messages(data, size, msg);
    }
    sb_options_free(&o);
    sb_diag_free(diag);
    return 0;
}
