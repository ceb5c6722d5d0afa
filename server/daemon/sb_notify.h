/*
 * sb_notify — telling systemd how the server is doing (sd_notify(3), from
 * libsystemd): READY=1 once it answers (after the first round of probes),
 * STATUS= lines saying what it serves, RELOADING=1 and READY=1 around a
 * reload, STOPPING=1 when it stops, and WATCHDOG=1 keep-alives from the
 * control loop when the unit sets WatchdogSec=.
 *
 * Outside systemd ($NOTIFY_SOCKET unset) every call does nothing, and
 * sb_notify_enabled() is false, so that callers need not work out a status
 * nobody reads. A message that cannot be sent is dropped: systemd going
 * away must not stop the server answering.
 *
 * The keep-alive comes from the control loop, the loop that serves `ctl`,
 * signals and reloads: a control loop that stops turning stops the
 * keep-alives, and systemd restarts the server (Restart=on-failure).
 *
 * Thread: any for the messages (sd_notify opens its own socket each time);
 * the watchdog on the thread of the loop it was started on, closed there.
 */
#ifndef SB_NOTIFY_H
#define SB_NOTIFY_H

#include <stdbool.h>
#include <uv.h>

/* Whether systemd listens ($NOTIFY_SOCKET is set). */
bool sb_notify_enabled(void);

/* READY=1, with a STATUS= line (NULL: none): the server answers. Also
 * after every reload, successful or not: it serves again either way. */
void sb_notify_ready(const char *status);

/* STATUS=`status` alone. */
void sb_notify_status(const char *status);

/* RELOADING=1 (with MONOTONIC_USEC=, as systemd 253's notify-reload wants)
 * and a STATUS= line: a reload began. */
void sb_notify_reloading(const char *status);

/* STOPPING=1: shutdown began. */
void sb_notify_stopping(void);

typedef struct {
    uv_timer_t timer;
    bool running; /* false: no watchdog asked for; nothing to close */
} sb_notify_watchdog_t;

/* When the service has a watchdog (sd_watchdog_enabled(): $WATCHDOG_USEC,
 * for this process), send WATCHDOG=1 from `loop` every half of its period,
 * the first at once. Returns 0 (started, or nothing to start) or a
 * negative libuv error. */
int sb_notify_watchdog_start(sb_notify_watchdog_t *w, uv_loop_t *loop);

/* Stop and close the keep-alives' timer (its close completes when the
 * loop runs). Harmless when none was started. */
void sb_notify_watchdog_close(sb_notify_watchdog_t *w);

#endif
