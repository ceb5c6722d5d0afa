/*
 * TCP probe: up when a connection to the address and port completes within
 * the timeout (the worker's deadline enforces the timeout), and, when the
 * monitor says so, when `send` was written and what the server sends
 * contains `receive` (relayd check_tcp.c's send/expect).
 *
 *   neither:         up on connect;
 *   send only:       up when the write completes;
 *   receive (±send): reading starts on connect (a banner may come before
 *                    anything is sent); up as soon as the bytes read contain
 *                    `receive`; down when the peer closes first or
 *                    RECEIVE_CAP bytes came without it.
 *
 * Per check (c->proto, only with `receive`): the receive buffer, allocated
 * by the first run and freed by tcp_release(). Per run (c->run): the
 * socket and its requests, freed in the socket's close callback.
 */
#include "sb_check_tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define RECEIVE_CAP 4096

typedef struct {
    size_t len; /* bytes received in this run */
    char buf[RECEIVE_CAP];
} tcp_state_t;

typedef struct {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    sb_check_t *check; /* NULL once the run was cancelled or reported */
} tcp_run_t;

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

/* The one cleanup helper: detach the run from its check and close it.
 * Closing stops reading at once; a pending write or connect completes
 * with UV_ECANCELED before on_closed frees the run, and finds it
 * detached. */
static void run_release(tcp_run_t *run)
{
    if (run->check != NULL) {
        run->check->run = NULL;
        run->check = NULL;
    }
    /* A reset rather than a FIN, as HTTP probes close (sb_check_http.c):
     * no TIME_WAIT socket left behind per probe. Without a socket yet,
     * a plain close. */
    if (!uv_is_closing((uv_handle_t *)&run->tcp) && uv_tcp_close_reset(&run->tcp, on_closed) != 0)
        uv_close((uv_handle_t *)&run->tcp, on_closed);
}

/* The one call that reports: release the run, then report its result. */
static void run_finish(tcp_run_t *run, sb_result_t r)
{
    sb_check_t *c = run->check;
    run_release(run);
    if (c != NULL)
        sb_check_report(c, r);
}

static sb_result_t judge(int status)
{
    sb_result_t r = {.reason = SB_REASON_OK};
    if (status == 0)
        return r;
    switch (status) {
    case UV_ECONNREFUSED:
        r.reason = SB_REASON_REFUSED;
        break;
    case UV_ENETUNREACH:
    case UV_EHOSTUNREACH:
        r.reason = SB_REASON_UNREACHABLE;
        r.text = uv_strerror(status);
        break;
    case UV_ECONNRESET:
        r.reason = SB_REASON_RESET;
        break;
    case UV_EPIPE:
    case UV_EOF:
        r.reason = SB_REASON_CLOSED;
        break;
    case UV_ETIMEDOUT:
        r.reason = SB_REASON_CONNECT_FAILED;
        r.text = "the system timed the connection out";
        break;
    default:
        r.reason = SB_REASON_CONNECT_FAILED;
        r.text = uv_strerror(status);
        break;
    }
    return r;
}

static sb_result_t mismatch(const char *text)
{
    sb_result_t r = {.reason = SB_REASON_BAD_RESPONSE, .text = text};
    return r;
}

/* ---- receive ------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    tcp_run_t *run = h->data;
    tcp_state_t *st = run->check != NULL ? run->check->proto : NULL;
    if (st == NULL || st->len >= RECEIVE_CAP)
        *buf = uv_buf_init(NULL, 0); /* on_read gets UV_ENOBUFS */
    else
        *buf = uv_buf_init(st->buf + st->len, (unsigned)(RECEIVE_CAP - st->len));
}

/* True when the bytes read so far contain `receive`; only the new bytes
 * and the tail that a match could straddle are searched. */
static bool received(tcp_state_t *st, size_t added, const char *want)
{
    size_t wlen = strlen(want); /* not 0: the configuration refuses "" */
    size_t old = st->len;
    st->len += added;
    size_t from = old >= wlen - 1 ? old - (wlen - 1) : 0;
    return memmem(st->buf + from, st->len - from, want, wlen) != NULL;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    tcp_run_t *run = s->data;
    sb_check_t *c = run->check;
    if (c == NULL || nread == 0)
        return;
    tcp_state_t *st = c->proto;
    if (nread == UV_EOF && st->len > 0)
        run_finish(run, mismatch("reply did not contain the expected text"));
    else if (nread < 0)
        run_finish(run, judge((int)nread));
    else if (received(st, (size_t)nread, c->monitor->receive))
        run_finish(run, judge(0));
    else if (st->len >= RECEIVE_CAP)
        run_finish(run, mismatch("reply did not contain the expected text in the first 4 KiB"));
}

