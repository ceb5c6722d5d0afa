#include "sb_control.h"

#include "sb_error.h"
#include "sb_fleet_record.h"
#include "sb_log.h"
#include "sb_reply.h"
#include "sb_request.h"
#include "sb_state.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Who asked goes into fleet records as it is. */
_Static_assert(SB_CONTROL_BY_MAX == SB_FLEET_ASKED_BY_MAX + 1,
               "a caller's name fits a fleet record's by");

typedef struct client client_t;

/* One request being run, from either transport: the socket's clients embed
 * one; sb_control_run() allocates one. */
typedef struct {
    sb_control_t *ctl;
    sb_control_done_fn done; /* the reply goes here, once */
    void *waiter;
    sb_request_t req;        /* an override waiting for a reload to end */
    sb_prober_names_t names; /* its profile and endpoint, as configured */
    char by[SB_CONTROL_BY_MAX];
} call_t;

struct sb_control {
    uv_pipe_t server;
    sb_control_config_t cfg;
    char *path;
    char *state_file;
    client_t *clients; /* every connection not yet closed */
    unsigned client_count;
    unsigned calls;  /* sb_control_run() calls not yet answered */
    uv_pipe_t spare; /* takes a connection there is no memory for, to close it */
    bool spare_busy, spare_waiting;
    bool closing; /* sb_control_close() was called: no request runs */
    bool server_closed;
};

struct client {
    uv_pipe_t pipe;
    uv_timer_t deadline; /* the request must arrive whole before it fires */
    int open_handles;
    sb_control_t *ctl;
    client_t *prev, *next;
    char *in;
    size_t in_len;
    char *out;
    bool replying; /* the request was read; its reply comes or is on its way */
    call_t call;
    uv_write_t write;
};

/* The control object goes once its socket and every client are closed:
 * a reply still being written, or a call of another transport not yet
 * answered, keeps it. */
static void maybe_free(sb_control_t *ctl)
{
    if (!ctl->server_closed || ctl->clients != NULL || ctl->spare_busy || ctl->calls > 0)
        return;
    free(ctl->path);
    free(ctl->state_file);
    free(ctl);
}

/* ---- replying -------------------------------------------------------------- */

static void on_client_closed(uv_handle_t *h)
{
    client_t *c = h->data;
    if (--c->open_handles > 0)
        return;
    sb_control_t *ctl = c->ctl;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        ctl->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    ctl->client_count--;
    sb_request_free(&c->call.req);
    free(c->in);
    free(c->out);
    free(c);
    maybe_free(ctl);
}

static void client_close(client_t *c)
{
    if (uv_is_closing((uv_handle_t *)&c->pipe))
        return;
    uv_close((uv_handle_t *)&c->deadline, on_client_closed);
    uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    client_close(w->data);
}

/* Send `reply` (consumed) and close. */
static void reply(client_t *c, json_t *reply)
{
    c->replying = true;
    uv_timer_stop(&c->deadline);
    size_t n;
    c->out = sb_reply_dumps(reply, JSON_COMPACT, &n);
    sb_reply_free(reply);
    if (c->out == NULL) {
        client_close(c);
        return;
    }
    char *grown = realloc(c->out, n + 2);
    if (grown == NULL) {
        client_close(c);
        return;
    }
    c->out = grown;
    memcpy(c->out + n, "\n", 2);
    uv_buf_t buf = uv_buf_init(c->out, (unsigned)(n + 1));
    c->write.data = c;
    if (uv_write(&c->write, (uv_stream_t *)&c->pipe, &buf, 1, on_written) < 0)
        client_close(c);
}

/* The socket's way of answering a call. */
static void reply_to_client(void *waiter, json_t *answer)
{
    reply(waiter, answer);
}

/* ---- commands ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Keep the overrides across restarts; a failure is reported to the caller
 * but does not undo the override (it is in force, just not saved). */
static const char *save_state(sb_control_t *ctl, char *err, size_t errlen)
{
    return sb_state_save_from(ctl->state_file, ctl->cfg.prober, err, errlen) == 0 ? NULL : err;
}

static void call_answer(call_t *call, json_t *answer)
{
    call->done(call->waiter, answer);
}

