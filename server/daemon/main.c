/*
 * switchboard — the command-line entry point: `serve` here; `check`,
 * `version` and every command's help in sb_cli; `ctl` in sb_ctl.
 *
 * `serve` loads and checks every zone, binds the listeners, runs the first
 * round of probes, and only then starts answering, so that the first answer
 * is already right. SIGHUP (and `ctl reload`) reloads the zones without
 * blocking the control loop (sb_reload). SIGTERM and SIGINT stop it
 * gracefully, abandoning a reload in progress. Under systemd it says so
 * (sb_notify): ready once answering, reloading, stopping, and a status
 * line kept current from the control loop.
 */
#include "sb_cli.h"
#include "sb_control.h"
#include "sb_ctl.h"
#include "sb_digest.h"
#include "sb_error.h"
#include "sb_fleet_sync.h"
#include "sb_fleet_talk.h"
#include "sb_gen.h"
#include "sb_geo.h"
#include "sb_health.h"
#include "sb_http_api.h"
#include "sb_log.h"
#include "sb_metrics_http.h"
#include "sb_monitor.h"
#include "sb_net.h"
#include "sb_net_counters.h"
#include "sb_notify.h"
#include "sb_options.h"
#include "sb_privileges.h"
#include "sb_prober.h"
#include "sb_reload.h"
#include "sb_state.h"
#include "sb_zonedir.h"

#include <ares.h>
#include <curl/curl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer builds only. Debian's libuv closes descriptors with
 * syscall(SYS_close), which ThreadSanitizer does not see; when another
 * thread then gets the same descriptor number (libmicrohttpd's accept4,
 * say), the two creations look like a race on the descriptor's slot in its
 * table. These interceptors touch nothing but that slot, so matching them
 * (by their names in the runtime) as the top frame hides that false report
 * and no race in our memory.
 * A routing decision replaced is freed by liburcu's call_rcu thread after a
 * grace period, which ThreadSanitizer cannot see either (liburcu's own
 * atomics and membarrier are not instrumented): the DNS workers' reads,
 * all inside read-side sections that ended before the free, look racy. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "race_top:^__interceptor_accept$\n"
           "race_top:^__interceptor_accept4$\n"
           "race_top:^__interceptor_socket$\n"
           "race_top:^__interceptor_socketpair$\n"
           "race_top:^__interceptor_epoll_create$\n"
           "race_top:^__interceptor_epoll_create1$\n"
           "race_top:^__interceptor_eventfd$\n"
           "race_top:^__interceptor_pipe$\n"
           "race_top:^__interceptor_pipe2$\n"
           "race_top:^__interceptor_open$\n"
           "race_top:^__interceptor_openat$\n"
           "race_top:^__interceptor_dup$\n"
           "race_top:^__interceptor_dup2$\n"
           "race_top:^__interceptor_dup3$\n"
           "race_top:^__interceptor_close$\n"
           "race:^free_decision$\n";
}
#endif

/* Extra time allowed for the first round beyond the largest probe timeout:
 * resolution and scheduling. */
#define FIRST_ROUND_SLACK_MS 1000
#define SHUTDOWN_DRAIN_MS    1000
/* How often the STATUS= line systemd shows is brought up to date. */
#define NOTIFY_STATUS_MS 2000

static const sb_gen_t *_Atomic current_gen;

/* A running server's configuration warnings go to its log, one line each. */
static void log_warnings(sb_diag_t *diag)
{
    const char *msg;
    for (size_t i = 0; diag != NULL && (msg = sb_diag_warning_message(diag, i)) != NULL; i++) {
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_WARNING, "config-warning", "message=%s",
               sb_log_quote(q, sizeof(q), msg, true));
    }
}

static size_t endpoint_total(const sb_gen_t *gen)
{
    size_t n = 0;
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++)
        n += sb_gen_profile(gen, i)->count;
    return n;
}

/* ---- serve --------------------------------------------------------------- */

/* What `serve` runs: the generation being served and its probe worker,
 * both replaced by a reload. */
typedef struct {
    sb_options_t *o;
    sb_gen_t *gen;
    sb_prober_t *prober;
    sb_prober_config_t probe_cfg;
    sb_control_t *ctl;
    sb_net_t *net;
    sb_reload_t *reload; /* NULL until serving, and again once stopping */
    unsigned generation;
    sb_metrics_http_t *metrics;
    sb_http_api_t *http;    /* NULL: no --http-listen */
    sb_fleet_sync_t *fleet; /* NULL: no fleet */
    /* The fleet link the probe worker's verdicts go to: set while it runs,
     * under its lock (the worker's thread reads it). */
    uv_mutex_t fleet_lock;
    sb_fleet_t *fleet_link;
    uv_mutex_t prober_lock; /* a scrape reads `prober` while a reload swaps it */
    bool stopping;
    sb_privileges_t privileges;
    char *state_text; /* the state file, read before dropping root; NULL: none */
    size_t state_len;
    char status[160]; /* the STATUS= line systemd was last sent */
} server_t;

/* What systemd shows for the service (STATUS=): what is served, and how
 * many endpoints are up. On the control loop, which alone replaces the
 * probe worker (a reload's swap), so `prober` needs no lock here. */
