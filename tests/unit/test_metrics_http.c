/* The metrics listener: built-in families then sources, and its HTTP
 * answers over IPv4 and IPv6 on a real socket. */
#include "sb_test.h"

#include "sb_metrics_http.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void source_a(sb_metrics_buf_t *out, void *arg)
{
    sb_metrics_family(out, "a_total", SB_METRICS_COUNTER, "From source a.");
    sb_metrics_sample(out, "a_total", NULL, *(int *)arg);
}

static void builtin_families_then_sources(void **state)
{
    (void)state;
    sb_metrics_http_t *m;
    assert_int_equal(sb_metrics_http_new(&m), 0);
    int a = 7;
    assert_int_equal(sb_metrics_http_add_source(m, source_a, &a), 0);
    sb_metrics_http_set_generation(m, 3);
    sb_metrics_http_count_reload(m, true);
    sb_metrics_http_count_reload(m, true);
    sb_metrics_http_count_reload(m, false);
    sb_metrics_buf_t *b = sb_metrics_buf_new();
    sb_metrics_http_render(m, b);
    size_t len;
    const char *text = sb_metrics_buf_text(b, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "# TYPE switchboard_build_info gauge\n"
                                 "switchboard_build_info{version=\"" SB_VERSION "\"} 1\n"));
    assert_non_null(strstr(text, "# TYPE switchboard_start_time_seconds gauge\n"
                                 "switchboard_start_time_seconds "));
    assert_non_null(strstr(text, "# TYPE switchboard_config_generation gauge\n"
                                 "switchboard_config_generation 3\n"));
    assert_non_null(strstr(text, "# TYPE switchboard_config_reloads_total counter\n"
                                 "switchboard_config_reloads_total{result=\"success\"} 2\n"
                                 "switchboard_config_reloads_total{result=\"failure\"} 1\n"));
    const char *source = strstr(text, "# HELP a_total From source a.\n"
                                      "# TYPE a_total counter\n"
                                      "a_total 7\n");
    assert_non_null(source);
    assert_true(source > strstr(text, "switchboard_config_reloads_total{"));
    double start = strtod(strstr(text, "\nswitchboard_start_time_seconds ") + 32, NULL);
    double now = (double)time(NULL);
    assert_true(start > now - 5 && start < now + 5);
    sb_metrics_buf_free(b);
    sb_metrics_http_stop(m);
}

/* ---- HTTP ------------------------------------------------------------------ */

/* One request over a new connection; the whole response (the server closes
 * after it, as HTTP/1.0 wants). */
static char *http(const sb_listen_addr_t *a, const char *request)
{
    int fd = socket(a->addr.ss_family, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (const struct sockaddr *)&a->addr, a->len), 0);
    assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    ssize_t n;
    while ((n = read(fd, out + len, cap - len - 1)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fd);
    return out;
}

/* The response to `request`, which must have status `code`. */
static char *expect_status(const sb_listen_addr_t *a, const char *request, const char *code)
{
    char *resp = http(a, request);
    /* "HTTP/1.x NNN ..." */
    if (strncmp(resp, "HTTP/1.", 7) != 0 || strncmp(resp + 9, code, 3) != 0)
        fail_msg("%s: expected %s, got %.80s", request, code, resp);
    return resp;
}

static void serve_on(const char *address)
{
    sb_listen_addr_t addr;
    assert_int_equal(sb_listen_addr_parse(address, &addr), 0);
    sb_metrics_http_t *m;
    assert_int_equal(sb_metrics_http_new(&m), 0);
    int a = 42;
    assert_int_equal(sb_metrics_http_add_source(m, source_a, &a), 0);
    char err[256];
    int rc = sb_metrics_http_listen(m, &addr, err, sizeof(err));
    if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) { /* no IPv6 on this host */
        sb_metrics_http_stop(m);
        return;
    }
    assert_int_equal(rc, 0);
    const sb_listen_addr_t *bound = sb_metrics_http_bound(m);
    assert_int_equal(bound->addr.ss_family, addr.addr.ss_family);
    char *resp = expect_status(bound, "GET /metrics HTTP/1.0\r\n\r\n", "200");
    assert_non_null(strstr(resp, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\n# HELP switchboard_build_info "));
    assert_non_null(strstr(resp, "\na_total 42\n"));
    free(resp);
    free(expect_status(bound, "GET /metrics?x=1 HTTP/1.0\r\n\r\n", "200"));
    free(expect_status(bound, "GET / HTTP/1.0\r\n\r\n", "404"));
    free(expect_status(bound, "GET /metrics/x HTTP/1.0\r\n\r\n", "404"));
    free(expect_status(bound, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                       "200"));
    free(expect_status(bound, "DELETE /metrics HTTP/1.0\r\n\r\n", "405"));
    resp = expect_status(bound, "POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", "405");
    assert_non_null(strstr(resp, "Allow: GET, HEAD\r\n"));
    free(resp);
    free(http(bound, "garbage\r\n\r\n")); /* libmicrohttpd's business; it survives */
    free(expect_status(bound, "GET /metrics HTTP/1.0\r\n\r\n", "200"));
    resp = expect_status(bound, "HEAD /metrics HTTP/1.0\r\n\r\n", "200");
    assert_null(strstr(resp, "a_total"));
    free(resp);
    sb_metrics_http_stop(m);
}

static void http_ipv4(void **state)
{
    (void)state;
    serve_on("127.0.0.1:0");
}

static void http_ipv6(void **state)
{
    (void)state;
    serve_on("[::1]:0");
}

static void reports_a_port_in_use(void **state)
{
    (void)state;
    sb_listen_addr_t addr;
    assert_int_equal(sb_listen_addr_parse("127.0.0.1:0", &addr), 0);
    sb_metrics_http_t *m1, *m2;
    char err[256];
    assert_int_equal(sb_metrics_http_new(&m1), 0);
    assert_int_equal(sb_metrics_http_listen(m1, &addr, err, sizeof(err)), 0);
    assert_int_equal(sb_metrics_http_new(&m2), 0);
    assert_int_equal(sb_metrics_http_listen(m2, sb_metrics_http_bound(m1), err, sizeof(err)),
                     -EADDRINUSE);
    char want[256], text[80];
    sb_listen_addr_format(sb_metrics_http_bound(m1), text, sizeof(text));
    snprintf(want, sizeof(want), "cannot listen on %s for metrics: Address already in use", text);
    assert_string_equal(err, want);
    sb_metrics_http_stop(m2);
    /* Stopping closes the socket: the port is free again. */
    sb_listen_addr_t was = *sb_metrics_http_bound(m1);
    sb_metrics_http_stop(m1);
    assert_int_equal(sb_metrics_http_new(&m2), 0);
    assert_int_equal(sb_metrics_http_listen(m2, &was, err, sizeof(err)), 0);
    sb_metrics_http_stop(m2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_families_then_sources),
        cmocka_unit_test(http_ipv4),
        cmocka_unit_test(http_ipv6),
        cmocka_unit_test(reports_a_port_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
