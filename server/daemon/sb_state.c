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

/* The directory holding `path`, into `buf`. */
static const char *dir_of(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", path);
    return dirname(buf);
}

/* Flush the directory holding `path`, so that the rename is on disk. */
static void sync_dir(const char *path)
{
    char copy[4200];
    int fd = open(dir_of(path, copy, sizeof(copy)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Write `text` to a new temporary file beside `path`, flushed to disk, and
 * rename it over `path`. mkostemp creates the file with O_EXCL and mode
 * 0600 under a random name: nothing planted at a predictable name (a
 * symlink to a file root may write) is ever opened. */
static int replace_file(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "%s: path too long", path);
        return -ENAMETOOLONG;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "cannot create a temporary file beside %s: %s", path, strerror(-rc));
        return rc;
    }
    int rc = write_all(fd, text, strlen(text));
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        unlink(tmp);
        return rc;
    }
    sync_dir(path);
    return 0;
}

int sb_state_save(const char *path, json_t *overrides, char *err, size_t errlen)
{
    json_t *doc = json_pack("{s:i, s:O}", "version", STATE_VERSION, "overrides", overrides);
    char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    size_t n = text != NULL ? strlen(text) : 0;
    char *line = text != NULL ? realloc(text, n + 2) : NULL;
    if (line == NULL) {
        free(text);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    memcpy(line + n, "\n", 2);
    char dir[4200];
    mkdir(dir_of(path, dir, sizeof(dir)), 0755); /* one level, as /var/lib/switchboard needs */
    int rc = replace_file(path, line, err, errlen);
    free(line);
    return rc;
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

/* jansson's words for a problem, without the text it found there ("invalid
 * token near 'root'" is "invalid token"): the file may not be ours. */
static const char *json_problem(const json_error_t *jerr, char *buf, size_t cap)
{
    const char *near = strstr(jerr->text, " near ");
    size_t n = near != NULL ? (size_t)(near - jerr->text) : strlen(jerr->text);
    snprintf(buf, cap, "%.*s", (int)n, jerr->text);
    return buf;
}

/* A force's state, "up" or "down"; anything else (or none) is a damaged
 * entry: guessing "up" would answer an endpoint whatever its probes say. */
static bool read_force_state(const char *state, sb_override_t *o)
{
    if (state == NULL || (strcmp(state, "up") != 0 && strcmp(state, "down") != 0))
        return false;
    o->force_up = strcmp(state, "up") == 0;
    return true;
}

/* One entry of the "overrides" list into `e`; false, logged, when it cannot
 * be read. */
static bool read_entry(const char *path, size_t i, json_t *item, sb_state_entry_t *e)
{
    const char *state = NULL, *reason = NULL;
    json_int_t until = 0;
    json_error_t jerr;
    sb_override_t *o = &e->override;
    memset(e, 0, sizeof(*e));
    e->index = i;
    o->restored = true;
    char why[JSON_ERROR_TEXT_LENGTH];
    if (json_unpack_ex(item, &jerr, 0, "{s:s, s:s, s:s, s?s, s?I, s?s}", "action", &e->action,
                       "profile", &o->profile, "endpoint", &o->endpoint, "state", &state,
                       "until_ms", &until, "by", &o->by) != 0)
        reason = json_problem(&jerr, why, sizeof(why));
    else if (parse_action(e->action, &o->op) != 0)
        reason = "unknown action";
    else if (o->op == SB_OVERRIDE_FORCE && !read_force_state(state, o))
        reason = "a force needs a state: up or down";
    if (reason == NULL) {
        o->until_ms = until;
        return true;
    }
    char q[SB_LOG_QUOTE_MAX], r[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_WARNING, "override-dropped", "file=%s index=%zu reason=%s",
           sb_log_quote(q, sizeof(q), path, false), i, sb_log_quote(r, sizeof(r), reason, true));
    return false;
}

int sb_state_parse(const char *path, const char *text, size_t len, sb_state_visit_fn visit,
                   void *arg, size_t *dropped, char *err, size_t errlen)
{
    *dropped = 0;
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        char why[JSON_ERROR_TEXT_LENGTH];
        snprintf(err, errlen, "%s:%d:%d: not JSON (%s)", path, jerr.line, jerr.column,
                 json_problem(&jerr, why, sizeof(why)));
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
    int kept = 0;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        sb_state_entry_t e;
        if (read_entry(path, i, item, &e) && visit(&e, arg))
            kept++;
        else
            (*dropped)++;
    }
    json_decref(doc);
    return kept;
}

typedef struct {
    const char *path;
    sb_prober_t *prober;
} restore_to_t;

/* Apply one saved override; false when it was dropped (and logged). */
static bool restore(const sb_state_entry_t *e, void *arg)
{
    const restore_to_t *to = arg;
    const sb_override_t *o = &e->override;
    if (sb_override_ended(o, now_ms())) {
        log_dropped(to->path, e->action, o->profile, o->endpoint, "expired", SB_LOG_INFO);
        return false;
    }
    char why[256];
    /* The setter stays the setter: saved again as it was. */
    int rc = sb_prober_override(to->prober, o, why, sizeof(why));
    if (rc < 0 && rc != -EALREADY) {
        log_dropped(to->path, e->action, o->profile, o->endpoint, why, SB_LOG_WARNING);
        return false;
    }
    return true;
}

/* Why an open state file will not be read, or NULL. A FIFO or device named
 * as the state file is refused rather than read: that could block start-up
 * or never end. */
static const char *unreadable(const struct stat *st)
{
    if (!S_ISREG(st->st_mode))
        return "not a regular file";
    if ((uint64_t)st->st_size > SB_STATE_MAX_BYTES)
        return "larger than 16 MiB";
    return NULL;
}

int sb_state_read(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    *text = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    const char *why = unreadable(&st);
    char *buf = why == NULL ? malloc((size_t)st.st_size + 1) : NULL;
    ssize_t got = buf != NULL ? read(fd, buf, (size_t)st.st_size + 1) : 0;
    int rc = why != NULL ? -EINVAL : buf == NULL ? -ENOMEM : got < 0 ? -errno : 0;
    close(fd);
    if (rc == 0 && got > st.st_size) { /* it grew while being read */
        why = "changed while being read";
        rc = -EINVAL;
    }
    if (rc < 0) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path, why != NULL ? why : strerror(-rc));
        return rc;
    }
    *text = buf;
    *len = (size_t)got;
    return 0;
}

int sb_state_restore(const char *path, const char *text, size_t len, sb_prober_t *prober,
                     size_t *dropped, char *err, size_t errlen)
{
    restore_to_t to = {path, prober};
    return sb_state_parse(path, text, len, restore, &to, dropped, err, errlen);
}

void sb_state_prepare_dir(const char *path, uid_t uid, gid_t gid)
{
    char buf[4200];
    const char *dir = dir_of(path, buf, sizeof(buf));
    /* A failed chown is reported after the drop of root, by
     * sb_state_unwritable() (event=state-not-writable). */
    if (mkdir(dir, 0750) == 0 && lchown(dir, uid, gid) != 0)
        return;
}

const char *sb_state_unwritable(const char *path, char *buf, size_t cap)
{
    char copy[4200];
    const char *dir = dir_of(path, copy, sizeof(copy));
    if (access(dir, W_OK | X_OK) == 0)
        return NULL;
    snprintf(buf, cap, "%s is not writable by uid %u: %s", dir, (unsigned)geteuid(),
             strerror(errno));
    return buf;
}
