#include "sb_state.h"

#include "sb_log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define STATE_VERSION 1

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Flush the directory holding `path`, so that the rename is on disk. */
static void sync_dir(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int sb_state_save(const char *path, json_t *overrides, char *err, size_t errlen)
{
    json_t *doc = json_pack("{s:i, s:O}", "version", STATE_VERSION, "overrides", overrides);
    char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    char tmp[4200], dir[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    snprintf(dir, sizeof(dir), "%s", path);
    mkdir(dirname(dir), 0755); /* one level, as /var/lib/switchboard needs */
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        rc = -errno;
    if (rc == 0 && (rc = write_all(fd, text, strlen(text))) == 0 &&
        (rc = write_all(fd, "\n", 1)) == 0 && fsync(fd) != 0)
        rc = -errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    free(text);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", fd < 0 ? tmp : path, strerror(-rc));
        unlink(tmp);
        return rc;
    }
    sync_dir(path);
    return 0;
}

int sb_state_save_from(const char *path, sb_prober_t *prober, char *err, size_t errlen)
{
    json_t *overrides = sb_prober_overrides(prober);
    int rc = -ENOMEM;
    if (overrides == NULL)
        snprintf(err, errlen, "out of memory");
    else
        rc = sb_state_save(path, overrides, err, errlen);
    json_decref(overrides);
    if (rc < 0) {
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_ERROR, "state-save-failed", "reason=%s",
               sb_log_quote(q, sizeof(q), err, true));
    }
    return rc;
}

static int parse_action(const char *action, sb_override_op_t *op)
{
    if (strcmp(action, "drain") == 0)
        *op = SB_OVERRIDE_DRAIN;
    else if (strcmp(action, "force") == 0)
        *op = SB_OVERRIDE_FORCE;
    else if (strcmp(action, "switchover") == 0)
        *op = SB_OVERRIDE_SWITCHOVER;
    else
        return -EINVAL;
    return 0;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* A saved override that is not applied, and why. Everything but the reason
 * is quoted only where needed: the file is text anyone may have edited. */
static void log_dropped(const char *path, const char *action, const char *profile,
                        const char *endpoint, const char *why, sb_log_level_t level)
{
    char q[4][SB_LOG_QUOTE_MAX], r[SB_LOG_QUOTE_MAX];
    sb_log(level, "override-dropped", "file=%s action=%s profile=%s endpoint=%s reason=%s",
           sb_log_quote(q[0], sizeof(q[0]), path, false),
           sb_log_quote(q[1], sizeof(q[1]), action, false),
           sb_log_quote(q[2], sizeof(q[2]), profile, false),
           sb_log_quote(q[3], sizeof(q[3]), endpoint, false),
           sb_log_quote(r, sizeof(r), why, true));
}

/* Apply one saved override; false when it was dropped. */
static bool restore(const char *path, size_t i, json_t *item, sb_prober_t *prober)
{
    const char *action = NULL, *profile = NULL, *endpoint = NULL, *state = "up", *by = NULL;
    json_int_t until = 0;
    json_error_t jerr;
    sb_override_t o = {0};
    if (json_unpack_ex(item, &jerr, 0, "{s:s, s:s, s:s, s?s, s?I, s?s}", "action", &action,
                       "profile", &profile, "endpoint", &endpoint, "state", &state, "until_ms",
                       &until, "by", &by) != 0 ||
        parse_action(action, &o.op) < 0) {
        char q[SB_LOG_QUOTE_MAX], r[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_WARNING, "override-dropped", "file=%s index=%zu reason=%s",
               sb_log_quote(q, sizeof(q), path, false), i,
               sb_log_quote(r, sizeof(r), action != NULL ? "unknown action" : jerr.text, true));
        return false;
    }
    if (o.op == SB_OVERRIDE_FORCE && until > 0 && until <= now_ms()) {
        log_dropped(path, action, profile, endpoint, "expired", SB_LOG_INFO);
        return false;
    }
    char why[256];
    o.profile = profile;
    o.endpoint = endpoint;
    o.force_up = strcmp(state, "down") != 0;
    o.until_ms = until;
    o.by = by; /* the setter stays the setter: saved again as it was */
    o.restored = true;
    int rc = sb_prober_override(prober, &o, why, sizeof(why));
    if (rc < 0 && rc != -EALREADY) {
        log_dropped(path, action, profile, endpoint, why, SB_LOG_WARNING);
        return false;
    }
    return true;
}

int sb_state_load(const char *path, sb_prober_t *prober, size_t *dropped, char *err, size_t errlen)
{
    *dropped = 0;
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL) {
        if (access(path, F_OK) != 0 && errno == ENOENT)
            return -ENOENT;
        snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return -EINVAL;
    }
    json_t *list = json_object_get(doc, "overrides");
    json_t *version = json_object_get(doc, "version");
    if (!json_is_array(list) || !json_is_integer(version) ||
        json_integer_value(version) != STATE_VERSION) {
        snprintf(err, errlen, "%s: not a version %d state file (no \"overrides\" list)", path,
                 STATE_VERSION);
        json_decref(doc);
        return -EINVAL;
    }
    int applied = 0;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        if (restore(path, i, item, prober))
            applied++;
        else
            (*dropped)++;
    }
    json_decref(doc);
    return applied;
}
