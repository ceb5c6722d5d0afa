#include "sb_net_tcp.h"

#include "sb_dns.h"
#include "sb_net_counters.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <urcu/urcu-memb.h>

/* ---- TCP ---------------------------------------------------------------- */

static void conn_process(conn_t *c);
static void on_accept(uv_stream_t *server, int status);

static void conn_handle_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (--c->open_handles > 0)
        return;
    free(c->in);
    free(c->out);
    free(c);
}

/* ---- the worker's connections, least recently active first -------------- */

static void conns_unlink(worker_t *w, conn_t *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        w->conns_tail = c->prev;
    c->prev = c->next = NULL;
}

static void conns_append(worker_t *w, conn_t *c)
{
    c->prev = w->conns_tail;
    c->next = NULL;
    if (w->conns_tail != NULL)
        w->conns_tail->next = c;
    else
        w->conns = c;
    w->conns_tail = c;
}

/* A query answered: the connection is the most recently active. */
static void conn_touch(conn_t *c)
{
    if (c->w->conns_tail != c) {
        conns_unlink(c->w, c);
        conns_append(c->w, c);
    }
}

static void conn_close(conn_t *c)
{
    if (c->closing)
        return;
    worker_t *w = c->w;
    c->closing = true;
    conns_unlink(w, c);
    if (c->counted_total)
        atomic_fetch_sub_explicit(&w->net->tcp_clients, 1, memory_order_relaxed);
    if (c->counted_client)
        sb_clients_remove(w->net->clients, c->client.addr, c->client.addr_len);
    uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
    sb_net_worker_maybe_finish_drain(w);
}

static void on_idle(uv_timer_t *t)
{
    conn_close(t->data);
}

/* Whether the client has bytes the server has not read yet. Closing a
 * socket with unread input makes the kernel send a reset, which would
 * discard answers already sent: so while stopping, a connection is read to
 * the end of what arrived before it is closed (the drain timer bounds a
 * client that keeps sending). */
static bool conn_has_unread(conn_t *c)
{
    uv_os_fd_t fd;
    int pending = 0;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) != 0 || ioctl(fd, FIONREAD, &pending) != 0)
        return false;
    return pending > 0;
}

/* Room for `need` bytes (at most TCP_MAX_FRAME) in one of a connection's
 * buffers. They grow by doubling and are kept until the connection closes,
 * so a connection allocates a few times in its life, never per query. */
static bool conn_reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return true;
    size_t want = *cap ? *cap : TCP_INITIAL_BUF;
    while (want < need)
        want *= 2;
    want = want < TCP_MAX_FRAME ? want : TCP_MAX_FRAME;
    uint8_t *grown = realloc(*buf, want);
    if (grown == NULL)
        return false;
    *buf = grown;
    *cap = want;
    return true;
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn_t *c = h->data;
    /* Out of memory leaves no room: libuv then reports UV_ENOBUFS, which
     * closes the connection. */
    if (c->in_len == c->in_cap && c->in_cap < TCP_MAX_FRAME)
        (void)conn_reserve(&c->in, &c->in_cap, c->in_len + 1);
    buf->base = (char *)c->in + c->in_len;
    buf->len = c->in_cap - c->in_len;
}

static void on_write(uv_write_t *req, int status)
{
    conn_t *c = req->data;
    c->writing = false;
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    conn_process(c); /* closes it when stopping and nothing is left */
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void conn_resume_reading(conn_t *c)
{
    if (!c->reading && !c->eof && !c->closing) {
        c->reading = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, on_read) == 0;
        if (!c->reading)
            conn_close(c);
    }
}

static void conn_pause_reading(conn_t *c)
{
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* Send one framed response; a partial write continues asynchronously from
 * the connection's own output buffer (the worker's is reused by the next
 * answer), and reading pauses until it completes (back-pressure on a slow
 * reader, who then meets the idle timeout). */
