/*
 * The fleet link: connection, bucket and watch on a thread of its own
 * (sb_fleet.h).
 */
#include "sb_fleet.h"

#include "sb_fleet_link.h"
#include "sb_fleet_nats.h"
#include "sb_fleet_nodes.h"
#include "sb_fleet_talk.h"
#include "sb_histogram.h"
#include "sb_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long the watch waits for a value before looking at its flags again,
 * and the pause before trying a failed step again. */
#define WATCH_POLL_MS 250
#define RETRY_MS      1000

/* An override's write: one round trip to the bucket's leader and its
 * replicas, milliseconds near by to seconds across regions or in an
 * election. */
static const double write_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                      0.25,  0.5,    1,     2.5,  5,     10};
static const sb_buckets_t write_buckets = {write_bounds,
                                           sizeof(write_bounds) / sizeof(write_bounds[0])};

static bool stopping(sb_fleet_t *f)
{
    pthread_mutex_lock(&f->lock);
    bool s = f->stopping;
    pthread_mutex_unlock(&f->lock);
    return s;
}

static void pause_unless_stopping(sb_fleet_t *f, unsigned ms)
{
    pthread_mutex_lock(&f->lock);
    if (!f->stopping)
        sb_fleet_link_pause(f, ms);
    pthread_mutex_unlock(&f->lock);
}

/* ---- events ---------------------------------------------------------------- */

static void push_event(sb_fleet_t *f, event_node_t *n)
{
    n->next = NULL;
    pthread_mutex_lock(&f->lock);
    if (f->tail != NULL)
        f->tail->next = n;
    else
        f->head = n;
    f->tail = n;
    pthread_mutex_unlock(&f->lock);
    if (f->hooks.notify != NULL)
        f->hooks.notify(f->hooks.arg);
}

bool sb_fleet_next(sb_fleet_t *f, sb_fleet_event_t *ev)
{
    pthread_mutex_lock(&f->lock);
    event_node_t *n = f->head;
    if (n != NULL) {
        f->head = n->next;
        if (f->head == NULL)
            f->tail = NULL;
    }
    pthread_mutex_unlock(&f->lock);
    if (n == NULL)
        return false;
    *ev = n->ev;
    free(n);
    return true;
}

/* ---- the watch ------------------------------------------------------------- */

/* One value from the watch, as an event; values that cannot be read are
 * counted and logged, never applied. Deletions and purges (made by hand
 * with the nats tool) carry no value: the slot keeps what it had. */
static void take_entry(sb_fleet_t *f, kvEntry *e)
{
    if (kvEntry_Operation(e) != kvOp_Put)
        return;
    event_node_t *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return;
    n->ev.kind = SB_FLEET_EVENT_RECORD;
    snprintf(n->ev.key, sizeof(n->ev.key), "%s", kvEntry_Key(e));
    n->ev.revision = kvEntry_Revision(e);
    char err[160];
    int rc = sb_fleet_record_decode(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), &n->ev.record,
                                    err, sizeof(err));
    if (rc == 0 && (rc = sb_fleet_record_check_key(&n->ev.record, n->ev.key, err, sizeof(err))) < 0)
        sb_fleet_record_free(&n->ev.record);
    pthread_mutex_lock(&f->lock);
    rc == 0 ? f->values_in++ : f->rejected_in++;
    pthread_mutex_unlock(&f->lock);
    if (rc < 0) {
        char q1[SB_LOG_QUOTE_MAX], q2[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_WARNING, "fleet-record-rejected", "key=%s revision=%llu reason=%s",
               sb_log_quote(q1, sizeof(q1), n->ev.key, false), (unsigned long long)n->ev.revision,
               sb_log_quote(q2, sizeof(q2), err, true));
        free(n);
        return;
    }
    push_event(f, n);
}

static void mark_synced(sb_fleet_t *f)
{
    event_node_t *n = calloc(1, sizeof(*n));
    pthread_mutex_lock(&f->lock);
    bool first = !f->synced;
    f->synced = true;
    pthread_cond_broadcast(&f->wake); /* sb_fleet_wait_synced */
    pthread_mutex_unlock(&f->lock);
    if (first)
        sb_log(SB_LOG_INFO, "fleet-synced", "bucket=%s", f->bucket);
    if (n != NULL) {
        n->ev.kind = SB_FLEET_EVENT_SYNCED;
        push_event(f, n);
    }
}

/* Run one watch until it fails, the connection came back (start again, to
 * be sure nothing was missed), or the fleet stops. */
