/*
 * http_sink — the cheapest HTTP endpoint there is, for probe_scale.sh.
 *
 *   http_sink [PORT [keep-alive]]
 *
 * Listens on 0.0.0.0:PORT (0 or none: an ephemeral port), so that every
 * 127.x.y.z address reaches it. Single-threaded, epoll, non-blocking: each
 * connection's bytes are read up to the end of the request headers
 * (CR LF CR LF), answered with
 *
 *   HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok
 *
 * and closed. With `keep-alive`, a request that does not ask to close
 * (no "Connection: close" among its headers) is answered without that
 * header and the connection stays open for the next request, as an
 * HTTP/1.1 server's would; accepts/s then falls below requests/s. (The
 * header is looked for within the read that ends the request: requests
 * from probes arrive in one read.) Prints "PORT <n>" on stdout once listening; then every second,
 * on stderr, "sink t=<s> requests/s=<n> accepts/s=<n> open=<n> errors=<n>".
 * Runs until SIGTERM or SIGINT, then prints the totals.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
static const char RESPONSE_KEPT[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Whether a request's bytes ask the server to close after the reply. */
static int asks_to_close(const char *buf, size_t len)
{
    static const char header[] = "\r\nconnection: close";
    size_t n = sizeof(header) - 1;
    for (size_t i = 0; i + n <= len; i++) {
        if (strncasecmp(buf + i, header, n) == 0)
            return 1;
    }
    return 0;
}

/* Answer one complete request. Returns 1 when the connection is to close. */
static int answer(int fd, const char *buf, size_t len, int keep_alive, unsigned long long *requests,
                  unsigned long long *errors)
{
    int close_after = !keep_alive || asks_to_close(buf, len);
    const char *reply = close_after ? RESPONSE : RESPONSE_KEPT;
    size_t reply_len = close_after ? sizeof(RESPONSE) - 1 : sizeof(RESPONSE_KEPT) - 1;
    ssize_t w = write(fd, reply, reply_len);
    if (w == (ssize_t)reply_len) {
        (*requests)++;
        return close_after;
    }
    (*errors)++;
    return 1;
}

/* Per connection, indexed by fd: how much of CR LF CR LF has been seen. */
static uint8_t *progress;
static size_t progress_cap;

_Noreturn static void die(const char *what)
{
    fprintf(stderr, "http_sink: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Feed bytes to the end-of-headers matcher; true once it is complete. */
static int headers_done(uint8_t *state, const char *buf, size_t len)
{
    static const char end[] = "\r\n\r\n";
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == end[*state])
            (*state)++;
        else
            *state = buf[i] == '\r' ? 1 : 0;
        if (*state == 4)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    int keep_alive = argc > 2 && strcmp(argv[2], "keep-alive") == 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        die("getrlimit");
    progress_cap = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : (size_t)rl.rlim_cur;
    progress = calloc(progress_cap, 1);
    if (progress == NULL)
        die("calloc");

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ls < 0)
        die("socket");
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        die("bind");
    if (listen(ls, 4096) != 0)
        die("listen");
    socklen_t salen = sizeof(sa);
    if (getsockname(ls, (struct sockaddr *)&sa, &salen) != 0)
        die("getsockname");
    printf("PORT %d\n", ntohs(sa.sin_port));
    fflush(stdout);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (sfd < 0 || tfd < 0)
        die("signalfd/timerfd");
    struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
    timerfd_settime(tfd, 0, &its, NULL);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.fd = ls;
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    ev.data.fd = sfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    ev.data.fd = tfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

    unsigned long long requests = 0, accepts = 0, errors = 0, total = 0, seconds = 0;
    long open_conns = 0;
    struct epoll_event events[256];
    char buf[4096];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) {
                        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                            errno != ECONNABORTED)
                            errors++;
                        if (errno == EINTR || errno == ECONNABORTED)
                            continue;
                        break;
                    }
                    if ((size_t)c >= progress_cap) {
                        errors++;
                        close(c);
                        continue;
                    }
                    accepts++;
                    open_conns++;
                    progress[c] = 0;
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP};
                    cev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
            } else if (fd == tfd) {
                uint64_t ticks;
                if (read(tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
                    continue;
                seconds += ticks;
                fprintf(stderr, "sink t=%llu requests/s=%llu accepts/s=%llu open=%ld errors=%llu\n",
                        seconds, requests, accepts, open_conns, errors);
                total += requests;
                requests = accepts = 0;
            } else if (fd == sfd) {
                total += requests;
                fprintf(stderr, "sink done seconds=%llu requests=%llu errors=%llu\n", seconds,
                        total, errors);
                return 0;
            } else {
                int done = 0;
                for (;;) {
                    ssize_t r = read(fd, buf, sizeof(buf));
                    if (r > 0) {
                        if (headers_done(&progress[fd], buf, (size_t)r)) {
                            progress[fd] = 0;
                            done = answer(fd, buf, (size_t)r, keep_alive, &requests, &errors);
                            if (done)
                                break;
                        }
                        continue;
                    }
                    if (r < 0 && errno == EINTR)
                        continue;
                    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                    done = 1; /* end of stream or error before a full request */
                    break;
                }
                if (done) {
                    close(fd); /* also removes it from the epoll set */
                    open_conns--;
                }
            }
        }
    }
}
