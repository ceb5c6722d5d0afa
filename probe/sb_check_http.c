/*
 * HTTP and HTTPS probe through libcurl's multi-socket interface, driven by
 * the probe worker's libuv loop: no blocking call, no thread per probe.
 *
 * Each check keeps one easy handle. A run connects to the resolved address
 * (CURLOPT_CONNECT_TO) while the URL, Host header and TLS name stay the
 * endpoint's name. Connections are never reused, so every run proves that a
 * new client could connect. Redirects are not followed: a 3xx is judged by
 * the expected status ranges like any other status. The body is not read:
 * the status decides, and a huge or endless body cannot hold a probe.
 */
#include "sb_check.h"

#include "sb_log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_http {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int open_handles;
    bool closing;
};

typedef struct {
    uv_poll_t poll;
    curl_socket_t fd;
    sb_http_t *http;
} http_sock_t;

typedef struct {
    CURL *easy;
    struct curl_slist *headers;
    struct curl_slist *connect_to;
    bool running;
    bool status_known; /* the final headers arrived; we stopped the transfer there */
    char url[2048];
    char error[CURL_ERROR_SIZE];
} http_state_t;

static void drain_messages(sb_http_t *http);

/* ---- the engine: curl's sockets and timer on the loop ------------------ */

static void maybe_free(sb_http_t *http)
{
    if (http->closing && http->open_handles == 0)
        free(http);
}

static void on_handle_closed(uv_handle_t *h)
{
    sb_http_t *http = h->data;
    if (h->type == UV_POLL)
        free((char *)h - offsetof(http_sock_t, poll));
    http->open_handles--;
    maybe_free(http);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    http_sock_t *s = (http_sock_t *)(void *)((char *)p - offsetof(http_sock_t, poll));
    sb_http_t *http = s->http;
    int flags = 0;
    /* libuv reports POLLERR (a reset, say) as an error without events. Let
     * curl read and write so that it meets the socket's real error and the
     * result names it ("connection reset"), rather than a bare poll error. */
    if (status < 0)
        flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(http->multi, s->fd, flags, &running);
    drain_messages(http);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    sb_http_t *http = userp;
    http_sock_t *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            curl_multi_assign(http->multi, fd, NULL);
            uv_close((uv_handle_t *)&s->poll, on_handle_closed);
        }
        return 0;
    }
    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s == NULL || uv_poll_init_socket(http->loop, &s->poll, fd) < 0) {
            /* Not -1: that would make curl fail every transfer on the multi
             * handle. This one run times out instead. */
            free(s);
            sb_log(SB_LOG_ERROR, "probe-local-error",
                   "reason=\"cannot watch a probe socket\" action=\"the probe will time out\"");
            return 0;
        }
        s->fd = fd;
        s->http = http;
        s->poll.data = http;
        http->open_handles++;
        curl_multi_assign(http->multi, fd, s);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    sb_http_t *http = t->data;
    int running;
    curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain_messages(http);
}

static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    sb_http_t *http = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&http->timer);
    else
        uv_timer_start(&http->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

int sb_http_new(sb_http_t **out, uv_loop_t *loop)
{
    sb_http_t *http = calloc(1, sizeof(*http));
    if (http == NULL)
        return -ENOMEM;
    http->multi = curl_multi_init();
    if (http->multi == NULL) {
        free(http);
        return -ENOMEM;
    }
    http->loop = loop;
    uv_timer_init(loop, &http->timer);
    http->timer.data = http;
    http->open_handles = 1;
    curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
    curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
    *out = http;
    return 0;
}

void sb_http_close(sb_http_t *http)
{
    if (http == NULL)
        return;
    curl_multi_cleanup(http->multi);
    http->closing = true;
    uv_close((uv_handle_t *)&http->timer, on_handle_closed);
}

/* ---- one check ---------------------------------------------------------- */

/* Stop at the blank line that ends the final (non-1xx) response headers:
 * the status is known, and the body is not judged. */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    http_state_t *st = userp;
    size_t len = size * n;
    if (len > 2 || (len == 2 && data[0] != '\r') || (len == 1 && data[0] != '\n'))
        return len;
    long status = 0;
    curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 100 && status < 200)
        return len; /* an interim response; the final one follows */
    st->status_known = true;
    return 0;
}

/* Only reached by a body sent without headers ending first (never, in
 * practice): it is not judged either. */
static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    (void)data;
    (void)userp;
    return size * n;
}

static void format_url(const sb_check_t *c, http_state_t *st)
{
    const sb_monitor_t *m = c->monitor;
    snprintf(st->url, sizeof(st->url), "%s://%s:%u%s",
             m->proto == SB_MONITOR_HTTPS ? "https" : "http", c->host, sb_monitor_port(m), m->path);
}

static http_state_t *state_new(sb_check_t *c)
{
    http_state_t *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->easy = curl_easy_init()) == NULL) {
        free(st);
        return NULL;
    }
    const sb_monitor_t *m = c->monitor;
    format_url(c, st);
    if (m->host != NULL) {
        char header[512];
        snprintf(header, sizeof(header), "Host: %s", m->host);
        st->headers = curl_slist_append(NULL, header);
    }
    CURL *e = st->easy;
    curl_easy_setopt(e, CURLOPT_URL, st->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "Switchboard/" SB_VERSION " health check");
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, st);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    /* Debian's libcurl also names a CA directory, which turns off curl's CA
     * cache: every TLS probe would re-read and parse the whole CA bundle on
     * this loop (about 50 ms). The bundle alone is the same store, cached. */
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 3600L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, st->error);
    /* A backstop only: the worker's deadline ends the run first. */
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)m->timeout_ms + 1000);
    if (st->headers != NULL)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, st->headers);
    return st;
}