static void status_text(server_t *s, const char *doing, char *buf, size_t cap)
{
    size_t states[3] = {0, 0, 0};
    if (s->prober != NULL)
        sb_prober_count_states(s->prober, states);
    size_t zones = sb_gen_zone_count(s->gen), profiles = sb_gen_profile_count(s->gen);
    snprintf(buf, cap, "%sserving %zu zone%s, %zu profile%s; %zu of %zu endpoints up", doing, zones,
             zones == 1 ? "" : "s", profiles, profiles == 1 ? "" : "s", states[SB_HEALTH_UP],
             states[0] + states[1] + states[2]);
}

/* The STATUS= line again, when it changed (a probe moved an endpoint). */
static void notify_status(server_t *s)
{
    char text[sizeof(s->status)];
    if (!sb_notify_enabled() || s->prober == NULL)
        return;
    status_text(s, "", text, sizeof(text));
    if (strcmp(text, s->status) != 0) {
        memcpy(s->status, text, sizeof(text));
        sb_notify_status(text);
    }
}

static void on_signal(uv_signal_t *h, int signum)
{
    server_t *s = h->data;
    if (signum == SIGHUP) {
        if (s->reload != NULL)
            sb_reload_request(s->reload, "SIGHUP", NULL, NULL);
        return;
    }
    if (s->stopping) /* a second signal while a reload is abandoned */
        return;
    s->stopping = true;
    sb_notify_stopping();
    sb_log(SB_LOG_INFO, "stopping", "signal=%s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    uv_stop(h->loop);
}

/* Bind the listeners. The default addresses include [::]:53; a host without
 * IPv6 serves IPv4 only rather than not at all. */
static int bind_listeners(sb_options_t *o, sb_net_t **net)
{
    sb_net_config_t cfg = {
        .addrs = o->listen,
        .addr_count = o->listen_count,
        .threads = o->threads,
        .tcp_idle_ms = o->tcp_idle_ms,
        .tcp_max_clients = o->tcp_clients,
        .tcp_per_client = o->tcp_per_client,
        .rrl = o->rrl,
        .answer =
            {
                .udp_max = o->udp_max,
                .nsid = (const uint8_t *)o->nsid,
                .nsid_len = (uint8_t)(o->nsid != NULL ? strlen(o->nsid) : 0),
                .version_string = o->version_string,
                .identity = o->identity,
                .cookie_key = o->cookie_key,
                .ecs_prefix_max = {o->ecs_prefix_max[0], o->ecs_prefix_max[1]},
            },
    };
    if (!o->cookie_secret_set && sb_cookie_key_random(&cfg.answer.cookie_key) < 0) {
        sb_log(SB_LOG_ERROR, "listen-failed", "reason=\"no randomness for the DNS Cookie secret\"");
        return -EIO;
    }
    char err[256], q[SB_LOG_QUOTE_MAX];
    int rc = sb_net_bind(net, &cfg, err, sizeof(err));
    if (rc < 0 && o->listen_is_default && (rc == -EAFNOSUPPORT || rc == -EADDRNOTAVAIL)) {
        sb_log(SB_LOG_WARNING, "listen", "address=[::]:53 reason=%s action=ipv4-only",
               sb_log_quote(q, sizeof(q), err, true));
        cfg.addr_count = 1;
        rc = sb_net_bind(net, &cfg, err, sizeof(err));
    }
    if (rc < 0)
        sb_log(SB_LOG_ERROR, "listen-failed", "reason=%s", sb_log_quote(q, sizeof(q), err, true));
    return rc;
}

static void log_listening(const sb_net_t *net, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char text[80];
        sb_listen_addr_format(sb_net_bound(net, i), text, sizeof(text));
        sb_log(SB_LOG_INFO, "listening", "address=%s transports=udp,tcp", text);
    }
}

/* The control loop: signal handlers are installed before anything starts,
 * so a SIGTERM that arrives during start-up (even right after `ready`) is
 * handled as a clean stop rather than by the default action. */
typedef struct {
    uv_loop_t loop;
    uv_signal_t sigs[3];
    uv_async_t overrides_changed; /* the probe worker ended an override by itself */
    uv_timer_t status_timer;      /* keeps systemd's STATUS= line current */
    sb_notify_watchdog_t watchdog;
} control_t;

static void save_overrides(server_t *s);

static void on_overrides_changed(uv_async_t *a)
{
    server_t *s = a->data;
    if (s->prober != NULL) /* NULL once stopping has stopped it */
        save_overrides(s);
}

/* On the probe worker's thread: hand the news to the control loop, which
 * writes the state file. */
static void notify_overrides_changed(void *arg)
{
    uv_async_send(arg);
}

static int control_open(control_t *c, server_t *s)
{
    static const int nums[3] = {SIGINT, SIGTERM, SIGHUP};
    if (uv_loop_init(&c->loop) < 0)
        return -ENOMEM;
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&c->loop, &c->sigs[i]);
        c->sigs[i].data = s;
        uv_signal_start(&c->sigs[i], on_signal, nums[i]);
    }
    uv_async_init(&c->loop, &c->overrides_changed, on_overrides_changed);
    c->overrides_changed.data = s;
    uv_timer_init(&c->loop, &c->status_timer);
    c->status_timer.data = s;
    c->watchdog.running = false;
    s->probe_cfg.overrides_changed = notify_overrides_changed;
    s->probe_cfg.overrides_changed_arg = &c->overrides_changed;
    return 0;
}