static void watch(sb_fleet_t *f)
{
    kvWatcher *w = NULL;
    natsStatus s = kvStore_WatchAll(&w, f->kv, NULL);
    if (s != NATS_OK) {
        char why[256];
        sb_fleet_link_error(f, "watch", sb_fleet_nats_error(s, why, sizeof(why)));
        pause_unless_stopping(f, RETRY_MS);
        return;
    }
    pthread_mutex_lock(&f->lock);
    f->watcher = w;
    f->rewatch = false;
    bool go = !f->stopping;
    pthread_mutex_unlock(&f->lock);
    while (go) {
        sb_fleet_talk_announce(f);
        kvEntry *e = NULL;
        s = kvWatcher_Next(&e, w, WATCH_POLL_MS);
        if (s == NATS_OK && e == NULL)
            mark_synced(f);
        else if (s == NATS_OK)
            take_entry(f, e);
        kvEntry_Destroy(e);
        pthread_mutex_lock(&f->lock);
        go = !f->stopping && !f->rewatch && (s == NATS_OK || s == NATS_TIMEOUT);
        pthread_mutex_unlock(&f->lock);
    }
    pthread_mutex_lock(&f->lock);
    f->watcher = NULL;
    pthread_mutex_unlock(&f->lock);
    kvWatcher_Destroy(w);
}

/* ---- connecting and binding -------------------------------------------------- */

static void log_connected(sb_fleet_t *f, natsConnection *nc, const char *event)
{
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof(url));
    char q[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_INFO, event, "server=%s node=%s fleet=%s", sb_log_quote(q, sizeof(q), url, false),
           f->cfg->node, f->cfg->name);
}

static int connect_once(sb_fleet_t *f)
{
    natsConnection *nc = NULL;
    natsStatus s = natsConnection_Connect(&nc, f->opts);
    if (s != NATS_OK) {
        char why[256];
        sb_fleet_link_error(f, "connect", sb_fleet_nats_error(s, why, sizeof(why)));
        return -ENOTCONN;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = f->cfg->timeout_ms;
    jsCtx *js = NULL;
    if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK) {
        char why[256];
        sb_fleet_link_error(f, "jetstream", sb_fleet_nats_error(s, why, sizeof(why)));
        natsConnection_Destroy(nc);
        return -ENOTCONN;
    }
    log_connected(f, nc, "fleet-connected");
    pthread_mutex_lock(&f->lock);
    f->nc = nc;
    f->js = js;
    pthread_mutex_unlock(&f->lock);
    return 0;
}

/* Bind the bucket, creating it when it does not exist. Nodes starting
 * together may all create it: JetStream takes the same configuration
 * twice as one. */
static int bind_bucket(sb_fleet_t *f)
{
    kvStore *kv = NULL;
    natsStatus s = js_KeyValue(&kv, f->js, f->bucket);
    if (s == NATS_NOT_FOUND) {
        kvConfig kc;
        kvConfig_Init(&kc);
        kc.Bucket = f->bucket;
        kc.Description = "Switchboard overrides: one key per drain, force and switchover slot";
        kc.History = BUCKET_HISTORY;
        kc.Replicas = (int)f->cfg->replicas;
        s = js_CreateKeyValue(&kv, f->js, &kc);
    }
    if (s != NATS_OK) {
        char why[256];
        sb_fleet_link_error(f, "bucket", sb_fleet_nats_error(s, why, sizeof(why)));
        return -EIO;
    }
    pthread_mutex_lock(&f->lock);
    f->kv = kv;
    f->last_error[0] = '\0';
    pthread_mutex_unlock(&f->lock);
    sb_log(SB_LOG_INFO, "fleet-bucket", "bucket=%s replicas=%u", f->bucket, f->cfg->replicas);
    return 0;
}

/* Connect and bind, as far as it goes now. Returns 0 once both are done. */
static int link_up(sb_fleet_t *f)
{
    if (f->nc == NULL && connect_once(f) < 0)
        return -ENOTCONN;
    if (sb_fleet_talk_subscribe(f) < 0)
        return -EIO;
    return f->kv != NULL ? 0 : bind_bucket(f);
}

static void *fleet_main(void *arg)
{
    sb_fleet_t *f = arg;
    while (!stopping(f)) {
        if (link_up(f) < 0)
            pause_unless_stopping(f, RETRY_MS);
        else
            watch(f);
    }
    return NULL;
}

