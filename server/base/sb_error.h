/*
 * sb_error — error codes shared by every Switchboard module.
 *
 * Contract: functions that can fail return 0 on success or a negative code.
 * System failures are reported as negative errno values (-ENOMEM, -EADDRINUSE,
 * ...), exactly as libuv does, so a libuv status can be passed through
 * unchanged. Switchboard's own conditions use the SB_E* codes below, which lie
 * outside the errno range. sb_strerror() turns any of them into words.
 *
 * Thread: everything here is reentrant and may be called from any thread.
 */
#ifndef SB_ERROR_H
#define SB_ERROR_H

enum {
    SB_ECONFIG = -20001,   /* configuration has errors; the diagnostics say which */
    SB_ENOTFOUND = -20002, /* a named thing does not exist */
    SB_ETOOBIG = -20003,   /* a value or message exceeds a protocol limit */
    SB_ESTATE = -20004,    /* the call is not valid in the object's current state */
};

/* Words for a status returned by any Switchboard or libuv function. Returns a
 * static string; never NULL. */
const char *sb_strerror(int err);

#endif