static void on_status_timer(uv_timer_t *t)
{
    notify_status(t->data);
}

/* Serve until a stop signal: the control loop, with systemd's keep-alives
 * (when the unit has a watchdog) and status line. */
static void run_control(control_t *c)
{
    char q[SB_LOG_QUOTE_MAX];
    int rc = sb_notify_watchdog_start(&c->watchdog, &c->loop);
    if (rc < 0) /* systemd will restart the server: say why */
        sb_log(SB_LOG_ERROR, "watchdog-failed", "reason=%s",
               sb_log_quote(q, sizeof(q), uv_strerror(rc), true));
    if (sb_notify_enabled())
        uv_timer_start(&c->status_timer, on_status_timer, NOTIFY_STATUS_MS, NOTIFY_STATUS_MS);
    uv_run(&c->loop, UV_RUN_DEFAULT);
}

static void control_close(control_t *c)
{
    sb_notify_watchdog_close(&c->watchdog);
    uv_close((uv_handle_t *)&c->status_timer, NULL);
    uv_close((uv_handle_t *)&c->overrides_changed, NULL);
    for (int i = 0; i < 3; i++)
        uv_close((uv_handle_t *)&c->sigs[i], NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
}

/* Probes and TCP clients each hold a descriptor; Debian's default soft
 * limit (1024) is far below what the defaults allow, so raise it to the
 * hard limit, as NSD and Unbound do, and say so when even that is short. */
static void raise_file_limit(const sb_options_t *o)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    rlim_t wanted = (rlim_t)o->probes_in_flight + o->tcp_clients + 64u * o->threads + 64;
    if (rl.rlim_cur < wanted)
        sb_log(SB_LOG_WARNING, "file-limit",
               "limit=%llu wanted=%llu reason=\"probes-in-flight and tcp-clients may run out of "
               "descriptors; raise LimitNOFILE or lower them\"",
               (unsigned long long)rl.rlim_cur, (unsigned long long)wanted);
}

/* Overrides set before a restart apply before the first answer; the file
 * is written again without those that no longer fit. */
static void log_state_unreadable(const char *err)
{
    char q[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_ERROR, "state-unreadable",
           "reason=%s action=\"starting without saved overrides\"",
           sb_log_quote(q, sizeof(q), err, true));
}

/* The state file, read while the server may still be root: one written
 * when it ran as root may be readable by root only. */
static void read_state(server_t *s)
{
    char err[512];
    int rc = sb_state_read(s->o->state_file, &s->state_text, &s->state_len, err, sizeof(err));
    if (rc < 0 && rc != -ENOENT)
        log_state_unreadable(err);
}

static void restore_overrides(server_t *s)
{
    char err[512], q[SB_LOG_QUOTE_MAX];
    size_t dropped;
    if (s->state_text == NULL)
        return;
    int n = sb_state_restore(s->o->state_file, s->state_text, s->state_len, s->prober, &dropped,
                             err, sizeof(err));
    free(s->state_text);
    s->state_text = NULL;
    if (n < 0) {
        log_state_unreadable(err);
        return;
    }
    sb_log(SB_LOG_INFO, "state-restored", "file=%s overrides=%d dropped=%zu",
           sb_log_quote(q, sizeof(q), s->o->state_file, false), n, dropped);
    if (dropped > 0)
        save_overrides(s);
}

/* Bound before dropping root; requests are served once the control loop
 * runs, by when the probe worker and the reloader are in place. */
static int open_control(server_t *s, control_t *control)
{
    const sb_options_t *o = s->o;
    sb_control_config_t cfg = {
        .path = o->control_socket,
        .mode = o->control_mode,
        .chown = sb_privileges_changes_user(&s->privileges),
        .uid = s->privileges.uid,
        .gid = s->privileges.gid,
        .state_file = o->state_file,
    };
    char err[512], q[SB_LOG_QUOTE_MAX];
    int rc = sb_control_open(&s->ctl, &control->loop, &cfg, err, sizeof(err));
    if (rc < 0)
        sb_log(SB_LOG_ERROR, "control-failed",
               "reason=%s hint=\"--control-socket names another path\"",
               sb_log_quote(q, sizeof(q), err, true));
    else
        sb_log(SB_LOG_INFO, "control-listening", "socket=%s",
               sb_log_quote(q, sizeof(q), o->control_socket, false));
    return rc;
}

static void save_overrides(server_t *s)
{
    char err[512];
    sb_state_save_from(s->o->state_file, s->prober, err, sizeof(err));
}

/* What was loaded: each zone, and each profile with its endpoints. */
static void log_loaded(const sb_gen_t *gen)
{
    for (size_t i = 0; i < sb_gen_zone_count(gen); i++) {
        const sb_zone_t *z = sb_gen_zone(gen, i);
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_INFO, "zone-loaded", "zone=%s file=%s names=%zu profiles=%zu",
               sb_zone_apex_text(z), sb_log_quote(q, sizeof(q), sb_zone_file(z), false),
               sb_zone_node_count(z), sb_zone_profile_count(z));
    }
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        const sb_profile_t *p = sb_gen_profile(gen, i);
        char names[512];
        size_t used = 0;
        names[0] = '\0';
        for (uint16_t k = 0; k < p->count && used < sizeof(names); k++)
            used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", k ? "," : "",
                                     p->endpoints[k].name);
        sb_log(SB_LOG_INFO, "profile-loaded", "profile=%s method=%s endpoints=%s monitor=%s",
               p->owner_text, p->route->name, names,
               sb_monitor_proto_name(p->endpoints[0].monitor->proto));
    }
    if (sb_gen_geo(gen) != NULL) {
        char what[256], q[SB_LOG_QUOTE_MAX];
        sb_log(
            SB_LOG_INFO, "geo-database", "database=%s",
            sb_log_quote(q, sizeof(q), sb_geo_describe(sb_gen_geo(gen), what, sizeof(what)), true));
    }
}

