/*
 * The status page and the HTTP API (sb_http_api.h).
 */
#include "sb_http_api.h"

#include "sb_api_page.h"
#include "sb_api_request.h"
#include "sb_log.h"
#include "sb_reply.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define HTTP_BACKLOG      32
#define JSON_TYPE         "application/json"
#define AUTH_CHALLENGE    "Bearer realm=\"switchboard\""
#define AUTH_LOG_EVERY_MS 1000 /* refused tokens are logged at most this often */
#define STOP_DRAIN_MS     1000 /* how long the stop lets pending replies go out */

typedef enum {
    JOB_READING, /* the request is coming in (calloc's zero) */
    JOB_QUEUED,  /* suspended, waiting for the loop */
    JOB_RUNNING, /* suspended, given to sb_control */
    JOB_DONE,    /* the reply is in `status`/`text` */
} job_state_t;

/* One request. The HTTP side holds one reference from the first call to
 * its completion; the loop side holds one from queueing to its answer. */
typedef struct job {
    struct sb_http_api *api;
    struct MHD_Connection *conn;
    _Atomic int refs;
    job_state_t state;
    bool abandoned; /* answered by sb_http_api_stop(); sb_control's answer is dropped */
    bool at_stop;   /* answered by sb_http_api_stop(): counted in stop_waiting */
    char *body;
    size_t len;
    sb_request_t req;
    unsigned status;
    char *text; /* the reply's JSON */
    char by[SB_CONTROL_BY_MAX];
    struct job *next;                /* in the queue */
    struct job *run_prev, *run_next; /* among the running (loop only) */
} job_t;

struct sb_http_api {
    char *token, *tls_cert, *tls_key; /* the settings', copied */
    uint8_t token_hash[crypto_generichash_BYTES];
    uv_async_t async;
    uv_mutex_t lock; /* queue, closing */
    job_t *queue_head, **queue_tail;
    bool closing;
    job_t *running; /* given to sb_control (loop only) */
    sb_control_t *ctl;
    struct MHD_Daemon *daemon;
    int fd; /* bound, not yet libmicrohttpd's; -1 otherwise */
    sb_listen_addr_t bound;
    sb_api_page_t page;
    _Atomic int64_t auth_logged_ms;
    _Atomic int stop_waiting; /* answered at the stop, not yet sent */
};

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

