#include "sb_control.h"

#include "sb_error.h"
#include "sb_log.h"
#include "sb_state.h"
#include "sb_value.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct client client_t;

struct sb_control {
    uv_pipe_t server;
    sb_control_config_t cfg;
    char *path;
    char *state_file;
    client_t *clients; /* every connection not yet closed */
    bool closing;      /* sb_control_close() was called: no request runs */
    bool server_closed;
};

struct client {
    uv_pipe_t pipe;
    sb_control_t *ctl;
    client_t *prev, *next;
    char *in;
    size_t in_len;
    char *out;
    bool replying; /* the request was read; its reply comes or is on its way */
    json_t *req;   /* an override waiting for a reload to end */
    sb_override_op_t op;
    uv_write_t write;
    char by[32];
};

/* The control object goes once its socket and every client are closed:
 * a reply still being written keeps it. */
static void maybe_free(sb_control_t *ctl)
{
    if (!ctl->server_closed || ctl->clients != NULL)
        return;
    free(ctl->path);
    free(ctl->state_file);
    free(ctl);
}

/* ---- replying -------------------------------------------------------------- */

static void on_client_closed(uv_handle_t *h)
{
    client_t *c = h->data;
    sb_control_t *ctl = c->ctl;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        ctl->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    json_decref(c->req);
    free(c->in);
    free(c->out);
    free(c);
    maybe_free(ctl);
}

static void client_close(client_t *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->pipe))
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
    c->out = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (c->out == NULL) {
        client_close(c);
        return;
    }
    size_t n = strlen(c->out);
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

__attribute__((format(printf, 1, 2))) static json_t *failure(const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return json_pack("{s:b, s:s}", "ok", 0, "error", text);
}

/* ---- commands ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static bool op_of(const char *command, sb_override_op_t *op)
{
    static const struct {
        const char *name;
        sb_override_op_t op;
    } ops[] = {
        {"drain", SB_OVERRIDE_DRAIN},           {"undrain", SB_OVERRIDE_UNDRAIN},
        {"force", SB_OVERRIDE_FORCE},           {"unforce", SB_OVERRIDE_UNFORCE},
        {"switchover", SB_OVERRIDE_SWITCHOVER}, {"failback", SB_OVERRIDE_FAILBACK},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(command, ops[i].name) == 0) {
            *op = ops[i].op;
            return true;
        }
    }
    return false;
}

/* Keep the overrides across restarts; a failure is reported to the caller
 * but does not undo the override (it is in force, just not saved). */
static const char *save_state(sb_control_t *ctl, char *err, size_t errlen)
{
    return sb_state_save_from(ctl->state_file, ctl->cfg.prober, err, errlen) == 0 ? NULL : err;
}

/* The override `req` asks for, into `o` (its strings borrowed from req);
 * NULL, or the failure to answer with. */
static json_t *read_override(json_t *req, sb_override_t *o)
{
    const char *state = NULL;
    json_int_t for_seconds = 0;
    json_error_t jerr;
    if (json_unpack_ex(req, &jerr, 0, "{s:s, s?s, s?s, s?I}", "profile", &o->profile, "endpoint",
                       &o->endpoint, "state", &state, "for_seconds", &for_seconds) != 0)
        return failure("bad request: %s", jerr.text);
    if (o->op != SB_OVERRIDE_FAILBACK && o->endpoint == NULL)
        return failure("%s needs an endpoint", json_string_value(json_object_get(req, "command")));
    if (o->op != SB_OVERRIDE_FORCE)
        return NULL;
    if (state == NULL || (strcmp(state, "up") != 0 && strcmp(state, "down") != 0))
        return failure("force needs a state: up or down");
    /* Present, it must be a real duration: 0 would mean "forever". */
    bool timed = json_object_get(req, "for_seconds") != NULL;
    if (timed && (for_seconds < 1 || for_seconds > SB_CONTROL_FOR_MAX_SECONDS))
        return failure("for_seconds must be from 1 to %d (leave it out for a force without end)",
                       SB_CONTROL_FOR_MAX_SECONDS);
    o->force_up = strcmp(state, "up") == 0;
    o->until_ms = timed ? now_ms() + for_seconds * 1000 : 0;
    return NULL;
}

static json_t *run_override(client_t *c, sb_override_op_t op, json_t *req)
{
    sb_override_t o = {.op = op, .by = c->by};
    json_t *bad = read_override(req, &o);
    if (bad != NULL)
        return bad;
    char why[512];
    int rc = sb_prober_override(c->ctl->cfg.prober, &o, why, sizeof(why));
    if (rc < 0 && rc != -EALREADY)
        return failure("%s", why);
    char err[512];
    const char *save_error = rc == 0 ? save_state(c->ctl, err, sizeof(err)) : NULL;
    json_t *ok =
        json_pack("{s:b, s:s}", "ok", 1, "message", rc == -EALREADY ? "nothing to change" : "done");
    if (save_error != NULL) {
        json_object_set_new(ok, "saved", json_false());
        json_object_set_new(ok, "warning", json_string(save_error));
    }
    return ok;
}