/* Log every error of a configuration that failed to load, and put the
 * first ones in `err` for the ctl caller. */
static void report_errors(sb_diag_t *diag, int rc, char *err, size_t errlen)
{
    size_t n = sb_diag_count(diag), used = 0;
    const char *msg;
    err[0] = '\0';
    for (size_t i = 0; (msg = sb_diag_message(diag, i)) != NULL; i++) {
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_ERROR, "reload-error", "message=%s", sb_log_quote(q, sizeof(q), msg, true));
        if (i < 3 && used < errlen)
            used += (size_t)snprintf(err + used, errlen - used, "%s%s", i ? "; " : "", msg);
    }
    if (n > 3 && used < errlen)
        snprintf(err + used, errlen - used, "; and %zu more (see the log)", n - 3);
    if (n == 0)
        snprintf(err, errlen, "%s", sb_strerror(rc));
}

/* A start-up step that failed: the process exits 1 after this line. */
static void log_failure(const char *event, int rc)
{
    char q[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_ERROR, event, "reason=%s", sb_log_quote(q, sizeof(q), sb_strerror(rc), true));
}

/* A reload that did not build, or could not be swapped in: every error
 * logged, the first ones for the ctl callers; the previous configuration
 * goes on serving. */
static void reload_failed(server_t *s, const sb_reload_result_t *res, char *err, size_t errlen)
{
    char q[SB_LOG_QUOTE_MAX];
    if (s->metrics != NULL)
        sb_metrics_http_count_reload(s->metrics, false);
    if (res->probing_failed)
        snprintf(err, errlen, "cannot start probing the new configuration: %s",
                 sb_strerror(res->rc));
    if (res->probing_failed || res->swap_failed) {
        sb_log(SB_LOG_ERROR, "reload-failed", "reason=%s", sb_log_quote(q, sizeof(q), err, true));
        return;
    }
    report_errors(res->diag, res->rc, err, errlen);
    sb_log(SB_LOG_ERROR, "reload-failed",
           "errors=%zu generation=%u action=\"still serving the previous configuration\"",
           sb_diag_count(res->diag), s->generation);
}

/* Tell the fleet what this node now serves, so that every node can see
 * whose configuration differs. */
static void announce_digest(server_t *s)
{
    char hex[SB_DIGEST_HEX], why[512], q[SB_LOG_QUOTE_MAX];
    if (s->fleet == NULL)
        return;
    if (sb_digest_zones(s->o->zones_dir, s->o->geo_database, hex, why, sizeof(why)) < 0) {
        sb_log(SB_LOG_WARNING, "fleet-digest-failed", "reason=%s",
               sb_log_quote(q, sizeof(q), why, true));
        return;
    }
    sb_fleet_talk_set_digest(sb_fleet_sync_fleet(s->fleet), hex);
    sb_log(SB_LOG_INFO, "fleet-digest", "digest=%s", hex);
}

/* The reloader has swapped the new generation and its probe worker in
 * (sb_reload); the rest of the server follows. */
static void reload_done(server_t *s, const sb_reload_result_t *res)
{
    sb_control_set_prober(s->ctl, s->prober);
    if (s->fleet != NULL)
        sb_fleet_sync_set_prober(s->fleet, s->prober);
    announce_digest(s);
    s->generation++;
    if (s->metrics != NULL) {
        sb_metrics_http_set_generation(s->metrics, s->generation);
        sb_metrics_http_count_reload(s->metrics, true);
    }
    save_overrides(s); /* overrides dropped by the reload are gone from it */
    sb_log(SB_LOG_INFO, "reload-done",
           "generation=%u zones=%zu profiles=%zu endpoints=%zu carried=%zu first_round=%s "
           "elapsed_ms=%llu answers_moved=%zu endpoints_down=%zu",
           s->generation, sb_gen_zone_count(s->gen), sb_gen_profile_count(s->gen),
           endpoint_total(s->gen), sb_prober_carried_count(s->prober),
           res->first_round_complete ? "complete" : "incomplete",
           (unsigned long long)((uv_hrtime() - res->started_ns) / 1000000),
           json_array_size(json_object_get(res->changes, "answers_moved")),
           json_array_size(json_object_get(res->changes, "endpoints_down")));
}

static void finish_reload(void *arg, const sb_reload_result_t *res, char *err, size_t errlen)
{
    server_t *s = arg;
    log_warnings(res->diag);
    if (res->rc < 0)
        reload_failed(s, res, err, errlen);
    else
        reload_done(s, res);
    if (sb_notify_enabled()) { /* serving again, the new configuration or the old */
        status_text(s, res->rc < 0 ? "reload failed; " : "", s->status, sizeof(s->status));
        sb_notify_ready(s->status);
    }
}

