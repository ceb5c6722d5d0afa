#include "sb_resolver.h"

#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct watch {
    uv_poll_t poll;
    ares_socket_t fd;
    struct sb_resolver *r;
    struct watch *next;
} watch_t;

struct sb_resolver {
    uv_loop_t *loop;
    ares_channel channel;
    uv_timer_t timer;
    watch_t *watches;
    int open_handles; /* the timer plus every watch */
    bool closing;
};

typedef struct {
    sb_resolve_cb cb;
    void *arg;
    sb_resolver_t *r;
} request_t;

static watch_t *watch_of(uv_handle_t *h)
{
    return (watch_t *)(void *)((char *)h - offsetof(watch_t, poll));
}

static void on_timer(uv_timer_t *t);

static void maybe_free(sb_resolver_t *r)
{
    if (r->closing && r->open_handles == 0)
        free(r);
}

static void on_handle_closed(uv_handle_t *h)
{
    sb_resolver_t *r = h->data;
    if (h->type == UV_POLL)
        free(watch_of(h));
    r->open_handles--;
    maybe_free(r);
}

static void reschedule(sb_resolver_t *r)
{
    if (r->closing)
        return;
    struct timeval tv, *next = ares_timeout(r->channel, NULL, &tv);
    if (next == NULL) {
        uv_timer_stop(&r->timer);
        return;
    }
    uint64_t ms = (uint64_t)next->tv_sec * 1000 + (uint64_t)next->tv_usec / 1000;
    uv_timer_start(&r->timer, on_timer, ms, 0);
}

static void on_timer(uv_timer_t *t)
{
    sb_resolver_t *r = t->data;
    ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    reschedule(r);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    watch_t *w = watch_of((uv_handle_t *)p);
    sb_resolver_t *r = w->r;
    /* On a poll error let c-ares read and write so that it sees the error. */
    bool rd = status < 0 || (events & UV_READABLE);
    bool wr = status < 0 || (events & UV_WRITABLE);
    ares_process_fd(r->channel, rd ? w->fd : ARES_SOCKET_BAD, wr ? w->fd : ARES_SOCKET_BAD);
    reschedule(r);
}

static watch_t *find_watch(sb_resolver_t *r, ares_socket_t fd, watch_t ***link)
{
    for (watch_t **l = &r->watches; *l != NULL; l = &(*l)->next) {
        if ((*l)->fd == fd) {
            *link = l;
            return *l;
        }
    }
    return NULL;
}

/* c-ares tells us which of its sockets to watch, and for what. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    sb_resolver_t *r = data;
    watch_t **link = NULL;
    watch_t *w = find_watch(r, fd, &link);
    if (!readable && !writable) {
        if (w != NULL) {
            *link = w->next;
            uv_close((uv_handle_t *)&w->poll, on_handle_closed);
        }
        return;
    }
    if (w == NULL) {
        w = calloc(1, sizeof(*w));
        if (w == NULL || uv_poll_init_socket(r->loop, &w->poll, fd) < 0) {
            free(w);
            return; /* the lookup will time out and report it */
        }
        w->fd = fd;
        w->r = r;
        w->poll.data = r;
        w->next = r->watches;
        r->watches = w;
        r->open_handles++;
    }
    int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
    uv_poll_start(&w->poll, events, on_poll);
}

int sb_resolver_new(sb_resolver_t **out, uv_loop_t *loop, const char *servers)
{
    sb_resolver_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -ENOMEM;
    struct ares_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.sock_state_cb = on_sock_state;
    opts.sock_state_cb_data = r;
    opts.timeout = 2000; /* ms, with ARES_OPT_TIMEOUTMS */
    opts.tries = 2;
    /* Endpoint names are complete: never try them with search domains. */
    opts.flags = ARES_FLAG_NOSEARCH;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
    if (ares_init_options(&r->channel, &opts, mask) != ARES_SUCCESS) {
        free(r);
        return -ENOMEM;
    }
    if (servers != NULL && ares_set_servers_ports_csv(r->channel, servers) != ARES_SUCCESS) {
        ares_destroy(r->channel);
        free(r);
        return -EINVAL;
    }
    r->loop = loop;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    r->open_handles = 1;
    *out = r;
    return 0;
}

static const char *error_words(int status)
{
    switch (status) {
    case ARES_ENOTFOUND:
        return "NXDOMAIN";
    case ARES_ENODATA:
        return "no A or AAAA records";
    case ARES_ETIMEOUT:
        return "timeout";
    case ARES_ESERVFAIL:
        return "SERVFAIL";
    case ARES_EREFUSED:
        return "REFUSED";
    case ARES_ECONNREFUSED:
        return "resolver refused the connection";
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
        return "cancelled";
    default:
        return ares_strerror(status);
    }
}

static void collect(const struct ares_addrinfo *ai, sb_resolved_t *res)
{
    res->count = 0;
    res->ttl = UINT32_MAX;
    for (const struct ares_addrinfo_node *n = ai->nodes; n && res->count < SB_RESOLVE_MAX;
         n = n->ai_next) {
        sb_addr_t *a = &res->addrs[res->count];
        if (n->ai_family == AF_INET) {
            a->family = 4;
            memcpy(a->bytes, &((const struct sockaddr_in *)n->ai_addr)->sin_addr, 4);
        } else if (n->ai_family == AF_INET6) {
            a->family = 6;
            memcpy(a->bytes, &((const struct sockaddr_in6 *)n->ai_addr)->sin6_addr, 16);
        } else {
            continue;
        }
        res->count++;
        if (n->ai_ttl >= 0 && (uint32_t)n->ai_ttl < res->ttl)
            res->ttl = (uint32_t)n->ai_ttl;
    }
    if (res->ttl == UINT32_MAX)
        res->ttl = 0;
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
    (void)timeouts;
    request_t *req = arg;
    sb_resolved_t res;
    const char *error = NULL;
    if (status == ARES_SUCCESS && ai != NULL) {
        collect(ai, &res);
        if (res.count == 0)
            error = "no A or AAAA records";
    } else {
        error = error_words(status);
    }
    if (ai != NULL)
        ares_freeaddrinfo(ai);
    req->cb(req->arg, error, error == NULL ? &res : NULL);
    free(req);
}

int sb_resolver_lookup(sb_resolver_t *r, const char *name, sb_resolve_cb cb, void *arg)
{
    if (r->closing)
        return -ECANCELED;
    request_t *req = malloc(sizeof(*req));
    if (req == NULL)
        return -ENOMEM;
    req->cb = cb;
    req->arg = arg;
    req->r = r;
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    ares_getaddrinfo(r->channel, name, NULL, &hints, on_addrinfo, req);
    reschedule(r);
    return 0;
}

void sb_resolver_close(sb_resolver_t *r)
{
    if (r == NULL)
        return;
    /* Cancel first, while the resolver can still take callbacks. */
    ares_cancel(r->channel);
    r->closing = true;
    ares_destroy(r->channel);
    while (r->watches != NULL) {
        watch_t *w = r->watches;
        r->watches = w->next;
        uv_close((uv_handle_t *)&w->poll, on_handle_closed);
    }
    uv_close((uv_handle_t *)&r->timer, on_handle_closed);
}
