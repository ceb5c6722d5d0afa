/*
 * The curl engine (sb_curl.h): libcurl's multi-socket interface on a libuv
 * loop, with a pool of easy handles.
 */
#include "sb_curl.h"

#include "sb_log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* An idle easy handle, kept for the next run of any check. */
typedef struct pooled {
    CURL *easy;
    uintptr_t setup; /* its last owner's mark (sb_curl_transfer_t.setup) */
    struct pooled *next;
    /* curl's error text for the run it is lent to: kept with the handle,
     * not with each check, as only a running check needs one. */
    char error[CURL_ERROR_SIZE];
} pooled_t;

/* Transfers are spread over several multi handles, each with at most
 * SHARD_TRANSFERS at once. libcurl (7.88) finds a closed connection's entry
 * in its multi handle's connection cache by walking the whole cache, and
 * every probe closes its connection: with one multi handle and 2,000
 * probes in flight that walk took more CPU than the probes themselves. */
#define SHARD_TRANSFERS 32
#define POOL_IDLE_MIN   64
/* Transfers that keep their connection share a multi handle by at most this
 * many: its connection cache holds one idle connection for each, and is
 * walked in full when libcurl prunes it. */
#define SHARD_HOMES 128

typedef struct shard {
    struct sb_curl *curl;
    CURLM *multi;
    uv_timer_t timer;
    unsigned running; /* transfers added and not yet removed */
    unsigned homes;   /* transfers whose home it is */
} shard_t;

/* A socket curl asked us to watch: which multi handle it belongs to, and
 * what it waits for (shard NULL: not watched). Indexed by descriptor.
 *
 * A socket curl no longer wants watched stays in the epoll set: nearly
 * always curl closes it next, and closing removes it from the set by
 * itself, so a delete would be one system call a probe for nothing.
 * curl closes its sockets through on_close_socket, which marks them
 * unregistered; one that stays open (a kept connection idling in the
 * cache) is deleted the first time it reports an event while unwatched. */
typedef struct {
    shard_t *shard;
    int events;      /* EPOLLIN | EPOLLOUT */
    bool registered; /* in the epoll set */
} watched_t;

struct sb_curl {
    uv_loop_t *loop;
    shard_t **shards; /* created as needed, freed at close */
    size_t shard_count;
    /* curl's sockets are watched by an epoll set of their own, which the
     * loop watches as one descriptor: a probe's socket then costs an add,
     * a change and a delete, where a uv_poll_t per socket cost twice the
     * system calls (libuv re-registers at every start) and a handle to
     * allocate and close. */
    int epfd;
    uv_poll_t epoll;
    watched_t *watched;
    size_t watched_cap;
    int open_handles; /* every shard's timer, and the epoll watch */
    bool closing;
    /* Easy handles are lent to runs, not owned by checks: each holds
     * several KiB of buffers, so thousands of checks cost only as many
     * handles as probes run at once. */
    pooled_t *idle;
    unsigned idle_count;
    unsigned lent_count;
    sb_curl_done_fn done;
};

static void drain_messages(shard_t *shard);

/* ---- curl's sockets and timers on the loop ------------------------------ */

static void maybe_free(sb_curl_t *curl)
{
    if (!curl->closing || curl->open_handles > 0)
        return;
    for (size_t i = 0; i < curl->shard_count; i++)
        free(curl->shards[i]);
    free(curl->shards);
    free(curl->watched);
    if (curl->epfd >= 0)
        close(curl->epfd);
    free(curl);
}

static void on_handle_closed(uv_handle_t *h)
{
    sb_curl_t *curl = h->data;
    curl->open_handles--;
    maybe_free(curl);
}

static int socket_flags(uint32_t events)
{
    int flags = 0;
    /* An error or hang-up: let curl read and write so that it meets the
     * socket's real error and the result names it ("connection reset"),
     * rather than a bare poll error. */
    if (events & (EPOLLERR | EPOLLHUP))
        flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
    if (events & EPOLLIN)
        flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT)
        flags |= CURL_CSELECT_OUT;
    return flags;
}

static void forget_socket(sb_curl_t *curl, int fd)
{
    epoll_ctl(curl->epfd, EPOLL_CTL_DEL, fd, NULL);
    curl->watched[fd].registered = false;
}

static void on_sockets(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    sb_curl_t *curl = p->data;
    struct epoll_event ready[64];
    int n;
    do {
        n = epoll_wait(curl->epfd, ready, 64, 0);
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            /* An earlier socket's callbacks may have closed this one. */
            watched_t *w = (size_t)fd < curl->watched_cap ? &curl->watched[fd] : NULL;
            shard_t *shard = w != NULL ? w->shard : NULL;
            if (shard == NULL) {
                if (w != NULL && w->registered) /* unwatched, still open: delete it now */
                    forget_socket(curl, fd);
                continue;
            }
            int running;
            curl_multi_socket_action(shard->multi, fd, socket_flags(ready[i].events), &running);
            drain_messages(shard);
        }
    } while (n == 64 && !curl->closing);
}

