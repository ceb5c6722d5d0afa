#include "sb_metrics_http.h"

#include "sb_log.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define CONTENT_TYPE      "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_MAX_CLIENTS  16 /* scrapers at once; more are refused */
#define HTTP_IDLE_SECONDS 10
#define HTTP_BACKLOG      16
#define SOURCES_INITIAL   4

typedef struct {
    sb_metrics_source_fn fn;
    void *arg;
} source_t;

struct sb_metrics_http {
    uv_mutex_t lock; /* the source list; held for a whole render */
    source_t *sources;
    size_t source_count, source_cap;
    double start_time; /* Unix seconds */
    _Atomic uint64_t generation;
    _Atomic uint64_t reloads[2]; /* [0] failure, [1] success */
    struct MHD_Daemon *daemon;
    int fd; /* bound, not yet handed to libmicrohttpd; -1 otherwise */
    sb_listen_addr_t bound;
};

/* ---- the listener object --------------------------------------------------- */

int sb_metrics_http_new(sb_metrics_http_t **out)
{
    *out = NULL;
    sb_metrics_http_t *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return -ENOMEM;
    if (uv_mutex_init(&m->lock) < 0) {
        free(m);
        return -ENOMEM;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m->start_time = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
    m->fd = -1;
    *out = m;
    return 0;
}

int sb_metrics_http_add_source(sb_metrics_http_t *m, sb_metrics_source_fn fn, void *arg)
{
    int rc = 0;
    uv_mutex_lock(&m->lock);
    if (m->source_count == m->source_cap) {
        size_t cap = m->source_cap ? m->source_cap * 2 : SOURCES_INITIAL;
        source_t *grown = realloc(m->sources, cap * sizeof(*grown));
        if (grown == NULL)
            rc = -ENOMEM;
        else
            m->sources = grown, m->source_cap = cap;
    }
    if (rc == 0)
        m->sources[m->source_count++] = (source_t){fn, arg};
    uv_mutex_unlock(&m->lock);
    return rc;
}

void sb_metrics_http_set_generation(sb_metrics_http_t *m, uint64_t generation)
{
    atomic_store_explicit(&m->generation, generation, memory_order_relaxed);
}

void sb_metrics_http_count_reload(sb_metrics_http_t *m, bool ok)
{
    atomic_fetch_add_explicit(&m->reloads[ok ? 1 : 0], 1, memory_order_relaxed);
}

static void render_builtin(sb_metrics_http_t *m, sb_metrics_buf_t *out)
{
    sb_metrics_family(out, "switchboard_build_info", SB_METRICS_GAUGE,
                      "Always 1; the version label says which build is running.");
    sb_metrics_sample(out, "switchboard_build_info", "version=%s", 1, SB_VERSION);
    sb_metrics_family(out, "switchboard_start_time_seconds", SB_METRICS_GAUGE,
                      "When the server started, in seconds since the Unix epoch.");
    sb_metrics_sample(out, "switchboard_start_time_seconds", NULL, m->start_time);
    sb_metrics_family(out, "switchboard_config_generation", SB_METRICS_GAUGE,
                      "The configuration generation being served; 1 is the one loaded "
                      "at start.");
    sb_metrics_sample(out, "switchboard_config_generation", NULL,
                      (double)atomic_load_explicit(&m->generation, memory_order_relaxed));
    sb_metrics_family(out, "switchboard_config_reloads_total", SB_METRICS_COUNTER,
                      "Configuration reloads, by whether the new generation was taken.");
    static const char *const results[2] = {"failure", "success"};
    for (int i = 1; i >= 0; i--)
        sb_metrics_sample(out, "switchboard_config_reloads_total", "result=%s",
                          (double)atomic_load_explicit(&m->reloads[i], memory_order_relaxed),
                          results[i]);
}

void sb_metrics_http_render(sb_metrics_http_t *m, sb_metrics_buf_t *out)
{
    render_builtin(m, out);
    uv_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->source_count && !sb_metrics_buf_failed(out); i++)
        m->sources[i].fn(out, m->sources[i].arg);
    uv_mutex_unlock(&m->lock);
}

/* ---- HTTP ------------------------------------------------------------------ */

static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned status, const char *text,
                                    const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result reply_metrics(sb_metrics_http_t *m, struct MHD_Connection *conn)
{
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    size_t len = 0;
    char *text = NULL;
    if (b != NULL) {
        sb_metrics_http_render(m, b);
        text = sb_metrics_buf_take(b, &len);
    }
    if (text == NULL) {
        sb_log(SB_LOG_ERROR, "metrics-render-failed",
               "reason=\"out of memory, or a source wrote an invalid name or label format\"");
        return reply_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics rendering failed\n",
                            NULL);
    }
    /* libmicrohttpd takes the buffer and frees it with free(). */
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)version, (void)upload_data, (void)upload_data_size, (void)req_cls;
    if (strcmp(url, "/metrics") != 0)
        return reply_static(conn, MHD_HTTP_NOT_FOUND, "not found; metrics are at /metrics\n", NULL);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
    return reply_metrics(cls, conn);
}

/* libmicrohttpd's own messages are about single connections (a client that
 * went away, a malformed request): routine, so debug level. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char text[256];
    vsnprintf(text, sizeof(text), fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    char q[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_DEBUG, "metrics-http", "message=%s", sb_log_quote(q, sizeof(q), text, true));
}

int sb_metrics_http_bind(sb_metrics_http_t *m, const sb_listen_addr_t *addr, char *err,
                         size_t errlen)
{
    char text[80];
    sb_listen_addr_format(addr, text, sizeof(text));
    /* The listening socket is ours, not libmicrohttpd's, so that a failure
     * can be reported with its reason and port 0 resolved. */
    int fd = sb_listen_addr_tcp(addr, HTTP_BACKLOG, &m->bound);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s for metrics: %s", text, strerror(-fd));
        return fd;
    }
    m->fd = fd;
    return 0;
}

int sb_metrics_http_start(sb_metrics_http_t *m, char *err, size_t errlen)
{
    char text[80];
    sb_listen_addr_format(&m->bound, text, sizeof(text));
    /* One internal thread; MHD_USE_AUTO picks epoll, which (unlike select)
     * has no limit on descriptor numbers, and probes may use many. */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (m->bound.addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    int fd = m->fd;
    m->fd = -1; /* libmicrohttpd's from here on, even when it fails */
    m->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CLIENTS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_SECONDS, MHD_OPTION_END);
    if (m->daemon == NULL) {
        /* Not closed here: libmicrohttpd closes a socket it was given on
         * most of its failure paths, and closing a reused number would be
         * worse than a descriptor left open by a failed start-up. */
        snprintf(err, errlen, "cannot start the metrics HTTP server on %s", text);
        return -EIO;
    }
    return 0;
}

int sb_metrics_http_listen(sb_metrics_http_t *m, const sb_listen_addr_t *addr, char *err,
                           size_t errlen)
{
    int rc = sb_metrics_http_bind(m, addr, err, errlen);
    return rc < 0 ? rc : sb_metrics_http_start(m, err, errlen);
}

const sb_listen_addr_t *sb_metrics_http_bound(const sb_metrics_http_t *m)
{
    return &m->bound;
}

void sb_metrics_http_stop(sb_metrics_http_t *m)
{
    if (m == NULL)
        return;
    if (m->daemon != NULL)
        MHD_stop_daemon(m->daemon); /* joins its thread and closes the socket */
    if (m->fd >= 0)
        close(m->fd); /* bound, never started */
    uv_mutex_destroy(&m->lock);
    free(m->sources);
    free(m);
}