/* ---- NATS's callbacks (on its threads) --------------------------------------- */

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    sb_fleet_t *f = closure;
    pthread_mutex_lock(&f->lock);
    bool quiet = f->stopping;
    pthread_mutex_unlock(&f->lock);
    if (!quiet)
        sb_log(SB_LOG_WARNING, "fleet-disconnected", "node=%s reconnecting=yes", f->cfg->node);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    sb_fleet_t *f = closure;
    log_connected(f, nc, "fleet-reconnected");
    pthread_mutex_lock(&f->lock);
    f->rewatch = true; /* start the watch again: every value comes again */
    f->announce_now = true;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    sb_fleet_t *f = closure;
    pthread_mutex_lock(&f->lock);
    f->closed = true;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    sb_fleet_t *f = closure;
    char why[256];
    sb_fleet_link_error(f, sub != NULL ? "watch" : "connection",
                        sb_fleet_nats_error(err, why, sizeof(why)));
    if (sub == NULL)
        return;
    /* The watch's consumer lost its server (heartbeats missed): start the
     * watch again rather than wait for the library to mend it; values
     * delivered twice change nothing. */
    pthread_mutex_lock(&f->lock);
    f->rewatch = true;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

/* ---- lifecycle ------------------------------------------------------------- */

static void fleet_free(sb_fleet_t *f)
{
    sb_fleet_event_t ev;
    while (sb_fleet_next(f, &ev))
        sb_fleet_record_free(&ev.record);
    bool quiet = sb_fleet_talk_unsubscribe(f);
    if (f->nc != NULL) {
        pthread_mutex_lock(&f->lock);
        f->closed = false; /* an earlier connection's close does not count */
        pthread_mutex_unlock(&f->lock);
        natsConnection_Close(f->nc);
        quiet &= sb_fleet_link_wait(f, &f->closed);
    }
    if (!quiet) {
        /* NATS may still call back into the link: better kept than freed
         * under it. Once per process, at its end. */
        sb_log(SB_LOG_WARNING, "fleet-stop-slow",
               "reason=\"NATS's callbacks did not end within 5 s; the link is left in memory\"");
        return;
    }
    natsSubscription_Destroy(f->announcements);
    natsSubscription_Destroy(f->health);
    for (size_t i = 0; i < f->out_count; i++)
        free(f->outbox[(f->out_head + i) % SB_FLEET_OUTBOX_MAX]);
    if (f->kv != NULL)
        kvStore_Destroy(f->kv);
    if (f->js != NULL)
        jsCtx_Destroy(f->js);
    natsConnection_Destroy(f->nc);
    natsOptions_Destroy(f->opts);
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* The first connection, made before start returns: the fleet is required. */
static int link_now(sb_fleet_t *f, char *err, size_t errlen)
{
    if (link_up(f) == 0)
        return 0;
    snprintf(err, errlen, "the fleet is required (fleet-required) but cannot be reached: %s",
             f->last_error);
    return -ENOTCONN;
}

int sb_fleet_new(sb_fleet_t **out, const sb_fleet_config_t *cfg, const sb_fleet_hooks_t *hooks,
                 char *err, size_t errlen)
{
    sb_fleet_t *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -ENOMEM;
    f->cfg = cfg;
    f->hooks = *hooks;
    snprintf(f->bucket, sizeof(f->bucket), "%s-overrides", cfg->name);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->wake, NULL);
    sb_fleet_nats_handlers_t h = {on_disconnected, on_reconnected, on_closed, on_error, f};
    int rc = sb_fleet_nats_options(&f->opts, cfg, &h, err, errlen);
    if (rc < 0) {
        fleet_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void sb_fleet_on_health(sb_fleet_t *f,
                        void (*fn)(void *arg, const char *from, const char *data, size_t len),
                        void *arg)
{
    f->hooks.on_health = fn;
    f->health_arg = arg;
}

int sb_fleet_start(sb_fleet_t *f, char *err, size_t errlen)
{
    const sb_fleet_config_t *cfg = f->cfg;
    sb_log(SB_LOG_INFO, "fleet-starting", "node=%s fleet=%s servers=%zu bucket=%s", cfg->node,
           cfg->name, cfg->server_count, f->bucket);
    int rc = cfg->required ? link_now(f, err, errlen) : 0;
    if (rc == 0 && (rc = -pthread_create(&f->thread, NULL, fleet_main, f)) < 0)
        snprintf(err, errlen, "cannot start the fleet thread: %s", strerror(-rc));
    f->thread_started = rc == 0;
    if (rc == 0 && (rc = -pthread_create(&f->sender, NULL, sb_fleet_talk_sender, f)) < 0)
        snprintf(err, errlen, "cannot start the fleet's sender thread: %s", strerror(-rc));
    f->sender_started = rc == 0;
    return rc;
}

void sb_fleet_stop(sb_fleet_t *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    if (f->watcher != NULL)
        kvWatcher_Stop(f->watcher);
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
    if (f->thread_started)
        pthread_join(f->thread, NULL);
    if (f->sender_started)
        pthread_join(f->sender, NULL);
    fleet_free(f);
}

/* ---- from any thread --------------------------------------------------------- */

bool sb_fleet_wait_synced(sb_fleet_t *f, unsigned timeout_ms)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&f->lock);
    while (!f->synced && !f->stopping) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (spent >= timeout_ms)
            break;
        sb_fleet_link_pause(f, (unsigned)(timeout_ms - spent < 100 ? timeout_ms - spent : 100));
    }
    bool synced = f->synced;
    pthread_mutex_unlock(&f->lock);
    return synced;
}