static void begin_reload(void *arg)
{
    server_t *s = arg;
    char text[sizeof(s->status)];
    if (!sb_notify_enabled())
        return;
    status_text(s, "reloading; ", text, sizeof(text));
    sb_notify_reloading(text);
}

static int start_reloader(server_t *s, control_t *control)
{
    sb_reload_config_t cfg = {
        .zones_dir = s->o->zones_dir,
        .geo_database = s->o->geo_database,
        .probe_cfg = s->probe_cfg,
        .first_round_slack_ms = FIRST_ROUND_SLACK_MS,
        .serving = {.current = &current_gen,
                    .net = s->net,
                    .gen = &s->gen,
                    .prober = &s->prober,
                    .prober_lock = &s->prober_lock},
        .begin = begin_reload,
        .finish = finish_reload,
        .arg = s,
    };
    int rc = sb_reload_new(&s->reload, &control->loop, &cfg);
    if (rc < 0)
        log_failure("start-failed", rc);
    return rc;
}

/* Prometheus metrics, when --metrics-listen is given: bound right after the
 * DNS listeners, so that a port conflict stops start-up the same way. */
static void probe_metrics(sb_metrics_buf_t *out, void *arg)
{
    server_t *s = arg;
    uv_mutex_lock(&s->prober_lock);
    if (s->prober != NULL)
        sb_prober_metrics(s->prober, out);
    uv_mutex_unlock(&s->prober_lock);
}

static int bind_metrics(server_t *s, sb_net_t *net)
{
    const sb_options_t *o = s->o;
    char err[256] = "out of memory", q[SB_LOG_QUOTE_MAX];
    if (!o->metrics_set)
        return 0;
    sb_metrics_http_t **m = &s->metrics;
    int rc = sb_metrics_http_new(m);
    if (rc == 0 && (rc = sb_metrics_http_add_source(*m, sb_net_counters_metrics, net)) == 0 &&
        (rc = sb_metrics_http_add_source(*m, probe_metrics, s)) == 0)
        rc = sb_metrics_http_bind(*m, &o->metrics_listen, err, sizeof(err));
    if (rc < 0)
        sb_log(SB_LOG_ERROR, "metrics-failed", "reason=%s", sb_log_quote(q, sizeof(q), err, true));
    return rc;
}

static int start_metrics(server_t *s)
{
    char err[256], text[80], q[SB_LOG_QUOTE_MAX];
    if (s->metrics == NULL)
        return 0;
    int rc = sb_metrics_http_start(s->metrics, err, sizeof(err));
    if (rc < 0) {
        sb_log(SB_LOG_ERROR, "metrics-failed", "reason=%s", sb_log_quote(q, sizeof(q), err, true));
        return rc;
    }
    sb_metrics_http_set_generation(s->metrics, 1); /* the generation loaded at start */
    sb_listen_addr_format(sb_metrics_http_bound(s->metrics), text, sizeof(text));
    sb_log(SB_LOG_INFO, "metrics-listening", "address=%s", text);
    return 0;
}

/* The status page and HTTP API, when --http-listen is given: bound as root
 * with the other listeners, served once root is dropped. */
static int bind_http(server_t *s, control_t *control)
{
    const sb_options_t *o = s->o;
    char err[256], q[SB_LOG_QUOTE_MAX];
    if (!o->http_set)
        return 0;
    sb_http_api_config_t cfg = {.addr = o->http_listen,
                                .token = o->http_token,
                                .tls_cert = o->http_tls_cert,
                                .tls_key = o->http_tls_key};
    int rc = sb_http_api_bind(&s->http, &control->loop, &cfg, err, sizeof(err));
    if (rc < 0)
        sb_log(SB_LOG_ERROR, "http-failed", "reason=%s", sb_log_quote(q, sizeof(q), err, true));
    return rc;
}

static int start_http(server_t *s)
{
    char err[256], text[80], q[SB_LOG_QUOTE_MAX];
    if (s->http == NULL)
        return 0;
    int rc = sb_http_api_start(s->http, s->ctl, err, sizeof(err));
    if (rc < 0) {
        sb_log(SB_LOG_ERROR, "http-failed", "reason=%s", sb_log_quote(q, sizeof(q), err, true));
        return rc;
    }
    sb_listen_addr_format(sb_http_api_bound(s->http), text, sizeof(text));
    sb_log(SB_LOG_INFO, "http-listening", "address=%s tls=%s actions=%s token=%s", text,
           s->o->http_tls_cert != NULL ? "yes" : "no", s->o->http_token != NULL ? "on" : "off",
           s->o->http_token_from != NULL ? s->o->http_token_from : "none");
    return 0;
}

/* Metrics and the HTTP API, each when asked for: bound as root, right
 * after the DNS listeners; served once root is dropped. */
static int bind_http_listeners(server_t *s, sb_net_t *net, control_t *control)
{
    int rc = bind_metrics(s, net);
    return rc == 0 ? bind_http(s, control) : rc;
}

static int start_http_listeners(server_t *s)
{
    int rc = start_metrics(s);
    return rc == 0 ? start_http(s) : rc;
}

/* Everything that needed root is done: sockets bound, secrets and the state
 * file read. Give up root and every capability before any thread starts. */
