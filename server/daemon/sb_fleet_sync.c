/*
 * The fleet's overrides on this nameserver (sb_fleet_sync.h).
 */
#include "sb_fleet_sync.h"

#include "sb_log.h"
#include "sb_reply.h"
#include "sb_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

struct sb_fleet_sync {
    uv_loop_t *loop;
    uv_async_t async; /* the fleet has events waiting */
    sb_fleet_t *fleet;
    const char *state_file;
    sb_prober_t *prober;
    sb_reload_t *reload;
    json_t *revisions; /* slot -> revision last applied here */
    /* Values this configuration could not apply (a profile or endpoint it
     * lacks), kept to try again after the next reload. */
    sb_fleet_event_t *unapplied;
    size_t unapplied_count;
    json_t *local; /* slot -> the local-only override in it */
    bool waiting_reload, closing;
    unsigned pending; /* writes in flight */
};

/* One write from ctl, from the loop to a work thread and back. */
typedef struct {
    uv_work_t work;
    sb_fleet_sync_t *s;
    sb_override_t o;
    char profile[256], endpoint[256];
    char asked_by[SB_FLEET_ASKED_BY_MAX + 1]; /* ctl's: "uid=1000", as the fleet stores it */
    char by[SB_FLEET_BY_MAX]; /* and with this node: "uid=1000@ns1", as logged here */
    char key[SB_FLEET_KEY_MAX];
    uint64_t revision;
    int rc;
    char err[256];
    sb_fleet_sync_done_fn done;
    void *waiter;
} write_t;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void save_state(sb_fleet_sync_t *s)
{
    char err[512];
    sb_state_save_from(s->state_file, s->prober, err, sizeof(err));
}

/* ---- values from the fleet -------------------------------------------------- */

/* Apply one slot's value unless an equal or newer one was applied already.
 * Returns APPLIED (something changed here), UNCHANGED, or NOT_APPLIED (this
 * configuration lacks its profile or endpoint: keep it for the next
 * reload). */
enum { NOT_APPLIED = -1, UNCHANGED = 0, APPLIED = 1 };

static int apply_value(sb_fleet_sync_t *s, const sb_fleet_event_t *ev)
{
    json_t *known = json_object_get(s->revisions, ev->key);
    if (known != NULL && (uint64_t)json_integer_value(known) >= ev->revision)
        return UNCHANGED;
    if (json_object_get(s->local, ev->key) != NULL) { /* the fleet's value wins */
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_INFO, "fleet-local-override-replaced",
               "slot=%s by=%s reason=\"the fleet is back and holds this slot: its state wins\"",
               sb_log_quote(q, sizeof(q), ev->key, false), ev->record.override.by);
        json_object_del(s->local, ev->key);
    }
    sb_override_t o = ev->record.override;
    /* A force or a switchover that ended while this node was away ends
     * here too. */
    if (sb_override_ended(&o, now_ms()))
        o.op = sb_override_undo(o.op);
    char why[512];
    int rc = sb_prober_override(s->prober, &o, why, sizeof(why));
    if (rc < 0 && rc != -EALREADY) {
        /* A profile or endpoint this node's configuration does not have:
         * the configurations differ. Tried again after the next reload. */
        char q1[SB_LOG_QUOTE_MAX], q2[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_WARNING, "fleet-override-not-applied", "slot=%s by=%s reason=%s",
               sb_log_quote(q1, sizeof(q1), ev->key, false), ev->record.override.by,
               sb_log_quote(q2, sizeof(q2), why, true));
        return NOT_APPLIED;
    }
    json_object_set_new(s->revisions, ev->key, json_integer((json_int_t)ev->revision));
    return rc == 0 ? APPLIED : UNCHANGED;
}