static int watched_grow(sb_curl_t *curl, int fd)
{
    if ((size_t)fd < curl->watched_cap)
        return 0;
    size_t cap = curl->watched_cap > 0 ? curl->watched_cap : 256;
    while (cap <= (size_t)fd)
        cap *= 2;
    watched_t *grown = realloc(curl->watched, cap * sizeof(*grown));
    if (grown == NULL)
        return -ENOMEM;
    memset(grown + curl->watched_cap, 0, (cap - curl->watched_cap) * sizeof(*grown));
    curl->watched = grown;
    curl->watched_cap = cap;
    return 0;
}

static int watch(shard_t *shard, curl_socket_t fd, int what)
{
    sb_curl_t *curl = shard->curl;
    if (watched_grow(curl, fd) < 0)
        return -ENOMEM;
    watched_t *w = &curl->watched[fd];
    int events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (w->shard != NULL && w->events == events)
        return 0;
    struct epoll_event ev = {.events = (uint32_t)events, .data.fd = fd};
    int rc = epoll_ctl(curl->epfd, w->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
    /* Closed behind our back (not through on_close_socket) and reused. */
    if (rc != 0 && errno == ENOENT && w->registered)
        rc = epoll_ctl(curl->epfd, EPOLL_CTL_ADD, fd, &ev);
    if (rc != 0)
        return -errno;
    w->shard = shard;
    w->events = events;
    w->registered = true;
    return 0;
}

/* curl closes a socket (CURLOPT_CLOSESOCKETFUNCTION): closing takes it out
 * of the epoll set. */
static int on_close_socket(void *userp, curl_socket_t fd)
{
    sb_curl_t *curl = userp;
    if ((size_t)fd < curl->watched_cap) {
        curl->watched[fd].shard = NULL;
        curl->watched[fd].registered = false;
    }
    return close(fd);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    shard_t *shard = userp;
    sb_curl_t *curl = shard->curl;
    if (what == CURL_POLL_REMOVE) {
        if ((size_t)fd < curl->watched_cap)
            curl->watched[fd].shard = NULL; /* left in the set: see watched_t */
        return 0;
    }
    if (watch(shard, fd, what) < 0) {
        /* Not -1: that would make curl fail every transfer on the multi
         * handle. This one run times out instead. */
        sb_log(SB_LOG_ERROR, "probe-local-error",
               "reason=\"cannot watch a probe socket\" action=\"the probe will time out\"");
    }
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    shard_t *shard = t->data;
    int running;
    curl_multi_socket_action(shard->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain_messages(shard);
}

static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    shard_t *shard = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&shard->timer);
    else
        uv_timer_start(&shard->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static shard_t *shard_new(sb_curl_t *curl)
{
    shard_t **grown = realloc(curl->shards, (curl->shard_count + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    curl->shards = grown;
    shard_t *shard = calloc(1, sizeof(*shard));
    if (shard == NULL || (shard->multi = curl_multi_init()) == NULL) {
        free(shard);
        return NULL;
    }
    shard->curl = curl;
    uv_timer_init(curl->loop, &shard->timer);
    shard->timer.data = shard;
    curl->open_handles++;
    curl_multi_setopt(shard->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(shard->multi, CURLMOPT_SOCKETDATA, shard);
    curl_multi_setopt(shard->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(shard->multi, CURLMOPT_TIMERDATA, shard);
    /* Room for every home's kept connection and the transfers running:
     * libcurl's default (4 per transfer running) would close kept
     * connections whenever few probes run at once. */
    curl_multi_setopt(shard->multi, CURLMOPT_MAXCONNECTS, (long)(SHARD_HOMES + SHARD_TRANSFERS));
    curl->shards[curl->shard_count++] = shard;
    return shard;
}

/* The first shard with room and no kept connections, or a new one: a
 * closed connection costs a walk of its shard's whole cache, which kept
 * connections would lengthen. */
static shard_t *shard_pick(sb_curl_t *curl)
{
    for (size_t i = 0; i < curl->shard_count; i++) {
        if (curl->shards[i]->running < SHARD_TRANSFERS && curl->shards[i]->homes == 0)
            return curl->shards[i];
    }
    return shard_new(curl);
}

/* A transfer that keeps its connection runs at home, whatever runs there
 * already (one run at a time per transfer, at most SHARD_HOMES of them):
 * anywhere else its connection would not be found. */
static shard_t *home_pick(sb_curl_t *curl, sb_curl_transfer_t *t)
{
    if (t->home != NULL)
        return t->home;
    shard_t *home = NULL;
    for (size_t i = 0; i < curl->shard_count && home == NULL; i++) {
        if (curl->shards[i]->homes < SHARD_HOMES)
            home = curl->shards[i];
    }
    if (home == NULL && (home = shard_new(curl)) == NULL)
        return NULL;
    home->homes++;
    t->home = home;
    return home;
}

int sb_curl_new(sb_curl_t **out, uv_loop_t *loop, sb_curl_done_fn done)
{
    sb_curl_t *curl = calloc(1, sizeof(*curl));
    if (curl == NULL)
        return -ENOMEM;
    curl->loop = loop;
    curl->done = done;
    curl->epfd = epoll_create1(EPOLL_CLOEXEC);
    int rc = curl->epfd < 0 ? -errno : uv_poll_init(loop, &curl->epoll, curl->epfd);
    if (rc < 0) {
        if (curl->epfd >= 0)
            close(curl->epfd);
        free(curl);
        return rc;
    }
    curl->epoll.data = curl;
    curl->open_handles = 1;
    uv_poll_start(&curl->epoll, UV_READABLE, on_sockets);
    *out = curl;
    return 0;
}

void sb_curl_close(sb_curl_t *curl)
{
    if (curl == NULL)
        return;
    while (curl->idle != NULL) {
        pooled_t *p = curl->idle;
        curl->idle = p->next;
        curl_easy_cleanup(p->easy);
        free(p);
    }
    curl->closing = true;
    for (size_t i = 0; i < curl->shard_count; i++) {
        curl_multi_cleanup(curl->shards[i]->multi);
        curl->shards[i]->timer.data = curl;
        uv_close((uv_handle_t *)&curl->shards[i]->timer, on_handle_closed);
    }
    uv_close((uv_handle_t *)&curl->epoll, on_handle_closed);
}

/* ---- the handle pool ------------------------------------------------------ */

/* Borrow an idle handle, or make one. */
static pooled_t *lend(sb_curl_t *curl)
{
    pooled_t *p = curl->idle;
    if (p != NULL) {
        curl->idle = p->next;
        curl->idle_count--;
        curl->lent_count++;
        return p;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->easy = curl_easy_init()) == NULL) {
        free(p);
        return NULL;
    }
    curl->lent_count++;
    return p;
}

/* Keep enough idle handles for the probes in flight to start again, not
 * every handle a burst (the first round) once needed. */
static void give_back(sb_curl_t *curl, pooled_t *p)
{
    curl->lent_count--;
    if (curl->idle_count >= POOL_IDLE_MIN && curl->idle_count >= 2 * curl->lent_count) {
        curl_easy_cleanup(p->easy);
        free(p);
        return;
    }
    p->next = curl->idle;
    curl->idle = p;
    curl->idle_count++;
}

/* ---- transfers ----------------------------------------------------------- */

int sb_curl_lend(sb_curl_t *curl, sb_curl_transfer_t *t)
{
    pooled_t *p = lend(curl);
    if (p == NULL)
        return -ENOMEM;
    t->lent = p;
    t->easy = p->easy;
    t->setup = p->setup;
    t->error = p->error;
    return 0;
}

int sb_curl_start(sb_curl_t *curl, sb_curl_transfer_t *t)
{
    /* Set at every run: the owner may have reset the handle. A connection
     * keeps the function it was made with. */
    curl_easy_setopt(t->easy, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    curl_easy_setopt(t->easy, CURLOPT_CLOSESOCKETDATA, curl);
    curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->error);
    t->error[0] = '\0';
    shard_t *shard = t->keep_connection ? home_pick(curl, t) : shard_pick(curl);
    if (shard == NULL || curl_multi_add_handle(shard->multi, t->easy) != CURLM_OK) {
        sb_curl_stop(curl, t);
        return -ENOMEM;
    }
    shard->running++;
    t->shard = shard;
    t->running = true;
    return 0;
}

void sb_curl_stop(sb_curl_t *curl, sb_curl_transfer_t *t)
{
    if (t->running) {
        shard_t *shard = t->shard;
        curl_multi_remove_handle(shard->multi, t->easy);
        shard->running--;
        t->running = false;
    }
    if (t->lent != NULL) {
        pooled_t *p = t->lent;
        p->setup = t->setup;
        give_back(curl, p);
        t->lent = NULL;
        t->easy = NULL;
        t->error = NULL;
    }
}

int sb_curl_rerun(sb_curl_t *curl, sb_curl_transfer_t *t)
{
    shard_t *shard = t->shard;
    t->error[0] = '\0';
    if (curl_multi_remove_handle(shard->multi, t->easy) == CURLM_OK &&
        curl_multi_add_handle(shard->multi, t->easy) == CURLM_OK)
        return 0;
    shard->running--;
    t->running = false;
    sb_curl_stop(curl, t);
    return -ENOMEM;
}

void sb_curl_forget(sb_curl_t *curl, sb_curl_transfer_t *t)
{
    sb_curl_stop(curl, t);
    if (t->home != NULL) {
        ((shard_t *)t->home)->homes--;
        t->home = NULL;
    }
}

static void drain_messages(shard_t *shard)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(shard->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE)
            shard->curl->done(msg->easy_handle, msg->data.result);
    }
}
