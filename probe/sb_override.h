/*
 * sb_override — what an operator can tell the probe worker about an
 * endpoint, on top of what its probes say: drain it, force it up or down,
 * answer it first (switchover), or undo each. The control protocol
 * (sb_request) carries these; the probe worker applies them
 * (sb_prober_override) and the state file keeps them (sb_state).
 *
 * Thread: plain data; any thread.
 */
#ifndef SB_OVERRIDE_H
#define SB_OVERRIDE_H

#include <stdbool.h>
#include <stdint.h>

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
    int64_t until_ms;     /* FORCE: Unix ms when it ends by itself; 0 never */
    const char *by;       /* who asked, kept with the override: "uid=1000" */
    bool restored;        /* read back from the state file at start: logged as
                             by=state-file, with `by` as set_by */
} sb_override_t;

#endif