/* The override that empties the slot a local-only override `v` filled. */
static sb_override_t undo_of(json_t *v)
{
    sb_override_t o = {.by = "fleet-returned"};
    o.profile = json_string_value(json_object_get(v, "profile"));
    o.endpoint = json_string_value(json_object_get(v, "endpoint"));
    o.op = sb_override_undo((sb_override_op_t)json_integer_value(json_object_get(v, "op")));
    return o;
}

/* ---- local-only overrides when the fleet returns --------------------------- */

/* The store's word on each local-only slot, read off the loop. */
typedef struct {
    uv_work_t work;
    sb_fleet_sync_t *s;
    size_t count;
    struct {
        char key[SB_FLEET_KEY_MAX];
        int rc; /* 0: the store holds `ev`; -ENOENT: it holds nothing */
        sb_fleet_event_t ev;
        char err[160];
    } slots[];
} reconcile_t;

static void run_reconcile(uv_work_t *req)
{
    reconcile_t *r = req->data;
    for (size_t i = 0; i < r->count; i++)
        r->slots[i].rc = sb_fleet_get(r->s->fleet, r->slots[i].key, &r->slots[i].ev,
                                      r->slots[i].err, sizeof(r->slots[i].err));
}

/* A local-only override the store holds nothing for is undone. */
static bool drop_local(sb_fleet_sync_t *s, const char *key)
{
    json_t *v = json_object_get(s->local, key);
    if (v == NULL) /* replaced meanwhile */
        return false;
    sb_override_t o = undo_of(v);
    char why[512], q[SB_LOG_QUOTE_MAX];
    bool changed = sb_prober_override(s->prober, &o, why, sizeof(why)) == 0;
    sb_log(SB_LOG_INFO, "fleet-local-override-dropped",
           "slot=%s reason=\"the fleet is back and does not hold it: its state wins\"",
           sb_log_quote(q, sizeof(q), key, false));
    json_object_del(s->local, key);
    return changed;
}

static void after_reconcile(uv_work_t *req, int status)
{
    reconcile_t *r = req->data;
    sb_fleet_sync_t *s = r->s;
    bool changed = false;
    for (size_t i = 0; i < r->count; i++) {
        bool usable = status == 0 && !s->closing && s->prober != NULL;
        if (usable && r->slots[i].rc == 0)
            changed |= apply_value(s, &r->slots[i].ev) == APPLIED; /* the fleet's value wins */
        else if (usable && r->slots[i].rc == -ENOENT)
            changed |= drop_local(s, r->slots[i].key);
        sb_fleet_record_free(&r->slots[i].ev.record);
        /* Otherwise the store could not say: the slot stays local until the
         * watch starts again. */
    }
    if (changed)
        save_state(s);
    free(r);
    if (--s->pending == 0 && s->closing)
        sb_fleet_sync_close(s);
}

/* Every current value has come: ask the store itself about each slot still
 * local-only (the watch may name them later, or never). */
static void reconcile(sb_fleet_sync_t *s)
{
    size_t n = json_object_size(s->local);
    reconcile_t *r = n > 0 ? calloc(1, sizeof(*r) + n * sizeof(r->slots[0])) : NULL;
    if (r == NULL)
        return;
    r->s = s;
    r->work.data = r;
    const char *key;
    json_t *v;
    json_object_foreach(s->local, key, v)
    {
        snprintf(r->slots[r->count++].key, SB_FLEET_KEY_MAX, "%s", key);
    }
    s->pending++;
    if (uv_queue_work(s->loop, &r->work, run_reconcile, after_reconcile) < 0) {
        s->pending--;
        free(r);
    }
}

static void take_events(sb_fleet_sync_t *s);

/* Keep `ev` (taken) to apply after the next reload, in place of an older
 * value of its slot. */
static void keep_unapplied(sb_fleet_sync_t *s, sb_fleet_event_t *ev)
{
    for (size_t i = 0; i < s->unapplied_count; i++) {
        if (strcmp(s->unapplied[i].key, ev->key) == 0) {
            sb_fleet_record_free(&s->unapplied[i].record);
            s->unapplied[i] = *ev;
            return;
        }
    }
    sb_fleet_event_t *grown =
        realloc(s->unapplied, (s->unapplied_count + 1) * sizeof(*s->unapplied));
    if (grown == NULL) {
        sb_fleet_record_free(&ev->record);
        return;
    }
    s->unapplied = grown;
    s->unapplied[s->unapplied_count++] = *ev;
}