/* A successful override's reply names what it applied to: the names
 * typed may have been short (sb_probe_state_resolve_profile). */
static json_t *named(call_t *call, json_t *answer)
{
    if (json_is_true(json_object_get(answer, "ok"))) {
        json_object_set_new(answer, "profile", json_string(call->names.profile));
        if (call->names.endpoint[0] != '\0')
            json_object_set_new(answer, "endpoint", json_string(call->names.endpoint));
    }
    return answer;
}

static void on_fleet_done(void *waiter, json_t *answer)
{
    call_answer(waiter, named(waiter, answer));
}

/* The override asked for, with its names as the configuration spells them
 * (into call->names), or an error reply. */
static json_t *resolve(call_t *call, const sb_override_t *asked, sb_override_t *o)
{
    char why[1024];
    bool failback = asked->op == SB_OVERRIDE_FAILBACK;
    if (sb_prober_resolve(call->ctl->cfg.prober, asked->profile, failback ? NULL : asked->endpoint,
                          &call->names, why, sizeof(why)) < 0)
        return sb_reply_failure("%s", why);
    *o = *asked;
    o->profile = call->names.profile;
    o->endpoint = failback ? asked->endpoint : call->names.endpoint;
    return NULL;
}

static json_t *run_override(call_t *call, const sb_override_t *asked)
{
    sb_control_t *ctl = call->ctl;
    sb_override_t o;
    json_t *refused = resolve(call, asked, &o);
    if (refused != NULL)
        return refused;
    if (ctl->cfg.fleet != NULL) { /* it replies when the fleet has answered */
        sb_fleet_sync_override(ctl->cfg.fleet, &o, on_fleet_done, call);
        return NULL;
    }
    char why[512];
    int rc = sb_prober_override(ctl->cfg.prober, &o, why, sizeof(why));
    if (rc < 0 && rc != -EALREADY)
        return sb_reply_failure("%s", why);
    char err[512];
    const char *save_error = rc == 0 ? save_state(ctl, err, sizeof(err)) : NULL;
    json_t *ok = named(call, sb_reply_ok(rc == -EALREADY ? "nothing to change" : "done"));
    if (save_error != NULL) {
        json_object_set_new(ok, "saved", json_false());
        json_object_set_new(ok, "warning", json_string(save_error));
    }
    return ok;
}

static void answer_unless_later(call_t *call, json_t *answer)
{
    if (answer != NULL)
        call_answer(call, answer);
}

/* An override held back while a reload ran: it applies to the
 * configuration that reload installed (the old worker, and anything given
 * to it, is gone). */
static void on_reload_ended(void *waiter, int rc, const char *message, json_t *changes)
{
    (void)message, (void)changes;
    call_t *call = waiter;
    sb_request_t req = call->req; /* the answer may free the call */
    call->req = (sb_request_t){0};
    if (rc == -ECANCELED || call->ctl->closing)
        call_answer(call, sb_reply_failure("the server is stopping"));
    else
        answer_unless_later(call, run_override(call, &req.override));
    sb_request_free(&req);
}

/* A reload's outcome; a success lists what it changed (sb_reload). */
static void on_reloaded(void *waiter, int rc, const char *message, json_t *changes)
{
    call_t *call = waiter;
    if (rc == 0) {
        json_t *ok = sb_reply_ok("reloaded");
        json_object_set(ok, "changes", changes != NULL ? changes : json_null());
        call_answer(call, ok);
    } else if (rc == -ECANCELED)
        call_answer(call, sb_reply_failure("%s", message));
    else
        call_answer(call, sb_reply_failure("reload failed: %s", message));
}

/* {"ok": true, "status": <status>}, the status as text: the probe
 * worker writes it as it goes (sb_probe_status), and in a fleet the
 * fleet's link and nodes go in as its last member. */
