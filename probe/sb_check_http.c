/*
 * HTTP and HTTPS probe through libcurl's multi-socket interface, driven by
 * the probe worker's libuv loop: no blocking call, no thread per probe.
 *
 * A run borrows an easy handle from the curl engine (sb_curl) and runs on
 * it. A run connects to the resolved address
 * (CURLOPT_CONNECT_TO) while the URL, Host header and TLS name stay the
 * endpoint's name. Connections are not reused, so every run proves that a
 * new client could connect, unless the monitor says keep-alive=yes: then a
 * run reuses the connection the check's last run left open, and a failure
 * on a reused connection before any reply is tried again once on a fresh
 * one (retry_fresh). TLS sessions are never resumed, so every new
 * connection sees the certificate. Redirects are not followed: a 3xx is judged by
 * the expected status ranges like any other status.
 *
 * A status outside the expected ranges ends the run at the end of the
 * headers. Otherwise the body is read as it arrives, never kept, until it
 * ends or body-kib KiB of it were read (or, with body=, the text is found):
 * a response that stalls halfway is a timeout, as it would be for a
 * client, and a huge or endless body cannot hold a probe.
 *
 * Failures are named as precisely as curl lets us: a TLS failure says which
 * check on the certificate failed ("certificate expired"), from OpenSSL's
 * verify result and curl's error text.
 */
#include "sb_check_http.h"

#include "sb_curl.h"
#include "sb_log.h"
#include "sb_monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* ---- one check ---------------------------------------------------------- */

/* The body is searched as it streams in, without keeping it: a match that
 * spans two reads starts within the last len - 1 bytes of the earlier one,
 * so only those are carried over. Memory is twice the text, whatever the
 * cap, and it is allocated once per check. */
typedef struct {
    const char *needle; /* NULL: no text to find */
    size_t len;
    size_t cap;       /* bytes of body examined at most */
    size_t seen;      /* bytes examined in this run */
    size_t carry_len; /* bytes of earlier reads at the start of `window` */
    char *window;     /* 2 * (len - 1) bytes: the carry, then a read's start */
    bool found;
} body_match_t;

typedef struct {
    sb_curl_transfer_t xfer; /* the current run's; nothing lent between runs */
    const sb_monitor_t *monitor;
    struct curl_slist *headers;
    struct curl_slist *connect_to;
    bool headers_done; /* the final (non-1xx) headers arrived */
    body_match_t body;
    /* Results point into these: they live as long as the check, longer than
     * the report that shows them. */
    char body_shown[72];
    char tls_words[96];
    /* The URL parsed once (libcurl 7.88 parses a text URL again at every
     * transfer: a sixth of a kept-alive probe's instructions); the text
     * only when curl would not parse it, so that the run reports curl's
     * own error as it always has. */
    CURLU *parsed_url;
    char *url;
    sb_addr_t connect_addr; /* the address connect_to names */
    /* keep-alive: this run failed on a kept connection and is being tried
     * again on a fresh one, whose result counts. */
    bool fresh_retry;
} http_state_t;

static bool body_match_feed(body_match_t *b, const char *data, size_t n)
{
    size_t keep = b->len - 1;
    if (keep > 0) {
        size_t head = n < keep ? n : keep;
        memcpy(b->window + b->carry_len, data, head);
        size_t wlen = b->carry_len + head;
        if (memmem(b->window, wlen, b->needle, b->len) != NULL)
            return true;
        if (n < keep) { /* all of this read is in the window: carry its tail */
            size_t k = wlen < keep ? wlen : keep;
            memmove(b->window, b->window + wlen - k, k);
            b->carry_len = k;
            return false;
        }
    }
    if (memmem(data, n, b->needle, b->len) != NULL)
        return true;
    memcpy(b->window, data + n - keep, keep);
    b->carry_len = keep;
    return false;
}

static bool blank_line(const char *data, size_t len)
{
    return (len == 2 && data[0] == '\r' && data[1] == '\n') || (len == 1 && data[0] == '\n');
}