static int drop_privileges(server_t *s)
{
    char why[256], q[SB_LOG_QUOTE_MAX];
    const sb_privileges_t *p = &s->privileges;
    int rc = sb_privileges_drop(p, why, sizeof(why));
    if (rc < 0) {
        sb_log(SB_LOG_ERROR, "start-failed", "reason=%s", sb_log_quote(q, sizeof(q), why, true));
        return rc;
    }
    sb_log(SB_LOG_INFO, "privileges-dropped", "user=%s uid=%u gid=%u capabilities=none",
           sb_log_quote(q, sizeof(q), p->user != NULL ? p->user : "(as started)", false),
           (unsigned)getuid(), (unsigned)getgid());
    if (getuid() == 0)
        sb_log(SB_LOG_WARNING, "running-as-root",
               "reason=\"--user root: uid 0 kept (without capabilities)\"");
    const char *unwritable = sb_state_unwritable(s->o->state_file, why, sizeof(why));
    if (unwritable != NULL)
        sb_log(SB_LOG_WARNING, "state-not-writable",
               "reason=%s action=\"overrides apply but will not be saved\"",
               sb_log_quote(q, sizeof(q), unwritable, true));
    return 0;
}

/* The probe worker, the overrides saved before a restart, and the
 * reloader, in that order; then the control socket serves them: ctl sees
 * the restored state. */
static int start_probing(server_t *s, control_t *control)
{
    sb_prober_t *prober = NULL;
    int rc = sb_prober_start(&prober, s->gen, &s->probe_cfg, NULL);
    if (rc < 0) {
        log_failure("prober-failed", rc);
        return rc;
    }
    uv_mutex_lock(&s->prober_lock);
    s->prober = prober;
    uv_mutex_unlock(&s->prober_lock);
    restore_overrides(s);
    rc = start_reloader(s, control);
    if (rc == 0) {
        sb_control_set_prober(s->ctl, s->prober);
        sb_control_set_reload(s->ctl, s->reload);
    }
    return rc;
}

/* On the probe worker's thread: this node's verdicts, to the fleet. */
static void tell_fleet(void *arg, char *text)
{
    server_t *s = arg;
    uv_mutex_lock(&s->fleet_lock);
    if (s->fleet_link != NULL)
        sb_fleet_talk_publish_health(s->fleet_link, text);
    else
        free(text);
    uv_mutex_unlock(&s->fleet_lock);
}

/* On a NATS thread: another node's verdicts, to the probe worker. A
 * message that does not read is dropped (and counted by the link). */
static void heard_from_fleet(void *arg, const char *from, const char *data, size_t len)
{
    server_t *s = arg;
    sb_verdicts_t m;
    if (sb_verdicts_decode(data, len, &m) < 0)
        return;
    if (strcmp(m.node, from) != 0) { /* a node speaks for itself only */
        sb_verdicts_free(&m);
        return;
    }
    uv_mutex_lock(&s->prober_lock);
    if (s->prober != NULL)
        sb_prober_peer_message(s->prober, &m);
    uv_mutex_unlock(&s->prober_lock);
    sb_verdicts_free(&m);
}

/* The fleet's link, from settings read at start (certificates and keys
 * too, while root could read them). Without it the server serves alone;
 * only with fleet-required is that fatal. NATS's library starts threads of
 * its own, so this comes after root is dropped. */
static int prepare_fleet(server_t *s, control_t *control)
{
    const sb_fleet_config_t *cfg = &s->o->fleet;
    if (!sb_fleet_config_enabled(cfg))
        return 0;
    char err[512];
    int rc = sb_fleet_sync_open(&s->fleet, &control->loop, cfg, s->o->state_file, err, sizeof(err));
    if (rc < 0) {
        char q[SB_LOG_QUOTE_MAX];
        sb_log(SB_LOG_ERROR, "fleet-failed", "reason=%s action=%s",
               sb_log_quote(q, sizeof(q), err, true), cfg->required ? "exit" : "serve-alone");
        s->fleet = NULL;
        return cfg->required ? rc : 0;
    }
    return 0;
}

/* Join the fleet: its overrides are applied before the first answer when
 * it answers in time. A fleet that cannot be reached is joined later, by
 * itself; only with fleet-required is it fatal. */
static int join_fleet(server_t *s)
{
    const sb_fleet_config_t *cfg = &s->o->fleet;
    char err[512], q[SB_LOG_QUOTE_MAX];
    if (s->fleet == NULL)
        return 0;
    sb_fleet_on_health(sb_fleet_sync_fleet(s->fleet), heard_from_fleet, s);
    int rc = sb_fleet_sync_start(s->fleet, err, sizeof(err));
    if (rc < 0) {
        sb_log(SB_LOG_ERROR, "fleet-failed", "reason=%s action=%s",
               sb_log_quote(q, sizeof(q), err, true), cfg->required ? "exit" : "serve-alone");
        sb_fleet_sync_close(s->fleet);
        s->fleet = NULL;
        return cfg->required ? rc : 0;
    }
    sb_fleet_sync_set_reload(s->fleet, s->reload);
    sb_fleet_sync_set_prober(s->fleet, s->prober);
    uv_mutex_lock(&s->fleet_lock);
    s->fleet_link = sb_fleet_sync_fleet(s->fleet);
    uv_mutex_unlock(&s->fleet_lock);
    sb_control_set_fleet(s->ctl, s->fleet);
    announce_digest(s);
    if (s->metrics != NULL &&
        sb_metrics_http_add_source(s->metrics, sb_fleet_metrics, sb_fleet_sync_fleet(s->fleet)) < 0)
        sb_log(SB_LOG_WARNING, "metrics-failed", "reason=\"out of memory: no fleet metrics\"");
    if (!sb_fleet_sync_catch_up(s->fleet, cfg->timeout_ms))
        sb_log(SB_LOG_WARNING, "fleet-not-synced",
               "action=\"answering with the overrides last saved; the fleet's apply when it "
               "answers\"");
    return 0;
}