/* ---- connect and send ---------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
    tcp_run_t *run = req->data;
    sb_check_t *c = run->check;
    if (c == NULL || status == UV_ECANCELED)
        return;
    if (status < 0)
        run_finish(run, judge(status));
    else if (c->monitor->receive == NULL)
        run_finish(run, judge(0));
}

static int begin_exchange(tcp_run_t *run, const sb_monitor_t *m)
{
    uv_stream_t *s = (uv_stream_t *)&run->tcp;
    int rc = 0;
    if (m->receive != NULL)
        rc = uv_read_start(s, on_alloc, on_read);
    if (rc == 0 && m->send != NULL) {
        /* The text lives as long as the check's configuration; libuv only
         * reads it. */
        uv_buf_t b = uv_buf_init((char *)m->send, (unsigned)strlen(m->send));
        rc = uv_write(&run->write, s, &b, 1, on_written);
    }
    return rc;
}

static void on_connect(uv_connect_t *req, int status)
{
    tcp_run_t *run = req->data;
    sb_check_t *c = run->check;
    if (c == NULL || status == UV_ECANCELED) {
        run_release(run);
        return;
    }
    const sb_monitor_t *m = c->monitor;
    if (status == 0 && m->send == NULL && m->receive == NULL) {
        run_finish(run, judge(0));
        return;
    }
    if (status == 0)
        status = begin_exchange(run, m);
    if (status < 0)
        run_finish(run, judge(status));
}

/* The per-check receive buffer, made by the first run that needs it. */
static int state_ready(sb_check_t *c)
{
    if (c->monitor->receive == NULL)
        return 0;
    tcp_state_t *st = c->proto;
    if (st == NULL && (st = c->proto = malloc(sizeof(*st))) == NULL)
        return -ENOMEM;
    st->len = 0;
    return 0;
}

static int tcp_start(void *engine, sb_check_t *c)
{
    uv_loop_t *loop = engine;
    if (state_ready(c) < 0)
        return -ENOMEM;
    tcp_run_t *run = calloc(1, sizeof(*run));
    if (run == NULL)
        return -ENOMEM;
    int rc = uv_tcp_init(loop, &run->tcp);
    if (rc < 0) {
        free(run);
        return rc;
    }
    run->tcp.data = run;
    run->connect.data = run;
    run->write.data = run;
    struct sockaddr_storage ss;
    const sb_addr_t *source = sb_check_source(c);
    if (source != NULL) {
        sb_addr_sockaddr(source, 0, &ss);
        if ((rc = uv_tcp_bind(&run->tcp, (const struct sockaddr *)&ss, 0)) < 0) {
            run_release(run);
            return rc;
        }
    }
    sb_addr_sockaddr(&c->addr, sb_monitor_port(c->monitor), &ss);
    rc = uv_tcp_connect(&run->connect, &run->tcp, (const struct sockaddr *)&ss, on_connect);
    if (rc < 0) {
        run_release(run);
        return rc;
    }
    run->check = c;
    c->run = run;
    return 0;
}

static void tcp_cancel(void *engine, sb_check_t *c)
{
    (void)engine;
    if (c->run != NULL)
        run_release(c->run);
}

static void tcp_release(sb_check_t *c)
{
    free(c->proto);
    c->proto = NULL;
}

/* What makes two TCP probes the same, beyond the target and timing. */
static void tcp_key(FILE *f, const sb_monitor_t *m)
{
    fprintf(f, "\x1f%s\x1f%s", m->send ? m->send : "", m->receive ? m->receive : "");
}

const sb_check_type_t sb_check_tcp_type = {
    .name = "tcp",
    .protos = 1u << SB_MONITOR_TCP,
    .engine_open = NULL, /* the worker's loop is all it needs */
    .start = tcp_start,
    .cancel = tcp_cancel,
    .release = tcp_release,
    .key = tcp_key,
};
