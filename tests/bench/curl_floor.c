/*
 * curl_floor — what the same HTTP probes cost through libcurl's multi
 * interface with nothing of Switchboard around them, for comparison with
 * probe_floor (the kernel alone) and the probe worker (probe_scale.sh).
 *
 *   curl_floor PORT RATE SECONDS [ADDRESSES [keep-alive]]
 *
 * Makes RATE probes a second for SECONDS against http_sink on PORT, at
 * 127.1.0.1 onwards (ADDRESSES of them, default 10000, laid out as
 * probe_scale.sh lays them out). Each probe is one easy handle added to one
 * multi handle driven by curl_multi_socket_action from one epoll set: the
 * way the probe worker drives libcurl, less libuv, scheduling, results and
 * everything else of ours. Easy handles are reused (as the worker's pool
 * does); the URL names the address, so no name is resolved. Fresh
 * connections (CURLOPT_FORBID_REUSE) unless "keep-alive" is given, with
 * the sink then keeping connections open.
 *
 * Prints what probe_floor prints: the probes made and failed, and this
 * process's CPU (user, system, share of one core, microseconds a probe).
 * The difference to probe_floor is libcurl's own cost; the difference to
 * the probe worker is Switchboard's.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "floor_report.h"

#define MAX_IDLE 4096
#define MAX_FDS  65536
#define SHARDS   512
/* As the probe worker does (probe/sb_curl.c): at most 32 transfers a multi
 * handle, because libcurl 7.88 walks a multi handle's whole connection
 * cache for every connection it closes. */
#define PER_SHARD 32
/* Kept connections: an address always goes to the same multi handle (its
 * home, 128 addresses each, as the worker's SHARD_HOMES), whose connection
 * cache holds the address's idle connection. */
#define HOMES 128

typedef struct floor floor_t;

typedef struct {
    floor_t *f;
    CURLM *multi;
    double timer_at; /* when libcurl wants its timeout action, < 0: never */
    int running;
} shard_t;

struct floor {
    int ep;
    long started, done, failed;
    shard_t shards[SHARDS];
    shard_t *by_fd[MAX_FDS];
    CURL *idle[MAX_IDLE];
    int idle_count;
    unsigned port;
    long addresses;
    int keep_alive;
};

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

/* libcurl says which events a socket wants: mirror that in the epoll set. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    shard_t *sh = arg;
    (void)easy;
    if (fd < 0 || fd >= MAX_FDS)
        return -1;
    if (what == CURL_POLL_REMOVE) {
        if (sockp != NULL)
            curl_multi_assign(sh->multi, fd, NULL);
        sh->f->by_fd[fd] = NULL;
        return epoll_ctl(sh->f->ep, EPOLL_CTL_DEL, fd, NULL) == 0 || errno == EBADF ? 0 : -1;
    }
    struct epoll_event ev = {.data.fd = fd};
    if (what & CURL_POLL_IN)
        ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT)
        ev.events |= EPOLLOUT;
    sh->f->by_fd[fd] = sh;
    if (sockp == NULL) {
        curl_multi_assign(sh->multi, fd, sh); /* marks the socket as added */
        return epoll_ctl(sh->f->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -1;
    }
    return epoll_ctl(sh->f->ep, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -1;
}

static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
    shard_t *sh = arg;
    (void)multi;
    sh->timer_at = timeout_ms < 0 ? -1.0 : floor_now_s() + (double)timeout_ms / 1e3;
    return 0;
}

static CURL *new_easy(const floor_t *f)
{
    CURL *e = curl_easy_init();
    if (e == NULL)
        return NULL;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 1500L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, f->keep_alive ? 0L : 1L);
    /* The worker's own tuning (probe/sb_check_http.c), without which
     * libcurl's name cache sweep dominates: the floor is the least libcurl
     * costs, not its defaults. */
    curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 4096L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 0L);
    return e;
}

static shard_t *shard_at(floor_t *f, int i)
{
    shard_t *sh = &f->shards[i];
    if (sh->multi == NULL) {
        if ((sh->multi = curl_multi_init()) == NULL)
            return NULL;
        sh->f = f;
        sh->timer_at = -1.0;
        curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
        curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
        curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, (long)(HOMES + PER_SHARD));
    }
    return sh;
}