/* At the blank line that ends the final (non-1xx) response headers the
 * status is known. A failed status needs no body; a passed one reads on,
 * within the cap (on_body). */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    http_state_t *st = userp;
    size_t len = size * n;
    if (st->headers_done || !blank_line(data, len))
        return len; /* a header line, or a trailer after the body */
    long status = 0;
    curl_easy_getinfo(st->xfer.easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 100 && status < 200)
        return len; /* an interim response; the final one follows */
    st->headers_done = true;
    bool read_body = status <= 999 && sb_monitor_status_ok(st->monitor, (unsigned)status);
    return read_body ? len : 0;
}

/* Returning less than was given stops the transfer: once the text is found,
 * or once the cap is reached. */
static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    http_state_t *st = userp;
    body_match_t *b = &st->body;
    size_t len = size * n;
    size_t use = len < b->cap - b->seen ? len : b->cap - b->seen;
    if (b->needle != NULL)
        b->found = b->found || body_match_feed(b, data, use);
    b->seen += use;
    return b->found || b->seen >= b->cap ? 0 : len;
}

/* The URL's host, which curl makes the TLS server name and the name the
 * certificate must carry: host= when set (as Host is), else the name
 * probed. Either way the run connects to c->addr (CONNECT_TO). */
static const char *url_host(const sb_check_t *c)
{
    return c->monitor->host != NULL ? c->monitor->host : c->host;
}

static int format_url(const sb_check_t *c, http_state_t *st)
{
    const sb_monitor_t *m = c->monitor;
    int n = asprintf(&st->url, "%s://%s:%u%s", m->proto == SB_MONITOR_HTTPS ? "https" : "http",
                     url_host(c), sb_monitor_port(m), m->path);
    if (n < 0) {
        st->url = NULL;
        return -ENOMEM;
    }
    st->parsed_url = curl_url();
    if (st->parsed_url == NULL)
        return -ENOMEM;
    if (curl_url_set(st->parsed_url, CURLUPART_URL, st->url, CURLU_NON_SUPPORT_SCHEME) !=
        CURLUE_OK) {
        curl_url_cleanup(st->parsed_url);
        st->parsed_url = NULL;
        return 0;
    }
    free(st->url);
    st->url = NULL;
    return 0;
}

/* Copy `text` for a reason's words (logs, status, history): printable
 * ASCII, other bytes as \xHH, cut with "..." when longer than `cap`. The
 * log escapes quotes itself (sb_log_quote). */
static void copy_shown(char *dst, size_t cap, const char *text)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        char one[8];
        if (*p < ' ' || *p >= 0x7f)
            snprintf(one, sizeof(one), "\\x%02x", *p);
        else
            snprintf(one, sizeof(one), "%c", *p);
        size_t n = strlen(one);
        if (o + n + 4 > cap) { /* room for "..." and the terminator */
            memcpy(dst + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(dst + o, one, n);
        o += n;
    }
    dst[o] = '\0';
}

static int body_match_init(http_state_t *st, const sb_monitor_t *m)
{
    body_match_t *b = &st->body;
    b->cap = (size_t)m->body_kib * 1024;
    if (m->body == NULL)
        return 0;
    b->needle = m->body;
    b->len = strlen(m->body);
    b->window = malloc(b->len > 0 ? 2 * (b->len - 1) + 1 : 1);
    copy_shown(st->body_shown, sizeof(st->body_shown), m->body);
    return b->window != NULL ? 0 : -ENOMEM;
}

/* The probe's User-Agent, as a request header rather than
 * CURLOPT_USERAGENT: libcurl 7.88 formats that option into a header again
 * at every transfer (~4,000 instructions a probe). A check with no headers
 * of its own sends this one list, shared and never freed; curl only reads
 * it. */
static char user_agent[] = "User-Agent: Switchboard/" SB_VERSION " health check";
static struct curl_slist default_headers = {.data = user_agent, .next = NULL};