static void conn_send(conn_t *c, const uint8_t *data, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (r == (int)len)
        return;
    if (r < 0 && r != UV_EAGAIN) {
        conn_close(c);
        return;
    }
    size_t done = r < 0 ? 0 : (size_t)r;
    if (!conn_reserve(&c->out, &c->out_cap, len - done)) {
        conn_close(c);
        return;
    }
    memcpy(c->out, data + done, len - done);
    b = uv_buf_init((char *)c->out, (unsigned)(len - done));
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
        conn_close(c);
        return;
    }
    c->writing = true;
    conn_pause_reading(c);
}

/* Answer every complete message in the input buffer, in order. */
static void conn_process(conn_t *c)
{
    worker_t *w = c->w;
    size_t at = 0;
    c->client.now = (uint32_t)time(NULL);
    while (!c->writing && !c->closing && c->in_len - at >= 2) {
        size_t msglen = sb_get16(c->in + at);
        if (msglen == 0) {
            sb_net_counters_query(w, SB_TRANSPORT_TCP, NULL, &sb_net_counters_unparsed, 0);
            conn_close(c); /* nothing to answer, and no ID to answer with */
            return;
        }
        if (c->in_len - at < 2 + msglen)
            break;
        sb_answer_info_t info;
        urcu_memb_read_lock();
        const sb_gen_t *gen = sb_net_worker_gen(w);
        size_t n = sb_answer(gen, &w->net->cfg.answer, &c->client, c->in + at + 2, msglen,
                             w->tcp_out + 2, SB_DNS_TCP_MAX, &info);
        sb_net_counters_query(w, SB_TRANSPORT_TCP, gen, &info, n);
        urcu_memb_read_unlock();
        at += 2 + msglen;
        uv_timer_again(&c->idle);
        conn_touch(c);
        if (n > 0) {
            sb_put16(w->tcp_out, (uint16_t)n);
            conn_send(c, w->tcp_out, n + 2);
        }
    }
    if (c->closing)
        return;
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
    if (c->eof || (w->stopping && !conn_has_unread(c))) {
        if (!c->writing)
            conn_close(c);
        return;
    }
    if (!c->writing)
        conn_resume_reading(c);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    conn_t *c = stream->data;
    if (nread < 0) {
        c->eof = true;
        conn_pause_reading(c);
        if (!c->writing)
            conn_close(c);
        return;
    }
    c->in_len += (size_t)nread;
    conn_process(c);
}

/* The reject handle is free again: hand it the connection a listener kept
 * waiting, deciding afresh (a slot may have opened meanwhile). Its close
 * callback serves the next waiting listener, until none is left. */
static void on_reject_closed(uv_handle_t *h)
{
    worker_t *w = h->data;
    size_t n = w->net->cfg.addr_count;
    w->reject_busy = false;
    for (size_t k = 0; k < n && !w->stopping; k++) {
        /* Round robin, so that a flood on one address cannot starve another. */
        tcp_listener_t *l = &w->tcp[(w->reject_turn + k) % n];
        if (l->waiting) {
            w->reject_turn = (w->reject_turn + k + 1) % n;
            l->waiting = false;
            on_accept((uv_stream_t *)&l->tcp, 0);
            return;
        }
    }
}

/* Take the pending connection off the listener and close it. libuv stops
 * watching a listener until its pending connection is accepted, so one
 * that arrives while the reject handle is still closing waits for it
 * (on_reject_closed) rather than being left pending for good. */
static void reject(worker_t *w, tcp_listener_t *l)
{
    if (w->reject_busy) {
        l->waiting = true;
        return;
    }
    uv_tcp_init(&w->loop, &w->reject);
    w->reject.data = w;
    w->reject_busy = true;
    if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&w->reject) == 0)
        sb_net_worker_bump(&w->counters.tcp_rejected);
    uv_close((uv_handle_t *)&w->reject, on_reject_closed);
}

/* How many of the idlest connections admit() looks at for one to close:
 * bounds its cost when the idlest are all busy. */
#define EVICT_SCAN 16