/* Fresh connections: the first multi handle with room. Kept: the address's
 * home. Shards are used from the first, so the timeout loop can stop at
 * the first one never made. */
static shard_t *pick_shard(floor_t *f, long address)
{
    if (f->keep_alive)
        return shard_at(f, (int)(address / HOMES));
    for (int i = 0; i < SHARDS; i++) {
        shard_t *sh = shard_at(f, i);
        if (sh == NULL || sh->running < PER_SHARD)
            return sh;
    }
    return NULL;
}

static void start_probe(floor_t *f)
{
    long i = (f->started + f->failed) % f->addresses;
    shard_t *sh = pick_shard(f, i);
    CURL *e = f->idle_count > 0 ? f->idle[--f->idle_count] : new_easy(f);
    char url[64];
    snprintf(url, sizeof(url), "http://127.1.%ld.%ld:%u/", i / 250, i % 250 + 1, f->port);
    if (sh == NULL || e == NULL || curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
        curl_multi_add_handle(sh->multi, e) != CURLM_OK) {
        if (e != NULL)
            curl_easy_cleanup(e);
        f->failed++;
        return;
    }
    sh->running++;
    f->started++;
}

/* Every finished transfer of a shard: count it and put its handle back. */
static void collect(shard_t *sh)
{
    floor_t *f = sh->f;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(sh->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *e = msg->easy_handle;
        long code = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (msg->data.result == CURLE_OK && code == 200)
            f->done++;
        else
            f->failed++;
        curl_multi_remove_handle(sh->multi, e);
        sh->running--;
        if (f->idle_count < MAX_IDLE)
            f->idle[f->idle_count++] = e;
        else
            curl_easy_cleanup(e);
    }
}

static void act(shard_t *sh, curl_socket_t fd, int mask)
{
    int running;
    curl_multi_socket_action(sh->multi, fd, mask, &running);
    collect(sh);
}

/* One wait of at most a millisecond (the schedule's step), then whatever is
 * ready, then each shard's timeout if it is due: a transfer added to a
 * multi handle starts only from that timeout action. */
static void turn(floor_t *f)
{
    struct epoll_event ready[256];
    int k = epoll_wait(f->ep, ready, 256, 1);
    for (int i = 0; i < k; i++) {
        int fd = ready[i].data.fd;
        int mask = ((ready[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                   ((ready[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                   ((ready[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        if (f->by_fd[fd] != NULL)
            act(f->by_fd[fd], fd, mask);
    }
    double now = floor_now_s();
    for (int i = 0; i < SHARDS; i++) {
        shard_t *sh = &f->shards[i];
        if (sh->multi != NULL && sh->timer_at >= 0 && now >= sh->timer_at) {
            sh->timer_at = -1.0;
            act(sh, CURL_SOCKET_TIMEOUT, 0);
        }
    }
}

static int parse_args(int argc, char **argv, floor_t *f, long *rate, long *secs)
{
    if (argc < 4) {
        fprintf(stderr, "usage: curl_floor PORT RATE SECONDS [ADDRESSES [keep-alive]]\n");
        return -1;
    }
    f->port = (unsigned)atoi(argv[1]);
    *rate = atol(argv[2]);
    *secs = atol(argv[3]);
    f->addresses = argc > 4 ? atol(argv[4]) : 10000;
    f->keep_alive = argc > 5 && strcmp(argv[5], "keep-alive") == 0;
    if (f->port == 0 || *rate <= 0 || *secs <= 0 || f->addresses <= 0 || f->addresses > 62500) {
        fprintf(stderr, "curl_floor: bad arguments\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static floor_t f;
    long rate, secs;
    if (parse_args(argc, argv, &f, &rate, &secs) != 0)
        return 2;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        (f.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        fprintf(stderr, "curl_floor: cannot set up: %s\n", strerror(errno));
        return 1;
    }
    double t0 = floor_now_s(), elapsed;
    while ((elapsed = floor_now_s() - t0) < (double)secs) {
        long due = (long)(elapsed * (double)rate);
        while (f.started + f.failed < due)
            start_probe(&f);
        turn(&f);
    }
    floor_report(f.done, f.failed, secs, rate);
    return 0;
}