static int header_append(http_state_t *st, const char *header)
{
    struct curl_slist *more = curl_slist_append(st->headers, header);
    if (more == NULL)
        return -ENOMEM;
    st->headers = more;
    return 0;
}

/* The request's headers: the monitor's, plus Host: from host= unless one of
 * them already names the Host, plus the User-Agent unless one of them is
 * one. None of its own: st->headers stays NULL (default_headers). */
static int headers_init(http_state_t *st, const sb_monitor_t *m)
{
    if (m->header_count == 0 && m->host == NULL)
        return 0;
    bool has_host = false, has_agent = false;
    for (unsigned i = 0; i < m->header_count; i++) {
        if (header_append(st, m->headers[i]) < 0)
            return -ENOMEM;
        has_host = has_host || strncasecmp(m->headers[i], "Host:", 5) == 0;
        has_agent = has_agent || strncasecmp(m->headers[i], "User-Agent:", 11) == 0;
    }
    if (m->host != NULL && !has_host) {
        char header[512];
        snprintf(header, sizeof(header), "Host: %s", m->host);
        if (header_append(st, header) < 0)
            return -ENOMEM;
    }
    return has_agent ? 0 : header_append(st, user_agent);
}

static void tls_init(CURL *e, const sb_monitor_t *m)
{
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, m->tls_verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, m->tls_verify ? 2L : 0L);
    /* A resumed session skips the certificate: every run does the full
     * handshake a new client would. */
    curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    /* Debian's libcurl also names a CA directory, which turns off curl's CA
     * cache: every TLS probe would re-read and parse the whole CA bundle on
     * this loop (about 50 ms). The bundle alone is the same store, cached. */
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 3600L);
    if (m->ca_file != NULL) {
        /* The multi handle caches one store: checks with their own CA file
         * would evict the system store's. A CA file is small, so it is read
         * at every run instead, which also picks up a replaced file. */
        curl_easy_setopt(e, CURLOPT_CAINFO, m->ca_file);
        curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 0L);
    }
    if (m->client_cert != NULL) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, m->client_cert);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (m->client_key != NULL) {
        curl_easy_setopt(e, CURLOPT_SSLKEY, m->client_key);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }
}

static void state_free(http_state_t *st)
{
    curl_slist_free_all(st->headers);
    curl_slist_free_all(st->connect_to);
    free(st->body.window);
    curl_url_cleanup(st->parsed_url);
    free(st->url);
    free(st);
}

/* What stays the same from run to run of a check: built once. */
static http_state_t *state_new(sb_check_t *c)
{
    http_state_t *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    const sb_monitor_t *m = c->monitor;
    st->monitor = m;
    if (format_url(c, st) < 0 || headers_init(st, m) < 0 || body_match_init(st, m) < 0) {
        state_free(st);
        return NULL;
    }
    return st;
}

/* A probe's connection ends with a reset, not a FIN: the worker never
 * keeps a TIME_WAIT socket for each of thousands of probes a second (at
 * 10,000 a second they filled the kernel's table, and connect() slowed as
 * it grew). HAProxy closes its health checks the same way. */
static int on_socket_open(void *userp, curl_socket_t fd, curlsocktype purpose)
{
    (void)purpose;
    const sb_check_t *c = userp;
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    const sb_addr_t *source = sb_check_source(c);
    if (source != NULL) {
        struct sockaddr_storage ss;
        sb_addr_sockaddr(source, 0, &ss);
        socklen_t len =
            source->family == 6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        if (bind(fd, (const struct sockaddr *)&ss, len) != 0)
            return CURL_SOCKOPT_ERROR; /* reported as a local error, not the endpoint's */
    }
    return CURL_SOCKOPT_OK;
}