bool sb_http_api_tls_available(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* ---- jobs ------------------------------------------------------------------- */

static void job_release(job_t *j)
{
    if (atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    sb_request_free(&j->req);
    free(j->body);
    free(j->text);
    free(j);
}

/* The reply, as JSON text; a failure's HTTP status says why it failed. */
static void job_set_reply(job_t *j, unsigned status, json_t *reply)
{
    free(j->text);
    size_t len;
    j->text = reply != NULL ? sb_reply_dumps(reply, JSON_INDENT(2), &len) : NULL;
    j->status = j->text != NULL ? status : MHD_HTTP_INTERNAL_SERVER_ERROR;
    sb_reply_free(reply);
    j->state = JOB_DONE;
}

/* sb_control's replies as HTTP: ok 200, refused 409; the server stopping
 * (sb_control's words for it) 503. */
static unsigned status_of(json_t *reply)
{
    if (json_is_true(json_object_get(reply, "ok")))
        return MHD_HTTP_OK;
    const char *error = json_string_value(json_object_get(reply, "error"));
    if (error != NULL && strcmp(error, "the server is stopping") == 0)
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    return MHD_HTTP_CONFLICT;
}

static void running_remove(sb_http_api_t *h, job_t *j)
{
    if (j->run_prev != NULL)
        j->run_prev->run_next = j->run_next;
    else
        h->running = j->run_next;
    if (j->run_next != NULL)
        j->run_next->run_prev = j->run_prev;
    j->run_prev = j->run_next = NULL;
}

/* On the loop: sb_control's answer. */
static void on_answer(void *waiter, json_t *reply)
{
    job_t *j = waiter;
    if (j->abandoned) {
        sb_reply_free(reply);
    } else {
        running_remove(j->api, j);
        job_set_reply(j, reply != NULL ? status_of(reply) : MHD_HTTP_INTERNAL_SERVER_ERROR, reply);
        MHD_resume_connection(j->conn);
    }
    job_release(j);
}

/* On the loop: run what the HTTP thread queued. */
static void on_queued(uv_async_t *a)
{
    sb_http_api_t *h = a->data;
    uv_mutex_lock(&h->lock);
    job_t *j = h->queue_head;
    h->queue_head = NULL;
    h->queue_tail = &h->queue_head;
    uv_mutex_unlock(&h->lock);
    while (j != NULL) {
        job_t *next = j->next;
        j->next = NULL;
        j->state = JOB_RUNNING;
        j->run_next = h->running;
        if (h->running != NULL)
            h->running->run_prev = j;
        h->running = j;
        sb_request_t req = j->req;
        j->req = (sb_request_t){0};
        sb_control_run(h->ctl, &req, j->by, on_answer, j); /* may answer at once */
        j = next;
    }
}

/* On the HTTP thread: suspend the connection and hand the request to the
 * loop. False when the server is stopping (nothing was done). */
static bool job_queue(sb_http_api_t *h, job_t *j)
{
    uv_mutex_lock(&h->lock);
    bool closing = h->closing;
    if (!closing) {
        /* Suspended before the loop can see it, so that its resume never
         * comes first. */
        MHD_suspend_connection(j->conn);
        atomic_fetch_add(&j->refs, 1); /* the loop's */
        j->state = JOB_QUEUED;
        *h->queue_tail = j;
        h->queue_tail = &j->next;
    }
    uv_mutex_unlock(&h->lock);
    if (!closing)
        uv_async_send(&h->async);
    return !closing;
}

/* ---- responses ----------------------------------------------------------------- */

static void common_headers(struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

/* Queue `text` (taken; freed by libmicrohttpd) as a JSON response. */
static enum MHD_Result send_json_text(struct MHD_Connection *conn, unsigned status, char *text,
                                      const char *allow, bool challenge)
{
    if (text == NULL)
        return MHD_NO;
    size_t n = strlen(text);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    common_headers(r, JSON_TYPE);
    if (allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (challenge)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, AUTH_CHALLENGE);
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) /* stopping: no next request */
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *words,
                                  const char *allow)
{
    json_t *reply = sb_reply_failure("%s", words);
    char *text = reply != NULL ? json_dumps(reply, JSON_INDENT(2)) : NULL;
    json_decref(reply);
    return send_json_text(conn, status, text, allow, status == MHD_HTTP_UNAUTHORIZED);
}

static enum MHD_Result send_page(sb_http_api_t *h, struct MHD_Connection *conn)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(h->page.len, h->page.html, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    common_headers(r, "text/html; charset=utf-8");
    MHD_add_response_header(r, "Content-Security-Policy", h->page.csp);
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- requests -------------------------------------------------------------------- */

/* The peer as `by=` names it: "api@192.0.2.1". */
static void peer_name(struct MHD_Connection *conn, char *by, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char addr[INET6_ADDRSTRLEN] = "unknown";
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
                  sizeof(addr));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
                  sizeof(addr));
    snprintf(by, cap, "api@%s", addr);
}

/* A refused token, logged at most once a second: a client guessing tokens
 * must not flood the log. */
static void log_refused(sb_http_api_t *h, const job_t *j, unsigned status, const char *why)
{
    int64_t now = now_ms(), last = atomic_load(&h->auth_logged_ms);
    if (now - last < AUTH_LOG_EVERY_MS ||
        !atomic_compare_exchange_strong(&h->auth_logged_ms, &last, now))
        return;
    char q[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_WARNING, "api-refused", "client=%s status=%u reason=%s", j->by + 4, status,
           sb_log_quote(q, sizeof(q), why, true));
}

/* 0 when the request carries the token; else the status to answer (401,
 * 403) and why. Constant time in the token: both sides are hashed and the
 * hashes compared with sodium_memcmp. */
static unsigned check_token(sb_http_api_t *h, struct MHD_Connection *conn, const char **why)
{
    if (h->token == NULL) {
        *why = "actions are off: the server has no API token (--http-token-file, or the "
               "systemd credential http-token)";
        return MHD_HTTP_FORBIDDEN;
    }
    const char *header =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *token;
    size_t len;
    if (sb_api_request_bearer(header, &token, &len) < 0) {
        *why = header == NULL ? "this action needs the header Authorization: Bearer TOKEN"
                              : "the Authorization header must be Bearer TOKEN";
        return MHD_HTTP_UNAUTHORIZED;
    }
    uint8_t got[crypto_generichash_BYTES];
    crypto_generichash(got, sizeof(got), (const unsigned char *)token, len, NULL, 0);
    if (sodium_memcmp(got, h->token_hash, sizeof(got)) != 0) {
        *why = "wrong token";
        return MHD_HTTP_UNAUTHORIZED;
    }
    return 0;
}

/* The first call for a request: its job. A POST without the token, or
 * with a body declared too large, is refused before the body is read:
 * a client without the token learns nothing from the answer. */
static enum MHD_Result job_begin(sb_http_api_t *h, struct MHD_Connection *conn, const char *method,
                                 void **req_cls)
{
    job_t *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return MHD_NO;
    j->api = h;
    j->conn = conn;
    atomic_init(&j->refs, 1);
    peer_name(conn, j->by, sizeof(j->by));
    *req_cls = j;
    const char *why;
    unsigned refused = strcmp(method, MHD_HTTP_METHOD_POST) == 0 ? check_token(h, conn, &why) : 0;
    if (refused != 0) {
        j->state = JOB_DONE;
        log_refused(h, j, refused, why);
        return send_error(conn, refused, why, NULL);
    }
    const char *length =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL && strtoull(length, NULL, 10) > SB_API_BODY_MAX) {
        char words[64];
        snprintf(words, sizeof(words), "the body is over %d bytes", SB_API_BODY_MAX);
        j->state = JOB_DONE;
        return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, words, NULL);
    }
    return MHD_YES;
}

