/*
 * What probe_floor and curl_floor share: a monotonic clock in seconds, and
 * the two lines they print, so that probe_scale.sh reads them alike.
 *
 * floor_now_s(): CLOCK_MONOTONIC in seconds.
 * floor_report(): the probes made and failed in SECS seconds at RATE a
 * second, then this process's CPU (getrusage: every thread) as user and
 * system seconds, the share of one core, and microseconds a probe made.
 */
#ifndef FLOOR_REPORT_H
#define FLOOR_REPORT_H

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static inline double floor_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline double floor_seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static inline void floor_report(long done, long failed, long secs, long rate)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double user = floor_seconds(ru.ru_utime), sys = floor_seconds(ru.ru_stime);
    printf("probes %ld ok, %ld failed in %ld s (%ld/s asked)\n", done, failed, secs, rate);
    printf("cpu: user %.2f s, system %.2f s: %.1f%% of one core, %.1f us per probe\n", user, sys,
           100.0 * (user + sys) / (double)secs, done > 0 ? 1e6 * (user + sys) / (double)done : 0.0);
}

#endif