/* How a lent handle is set up (sb_curl_transfer_t.setup): PLAIN when it
 * has the options every plain-HTTP check sets alike, so that a plain run
 * sets only its own; anything else is reset and set up in full. A TLS
 * run's options are its check's own (CA, client certificate), so a handle
 * that ran one is reset before the next run, and every TLS run is set up
 * in full. */
enum { SETUP_UNKNOWN = 0, SETUP_PLAIN, SETUP_TLS };

/* The options alike for every HTTP(S) check. */
static void configure_common(CURL *e)
{
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_socket_open);
    /* Every run connects to an address we chose (CONNECT_TO), so curl's
     * name cache holds nothing useful, and it is swept after every
     * transfer: with thousands of checks that sweep dominated the probe
     * worker's CPU. A small receive buffer keeps handles light; probes
     * read a status line and headers, or a capped body. */
    curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 4096L);
    /* One request in one write: Nagle never holds it, so skip the call.
     * (TLS sets it again: the handshake is several writes.) */
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 0L);
}

/* Bring a lent handle to this check's set-up, resetting it only when it
 * was set up otherwise. */
static void configure_handle(const sb_monitor_t *m, sb_curl_transfer_t *t)
{
    bool tls = m->proto == SB_MONITOR_HTTPS;
    if (!tls && t->setup == SETUP_PLAIN)
        return;
    if (t->setup != SETUP_UNKNOWN)
        curl_easy_reset(t->easy);
    configure_common(t->easy);
    if (tls) {
        curl_easy_setopt(t->easy, CURLOPT_TCP_NODELAY, 1L);
        tls_init(t->easy, m);
    }
    t->setup = tls ? SETUP_TLS : SETUP_PLAIN;
}

/* The options that are this check's and this run's: every one is set at
 * every run, since the handle may come from another check. */
static void configure_run(sb_check_t *c, http_state_t *st, CURL *e)
{
    const sb_monitor_t *m = st->monitor;
    bool fresh = !m->keep_alive || st->fresh_retry;
    /* A parsed URL overrides a text one; a handle lent before may hold
     * either. */
    curl_easy_setopt(e, CURLOPT_CURLU, st->parsed_url);
    if (st->parsed_url == NULL)
        curl_easy_setopt(e, CURLOPT_URL, st->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, m->keep_alive ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_NOBODY, m->method == SB_HTTP_HEAD ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, st);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, st);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, c);
    /* A backstop only: the worker's deadline ends the run first. */
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)m->timeout_ms + 1000);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, st->headers != NULL ? st->headers : &default_headers);
    curl_easy_setopt(e, CURLOPT_CONNECT_TO, st->connect_to);
}

/* Point runs at c->addr, keeping the URL's name. The entry is built again
 * only when the address changed (a name's address may, between runs). */
static int set_address(const sb_check_t *c, http_state_t *st)
{
    if (st->connect_to != NULL && memcmp(&st->connect_addr, &c->addr, sizeof(c->addr)) == 0)
        return 0;
    char addr[SB_ADDR_TEXT_MAX], entry[2300];
    sb_addr_format(&c->addr, addr, sizeof(addr));
    unsigned port = sb_monitor_port(c->monitor);
    if (c->addr.family == 4)
        snprintf(entry, sizeof(entry), "%s:%u:%s:%u", url_host(c), port, addr, port);
    else
        snprintf(entry, sizeof(entry), "%s:%u:[%s]:%u", url_host(c), port, addr, port);
    curl_slist_free_all(st->connect_to);
    st->connect_to = curl_slist_append(NULL, entry);
    if (st->connect_to == NULL)
        return -ENOMEM;
    st->connect_addr = c->addr;
    return 0;
}

/* Ready the run's own fields for a transfer (a first try or a retry). */
static void run_reset(http_state_t *st)
{
    st->headers_done = false;
    st->body.seen = 0;
    st->body.carry_len = 0;
    st->body.found = st->body.needle != NULL && st->body.len == 0;
}

