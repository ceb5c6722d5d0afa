#include "sb_notify.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

bool sb_notify_enabled(void)
{
    const char *s = getenv("NOTIFY_SOCKET");
    return s != NULL && s[0] != '\0';
}

/* `first` and, when given, a STATUS= line, in one message. */
static void send_with_status(const char *first, const char *status)
{
    if (!sb_notify_enabled())
        return;
    if (status != NULL)
        sd_notifyf(0, "%s\nSTATUS=%s", first, status);
    else
        sd_notify(0, first);
}

void sb_notify_ready(const char *status)
{
    send_with_status("READY=1", status);
}

void sb_notify_status(const char *status)
{
    if (sb_notify_enabled() && status != NULL)
        sd_notifyf(0, "STATUS=%s", status);
}

void sb_notify_reloading(const char *status)
{
    struct timespec now;
    char first[64];
    clock_gettime(CLOCK_MONOTONIC, &now);
    snprintf(first, sizeof(first), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
             (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u);
    send_with_status(first, status);
}

void sb_notify_stopping(void)
{
    send_with_status("STOPPING=1", "stopping");
}

static void keep_alive(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

int sb_notify_watchdog_start(sb_notify_watchdog_t *w, uv_loop_t *loop)
{
    uint64_t usec = 0;
    w->running = false;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    uint64_t every_ms = usec / 2000u;
    int rc = uv_timer_init(loop, &w->timer);
    if (rc < 0)
        return rc;
    w->running = true;
    return uv_timer_start(&w->timer, keep_alive, 0, every_ms > 0 ? every_ms : 1);
}

void sb_notify_watchdog_close(sb_notify_watchdog_t *w)
{
    if (!w->running)
        return;
    w->running = false;
    uv_close((uv_handle_t *)&w->timer, NULL);
}
