/*
 * probe_floor — what a fresh-connection HTTP probe costs on this machine
 * with nothing but the system calls it cannot avoid, for comparison with
 * the probe worker (probe_scale.sh).
 *
 *   probe_floor PORT RATE SECONDS [ADDRESSES]
 *
 * Makes RATE probes a second for SECONDS against http_sink on PORT, at
 * 127.1.0.1 onwards (ADDRESSES of them, default 10000, 250 per /24, as
 * probe_scale.sh lays them out). Each probe is what the worker's is, minus
 * every library: socket (non-blocking), connect, epoll add, send the
 * request when writable, epoll change, read the status line, close. One
 * thread, one epoll set, no timers beyond epoll_wait's.
 *
 * Prints the probes made and failed, and this process's CPU: user, system,
 * the share of one core, and microseconds per probe. That is a floor: the
 * kernel's work for a new TCP connection on loopback (both ends' TCP
 * processing runs in the caller's context there) plus the least a client
 * can do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor_report.h"

static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: floor.test\r\n"
                              "User-Agent: probe_floor\r\nAccept: */*\r\n\r\n";

typedef struct {
    long started, done, failed;
} counts_t;

static void start_probe(int ep, unsigned port, long index, long addresses, counts_t *n)
{
    long i = index % addresses;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        n->failed++;
        return;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(0x7f010000u | (uint32_t)(i / 250) << 8 | (uint32_t)(i % 250 + 1));
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
    if ((connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) ||
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        n->failed++;
        return;
    }
    n->started++;
}

/* Writable: connected (or failed), so send. Readable: the reply. */
static void step(int ep, const struct epoll_event *ev, counts_t *n)
{
    int fd = ev->data.fd;
    if (ev->events & EPOLLOUT) {
        struct epoll_event in = {.events = EPOLLIN, .data.fd = fd};
        if (send(fd, REQUEST, sizeof(REQUEST) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(REQUEST) - 1 &&
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &in) == 0)
            return;
        n->failed++;
        close(fd);
        return;
    }
    char buf[512];
    ssize_t got = recv(fd, buf, sizeof(buf), 0);
    if (got >= 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0)
        n->done++;
    else
        n->failed++;
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: probe_floor PORT RATE SECONDS [ADDRESSES]\n");
        return 2;
    }
    unsigned port = (unsigned)atoi(argv[1]);
    long rate = atol(argv[2]), secs = atol(argv[3]);
    long addresses = argc > 4 ? atol(argv[4]) : 10000;
    if (port == 0 || rate <= 0 || secs <= 0 || addresses <= 0 || addresses > 62500) {
        fprintf(stderr, "probe_floor: bad arguments\n");
        return 2;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("epoll_create1");
        return 1;
    }
    counts_t n = {0};
    struct epoll_event ready[256];
    double t0 = floor_now_s(), elapsed;
    while ((elapsed = floor_now_s() - t0) < (double)secs) {
        long due = (long)(elapsed * (double)rate);
        while (n.started + n.failed < due)
            start_probe(ep, port, n.started + n.failed, addresses, &n);
        int k = epoll_wait(ep, ready, 256, 1);
        for (int i = 0; i < k; i++)
            step(ep, &ready[i], &n);
    }
    floor_report(n.done, n.failed, secs, rate);
    return 0;
}