/* After a reload: the values the previous configuration could not apply. */
static bool retry_unapplied(sb_fleet_sync_t *s)
{
    bool changed = false;
    size_t kept = 0;
    for (size_t i = 0; i < s->unapplied_count; i++) {
        int done = apply_value(s, &s->unapplied[i]);
        changed |= done == APPLIED;
        if (done == NOT_APPLIED)
            s->unapplied[kept++] = s->unapplied[i];
        else
            sb_fleet_record_free(&s->unapplied[i].record);
    }
    s->unapplied_count = kept;
    return changed;
}

static void on_reload_ended(void *waiter, int rc, const char *message, json_t *changes)
{
    (void)rc, (void)message, (void)changes;
    sb_fleet_sync_t *s = waiter;
    s->waiting_reload = false;
    take_events(s);
}

static void take_events(sb_fleet_sync_t *s)
{
    if (s->prober == NULL || s->closing || s->waiting_reload)
        return;
    if (s->reload != NULL && sb_reload_after(s->reload, on_reload_ended, s)) {
        s->waiting_reload = true;
        return;
    }
    bool changed = false;
    sb_fleet_event_t ev;
    while (sb_fleet_next(s->fleet, &ev)) {
        if (ev.kind == SB_FLEET_EVENT_SYNCED) {
            reconcile(s);
            continue;
        }
        int done = apply_value(s, &ev);
        changed |= done == APPLIED;
        if (done == NOT_APPLIED)
            keep_unapplied(s, &ev); /* takes the record */
        else
            sb_fleet_record_free(&ev.record);
    }
    if (changed)
        save_state(s);
}

static void on_events(uv_async_t *a)
{
    take_events(a->data);
}

/* On the fleet's thread. */
static void notify(void *arg)
{
    uv_async_send(arg);
}

/* ---- overrides from ctl --------------------------------------------------------- */

static void write_free(write_t *w)
{
    sb_fleet_sync_t *s = w->s;
    free(w);
    if (--s->pending == 0 && s->closing)
        sb_fleet_sync_close(s);
}

/* Apply here what the fleet stored (or what --local asks for). */
static json_t *apply_here(sb_fleet_sync_t *s, write_t *w)
{
    json_t *known = w->o.local ? NULL : json_object_get(s->revisions, w->key);
    if (known != NULL && (uint64_t)json_integer_value(known) >= w->revision) {
        /* Another node wrote the slot after us, and its value is applied
         * already: ours must not bring the older back. */
        char msg[SB_FLEET_KEY_MAX + 160];
        snprintf(msg, sizeof(msg),
                 "stored in the fleet (%s, revision %llu), but a newer value of that slot "
                 "(revision %lld) is already in force",
                 w->key, (unsigned long long)w->revision, (long long)json_integer_value(known));
        return sb_reply_ok(msg);
    }
    char why[512];
    int rc = sb_prober_override(s->prober, &w->o, why, sizeof(why));
    if (rc < 0 && rc != -EALREADY)
        return sb_reply_failure("%s", why);
    if (rc == 0)
        save_state(s);
    char msg[SB_FLEET_KEY_MAX + 256];
    if (w->o.local) {
        json_object_set_new(s->local, w->key,
                            json_pack("{s:i, s:s, s:s?}", "op", (int)w->o.op, "profile", w->profile,
                                      "endpoint", w->endpoint[0] ? w->endpoint : NULL));
        json_object_del(s->revisions, w->key); /* the fleet's value applies when it returns */
        snprintf(msg, sizeof(msg),
                 "applied on this nameserver only: the fleet cannot be reached; when it returns, "
                 "the fleet's state wins");
    } else {
        json_object_set_new(s->revisions, w->key, json_integer((json_int_t)w->revision));
        snprintf(msg, sizeof(msg),
                 "stored in the fleet (%s, revision %llu) and applied here; every nameserver "
                 "applies it from the fleet",
                 w->key, (unsigned long long)w->revision);
    }
    return sb_reply_ok(msg);
}