/* An override held back while a reload ran: it applies to the
 * configuration that reload installed (the old worker, and anything given
 * to it, is gone). */
static void on_reload_ended(void *waiter, int rc, const char *message)
{
    (void)message;
    client_t *c = waiter;
    json_t *req = c->req;
    c->req = NULL;
    if (rc == -ECANCELED || c->ctl->closing)
        reply(c, failure("the server is stopping"));
    else
        reply(c, run_override(c, c->op, req));
    json_decref(req);
}

static void on_reloaded(void *waiter, int rc, const char *message)
{
    client_t *c = waiter;
    if (rc == 0)
        reply(c, json_pack("{s:b, s:s}", "ok", 1, "message", "reloaded"));
    else if (rc == -ECANCELED)
        reply(c, failure("%s", message));
    else
        reply(c, failure("reload failed: %s", message));
}

/* The reply, or NULL when it comes later (a reload; an override waiting
 * for one). */
static json_t *run_command(client_t *c, json_t *req)
{
    const char *command = json_string_value(json_object_get(req, "command"));
    sb_control_t *ctl = c->ctl;
    if (command == NULL)
        return failure("bad request: no \"command\"");
    if (strcmp(command, "status") == 0) { /* at once, even during a reload */
        json_t *status = sb_prober_status(ctl->cfg.prober);
        if (status == NULL)
            return failure("out of memory");
        return json_pack("{s:b, s:o}", "ok", 1, "status", status);
    }
    if (strcmp(command, "reload") == 0) {
        if (ctl->cfg.reload == NULL)
            return failure("reload is not available");
        int rc = sb_reload_request(ctl->cfg.reload, c->by, on_reloaded, c);
        return rc >= 0
                   ? NULL
                   : failure("%s", rc == -ECANCELED ? "the server is stopping" : sb_strerror(rc));
    }
    if (!op_of(command, &c->op))
        return failure("unknown command '%s'", command);
    if (sb_reload_after(ctl->cfg.reload, on_reload_ended, c)) {
        c->req = json_incref(req);
        return NULL;
    }
    return run_override(c, c->op, req);
}

/* ---- reading a request ---------------------------------------------------------- */

static void peer_identity(client_t *c)
{
    uv_os_fd_t fd;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    snprintf(c->by, sizeof(c->by), "uid=unknown");
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
        snprintf(c->by, sizeof(c->by), "uid=%u", (unsigned)cred.uid);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    client_t *c = h->data;
    if (c->in == NULL)
        c->in = malloc(SB_CONTROL_MAX_REQUEST);
    buf->base = c->in != NULL ? c->in + c->in_len : NULL;
    buf->len = c->in != NULL ? SB_CONTROL_MAX_REQUEST - 1 - c->in_len : 0;
}

static void handle(client_t *c)
{
    uv_read_stop((uv_stream_t *)&c->pipe);
    c->replying = true;
    if (c->ctl->closing) { /* the probe worker may be gone already */
        reply(c, failure("the server is stopping"));
        return;
    }
    c->in[c->in_len] = '\0';
    json_error_t jerr;
    json_t *req = json_loads(c->in, JSON_DISABLE_EOF_CHECK, &jerr);
    if (req == NULL || !json_is_object(req)) {
        json_decref(req);
        reply(c, failure("bad request: %s", req == NULL ? jerr.text : "not an object"));
        return;
    }
    json_t *answer = run_command(c, req);
    json_decref(req);
    if (answer != NULL)
        reply(c, answer);
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
    } else if (c->in_len >= SB_CONTROL_MAX_REQUEST - 1) {
        uv_read_stop(s);
        reply(c, failure("request too long"));
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    sb_control_t *ctl = server->data;
    if (status < 0)
        return;
    client_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return;
    c->ctl = ctl;
    c->next = ctl->clients;
    if (c->next != NULL)
        c->next->prev = c;
    ctl->clients = c;
    uv_pipe_init(server->loop, &c->pipe, 0);
    c->pipe.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        client_close(c);
        return;
    }
    peer_identity(c);
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

static void make_parent(const char *path)
{
    char copy[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(copy, sizeof(copy), "%s", path);
    mkdir(dirname(copy), 0755); /* one level, as /run/switchboard needs */
}

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
    make_parent(cfg->path);
    sb_control_t *ctl = calloc(1, sizeof(*ctl));
    if (ctl == NULL)
        return -ENOMEM;
    ctl->cfg = *cfg;
    ctl->path = strdup(cfg->path);
    ctl->state_file = strdup(cfg->state_file);
    uv_pipe_init(loop, &ctl->server, 0);
    ctl->server.data = ctl;
    /* Created without group or other access from the start (no window
     * between bind and chmod), then set to the configured mode. */
    mode_t old = umask(0177);
    rc = uv_pipe_bind(&ctl->server, cfg->path);
    umask(old);
    if (rc == 0 && chmod(cfg->path, cfg->mode) != 0)
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
        reply(c, failure("the server is stopping"));
    }
}