/* A piece of the body. One that grows past the cap (chunked, so not
 * refused up front) ends the connection: libmicrohttpd cannot answer
 * before the body is in. */
static enum MHD_Result job_read(job_t *j, const char *data, size_t *size)
{
    if (j->state == JOB_DONE) { /* answered already (413): discard */
        *size = 0;
        return MHD_YES;
    }
    if (*size > SB_API_BODY_MAX - j->len)
        return MHD_NO;
    if (j->body == NULL && (j->body = malloc(SB_API_BODY_MAX)) == NULL)
        return MHD_NO;
    memcpy(j->body + j->len, data, *size);
    j->len += *size;
    *size = 0;
    return MHD_YES;
}

/* GET /api/v1/status?profile=...&down=1&limit=N&offset=N into `r`. */
static int status_query(struct MHD_Connection *conn, sb_api_request_t *r, char *err, size_t errlen)
{
    const char *v[4];
    static const char *const names[4] = {"profile", "down", "limit", "offset"};
    for (int i = 0; i < 4; i++)
        v[i] = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, names[i]);
    return sb_api_request_status_query(r, v[0], v[1], v[2], v[3], err, errlen);
}

/* The whole request is in: answer it, or hand it to the loop. */
static enum MHD_Result job_handle(sb_http_api_t *h, job_t *j, const char *url, const char *method)
{
    sb_api_request_t r;
    char err[512];
    const char *allow;
    j->state = JOB_DONE; /* unless queued below */
    int status =
        sb_api_request_parse(method, url, j->body, j->len, now_ms(), &r, err, sizeof(err), &allow);
    if (status != MHD_HTTP_OK)
        return send_error(j->conn, (unsigned)status, err, allow);
    if (r.kind == SB_API_PAGE)
        return send_page(h, j->conn);
    if (r.req.command->kind == SB_REQUEST_STATUS &&
        (status = status_query(j->conn, &r, err, sizeof(err))) != MHD_HTTP_OK) {
        sb_api_request_free(&r);
        return send_error(j->conn, (unsigned)status, err, NULL);
    }
    /* An action came by POST, whose token job_begin() checked. */
    j->req = r.req;
    if (!job_queue(h, j)) {
        sb_request_free(&j->req);
        return send_error(j->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the server is stopping", NULL);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)version;
    sb_http_api_t *h = cls;
    job_t *j = *req_cls;
    if (j == NULL)
        return job_begin(h, conn, method, req_cls);
    if (*upload_data_size > 0)
        return job_read(j, upload_data, upload_data_size);
    if (j->state == JOB_DONE && j->text != NULL) { /* the loop's reply */
        char *text = j->text;
        j->text = NULL;
        return send_json_text(conn, j->status, text, NULL, false);
    }
    if (j->state == JOB_DONE) /* answered already */
        return MHD_YES;
    return job_handle(h, j, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn, (void)toe;
    job_t *j = *req_cls;
    if (j != NULL && j->at_stop)
        atomic_fetch_sub(&((sb_http_api_t *)cls)->stop_waiting, 1);
    if (j != NULL)
        job_release(j);
    *req_cls = NULL;
}

/* libmicrohttpd's own messages are about single connections (a client that
 * went away, a malformed request): routine, so debug level. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char text[256], q[SB_LOG_QUOTE_MAX];
    vsnprintf(text, sizeof(text), fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    sb_log(SB_LOG_DEBUG, "api-http", "message=%s", sb_log_quote(q, sizeof(q), text, true));
}

/* ---- the listener ------------------------------------------------------------------ */

static void free_secret(char *s)
{
    if (s != NULL)
        explicit_bzero(s, strlen(s));
    free(s);
}

static void api_free(sb_http_api_t *h)
{
    free_secret(h->token);
    free(h->tls_cert);
    free_secret(h->tls_key);
    sb_api_page_free(&h->page);
    uv_mutex_destroy(&h->lock);
    sodium_memzero(h->token_hash, sizeof(h->token_hash));
    free(h);
}

static int copy_config(sb_http_api_t *h, const sb_http_api_config_t *cfg)
{
    if ((cfg->token != NULL && (h->token = strdup(cfg->token)) == NULL) ||
        (cfg->tls_cert != NULL && (h->tls_cert = strdup(cfg->tls_cert)) == NULL) ||
        (cfg->tls_key != NULL && (h->tls_key = strdup(cfg->tls_key)) == NULL))
        return -ENOMEM;
    if (h->token != NULL)
        crypto_generichash(h->token_hash, sizeof(h->token_hash), (const unsigned char *)h->token,
                           strlen(h->token), NULL, 0);
    return sb_api_page_build(&h->page);
}

int sb_http_api_bind(sb_http_api_t **out, uv_loop_t *loop, const sb_http_api_config_t *cfg,
                     char *err, size_t errlen)
{
    *out = NULL;
    sb_http_api_t *h = calloc(1, sizeof(*h));
    if (h == NULL || uv_mutex_init(&h->lock) < 0) {
        free(h);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    h->fd = -1;
    h->queue_tail = &h->queue_head;
    h->async.data = h;
    int rc = copy_config(h, cfg);
    char text[80];
    sb_listen_addr_format(&cfg->addr, text, sizeof(text));
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    else if ((rc = h->fd = sb_listen_addr_tcp(&cfg->addr, HTTP_BACKLOG, &h->bound)) < 0)
        snprintf(err, errlen, "cannot listen on %s for the HTTP API: %s", text, strerror(-rc));
    if (rc < 0 || sodium_init() < 0 || uv_async_init(loop, &h->async, on_queued) < 0) {
        if (rc >= 0)
            snprintf(err, errlen, "cannot start the HTTP API: out of resources");
        if (h->fd >= 0)
            close(h->fd);
        api_free(h);
        return rc < 0 ? rc : -ENOMEM;
    }
    *out = h;
    return 0;
}

const sb_listen_addr_t *sb_http_api_bound(const sb_http_api_t *h)
{
    return &h->bound;
}

/* The daemon's options; TLS adds its certificate, key and protocols. */
static size_t daemon_options(sb_http_api_t *h, int fd, struct MHD_OptionItem *o)
{
    size_t n = 0;
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
    o[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, SB_HTTP_API_MAX_CONNECTIONS, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, SB_HTTP_API_PER_IP, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, SB_HTTP_API_IDLE_SECONDS, NULL};
    o[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, SB_HTTP_API_MEMORY_LIMIT, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h};
    if (h->tls_cert != NULL) {
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                         "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    }
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return n;
}

int sb_http_api_start(sb_http_api_t *h, sb_control_t *ctl, char *err, size_t errlen)
{
    char text[80];
    sb_listen_addr_format(&h->bound, text, sizeof(text));
    h->ctl = ctl;
    /* One internal thread with epoll (no FD_SETSIZE limit); suspended
     * connections wait for the loop's replies. */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (h->bound.addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (h->tls_cert != NULL)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem options[12];
    daemon_options(h, h->fd, options);
    h->fd = -1; /* libmicrohttpd's from here on, even when it fails (see sb_metrics_http) */
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, options,
                                 MHD_OPTION_END);
    if (h->daemon == NULL) {
        snprintf(err, errlen, "cannot start the HTTP API on %s%s", text,
                 h->tls_cert != NULL ? " (is the TLS key the certificate's?)" : "");
        return -EIO;
    }
    return 0;
}

static void on_async_closed(uv_handle_t *handle)
{
    api_free(handle->data);
}

/* A request the loop has not answered: answered now, and its connection
 * resumed so that it can be closed. */
static void answer_stopping(job_t *j)
{
    j->at_stop = true;
    atomic_fetch_add(&j->api->stop_waiting, 1);
    job_set_reply(j, MHD_HTTP_SERVICE_UNAVAILABLE, sb_reply_failure("the server is stopping"));
    MHD_resume_connection(j->conn);
}

/* No new connection; the replies just made go out (each closes its
 * connection), for at most STOP_DRAIN_MS, as the DNS side drains; then
 * every connection is closed and the thread joined. */
static void stop_daemon(sb_http_api_t *h)
{
    int listen_fd = MHD_quiesce_daemon(h->daemon);
    for (int waited = 0; waited < STOP_DRAIN_MS && atomic_load(&h->stop_waiting) > 0; waited += 10)
        usleep(10000);
    MHD_stop_daemon(h->daemon); /* resumes what is suspended, closes every connection */
    if (listen_fd >= 0)
        close(listen_fd); /* a quiesced socket is ours (libmicrohttpd's manual) */
}

void sb_http_api_stop(sb_http_api_t *h)
{
    if (h == NULL)
        return;
    uv_mutex_lock(&h->lock);
    h->closing = true; /* nothing more is queued */
    job_t *queued = h->queue_head;
    h->queue_head = NULL;
    h->queue_tail = &h->queue_head;
    uv_mutex_unlock(&h->lock);
    while (queued != NULL) {
        job_t *next = queued->next;
        sb_request_free(&queued->req);
        answer_stopping(queued);
        job_release(queued); /* the loop's reference */
        queued = next;
    }
    /* Those with sb_control are answered by it later, into nothing. */
    for (job_t *j = h->running; j != NULL; j = j->run_next) {
        j->abandoned = true;
        answer_stopping(j);
    }
    h->running = NULL;
    if (h->daemon != NULL)
        stop_daemon(h);
    if (h->fd >= 0)
        close(h->fd);
    uv_close((uv_handle_t *)&h->async, on_async_closed);
}