static void finish_write(write_t *w, json_t *reply)
{
    w->done(w->waiter, reply);
    write_free(w);
}

static void on_reload_then_apply(void *waiter, int rc, const char *message, json_t *changes)
{
    (void)message, (void)changes;
    write_t *w = waiter;
    if (rc == -ECANCELED || w->s->closing || w->s->prober == NULL)
        finish_write(w, sb_reply_failure("the server is stopping"));
    else
        finish_write(w, apply_here(w->s, w));
}

/* Apply now, or once the reload in progress has installed its worker. */
static void apply_when_possible(write_t *w)
{
    if (w->s->reload == NULL || !sb_reload_after(w->s->reload, on_reload_then_apply, w))
        finish_write(w, apply_here(w->s, w));
}

static void run_write(uv_work_t *req)
{
    write_t *w = req->data;
    sb_override_t stored = w->o;
    stored.by = w->asked_by; /* the record names its node itself */
    w->rc = sb_fleet_put(w->s->fleet, &stored, w->key, sizeof(w->key), &w->revision, w->err,
                         sizeof(w->err));
}

static void after_write(uv_work_t *req, int status)
{
    write_t *w = req->data;
    if (status == 0 && w->rc == 0 && (w->s->closing || w->s->prober == NULL))
        finish_write(w, sb_reply_failure("stored in the fleet (%s, revision %llu), where every "
                                         "other nameserver applies it; not applied here: the "
                                         "server is stopping",
                                         w->key, (unsigned long long)w->revision));
    else if (status < 0 || w->s->closing || w->s->prober == NULL)
        finish_write(w, sb_reply_failure("the server is stopping"));
    else if (w->rc < 0)
        finish_write(
            w, sb_reply_failure("the fleet did not store the override: %s; nothing changed. In an "
                                "emergency, --local applies it to this nameserver only",
                                w->err));
    else
        apply_when_possible(w);
}

/* A copy of `o`, its strings in the write, its setter "<uid>@<node>". */
static write_t *write_new(sb_fleet_sync_t *s, const sb_override_t *o)
{
    write_t *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->s = s;
    w->work.data = w;
    w->o = *o;
    snprintf(w->profile, sizeof(w->profile), "%s", o->profile);
    snprintf(w->endpoint, sizeof(w->endpoint), "%s", o->endpoint != NULL ? o->endpoint : "");
    snprintf(w->asked_by, sizeof(w->asked_by), "%s", o->by != NULL ? o->by : "unknown");
    snprintf(w->by, sizeof(w->by), "%s@%s", w->asked_by, sb_fleet_node(s->fleet));
    w->o.profile = w->profile;
    w->o.endpoint = o->endpoint != NULL ? w->endpoint : NULL;
    w->o.by = w->by;
    s->pending++;
    return w;
}

/* The reason an override cannot be tried, or NULL. */
static json_t *refusal(sb_fleet_sync_t *s, write_t *w)
{
    char why[512];
    if (s->closing || s->prober == NULL)
        return sb_reply_failure("the server is stopping");
    bool reachable = sb_fleet_available(s->fleet);
    if (w->o.local && reachable)
        return sb_reply_failure(
            "the fleet can be reached: leave out --local, so that every nameserver "
            "applies the override");
    if (sb_prober_override_check(s->prober, &w->o, why, sizeof(why)) < 0)
        return sb_reply_failure("%s", why);
    if (!w->o.local && !reachable)
        return sb_reply_failure(
            "the fleet cannot be reached (no NATS server connected): nothing "
            "changed. In an emergency, --local applies it to this nameserver only "
            "until the fleet returns");
    return NULL;
}

