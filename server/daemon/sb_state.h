/*
 * sb_state — the state file: operator overrides (drain, force, switchover)
 * kept across restarts.
 *
 * Written atomically: the new contents go to a temporary file created
 * beside PATH with a random name (mkstemp: O_EXCL, so a file or symlink
 * planted there is never followed or reused), are flushed to disk, and
 * renamed over PATH; then the directory is flushed. A crash leaves the old
 * file or the new one, never half of one. Read once at start; a missing
 * file means no overrides, and a damaged one is reported with its line and
 * column and ignored: DNS must start even when the state file is damaged.
 * Reports say where and what kind of problem, never the file's own text
 * (the path may name a file that was never a state file).
 *
 * The format is JSON: {"version": 1, "overrides": [ {"action": "drain",
 * "profile": "...", "endpoint": "...", "by": "..."}, ... ]}, the array
 * being what sb_prober_overrides() returns: a force adds "state", and a
 * force or a switchover adds its end, "until_ms" (Unix ms; 0 or absent:
 * none).
 *
 * Thread: the controlling thread; blocking file I/O, never on the query
 * path or the probe worker. sb_state_parse() is pure and reentrant.
 */
#ifndef SB_STATE_H
#define SB_STATE_H

#include "sb_prober.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SB_DEFAULT_STATE_FILE "/var/lib/switchboard/state.json"

/* Write `overrides` (borrowed) to `path`. Returns 0 or a negative errno
 * with words in `err`. */
int sb_state_save(const char *path, json_t *overrides, char *err, size_t errlen);

/* Write the overrides `prober` holds now to `path`; a failure is also
 * logged (event=state-save-failed). Returns 0 or a negative errno with
 * words in `err`. */
int sb_state_save_from(const char *path, sb_prober_t *prober, char *err, size_t errlen);

/* Largest state file read: far more than any number of overrides needs. */
#define SB_STATE_MAX_BYTES (16u << 20)

/* One saved override, as read. `override` has op, profile, endpoint,
 * force_up, until_ms and by filled in, and `restored` set; its strings are
 * borrowed from the parsed text and valid during the visit only. */
typedef struct {
    size_t index;       /* its place in the "overrides" list */
    const char *action; /* "drain", "force" or "switchover" */
    sb_override_t override;
} sb_state_entry_t;

/* Called for each entry that reads well; returns whether it was kept. */
typedef bool (*sb_state_visit_fn)(const sb_state_entry_t *entry, void *arg);

/* Parse state-file `text` (`len` bytes, no NUL needed; `path` only names it
 * in reports). Entries that cannot be read (a missing field, an unknown
 * action) are logged (event=override-dropped file index reason) and counted
 * in `*dropped`, as are those `visit` did not keep. Returns the number kept,
 * or -EINVAL with `err` ("PATH:LINE:COL: not JSON (invalid token)", "PATH:
 * not a version 1 state file ...") when the file as a whole is unusable. */
int sb_state_parse(const char *path, const char *text, size_t len, sb_state_visit_fn visit,
                   void *arg, size_t *dropped, char *err, size_t errlen);

/* Read `path` whole into a new buffer (`*text`, the caller's to free;
 * `*len` bytes). Start-up reads it before dropping root: a file written
 * while the server ran as root may be readable by root only. Returns 0,
 * -ENOENT when there is no file yet (not an error), or another negative
 * errno with `err` (-EINVAL: not a regular file, or larger than
 * SB_STATE_MAX_BYTES). */
int sb_state_read(const char *path, char **text, size_t *len, char *err, size_t errlen);

/* Apply each override in `text` (read from `path`) to the prober;
 * overrides that no longer fit the configuration, or whose end has come
 * (sb_override_ended), are logged, dropped and counted in `*dropped` (the caller saves the file
 * again then). Returns the number applied, or -EINVAL with `err` when the
 * file is not a state file. */
int sb_state_restore(const char *path, const char *text, size_t len, sb_prober_t *prober,
                     size_t *dropped, char *err, size_t errlen);

/* Start-up, as root, before becoming `uid`:`gid`: make the state file's
 * directory (one level, mode 0750) owned by them, when it does not exist. */
void sb_state_prepare_dir(const char *path, uid_t uid, gid_t gid);

/* Words for why overrides could not be saved — the state file's directory
 * is missing or not writable by the user the server runs as — or NULL. */
const char *sb_state_unwritable(const char *path, char *buf, size_t cap);

#endif
