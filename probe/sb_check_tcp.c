/*
 * TCP connect probe: up when a connection to the address and port completes
 * within the timeout (the worker's deadline enforces the timeout).
 */
#include "sb_check.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uv_tcp_t tcp;
    uv_connect_t req;
    sb_check_t *check; /* NULL once the run was cancelled or reported */
} tcp_run_t;

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

/* The one cleanup helper: detach the run from its check and close it. */
static void run_release(tcp_run_t *run)
{
    if (run->check != NULL) {
        run->check->run = NULL;
        run->check = NULL;
    }
    if (!uv_is_closing((uv_handle_t *)&run->tcp))
        uv_close((uv_handle_t *)&run->tcp, on_closed);
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

static void on_connect(uv_connect_t *req, int status)
{
    tcp_run_t *run = req->data;
    sb_check_t *c = run->check;
    run_release(run);
    if (c == NULL || status == UV_ECANCELED)
        return;
    sb_check_report(c, judge(status));
}

static void to_sockaddr(const sb_check_t *c, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    uint16_t port = sb_monitor_port(c->monitor);
    if (c->addr.family == 4) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        memcpy(&v4->sin_addr, c->addr.bytes, 4);
    } else {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        memcpy(&v6->sin6_addr, c->addr.bytes, 16);
    }
}

int sb_tcp_start(uv_loop_t *loop, sb_check_t *c)
{
    tcp_run_t *run = calloc(1, sizeof(*run));
    if (run == NULL)
        return -ENOMEM;
    int rc = uv_tcp_init(loop, &run->tcp);
    if (rc < 0) {
        free(run);
        return rc;
    }
    run->tcp.data = run;
    run->req.data = run;
    struct sockaddr_storage ss;
    to_sockaddr(c, &ss);
    rc = uv_tcp_connect(&run->req, &run->tcp, (const struct sockaddr *)&ss, on_connect);
    if (rc < 0) {
        run_release(run);
        return rc;
    }
    run->check = c;
    c->run = run;
    return 0;
}

void sb_tcp_cancel(sb_check_t *c)
{
    if (c->run != NULL)
        run_release(c->run);
}
