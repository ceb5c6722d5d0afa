#include "sb_net.h"

#include "sb_dns.h"
#include "sb_log.h"
#include "sb_net_counters.h"
#include "sb_net_tcp.h"
#include "sb_net_udp.h"
#include "sb_net_worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

/* ---- sockets ------------------------------------------------------------ */

static int set_int(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* Create a bound socket. `shared`: SO_REUSEPORT, so each worker can bind the
 * same address. Returns the fd or a negative errno. */
static int open_socket(const sb_listen_addr_t *a, int type, bool shared)
{
    int family = a->addr.ss_family;
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (type == SOCK_STREAM)
        rc = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (rc == 0 && shared)
        rc = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    if (rc == 0 && family == AF_INET6)
        rc = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    if (rc == 0 && type == SOCK_DGRAM && sb_listen_addr_is_wildcard(a))
        rc = family == AF_INET ? set_int(fd, IPPROTO_IP, IP_PKTINFO, 1)
                               : set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    if (rc == 0 && type == SOCK_DGRAM)
        (void)set_int(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20); /* best effort */
    if (rc == 0 && bind(fd, (const struct sockaddr *)&a->addr, a->len) < 0)
        rc = -errno;
    if (rc == 0 && type == SOCK_STREAM && listen(fd, TCP_BACKLOG) < 0)
        rc = -errno;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* Check that nobody else holds the UDP and TCP port, and pick one for port 0.
 * The check binds without SO_REUSEPORT: that fails if any other socket has
 * the port, even one that would share it. */
static int reserve_port(sb_listen_addr_t *a)
{
    for (int attempt = 0; attempt < 64; attempt++) {
        sb_listen_addr_t probe = *a;
        int ufd = open_socket(&probe, SOCK_DGRAM, false);
        if (ufd < 0)
            return ufd;
        struct sockaddr_storage got;
        socklen_t len = sizeof(got);
        getsockname(ufd, (struct sockaddr *)&got, &len);
        memcpy(&probe.addr, &got, len);
        int tfd = open_socket(&probe, SOCK_STREAM, false);
        close(ufd);
        if (tfd >= 0) {
            close(tfd);
            *a = probe;
            return 0;
        }
        if (tfd != -EADDRINUSE || sb_listen_addr_port(a) != 0)
            return tfd;
    }
    return -EADDRINUSE;
}

static int bind_all(sb_net_t *net, char *err, size_t errlen)
{
    for (size_t i = 0; i < net->cfg.addr_count; i++) {
        char text[80];
        sb_listen_addr_t *a = &net->bound[i];
        int rc = reserve_port(a);
        for (unsigned t = 0; rc == 0 && t < net->cfg.threads; t++) {
            worker_t *w = &net->workers[t];
            if ((w->udp_fds[i] = open_socket(a, SOCK_DGRAM, true)) < 0)
                rc = w->udp_fds[i];
            else if ((w->tcp_fds[i] = open_socket(a, SOCK_STREAM, true)) < 0)
                rc = w->tcp_fds[i];
        }
        if (rc < 0) {
            sb_listen_addr_format(&net->cfg.addrs[i], text, sizeof(text));
            snprintf(err, errlen, "cannot listen on %s: %s%s", text, strerror(-rc),
                     rc == -EADDRINUSE ? " (is another server running?)" : "");
            return rc;
        }
    }
    return 0;
}

/* ---- worker lifecycle ---------------------------------------------------- */

static void on_drain_timeout(uv_timer_t *t)
{
    worker_t *w = t->data;
    sb_net_tcp_close_all(w, true);
    sb_net_worker_maybe_finish_drain(w);
}

static void on_stop(uv_async_t *a)
{
    worker_t *w = a->data;
    w->stopping = true;
    uv_close((uv_handle_t *)&w->stop, NULL);
    for (size_t i = 0; i < w->net->cfg.addr_count; i++) {
        sb_net_udp_close(&w->udp[i].poll);
        uv_close((uv_handle_t *)&w->tcp[i].tcp, NULL);
    }
    /* Arm the drain timer first: closing the last connection closes it. */
    uv_timer_start(&w->drain, on_drain_timeout, w->net->drain_ms, 0);
    sb_net_tcp_close_all(w, false); /* one still writing finishes first */
    sb_net_worker_maybe_finish_drain(w);
}

static int worker_open(worker_t *w)
{
    sb_net_t *net = w->net;
    int rc = uv_async_init(&w->loop, &w->stop, on_stop);
    if (rc < 0)
        return rc;
    w->stop.data = w;
    uv_timer_init(&w->loop, &w->drain);
    w->drain.data = w;
    /* Each fd passes to its handle as soon as the handle exists; the handle's
     * close then releases it (see close_handle). */
    for (size_t i = 0; i < net->cfg.addr_count; i++) {
        int fd = w->udp_fds[i];
        w->udp_fds[i] = -1;
        bool wildcard = sb_listen_addr_is_wildcard(&net->bound[i]);
        if ((rc = sb_net_udp_open(w, &w->udp[i], fd, wildcard)) < 0)
            return rc;
        if ((rc = sb_net_tcp_listen(w, &w->tcp[i], &w->tcp_fds[i])) < 0)
            return rc;
    }
    return 0;
}

static void worker_main(void *arg)
{
    worker_t *w = arg;
    urcu_memb_register_thread();
    w->init_status = worker_open(w);
    uv_sem_post(&w->ready);
    if (w->init_status == 0)
        uv_run(&w->loop, UV_RUN_DEFAULT);
    urcu_memb_unregister_thread();
}

/* ---- public ------------------------------------------------------------- */

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (h->type == UV_POLL)
        sb_net_udp_close((uv_poll_t *)h);
    else if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void free_net(sb_net_t *net)
{
    sb_clients_free(net->clients);
    sb_rrl_free(net->rrl);
    free(atomic_load_explicit(&net->answers, memory_order_relaxed));
    free(net->retired);
    if (net->answers_lock_ready)
        uv_mutex_destroy(&net->answers_lock);
    for (unsigned t = 0; net->workers != NULL && t < net->cfg.threads; t++) {
        worker_t *w = &net->workers[t];
        for (size_t i = 0; w->udp_fds && w->tcp_fds && i < net->cfg.addr_count; i++) {
            if (w->udp_fds[i] >= 0)
                close(w->udp_fds[i]);
            if (w->tcp_fds[i] >= 0)
                close(w->tcp_fds[i]);
        }
        free(w->udp_fds);
        free(w->tcp_fds);
        free(w->udp);
        free(w->tcp);
        free(w->tx_buf);
    }
    free(net->workers);
    free(net->bound);
    free(net);
}

static int alloc_workers(sb_net_t *net)
{
    size_t n = net->cfg.addr_count;
    net->workers = calloc(net->cfg.threads, sizeof(worker_t));
    if (net->workers == NULL)
        return -ENOMEM;
    for (unsigned t = 0; t < net->cfg.threads; t++) {
        worker_t *w = &net->workers[t];
        w->net = net;
        w->index = t;
        w->udp_fds = malloc(n * sizeof(int));
        w->tcp_fds = malloc(n * sizeof(int));
        w->udp = calloc(n, sizeof(udp_sock_t));
        w->tcp = calloc(n, sizeof(tcp_listener_t));
        w->tx_buf = malloc((size_t)UDP_BATCH * net->cfg.answer.udp_max);
        if (!w->udp_fds || !w->tcp_fds || !w->udp || !w->tcp || !w->tx_buf)
            return -ENOMEM;
        for (size_t i = 0; i < n; i++)
            w->udp_fds[i] = w->tcp_fds[i] = -1;
    }
    return 0;
}

int sb_net_bind(sb_net_t **out, const sb_net_config_t *cfg, char *err, size_t errlen)
{
    *out = NULL;
    sb_net_t *net = calloc(1, sizeof(*net));
    if (net == NULL)
        return -ENOMEM;
    net->cfg = *cfg;
    if (net->cfg.threads == 0)
        net->cfg.threads = 1;
    net->answers_lock_ready = uv_mutex_init(&net->answers_lock) == 0;
    net->bound = malloc(cfg->addr_count * sizeof(sb_listen_addr_t));
    /* A connection is counted for its client before the server's total is
     * checked: room for one more per worker than the total allows. */
    unsigned per_client =
        cfg->tcp_per_client < cfg->tcp_max_clients ? cfg->tcp_per_client : cfg->tcp_max_clients;
    int rc = net->bound == NULL || !net->answers_lock_ready ||
                     sb_clients_new(&net->clients, cfg->tcp_max_clients + net->cfg.threads,
                                    per_client) < 0 ||
                     sb_rrl_new(&net->rrl, &cfg->rrl) < 0
                 ? -ENOMEM
                 : alloc_workers(net);
    if (rc == 0) {
        memcpy(net->bound, cfg->addrs, cfg->addr_count * sizeof(sb_listen_addr_t));
        rc = bind_all(net, err, errlen);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    if (rc < 0) {
        free_net(net);
        return rc;
    }
    *out = net;
    return 0;
}

const sb_listen_addr_t *sb_net_bound(const sb_net_t *net, size_t i)
{
    return &net->bound[i];
}

int sb_net_start(sb_net_t *net, const sb_gen_t *_Atomic const *current)
{
    net->current = current;
    for (unsigned t = 0; t < net->cfg.threads; t++) {
        worker_t *w = &net->workers[t];
        int rc = uv_loop_init(&w->loop);
        if (rc == 0)
            rc = uv_sem_init(&w->ready, 0);
        if (rc == 0)
            rc = uv_thread_create(&w->thread, worker_main, w);
        if (rc == 0) {
            uv_sem_wait(&w->ready);
            uv_sem_destroy(&w->ready);
            rc = w->init_status;
            net->started++;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

void sb_net_stop(sb_net_t *net, uint32_t drain_ms)
{
    if (net == NULL)
        return;
    net->drain_ms = drain_ms;
    for (unsigned t = 0; t < net->started; t++) {
        worker_t *w = &net->workers[t];
        if (w->init_status == 0)
            uv_async_send(&w->stop);
        else
            uv_stop(&w->loop);
    }
    for (unsigned t = 0; t < net->started; t++) {
        worker_t *w = &net->workers[t];
        uv_thread_join(&w->thread);
        /* A worker that failed to start never ran its loop: close what it
         * opened so the loop can be closed. */
        uv_walk(&w->loop, close_handle, NULL);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        uv_loop_close(&w->loop);
    }
    free_net(net);
}