void sb_fleet_sync_override(sb_fleet_sync_t *s, const sb_override_t *o, sb_fleet_sync_done_fn done,
                            void *waiter)
{
    write_t *w = write_new(s, o);
    if (w == NULL) {
        done(waiter, sb_reply_failure("out of memory"));
        return;
    }
    w->done = done;
    w->waiter = waiter;
    json_t *no = refusal(s, w);
    if (no == NULL && sb_fleet_record_key(&w->o, w->key, sizeof(w->key)) < 0)
        no = sb_reply_failure("the profile and endpoint names are too long for the fleet's keys");
    if (no != NULL)
        finish_write(w, no);
    else if (w->o.local)
        apply_when_possible(w);
    else if (uv_queue_work(s->loop, &w->work, run_write, after_write) < 0)
        finish_write(w, sb_reply_failure("cannot start the write to the fleet"));
}

/* ---- lifecycle ------------------------------------------------------------------ */

int sb_fleet_sync_open(sb_fleet_sync_t **out, uv_loop_t *loop, const sb_fleet_config_t *cfg,
                       const char *state_file, char *err, size_t errlen)
{
    sb_fleet_sync_t *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->revisions = json_object()) == NULL || (s->local = json_object()) == NULL ||
        uv_async_init(loop, &s->async, on_events) < 0) {
        if (s != NULL) {
            json_decref(s->revisions);
            json_decref(s->local);
        }
        free(s);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->loop = loop;
    s->async.data = s;
    s->state_file = state_file;
    sb_fleet_hooks_t hooks = {notify, &s->async};
    int rc = sb_fleet_new(&s->fleet, cfg, &hooks, err, errlen);
    if (rc < 0) {
        sb_fleet_sync_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int sb_fleet_sync_start(sb_fleet_sync_t *s, char *err, size_t errlen)
{
    return sb_fleet_start(s->fleet, err, errlen);
}

void sb_fleet_sync_set_prober(sb_fleet_sync_t *s, sb_prober_t *prober)
{
    s->prober = prober;
    if (prober != NULL && retry_unapplied(s))
        save_state(s);
    take_events(s); /* values that came before the worker did */
}

void sb_fleet_sync_set_reload(sb_fleet_sync_t *s, sb_reload_t *reload)
{
    s->reload = reload;
}

bool sb_fleet_sync_catch_up(sb_fleet_sync_t *s, unsigned timeout_ms)
{
    bool synced = sb_fleet_wait_synced(s->fleet, timeout_ms);
    take_events(s);
    return synced;
}

sb_fleet_t *sb_fleet_sync_fleet(sb_fleet_sync_t *s)
{
    return s->fleet;
}

json_t *sb_fleet_sync_status(sb_fleet_sync_t *s)
{
    json_t *st = sb_fleet_status(s->fleet);
    json_t *local = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(s->local, key, v)
    {
        json_array_append_new(local, json_string(key));
    }
    json_object_set_new(st, "local_only", local);
    return st;
}

static void on_async_closed(uv_handle_t *h)
{
    sb_fleet_sync_t *s = h->data;
    for (size_t i = 0; i < s->unapplied_count; i++)
        sb_fleet_record_free(&s->unapplied[i].record);
    free(s->unapplied);
    json_decref(s->revisions);
    json_decref(s->local);
    free(s);
}

void sb_fleet_sync_close(sb_fleet_sync_t *s)
{
    if (s == NULL)
        return;
    s->closing = true;
    s->prober = NULL;
    s->reload = NULL;
    if (s->pending > 0) /* a write's thread still uses the fleet: the last one closes */
        return;
    sb_fleet_stop(s->fleet);
    s->fleet = NULL;
    if (!uv_is_closing((uv_handle_t *)&s->async))
        uv_close((uv_handle_t *)&s->async, on_async_closed);
}