static int http_start(void *engine, sb_check_t *c)
{
    http_state_t *st = c->proto;
    if (st == NULL && (st = c->proto = state_new(c)) == NULL)
        return -ENOMEM;
    if (set_address(c, st) < 0)
        return -ENOMEM;
    if (sb_curl_lend(engine, &st->xfer) < 0)
        return -ENOMEM;
    st->fresh_retry = false;
    st->xfer.keep_connection = c->monitor->keep_alive;
    configure_handle(c->monitor, &st->xfer);
    configure_run(c, st, st->xfer.easy);
    run_reset(st);
    int rc = sb_curl_start(engine, &st->xfer);
    if (rc < 0)
        return rc;
    c->run = st;
    return 0;
}

/* The one cleanup helper for a run. */
static void run_release(sb_curl_t *curl, sb_check_t *c)
{
    http_state_t *st = c->proto;
    if (st != NULL)
        sb_curl_stop(curl, &st->xfer);
    c->run = NULL;
}

static void http_cancel(void *engine, sb_check_t *c)
{
    run_release(engine, c);
}

static void http_release(sb_check_t *c)
{
    http_state_t *st = c->proto;
    if (st == NULL)
        return;
    sb_curl_forget(c->engine, &st->xfer);
    state_free(st);
    c->proto = NULL;
}

/* ---- judging ------------------------------------------------------------ */

static sb_result_t judge_status(const sb_check_t *c, const http_state_t *st)
{
    long status = 0;
    curl_easy_getinfo(st->xfer.easy, CURLINFO_RESPONSE_CODE, &status);
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
    curl_easy_getinfo(st->xfer.easy, CURLINFO_OS_ERRNO, &os_errno);
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

/* OpenSSL's certificate verification results (X509_V_ERR_*), as
 * CURLINFO_SSL_VERIFYRESULT reports them with the OpenSSL backend. */
enum {
    X509_UNABLE_TO_GET_ISSUER = 2,
    X509_NOT_YET_VALID = 9,
    X509_EXPIRED = 10,
    X509_SELF_SIGNED = 18,
    X509_SELF_SIGNED_IN_CHAIN = 19,
    X509_UNABLE_TO_GET_LOCAL_ISSUER = 20,
    X509_UNABLE_TO_VERIFY_LEAF = 21,
    X509_HOSTNAME_MISMATCH = 62,
};

/* Keep the part of curl's error text that names the failure: of
 * "OpenSSL SSL_read: OpenSSL/3.0.19: error:0A00045C:SSL routines::tlsv13 alert
 * certificate required, errno 0" only "tlsv13 alert certificate required". */
static void short_detail(char *dst, size_t cap, const char *error)
{
    static const char *const prefixes[] = {"OpenSSL SSL_connect: ", "OpenSSL SSL_read: ",
                                           "OpenSSL SSL_write: ", "SSL certificate problem: "};
    const char *p = strstr(error, "::");
    if (p != NULL) {
        p += 2;
    } else {
        p = error;
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
            size_t n = strlen(prefixes[i]);
            if (strncmp(p, prefixes[i], n) == 0)
                p += n;
        }
    }
    size_t len = strcspn(p, ",");
    const char *in_conn = strstr(p, " in connection to ");
    if (in_conn != NULL && (size_t)(in_conn - p) < len)
        len = (size_t)(in_conn - p);
    char copy[CURL_ERROR_SIZE];
    snprintf(copy, sizeof(copy), "%.*s", (int)len, p);
    copy_shown(dst, cap, copy);
}

/* `what`, then ": " and curl's detail when it has one. The words live in the
 * check's state, like the result that points at them. */
static const char *tls_words(http_state_t *st, const char *what)
{
    char detail[64];
    short_detail(detail, sizeof(detail), st->xfer.error);
    if (detail[0] == '\0')
        return what;
    snprintf(st->tls_words, sizeof(st->tls_words), "%s: %s", what, detail);
    return st->tls_words;
}