static json_t *status_reply(sb_control_t *ctl, const sb_request_t *req)
{
    char why[1024];
    size_t len;
    sb_prober_status_query_t q = {req->profiles, req->down, req->offset, req->limit};
    uint64_t start = uv_hrtime();
    char *status = sb_prober_status_text(ctl->cfg.prober, &q, &len, why, sizeof(why));
    if (status == NULL)
        return sb_reply_failure("%s", why);
    /* what a status costs the probe worker, for tests/bench/scale_bench.py */
    sb_log(SB_LOG_DEBUG, "status-written", "bytes=%zu elapsed_us=%llu", len,
           (unsigned long long)((uv_hrtime() - start) / 1000));
    if (ctl->cfg.fleet != NULL) {
        json_t *fleet = sb_fleet_sync_status(ctl->cfg.fleet);
        status = sb_reply_add_member(status, &len, "fleet", fleet);
        json_decref(fleet);
        if (status == NULL)
            return sb_reply_failure("out of memory");
    }
    return sb_reply_with_text("status", status, len);
}

/* An override held until the reload in progress ends, said so that a
 * caller left waiting can be seen to wait. The names are as the caller
 * gave them: they are checked when the override runs. */
static void log_override_waiting(const sb_request_t *req)
{
    const sb_override_t *o = &req->override;
    char profile[SB_LOG_QUOTE_MAX], endpoint[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_INFO, "override-waiting",
           "action=%s profile=%s endpoint=%s by=%s reason=\"a reload is running: the override "
           "runs when it ends\"",
           req->command->name, sb_log_quote(profile, sizeof(profile), o->profile, false),
           sb_log_quote(endpoint, sizeof(endpoint), o->endpoint != NULL ? o->endpoint : "-", false),
           o->by);
}

/* The reply, or NULL when it comes later (a reload; an override waiting
 * for one). Takes the request. */
static json_t *run_command(call_t *call, sb_request_t *req)
{
    sb_control_t *ctl = call->ctl;
    json_t *answer = NULL;
    switch (req->command->kind) {
    case SB_REQUEST_STATUS: /* at once, even during a reload */
        answer = status_reply(ctl, req);
        break;
    case SB_REQUEST_RELOAD: {
        int rc = ctl->cfg.reload != NULL
                     ? sb_reload_request(ctl->cfg.reload, call->by, on_reloaded, call)
                     : SB_ESTATE;
        if (rc < 0)
            answer = sb_reply_failure("%s", rc == SB_ESTATE    ? "reload is not available"
                                            : rc == -ECANCELED ? "the server is stopping"
                                                               : sb_strerror(rc));
        break;
    }
    case SB_REQUEST_OVERRIDE:
        req->override.by = call->by;
        if (sb_reload_after(ctl->cfg.reload, on_reload_ended, call)) {
            log_override_waiting(req);
            call->req = *req; /* kept until the reload ends */
            return NULL;
        }
        answer = run_override(call, &req->override);
        break;
    }
    sb_request_free(req);
    return answer;
}

/* Run `req` for `call`: answered now, or later by a callback. */
static void call_run(call_t *call, sb_request_t *req)
{
    if (call->ctl->closing) { /* the probe worker may be gone already */
        sb_request_free(req);
        call_answer(call, sb_reply_failure("the server is stopping"));
        return;
    }
    answer_unless_later(call, run_command(call, req));
}

/* ---- calls from another transport ---------------------------------------------- */

typedef struct {
    call_t call;
    sb_control_done_fn done;
    void *waiter;
} outside_call_t;

static void outside_done(void *waiter, json_t *answer)
{
    outside_call_t *oc = waiter;
    sb_control_t *ctl = oc->call.ctl;
    oc->done(oc->waiter, answer);
    free(oc);
    ctl->calls--;
    maybe_free(ctl);
}

void sb_control_run(sb_control_t *ctl, sb_request_t *req, const char *by, sb_control_done_fn done,
                    void *waiter)
{
    outside_call_t *oc = calloc(1, sizeof(*oc));
    if (oc == NULL) {
        sb_request_free(req);
        done(waiter, sb_reply_failure("out of memory"));
        return;
    }
    oc->done = done;
    oc->waiter = waiter;
    oc->call = (call_t){.ctl = ctl, .done = outside_done, .waiter = oc};
    snprintf(oc->call.by, sizeof(oc->call.by), "%s", by);
    ctl->calls++;
    call_run(&oc->call, req);
}

/* ---- reading a request ---------------------------------------------------------- */

