/*
 * Helpers the fleet link's modules share (sb_fleet_link.h).
 */
#include "sb_fleet_link.h"

#include "sb_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void sb_fleet_link_error(sb_fleet_t *f, const char *what, const char *why)
{
    pthread_mutex_lock(&f->lock);
    bool news = strcmp(f->last_error, why) != 0;
    snprintf(f->last_error, sizeof(f->last_error), "%s", why);
    pthread_mutex_unlock(&f->lock);
    if (news) { /* once per distinct error, not once per retry */
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_WARNING, "fleet-error", "what=%s reason=%s", what,
               sb_log_quote(q, sizeof(q), why, true));
    }
}

/* Wait `ms` or until woken (stop, reconnection). Called with the lock. */
void sb_fleet_link_pause(sb_fleet_t *f, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&f->wake, &f->lock, &until);
}

void sb_fleet_link_flag(sb_fleet_t *f, bool *flag)
{
    pthread_mutex_lock(&f->lock);
    *flag = true;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

int64_t sb_fleet_link_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait (bounded: NATS's threads are not ours to hang on) for `*flag`. */
bool sb_fleet_link_wait(sb_fleet_t *f, const bool *flag)
{
    pthread_mutex_lock(&f->lock);
    for (int i = 0; i < 50 && !*flag; i++)
        sb_fleet_link_pause(f, 100);
    bool done = *flag;
    pthread_mutex_unlock(&f->lock);
    return done;
}