/* Point the run at this run's address, keeping the URL's name. */
static int set_address(const sb_check_t *c, http_state_t *st)
{
    char addr[INET6_ADDRSTRLEN], entry[2300];
    inet_ntop(c->addr.family == 4 ? AF_INET : AF_INET6, c->addr.bytes, addr, sizeof(addr));
    unsigned port = sb_monitor_port(c->monitor);
    if (c->addr.family == 4)
        snprintf(entry, sizeof(entry), "%s:%u:%s:%u", c->host, port, addr, port);
    else
        snprintf(entry, sizeof(entry), "%s:%u:[%s]:%u", c->host, port, addr, port);
    curl_slist_free_all(st->connect_to);
    st->connect_to = curl_slist_append(NULL, entry);
    if (st->connect_to == NULL)
        return -ENOMEM;
    curl_easy_setopt(st->easy, CURLOPT_CONNECT_TO, st->connect_to);
    return 0;
}

int sb_http_start(sb_http_t *http, sb_check_t *c)
{
    http_state_t *st = c->proto;
    if (st == NULL && (st = c->proto = state_new(c)) == NULL)
        return -ENOMEM;
    int rc = set_address(c, st);
    if (rc < 0)
        return rc;
    st->status_known = false;
    st->error[0] = '\0';
    if (curl_multi_add_handle(http->multi, st->easy) != CURLM_OK)
        return -ENOMEM;
    st->running = true;
    c->run = st;
    return 0;
}

/* The one cleanup helper for a run. */
static void run_release(sb_http_t *http, sb_check_t *c)
{
    http_state_t *st = c->proto;
    if (st != NULL && st->running) {
        curl_multi_remove_handle(http->multi, st->easy);
        st->running = false;
    }
    c->run = NULL;
}

void sb_http_cancel(sb_http_t *http, sb_check_t *c)
{
    run_release(http, c);
}

void sb_http_release(sb_check_t *c)
{
    http_state_t *st = c->proto;
    if (st == NULL)
        return;
    curl_easy_cleanup(st->easy);
    curl_slist_free_all(st->headers);
    curl_slist_free_all(st->connect_to);
    free(st);
    c->proto = NULL;
}

/* ---- judging ------------------------------------------------------------ */

static sb_result_t judge_status(const sb_check_t *c, const http_state_t *st)
{
    long status = 0;
    curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &status);
    sb_result_t r = {.reason = SB_REASON_OK, .number = (uint32_t)status};
    if (status < 100 || status > 999) {
        r.reason = SB_REASON_BAD_RESPONSE;
        r.text = "no HTTP status line";
    } else if (!sb_monitor_status_ok(c->monitor, (unsigned)status)) {
        r.reason = SB_REASON_HTTP_STATUS;
    }
    return r;
}

static sb_result_t judge_connect(const http_state_t *st)
{
    long os_errno = 0;
    curl_easy_getinfo(st->easy, CURLINFO_OS_ERRNO, &os_errno);
    sb_result_t r = {.reason = SB_REASON_CONNECT_FAILED};
    switch (os_errno) {
    case ECONNREFUSED:
        r.reason = SB_REASON_REFUSED;
        break;
    case ECONNRESET:
    case EPIPE:
        r.reason = SB_REASON_RESET;
        break;
    case ENETUNREACH:
    case EHOSTUNREACH:
        r.reason = SB_REASON_UNREACHABLE;
        r.text = uv_strerror(-(int)os_errno);
        break;
    default:
        r.text = os_errno != 0 ? uv_strerror(-(int)os_errno) : "could not connect";
        break;
    }
    return r;
}

static sb_result_t judge(const sb_check_t *c, const http_state_t *st, CURLcode rc)
{
    sb_result_t r = {.reason = SB_REASON_BAD_RESPONSE};
    long os_errno = 0;
    if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && st->status_known))
        return judge_status(c, st);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        return judge_connect(st);
    case CURLE_OPERATION_TIMEDOUT:
        r.reason = SB_REASON_TIMEOUT;
        r.number = c->monitor->timeout_ms;
        break;
    case CURLE_GOT_NOTHING:
        r.reason = SB_REASON_CLOSED;
        break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL: /* what curl says of an HTTP/0.9-like reply */
        r.text = "not an HTTP response";
        break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        /* After the connection was made: the peer reset or closed it. */
        curl_easy_getinfo(st->easy, CURLINFO_OS_ERRNO, &os_errno);
        r.reason = os_errno == 0 ? SB_REASON_CLOSED : SB_REASON_RESET;
        break;
    case CURLE_SSL_CONNECT_ERROR:
        r.reason = SB_REASON_TLS;
        r.text = "handshake failed";
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        r.reason = SB_REASON_TLS;
        r.text = "certificate verification failed";
        break;
    case CURLE_OUT_OF_MEMORY:
        r.reason = SB_REASON_LOCAL;
        r.text = "out of memory";
        break;
    default:
        r.text = curl_easy_strerror(rc);
        break;
    }
    return r;
}

static void drain_messages(sb_http_t *http)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(http->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        sb_check_t *c = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        CURLcode rc = msg->data.result;
        sb_result_t r = judge(c, c->proto, rc);
        if (rc != CURLE_OK && sb_log_enabled(SB_LOG_DEBUG)) {
            http_state_t *st = c->proto;
            long os_errno = 0;
            curl_easy_getinfo(st->easy, CURLINFO_OS_ERRNO, &os_errno);
            sb_log(SB_LOG_DEBUG, "probe-http", "target=%s curl=%d os_errno=%ld detail=\"%s\"",
                   c->label, (int)rc, os_errno, st->error);
        }
        run_release(http, c);
        sb_check_report(c, r);
    }
}