static void peer_identity(client_t *c)
{
    uv_os_fd_t fd;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    snprintf(c->call.by, sizeof(c->call.by), "uid=unknown");
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
        snprintf(c->call.by, sizeof(c->call.by), "uid=%u", (unsigned)cred.uid);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    client_t *c = h->data;
    if (c->in == NULL)
        c->in = malloc(SB_REQUEST_MAX_BYTES);
    buf->base = c->in != NULL ? c->in + c->in_len : NULL;
    buf->len = c->in != NULL ? SB_REQUEST_MAX_BYTES - 1 - c->in_len : 0;
}

static void handle(client_t *c)
{
    uv_read_stop((uv_stream_t *)&c->pipe);
    uv_timer_stop(&c->deadline); /* the request is in: its reply may wait for a reload */
    c->replying = true;
    if (c->ctl->closing) { /* the probe worker may be gone already */
        reply(c, sb_reply_failure("the server is stopping"));
        return;
    }
    sb_request_t req;
    char err[512];
    if (sb_request_parse(c->in, c->in_len, now_ms(), &req, err, sizeof(err)) < 0) {
        reply(c, sb_reply_failure("%s", err));
        return;
    }
    call_run(&c->call, &req);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    client_t *c = s->data;
    if (n < 0) {
        if (n == UV_EOF && c->in_len > 0)
            handle(c);
        else
            client_close(c);
        return;
    }
    c->in_len += (size_t)n;
    if (memchr(c->in + c->in_len - (size_t)n, '\n', (size_t)n) != NULL) {
        handle(c);
    } else if (c->in_len >= SB_REQUEST_MAX_BYTES - 1) {
        uv_read_stop(s);
        reply(c, sb_reply_failure("request too long"));
    }
}

static void on_connection(uv_stream_t *server, int status);

static void on_spare_closed(uv_handle_t *h)
{
    sb_control_t *ctl = h->data;
    ctl->spare_busy = false;
    if (ctl->spare_waiting && !ctl->closing) {
        ctl->spare_waiting = false;
        on_connection((uv_stream_t *)&ctl->server, 0);
        return;
    }
    maybe_free(ctl);
}

/* No memory for a client: take the connection off the listener anyway, into
 * the spare handle, and close it (libuv stops watching a listener whose
 * pending connection is not accepted). One arriving while the spare is
 * still closing waits for it. */
static void drop_connection(sb_control_t *ctl)
{
    if (ctl->spare_busy) {
        ctl->spare_waiting = true;
        return;
    }
    uv_pipe_init(ctl->server.loop, &ctl->spare, 0);
    ctl->spare.data = ctl;
    ctl->spare_busy = true;
    (void)uv_accept((uv_stream_t *)&ctl->server, (uv_stream_t *)&ctl->spare);
    uv_close((uv_handle_t *)&ctl->spare, on_spare_closed);
}

static void on_deadline(uv_timer_t *t)
{
    client_t *c = t->data;
    if (c->replying)
        return;
    uv_read_stop((uv_stream_t *)&c->pipe);
    reply(c, sb_reply_failure("no complete request within %d s",
                              SB_CONTROL_REQUEST_TIMEOUT_MS / 1000));
}

/* Every connection is accepted; past SB_CONTROL_MAX_CLIENTS it is told so
 * and closed rather than left to hold a descriptor. */
