/*
 * sb_override — what an operator can tell the probe worker about an
 * endpoint, on top of what its probes say: drain it, force it up or down,
 * answer it first (switchover), or undo each; and applying that to the
 * worker's state. A force or a switchover may be given an end: the worker
 * undoes it then (sb_override_expire, every second), as unforce or failback
 * would. The control protocol (sb_request) carries overrides; the probe
 * worker applies them on its thread (sb_prober_override calls
 * sb_override_apply) and the state file keeps them (sb_state, from
 * sb_override_list).
 *
 * Thread: the vocabulary is plain data, and sb_override_timed, _undo and
 * _ended are pure, for any thread; the functions that take the state run on
 * the probe worker's thread, which owns it.
 */
#ifndef SB_OVERRIDE_H
#define SB_OVERRIDE_H

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb_probe_states;

/* Who set an override, as kept: "uid=1000", or in a fleet "uid=1000@ns1"
 * (a node name is up to 63 bytes), with its NUL. */
#define SB_OVERRIDE_BY_MAX 112

typedef enum {
    SB_OVERRIDE_DRAIN, /* never answer the endpoint; still probed */
    SB_OVERRIDE_UNDRAIN,
    SB_OVERRIDE_FORCE, /* treat it as up or down, whatever its probes */
    SB_OVERRIDE_UNFORCE,
    SB_OVERRIDE_SWITCHOVER, /* answer it first, as if it had the top priority */
    SB_OVERRIDE_FAILBACK,   /* undo a switchover */
} sb_override_op_t;

typedef struct {
    sb_override_op_t op;
    const char *profile;  /* its name, with or without the final dot */
    const char *endpoint; /* unused for FAILBACK */
    bool force_up;        /* FORCE */
    int64_t until_ms;     /* FORCE, SWITCHOVER (sb_override_timed): Unix ms when
                             it ends by itself; 0 never */
    const char *by;       /* who asked, kept with the override: "uid=1000" */
    bool restored;        /* read back from the state file at start: logged as
                             by=state-file, with `by` as set_by */
    bool local;           /* in a fleet, for this nameserver only (ctl --local) */
} sb_override_t;

/* Apply one override; it is logged, and the answer follows at once.
 * Returns 0; -ENOENT for an unknown profile or endpoint, -EINVAL for one
 * that cannot be done (draining the last endpoint of a family), each with
 * words in `why`; -EALREADY when it was already so (not an error to log). */
int sb_override_apply(struct sb_probe_states *st, const sb_override_t *o, char *why,
                      size_t why_len);

/* Whether sb_override_apply() could apply `o` now, changing nothing: 0,
 * or the error it would return (-ENOENT, -EINVAL) with words in `why`. An
 * override that changes nothing passes (it is not an error). */
int sb_override_check(struct sb_probe_states *st, const sb_override_t *o, char *why,
                      size_t why_len);

/* Whether overrides of kind `op` may be given an end (until_ms): force and
 * switchover. */
bool sb_override_timed(sb_override_op_t op);

/* The kind that undoes `op` (UNDRAIN for DRAIN, UNFORCE for FORCE,
 * FAILBACK for SWITCHOVER); an undoing kind is its own. */
sb_override_op_t sb_override_undo(sb_override_op_t op);

/* Whether `o` is an override with an end (sb_override_timed) that has come
 * at `now` (Unix ms): one read back from the state file or the fleet is
 * then not applied, or applied as its undoing. */
bool sb_override_ended(const sb_override_t *o, int64_t now);

/* End every force and switchover whose time is up at `now` (Unix ms), as
 * unforce and failback would, logged with by=expiry and answered at once
 * (the answer-change's cause is override-expired). Returns whether any
 * ended: the state file must then be written again. */
bool sb_override_expire(struct sb_probe_states *st, int64_t now);

/* The overrides in force, as the state file keeps them (an array of
 * {"profile", "endpoint", "action", "by"}, with "state" for a force and
 * "until_ms" for a force and a switchover, 0 when it has no end). The
 * caller owns the array. */
json_t *sb_override_list(const struct sb_probe_states *st);

/* Keep `by` (NULL: "unknown"), cut to SB_OVERRIDE_BY_MAX, in `*slot` (an
 * sb_ep_state_t's force_by or drain_by, an sb_profile_state_t's
 * switchover_by), freeing what was there. Returns 0 or -ENOMEM (`*slot`
 * unchanged). */
int sb_override_set_by(char **slot, const char *by);

#endif
