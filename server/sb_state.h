/*
 * sb_state — the state file: operator overrides (drain, force, switchover)
 * kept across restarts.
 *
 * Written atomically: the new contents go to PATH.tmp in the same
 * directory, are flushed to disk, and renamed over PATH (then the directory
 * is flushed), so a crash leaves the old file or the new one, never half of
 * one. Read once at start; a missing file means no overrides, and a
 * malformed one is reported with its line and column and ignored: DNS must
 * start even when the state file is damaged.
 *
 * The format is JSON: {"version": 1, "overrides": [ {"action": "drain",
 * "profile": "...", "endpoint": "...", "by": "..."}, ... ]}, the array
 * being what sb_prober_overrides() returns.
 *
 * Thread: the controlling thread; blocking file I/O, never on the query
 * path or the probe worker.
 */
#ifndef SB_STATE_H
#define SB_STATE_H

#include "sb_prober.h"

#include <jansson.h>
#include <stddef.h>

#define SB_DEFAULT_STATE_FILE "/var/lib/switchboard/state.json"

/* Write `overrides` (borrowed) to `path`. Returns 0 or a negative errno
 * with words in `err`. */
int sb_state_save(const char *path, json_t *overrides, char *err, size_t errlen);

/* Write the overrides `prober` holds now to `path`; a failure is also
 * logged (event=state-save-failed). Returns 0 or a negative errno with
 * words in `err`. */
int sb_state_save_from(const char *path, sb_prober_t *prober, char *err, size_t errlen);

/* Read `path` and apply each override to the prober; overrides that no
 * longer fit the configuration, or that have expired, are logged, dropped
 * and counted in `*dropped` (the caller saves the file again then).
 * Returns the number applied, or a negative errno with `err` (-ENOENT: no
 * file yet, which is not an error). */
int sb_state_load(const char *path, sb_prober_t *prober, size_t *dropped, char *err, size_t errlen);

#endif