static void on_connection(uv_stream_t *server, int status)
{
    sb_control_t *ctl = server->data;
    if (status < 0)
        return;
    client_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        drop_connection(ctl);
        return;
    }
    c->ctl = ctl;
    c->call = (call_t){.ctl = ctl, .done = reply_to_client, .waiter = c};
    c->next = ctl->clients;
    if (c->next != NULL)
        c->next->prev = c;
    ctl->clients = c;
    ctl->client_count++;
    uv_pipe_init(server->loop, &c->pipe, 0);
    uv_timer_init(server->loop, &c->deadline);
    c->pipe.data = c;
    c->deadline.data = c;
    c->open_handles = 2;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        client_close(c);
        return;
    }
    if (ctl->client_count > SB_CONTROL_MAX_CLIENTS) {
        reply(c, sb_reply_failure("too many control connections (at most %d at once); try again",
                                  SB_CONTROL_MAX_CLIENTS));
        return;
    }
    peer_identity(c);
    uv_timer_start(&c->deadline, on_deadline, SB_CONTROL_REQUEST_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* ---- the socket ------------------------------------------------------------------- */

/* A socket file left by a server that is gone answers nothing: remove it.
 * One that answers belongs to a running server. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket", path);
        return -EEXIST;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    bool live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    if (live) {
        snprintf(err, errlen, "another server is answering on %s", path);
        return -EADDRINUSE;
    }
    unlink(path);
    return 0;
}

/* The socket's directory, one level, as /run/switchboard needs; one made
 * here belongs to the server's user, who removes the socket at the end. */
static void make_parent(const sb_control_config_t *cfg)
{
    char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(copy, sizeof(copy), "%s", cfg->path);
    const char *dir = dirname(copy);
    /* A failed chown leaves the directory root's: the socket, chowned on
     * its own, still works; only its removal at the end fails. */
    if (mkdir(dir, 0755) == 0 && cfg->chown && lchown(dir, cfg->uid, cfg->gid) != 0)
        return;
}

/* The new socket's owner and mode. */

int sb_control_open(sb_control_t **out, uv_loop_t *loop, const sb_control_config_t *cfg, char *err,
                    size_t errlen)
{
    if (strlen(cfg->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(err, errlen, "control socket path %s is too long", cfg->path);
        return -ENAMETOOLONG;
    }
    int rc = clear_stale(cfg->path, err, errlen);
    if (rc < 0)
        return rc;
    make_parent(cfg);
    sb_control_t *ctl = calloc(1, sizeof(*ctl));
    if (ctl == NULL)
        return -ENOMEM;
    ctl->cfg = *cfg;
    ctl->path = strdup(cfg->path);
    ctl->state_file = strdup(cfg->state_file);
    uv_pipe_init(loop, &ctl->server, 0);
    ctl->server.data = ctl;
    /* Created with the configured mode (the umask leaves nothing else), so
     * that there is no window to change it in and no chmod: a chmod by
     * path, as root, in a directory the server's user may write, would
     * follow a symlink put there meanwhile. The owner is set with lchown
     * for the same reason. */
    mode_t old = umask(~cfg->mode & 0777);
    rc = uv_pipe_bind(&ctl->server, cfg->path);
    umask(old);
    if (rc == 0 && cfg->chown && lchown(cfg->path, cfg->uid, cfg->gid) != 0)
        rc = -errno;
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&ctl->server, 16, on_connection);
    if (rc < 0 || ctl->path == NULL || ctl->state_file == NULL) {
        snprintf(err, errlen, "control socket %s: %s", cfg->path,
                 rc < 0 ? uv_strerror(rc) : "out of memory");
        sb_control_close(ctl);
        return rc < 0 ? rc : -ENOMEM;
    }
    *out = ctl;
    return 0;
}

void sb_control_set_prober(sb_control_t *ctl, sb_prober_t *prober)
{
    if (ctl != NULL)
        ctl->cfg.prober = prober;
}

void sb_control_set_reload(sb_control_t *ctl, sb_reload_t *reload)
{
    if (ctl != NULL)
        ctl->cfg.reload = reload;
}

void sb_control_set_fleet(sb_control_t *ctl, sb_fleet_sync_t *fleet)
{
    if (ctl != NULL)
        ctl->cfg.fleet = fleet;
}

static void on_server_closed(uv_handle_t *h)
{
    sb_control_t *ctl = h->data;
    ctl->server_closed = true;
    maybe_free(ctl);
}

/* Nothing may reach the probe worker after this: the server stops it
 * next. A client still sending its request is told so at once rather than
 * served on the way out; a reply already made is still delivered. */
void sb_control_close(sb_control_t *ctl)
{
    if (ctl == NULL)
        return;
    ctl->closing = true;
    if (ctl->path != NULL)
        unlink(ctl->path);
    uv_close((uv_handle_t *)&ctl->server, on_server_closed);
    for (client_t *c = ctl->clients; c != NULL; c = c->next) {
        if (c->replying || uv_is_closing((uv_handle_t *)&c->pipe))
            continue;
        uv_read_stop((uv_stream_t *)&c->pipe);
        reply(c, sb_reply_failure("the server is stopping"));
    }
}