static const char *verify_failure(http_state_t *st)
{
    /* curl checks the name itself, after OpenSSL accepted the chain: the
     * verify result is then still "ok" and only the words tell. */
    if (strstr(st->xfer.error, "does not match target host name") != NULL ||
        strstr(st->xfer.error, "no alternative certificate subject name matches") != NULL)
        return "certificate name mismatch";
    /* The OpenSSL backend's words for a chain that did not verify; only then
     * is the verify result this run's. */
    if (strncmp(st->xfer.error, "SSL certificate problem: ", 25) != 0)
        return tls_words(st, "certificate verification failed");
    long code = 0;
    curl_easy_getinfo(st->xfer.easy, CURLINFO_SSL_VERIFYRESULT, &code);
    switch (code) {
    case X509_NOT_YET_VALID:
        return "certificate not yet valid";
    case X509_EXPIRED:
        return "certificate expired";
    case X509_SELF_SIGNED:
        return "certificate not trusted (self-signed)";
    case X509_SELF_SIGNED_IN_CHAIN:
        return "certificate not trusted (self-signed CA in chain)";
    case X509_UNABLE_TO_GET_ISSUER:
    case X509_UNABLE_TO_GET_LOCAL_ISSUER:
    case X509_UNABLE_TO_VERIFY_LEAF:
        return "certificate not trusted (unknown issuer)";
    case X509_HOSTNAME_MISMATCH:
        return "certificate name mismatch";
    default:
        return tls_words(st, "certificate verification failed");
    }
}

/* True when a read or write failed before any response because TLS
 * refused, not the network: with TLS 1.3 the server judges the client's
 * certificate after the client finished its side of the handshake, so a
 * missing or refused client certificate surfaces as an alert on the first
 * read. */
static bool tls_alert(const sb_check_t *c, const http_state_t *st)
{
    long header_bytes = 0;
    curl_easy_getinfo(st->xfer.easy, CURLINFO_HEADER_SIZE, &header_bytes);
    return c->monitor->proto == SB_MONITOR_HTTPS && header_bytes == 0 &&
           strstr(st->xfer.error, "SSL routines::") != NULL;
}

static sb_result_t judge_tls(http_state_t *st, CURLcode rc)
{
    sb_result_t r = {.reason = SB_REASON_TLS};
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        r.text = verify_failure(st);
        break;
    case CURLE_SSL_CERTPROBLEM:
        r.text = "client certificate problem";
        break;
    case CURLE_SSL_CACERT_BADFILE:
        r.text = "CA file unreadable";
        break;
    default:
        r.text = tls_words(st, "handshake failed");
        break;
    }
    return r;
}

/* The reply was read as far as needed: judge its status, then its body. */
static sb_result_t judge_reply(const sb_check_t *c, const http_state_t *st)
{
    sb_result_t r = judge_status(c, st);
    if (r.reason == SB_REASON_OK && st->body.needle != NULL && !st->body.found) {
        r.reason = SB_REASON_BODY_MISMATCH;
        r.text = st->body_shown;
        r.number = (uint32_t)(st->body.cap / 1024);
    }
    return r;
}