const char *sb_fleet_node(const sb_fleet_t *f)
{
    return f->cfg->node;
}

static bool available_locked(sb_fleet_t *f)
{
    return f->kv != NULL && f->nc != NULL &&
           natsConnection_Status(f->nc) == NATS_CONN_STATUS_CONNECTED;
}

bool sb_fleet_available(sb_fleet_t *f)
{
    pthread_mutex_lock(&f->lock);
    bool up = available_locked(f);
    pthread_mutex_unlock(&f->lock);
    return up;
}

static int put_failed(sb_fleet_t *f, int rc, char *err, size_t errlen, const char *why)
{
    pthread_mutex_lock(&f->lock);
    f->write_failures++;
    pthread_mutex_unlock(&f->lock);
    snprintf(err, errlen, "%s", why);
    return rc;
}

int sb_fleet_put(sb_fleet_t *f, const sb_override_t *o, char *key, size_t key_cap,
                 uint64_t *revision, char *err, size_t errlen)
{
    if (sb_fleet_record_key(o, key, key_cap) < 0)
        return put_failed(f, -ENAMETOOLONG, err, errlen, "the names are too long for a key");
    pthread_mutex_lock(&f->lock);
    kvStore *kv = available_locked(f) ? f->kv : NULL; /* kept until stop */
    pthread_mutex_unlock(&f->lock);
    if (kv == NULL)
        return put_failed(f, -ENOTCONN, err, errlen, "no fleet server is connected");
    char *value = sb_fleet_record_encode(o, f->cfg->node, sb_fleet_link_wall_ms());
    if (value == NULL)
        return put_failed(f, -ENOMEM, err, errlen, "out of memory");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    natsStatus s = kvStore_PutString(revision, kv, key, value);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(value);
    if (s != NATS_OK) {
        char why[256];
        sb_fleet_nats_error(s, why, sizeof(why));
        return put_failed(f, s == NATS_TIMEOUT ? -ETIMEDOUT : -EIO, err, errlen, why);
    }
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    pthread_mutex_lock(&f->lock);
    f->writes++;
    sb_histogram_add(&f->write_latency, &write_buckets, seconds);
    pthread_mutex_unlock(&f->lock);
    return 0;
}

int sb_fleet_get(sb_fleet_t *f, const char *key, sb_fleet_event_t *ev, char *err, size_t errlen)
{
    memset(ev, 0, sizeof(*ev));
    pthread_mutex_lock(&f->lock);
    kvStore *kv = available_locked(f) ? f->kv : NULL; /* kept until stop */
    pthread_mutex_unlock(&f->lock);
    if (kv == NULL) {
        snprintf(err, errlen, "no fleet server is connected");
        return -ENOTCONN;
    }
    kvEntry *e = NULL;
    natsStatus s = kvStore_Get(&e, kv, key);
    if (s == NATS_NOT_FOUND)
        return -ENOENT;
    if (s != NATS_OK) {
        char why[256];
        snprintf(err, errlen, "%s", sb_fleet_nats_error(s, why, sizeof(why)));
        return s == NATS_TIMEOUT ? -ETIMEDOUT : -EIO;
    }
    ev->kind = SB_FLEET_EVENT_RECORD;
    snprintf(ev->key, sizeof(ev->key), "%s", key);
    ev->revision = kvEntry_Revision(e);
    int rc = sb_fleet_record_decode(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), &ev->record, err,
                                    errlen);
    kvEntry_Destroy(e);
    if (rc == 0 && (rc = sb_fleet_record_check_key(&ev->record, key, err, errlen)) < 0)
        sb_fleet_record_free(&ev->record);
    return rc;
}