/* The connection to close for `newcomer`: the idlest of this worker's
 * among the EVICT_SCAN idlest, but not one whose client's bytes wait
 * unread in the kernel; NULL if there is none. A connection just accepted,
 * whose query has arrived, is unread rather than idle: libuv takes every
 * pending connection in one go, and without this look a burst of them could
 * close it before its first read, and its client would see a reset. A
 * half-sent query already read does not protect a connection (slowloris). */
static conn_t *conn_to_evict(worker_t *w, const conn_t *newcomer)
{
    conn_t *c = w->conns;
    for (unsigned looked = 0; c != NULL && looked < EVICT_SCAN; c = c->next, looked++)
        if (c != newcomer && !conn_has_unread(c))
            return c;
    return NULL;
}

/* The connection's client and the server have room for it: the client is
 * under --tcp-per-client, and the server under --tcp-clients, or has a
 * connection of this worker's to close for it: the one idle longest (RFC
 * 7766 §6.2.3 lets a server close connections to manage its resources). A
 * full table so takes in new clients instead of refusing them until the
 * idle timeout. False after closing `c`. */
static bool admit(worker_t *w, conn_t *c)
{
    sb_net_t *net = w->net;
    sb_client_t *who = &c->client;
    if (who->addr_len > 0 && !sb_clients_add(net->clients, who->addr, who->addr_len)) {
        sb_net_worker_bump(&w->counters.tcp_rejected_per_client);
        conn_close(c);
        return false;
    }
    c->counted_client = who->addr_len > 0;
    c->counted_total = true;
    unsigned open = atomic_fetch_add_explicit(&net->tcp_clients, 1, memory_order_relaxed) + 1;
    if (open <= net->cfg.tcp_max_clients)
        return true;
    conn_t *idlest = conn_to_evict(w, c);
    if (idlest == NULL) {
        sb_net_worker_bump(&w->counters.tcp_rejected);
        conn_close(c);
        return false;
    }
    sb_net_worker_bump(&w->counters.tcp_evicted);
    conn_close(idlest);
    return true;
}

static conn_t *conn_new(worker_t *w)
{
    conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->w = w;
    c->tcp.data = c;
    c->idle.data = c;
    uv_tcp_init(&w->loop, &c->tcp);
    uv_timer_init(&w->loop, &c->idle);
    c->open_handles = 2;
    c->client.transport = SB_TRANSPORT_TCP;
    conns_append(w, c);
    return c;
}

static void on_accept(uv_stream_t *server, int status)
{
    tcp_listener_t *l = server->data;
    worker_t *w = l->w;
    if (status < 0) {
        sb_net_worker_log_error(w, "tcp accept", status);
        return;
    }
    conn_t *c = w->stopping ? NULL : conn_new(w);
    if (c == NULL) {
        reject(w, l);
        return;
    }
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    struct sockaddr_storage peer;
    int peer_len = sizeof(peer);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &peer_len) == 0)
        sb_net_worker_client_address((struct sockaddr *)&peer, &c->client);
    if (!admit(w, c))
        return;
    sb_net_worker_bump(&w->counters.tcp_accepted);
    uv_tcp_nodelay(&c->tcp, 1);
    uv_timer_start(&c->idle, on_idle, w->net->cfg.tcp_idle_ms, w->net->cfg.tcp_idle_ms);
    conn_resume_reading(c);
}

void sb_net_tcp_close_all(worker_t *w, bool even_writing)
{
    for (conn_t *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        if (even_writing || (!c->writing && !conn_has_unread(c)))
            conn_close(c);
    }
}

int sb_net_tcp_listen(worker_t *w, tcp_listener_t *l, int *fd)
{
    l->w = w;
    int rc = uv_tcp_init(&w->loop, &l->tcp);
    if (rc < 0)
        return rc;
    l->tcp.data = l;
    if ((rc = uv_tcp_open(&l->tcp, *fd)) < 0)
        return rc;
    *fd = -1; /* the handle's now: closing it closes the socket */
    return uv_listen((uv_stream_t *)&l->tcp, TCP_BACKLOG, on_accept);
}