static sb_result_t judge(const sb_check_t *c, http_state_t *st, CURLcode rc)
{
    sb_result_t r = {.reason = SB_REASON_BAD_RESPONSE};
    long os_errno = 0;
    /* After the final headers: the end of the body, or stopped by us
     * (WRITE_ERROR: a failed status, the text found, the cap reached). */
    if (rc == CURLE_OK || (st->headers_done && rc == CURLE_WRITE_ERROR))
        return judge_reply(c, st);
    /* The connection closed before the body's announced end. */
    if (st->headers_done && rc == CURLE_PARTIAL_FILE) {
        r = judge_status(c, st);
        if (r.reason == SB_REASON_OK) {
            r.reason = SB_REASON_BAD_RESPONSE;
            r.text = "body cut short";
        }
        return r;
    }
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
        if (tls_alert(c, st))
            return judge_tls(st, rc);
        /* After the connection was made: the peer reset or closed it. */
        curl_easy_getinfo(st->xfer.easy, CURLINFO_OS_ERRNO, &os_errno);
        r.reason = os_errno == 0 ? SB_REASON_CLOSED : SB_REASON_RESET;
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return judge_tls(st, rc);
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

/* keep-alive: a run that failed on a kept connection before any reply
 * (the server closed or reset it while it idled, a middlebox forgot it) is
 * tried once more on a fresh connection, and only that try counts: a kept
 * connection's failure says little about whether a client could connect.
 * A reply (any status) counts as it is. True when the retry started. */
static bool retry_fresh(sb_check_t *c, http_state_t *st, CURLcode rc)
{
    if (!c->monitor->keep_alive || st->fresh_retry || rc == CURLE_OK || st->headers_done)
        return false;
    long connects = 0;
    curl_easy_getinfo(st->xfer.easy, CURLINFO_NUM_CONNECTS, &connects);
    if (connects != 0)
        return false; /* the connection was new already */
    st->fresh_retry = true;
    curl_easy_setopt(st->xfer.easy, CURLOPT_FRESH_CONNECT, 1L);
    run_reset(st);
    if (sb_log_enabled(SB_LOG_DEBUG))
        sb_log(SB_LOG_DEBUG, "probe-http",
               "target=%s curl=%d action=\"kept connection failed, "
               "trying a fresh one\"",
               c->label, (int)rc);
    return sb_curl_rerun(c->engine, &st->xfer) == 0;
}

/* A transfer ended (sb_curl's `done`): judge it, end the run, report. */
static void on_done(CURL *easy, CURLcode rc)
{
    sb_check_t *c = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
    http_state_t *st = c->proto;
    sb_result_t r = judge(c, st, rc);
    if (rc != CURLE_OK && sb_log_enabled(SB_LOG_DEBUG)) {
        long os_errno = 0;
        curl_easy_getinfo(st->xfer.easy, CURLINFO_OS_ERRNO, &os_errno);
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_DEBUG, "probe-http", "target=%s curl=%d os_errno=%ld detail=%s", c->label,
               (int)rc, os_errno, sb_log_quote(q, sizeof(q), st->xfer.error, true));
    }
    if (retry_fresh(c, st, rc))
        return;
    run_release(c->engine, c);
    sb_check_report(c, r);
}

/* ---- the probe type -------------------------------------------------------- */

static int engine_open(void **engine, uv_loop_t *loop)
{
    return sb_curl_new((sb_curl_t **)engine, loop, on_done);
}

static void engine_close(void *engine)
{
    sb_curl_close(engine);
}

/* What makes two HTTP(S) probes the same, beyond the target and timing. */
static void http_key(FILE *f, const sb_monitor_t *m)
{
    fprintf(f, "\x1f%s\x1f%s\x1f%d\x1f%s\x1f%u\x1f", m->path, m->host ? m->host : "", m->method,
            m->body ? m->body : "", m->body_kib);
    for (unsigned i = 0; i < m->expect_count; i++)
        fprintf(f, "%u-%u,", m->expect[i].lo, m->expect[i].hi);
    for (unsigned i = 0; i < m->header_count; i++)
        fprintf(f, "\x1f%s", m->headers[i]);
    fprintf(f, "\x1f%d\x1f%d\x1f%s\x1f%s\x1f%s", m->keep_alive, m->tls_verify,
            m->ca_file ? m->ca_file : "", m->client_cert ? m->client_cert : "",
            m->client_key ? m->client_key : "");
}

const sb_check_type_t sb_check_http_type = {
    .name = "http",
    .protos = 1u << SB_MONITOR_HTTP | 1u << SB_MONITOR_HTTPS,
    .engine_open = engine_open,
    .engine_close = engine_close,
    .start = http_start,
    .cancel = http_cancel,
    .release = http_release,
    .key = http_key,
};