/* A counter family of two samples told apart by one label: `result`, or
 * `direction` with `by_direction`. */
static void counter_pair(sb_metrics_buf_t *out, const char *name, const char *help,
                         bool by_direction, const char *a, uint64_t a_value, const char *b,
                         uint64_t b_value)
{
    sb_metrics_family(out, name, SB_METRICS_COUNTER, help);
    if (by_direction) {
        sb_metrics_sample(out, name, "direction=%s", (double)a_value, a);
        sb_metrics_sample(out, name, "direction=%s", (double)b_value, b);
    } else {
        sb_metrics_sample(out, name, "result=%s", (double)a_value, a);
        sb_metrics_sample(out, name, "result=%s", (double)b_value, b);
    }
}

void sb_fleet_metrics(sb_metrics_buf_t *out, void *arg)
{
    sb_fleet_t *f = arg;
    pthread_mutex_lock(&f->lock);
    sb_metrics_family(out, "switchboard_fleet_connected", SB_METRICS_GAUGE,
                      "1 while a NATS server of the fleet is connected and the override bucket "
                      "bound");
    sb_metrics_sample(out, "switchboard_fleet_connected", "node=%s", available_locked(f) ? 1 : 0,
                      f->cfg->node);
    sb_metrics_family(out, "switchboard_fleet_synced", SB_METRICS_GAUGE,
                      "1 once the watch has delivered every override the fleet holds");
    sb_metrics_sample(out, "switchboard_fleet_synced", NULL, f->synced ? 1 : 0);
    counter_pair(out, "switchboard_fleet_values_received_total",
                 "override values from the fleet's watch, read or rejected", false, "read",
                 f->values_in, "rejected", f->rejected_in);
    counter_pair(out, "switchboard_fleet_writes_total",
                 "overrides this node wrote to the fleet, stored or failed", false, "stored",
                 f->writes, "failed", f->write_failures);
    sb_metrics_family(out, "switchboard_fleet_write_seconds", SB_METRICS_HISTOGRAM,
                      "time for the fleet's store to accept an override this node wrote");
    sb_histogram_write(out, "switchboard_fleet_write_seconds", &f->write_latency, &write_buckets,
                       NULL, NULL);
    counter_pair(out, "switchboard_fleet_messages_total",
                 "fleet messages (node announcements and health verdicts) this node sent and "
                 "received",
                 true, "out", f->msgs_out, "in", f->msgs_in);
    counter_pair(out, "switchboard_fleet_message_bytes_total", "bytes of those messages", true,
                 "out", f->bytes_out, "in", f->bytes_in);
    sb_metrics_family(out, "switchboard_fleet_messages_dropped_total", SB_METRICS_COUNTER,
                      "health messages of this node's not sent: the queue was full or NATS "
                      "refused them");
    sb_metrics_sample(out, "switchboard_fleet_messages_dropped_total", NULL,
                      (double)f->out_dropped);
    sb_fleet_nodes_metrics(out, &f->nodes, f->cfg->node, f->digest, sb_fleet_link_wall_ms());
    pthread_mutex_unlock(&f->lock);
}

json_t *sb_fleet_status(sb_fleet_t *f)
{
    char url[256] = "";
    pthread_mutex_lock(&f->lock);
    bool up = available_locked(f);
    if (f->nc != NULL)
        natsConnection_GetConnectedUrl(f->nc, url, sizeof(url));
    json_t *s = json_pack(
        "{s:s, s:s, s:s, s:b, s:s?, s:b, s:s?, s:I, s:I, s:I, s:I}", "node", f->cfg->node, "fleet",
        f->cfg->name, "bucket", f->bucket, "connected", up, "server", url[0] != '\0' ? url : NULL,
        "synced", f->synced, "last_error", f->last_error[0] != '\0' ? f->last_error : NULL,
        "values_in", (json_int_t)f->values_in, "rejected_in", (json_int_t)f->rejected_in, "writes",
        (json_int_t)f->writes, "write_failures", (json_int_t)f->write_failures);
    json_object_set_new(s, "digest", json_string(f->digest));
    json_object_set_new(
        s, "nodes",
        sb_fleet_nodes_json(&f->nodes, f->cfg->node, f->digest, sb_fleet_link_wall_ms()));
    pthread_mutex_unlock(&f->lock);
    return s;
}