/* Answer once the first round is in (bounded), so that the first answer
 * already reflects the endpoints' health. */
static int start_answering(server_t *s, sb_net_t *net)
{
    uint64_t t0 = uv_hrtime();
    uint32_t bound =
        sb_prober_first_round_bound(s->gen, s->probe_cfg.max_in_flight) + FIRST_ROUND_SLACK_MS;
    bool complete = sb_prober_wait_first_round(s->prober, bound);
    size_t states[3];
    sb_prober_count_states(s->prober, states);
    sb_log(complete ? SB_LOG_INFO : SB_LOG_WARNING, "first-round",
           "complete=%s elapsed_ms=%llu endpoints_up=%zu endpoints_down=%zu "
           "endpoints_checking=%zu",
           complete ? "yes" : "no", (unsigned long long)((uv_hrtime() - t0) / 1000000),
           states[SB_HEALTH_UP], states[SB_HEALTH_DOWN], states[SB_HEALTH_CHECKING]);
    int rc = sb_net_counters_track(net, s->gen);
    if (rc == 0) {
        atomic_store_explicit(&current_gen, s->gen, memory_order_release);
        rc = sb_net_start(net, &current_gen);
    }
    if (rc < 0) {
        log_failure("start-failed", rc);
        return rc;
    }
    log_listening(net, s->o->listen_count);
    sb_log(SB_LOG_INFO, "ready", "generation=%u", s->generation);
    if (sb_notify_enabled()) {
        status_text(s, "", s->status, sizeof(s->status));
        sb_notify_ready(s->status);
    }
    return 0;
}

/* The order matters: first nothing more from ctl reaches the probe worker,
 * then a reload in progress is abandoned (it may be reading from the
 * worker), and only then do metrics, DNS and probing stop. */
static void stop_serving(server_t *s, sb_net_t *net, control_t *control)
{
    sb_http_api_stop(s->http); /* its requests not yet answered get 503 */
    s->http = NULL;
    sb_control_close(s->ctl);
    sb_reload_t *reload = s->reload;
    s->reload = NULL; /* SIGHUP is ignored from here on */
    sb_reload_close(reload);
    sb_metrics_http_stop(s->metrics); /* its sources read `net`, the prober and the fleet */
    uv_mutex_lock(&s->fleet_lock);
    s->fleet_link = NULL; /* the probe worker's verdicts go nowhere now */
    uv_mutex_unlock(&s->fleet_lock);
    sb_fleet_sync_close(s->fleet); /* a write in flight is answered first */
    s->fleet = NULL;
    sb_net_stop(net, SHUTDOWN_DRAIN_MS);
    /* Gone for other threads before it stops: a fleet write still in
     * flight keeps the link, and its health messages, until the loop runs
     * again below. */
    uv_mutex_lock(&s->prober_lock);
    sb_prober_t *prober = s->prober;
    s->prober = NULL;
    uv_mutex_unlock(&s->prober_lock);
    sb_prober_stop(prober);
    control_close(control);
}

static int serve(sb_options_t *o, sb_gen_t *gen)
{
    server_t s = {.o = o, .gen = gen, .generation = 1};
    sb_net_t *net = NULL;
    control_t control;
    if (uv_mutex_init(&s.prober_lock) != 0 || uv_mutex_init(&s.fleet_lock) != 0 ||
        control_open(&control, &s) < 0) {
        sb_gen_free(gen);
        return -ENOMEM;
    }
    sb_log(SB_LOG_INFO, "starting",
           "version=%s zones=%zu profiles=%zu endpoints=%zu threads=%u cookie_secret=%s",
           SB_VERSION, sb_gen_zone_count(gen), sb_gen_profile_count(gen), endpoint_total(gen),
           o->threads, o->cookie_secret_from != NULL ? o->cookie_secret_from : "random");
    log_loaded(gen);
    raise_file_limit(o);
    s.probe_cfg.max_in_flight = o->probes_in_flight;
    s.probe_cfg.metrics_latency = o->metrics_latency;
    s.probe_cfg.resolvers = o->probe_resolvers_csv;
    s.probe_cfg.source_v4 = o->probe_source[0].family != 0 ? &o->probe_source[0] : NULL;
    s.probe_cfg.source_v6 = o->probe_source[1].family != 0 ? &o->probe_source[1] : NULL;
    if (sb_fleet_config_enabled(&o->fleet)) {
        s.probe_cfg.fleet_node = o->fleet.node;
        s.probe_cfg.tell = tell_fleet;
        s.probe_cfg.tell_arg = &s;
    }
    s.privileges = (sb_privileges_t){o->user, o->run_uid, o->run_gid, o->group != NULL};
    int rc = bind_listeners(o, &net);
    s.net = net;
    if (rc == 0)
        rc = bind_http_listeners(&s, net, &control);
    if (rc == 0)
        rc = open_control(&s, &control);
    if (rc == 0) {
        if (sb_privileges_changes_user(&s.privileges))
            sb_state_prepare_dir(o->state_file, o->run_uid, o->run_gid);
        read_state(&s);
        rc = drop_privileges(&s);
    }
    if (rc == 0)
        rc = start_http_listeners(&s);
    if (rc == 0)
        rc = start_probing(&s, &control);
    if (rc == 0)
        rc = prepare_fleet(&s, &control);
    if (rc == 0)
        rc = join_fleet(&s);
    if (rc == 0)
        rc = start_answering(&s, net);
    if (rc == 0)
        run_control(&control);
    stop_serving(&s, net, &control);
    free(s.state_text);
    sb_gen_free(s.gen);
    uv_mutex_destroy(&s.prober_lock);
    uv_mutex_destroy(&s.fleet_lock);
    if (rc == 0)
        sb_log(SB_LOG_INFO, "stopped", NULL);
    return rc;
}

/* A probe source this host does not have would fail every probe, each
 * with a puzzling reason: say so once, at start. */
static int check_probe_sources(const sb_options_t *o)
{
    for (int i = 0; i < 2; i++) {
        const sb_addr_t *a = &o->probe_source[i];
        if (a->family == 0)
            continue;
        struct sockaddr_storage ss;
        sb_addr_sockaddr(a, 0, &ss);
        int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        socklen_t len = a->family == 6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        int rc = fd < 0 || bind(fd, (const struct sockaddr *)&ss, len) != 0 ? -errno : 0;
        if (fd >= 0)
            close(fd);
        if (rc < 0) {
            char text[SB_ADDR_TEXT_MAX];
            sb_addr_format(a, text, sizeof(text));
            sb_log(SB_LOG_ERROR, "start-failed", "reason=\"probe-source %s: %s\" action=exit", text,
                   strerror(-rc));
            return rc;
        }
    }
    return 0;
}

/* Root must say which user to become; only root can become another. */
static int check_privileges(const sb_options_t *o)
{
    sb_privileges_t p = {o->user, o->run_uid, o->run_gid, o->group != NULL};
    char why[256], q[SB_LOG_QUOTE_MAX];
    int rc = sb_privileges_check(&p, why, sizeof(why));
    if (rc < 0)
        sb_log(SB_LOG_ERROR, "start-failed", "reason=%s action=exit",
               sb_log_quote(q, sizeof(q), why, true));
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    sb_options_t o;
    sb_gen_t *gen = NULL;
    sb_diag_t *diag;
    int rc = sb_cli_load(argc, argv, &o, &gen, &diag);
    if (rc == 0) {
        sb_log_set_level(o.log_level);
        if (o.log_syslog)
            sb_log_use_syslog("switchboard");
        log_warnings(diag);
        sb_diag_free(diag);
        diag = NULL;
        rc = check_privileges(&o);
        if (rc == 0)
            rc = check_probe_sources(&o);
        if (rc == 0)
            rc = serve(&o, gen); /* takes the generation */
        else
            sb_gen_free(gen);
    } else {
        sb_log(SB_LOG_ERROR, "config-error",
               "action=exit reason=\"the configuration has "
               "errors; nothing was served\"");
        sb_gen_free(gen);
    }
    sb_diag_free(diag);
    sb_options_free(&o);
    return rc == 0 ? 0 : 1;
}

/* Fix glibc's malloc thresholds. By default they are dynamic: freeing a
 * block above the mmap threshold (a reload frees a whole generation, and
 * loading frees large scratch) raises both the mmap threshold (up to 32 MiB)
 * and the trim threshold to twice it, so the next generation's large
 * blocks come from the heap and what is freed stays in it: RSS grew with
 * every reload (51 to 78 MiB over 5 reloads of 20,000 endpoints). Set
 * explicitly, they no longer move: blocks of 128 KiB and more are mapped
 * and unmapped on free, and the heap's top is given back above 128 KiB. */
static void heap_settings(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    (void)mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

int main(int argc, char **argv)
{
    heap_settings(); /* before anything is allocated */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        sb_cli_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2 && strcmp(argv[2], "ctl") == 0)
            return sb_ctl_help(argc > 3 ? argv[3] : NULL);
        if (argc > 2)
            return sb_cli_help(argv[2]);
        sb_cli_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0)
        cmd = "version";
    if (!sb_cli_is_command(cmd))
        return sb_cli_unknown(cmd);
    if (strcmp(cmd, "ctl") == 0)
        return sb_ctl_main(argc - 2, argv + 2);
    if (sb_cli_wants_help(argc - 2, argv + 2))
        return sb_cli_help(cmd);
    if (strcmp(cmd, "version") == 0) {
        printf("switchboard %s\n", SB_VERSION);
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        fprintf(stderr, "switchboard: cannot initialise libcurl or c-ares\n");
        return 1;
    }
    sb_log_detect_journal(); /* under systemd: "<N>" priorities on every line */
    int status = strcmp(cmd, "serve") == 0 ? cmd_serve(argc - 2, argv + 2)
                                           : sb_cli_check(argc - 2, argv + 2);
    ares_library_cleanup();
    curl_global_cleanup();
    return status;
}
