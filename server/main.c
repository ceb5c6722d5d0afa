/*
 * switchboard — the command-line entry point: `serve`, `check`, `version`.
 *
 * `serve` loads and checks every zone, binds the listeners, runs the first
 * round of probes, and only then starts answering, so that the first answer
 * is already right. SIGTERM and SIGINT stop it gracefully.
 */
#include "sb_control.h"
#include "sb_ctl.h"
#include "sb_error.h"
#include "sb_gen.h"
#include "sb_log.h"
#include "sb_net.h"
#include "sb_options.h"
#include "sb_prober.h"
#include "sb_state.h"

#include <ares.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

/* Extra time allowed for the first round beyond the largest probe timeout:
 * resolution and scheduling. */
#define FIRST_ROUND_SLACK_MS 1000
#define SHUTDOWN_DRAIN_MS    1000

static const sb_gen_t *_Atomic current_gen;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: switchboard COMMAND [OPTIONS]\n"
            "\n"
            "Commands:\n"
            "  serve     answer DNS queries for the zones (runs in the foreground)\n"
            "  check     validate the configuration: prints 'configuration OK' or every error\n"
            "  ctl       control a running server (switchboard ctl --help)\n"
            "  version   print the version\n"
            "\n"
            "Options:\n");
    sb_options_usage(out);
    fprintf(out, "\nThe zone file format is described in docs/zone-format.md.\n");
}

/* Parse options and load every zone; prints every problem on stderr. */
static int load_config(int argc, char **argv, sb_options_t *o, sb_gen_t **gen)
{
    sb_diag_t *diag = sb_diag_new();
    if (diag == NULL)
        return -ENOMEM;
    sb_options_init(o);
    int rc = sb_options_parse(o, argc, argv, diag);
    if (rc == 0)
        rc = sb_gen_load(gen, o->zones_dir, diag);
    if (sb_diag_count(diag) > 0) {
        sb_diag_print(diag, stderr);
        fprintf(stderr, "%zu error%s in the configuration\n", sb_diag_count(diag),
                sb_diag_count(diag) == 1 ? "" : "s");
    } else if (rc < 0) {
        fprintf(stderr, "switchboard: %s\n", sb_strerror(rc));
    }
    sb_diag_free(diag);
    return rc;
}

static size_t endpoint_total(const sb_gen_t *gen)
{
    size_t n = 0;
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++)
        n += sb_gen_profile(gen, i)->count;
    return n;
}

static int cmd_check(int argc, char **argv)
{
    sb_options_t o;
    sb_gen_t *gen = NULL;
    int rc = load_config(argc, argv, &o, &gen);
    if (rc == 0) {
        printf("configuration OK\n");
        printf("zones: %zu, profiles: %zu, endpoints: %zu\n", sb_gen_zone_count(gen),
               sb_gen_profile_count(gen), endpoint_total(gen));
    }
    sb_gen_free(gen);
    sb_options_free(&o);
    return rc == 0 ? 0 : 1;
}

/* ---- serve --------------------------------------------------------------- */

static void on_signal(uv_signal_t *s, int signum)
{
    if (signum == SIGHUP) {
        sb_log(SB_LOG_WARNING, "signal",
               "signal=SIGHUP action=ignored reason=\"live reload is "
               "not available in this version; restart to reload\"");
        return;
    }
    sb_log(SB_LOG_INFO, "stopping", "signal=%s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    uv_stop(s->loop);
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
        .answer =
            {
                .udp_max = o->udp_max,
                .nsid = (const uint8_t *)o->nsid,
                .nsid_len = (uint8_t)(o->nsid != NULL ? strlen(o->nsid) : 0),
                .version_string = o->version_string,
                .identity = o->identity,
                .cookie_key = o->cookie_key,
            },
    };
    if (!o->cookie_secret_set && sb_cookie_key_random(&cfg.answer.cookie_key) < 0) {
        sb_log(SB_LOG_ERROR, "listen-failed", "reason=\"no randomness for the DNS Cookie secret\"");
        return -EIO;
    }
    char err[256];
    int rc = sb_net_bind(net, &cfg, err, sizeof(err));
    if (rc < 0 && o->listen_is_default && (rc == -EAFNOSUPPORT || rc == -EADDRNOTAVAIL)) {
        sb_log(SB_LOG_WARNING, "listen", "address=[::]:53 reason=\"%s\" action=ipv4-only", err);
        cfg.addr_count = 1;
        rc = sb_net_bind(net, &cfg, err, sizeof(err));
    }
    if (rc < 0)
        sb_log(SB_LOG_ERROR, "listen-failed", "reason=\"%s\"", err);
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
} control_t;

static int control_open(control_t *c)
{
    static const int nums[3] = {SIGINT, SIGTERM, SIGHUP};
    if (uv_loop_init(&c->loop) < 0)
        return -ENOMEM;
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&c->loop, &c->sigs[i]);
        uv_signal_start(&c->sigs[i], on_signal, nums[i]);
    }
    return 0;
}

static void control_close(control_t *c)
{
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

/* Overrides set before a restart apply before the first answer. */
static void restore_overrides(const sb_options_t *o, sb_prober_t *prober)
{
    char err[512];
    int n = sb_state_load(o->state_file, prober, err, sizeof(err));
    if (n >= 0)
        sb_log(SB_LOG_INFO, "state-restored", "file=%s overrides=%d", o->state_file, n);
    else if (n != -ENOENT)
        sb_log(SB_LOG_ERROR, "state-unreadable",
               "reason=\"%s\" action=\"starting without saved overrides\"", err);
}

static int open_control(const sb_options_t *o, control_t *control, sb_prober_t *prober,
                        sb_control_t **ctl)
{
    sb_control_config_t cfg = {
        .path = o->control_socket,
        .mode = o->control_mode,
        .prober = prober,
        .state_file = o->state_file,
    };
    char err[512];
    int rc = sb_control_open(ctl, &control->loop, &cfg, err, sizeof(err));
    if (rc < 0)
        sb_log(SB_LOG_ERROR, "control-failed",
               "reason=\"%s\" hint=\"--control-socket names another path\"", err);
    else
        sb_log(SB_LOG_INFO, "control-listening", "socket=%s", o->control_socket);
    return rc;
}

static int serve(sb_options_t *o, sb_gen_t *gen)
{
    sb_net_t *net = NULL;
    sb_prober_t *prober = NULL;
    control_t control;
    if (control_open(&control) < 0)
        return -ENOMEM;
    sb_log(SB_LOG_INFO, "starting", "version=%s zones=%zu profiles=%zu endpoints=%zu threads=%u",
           SB_VERSION, sb_gen_zone_count(gen), sb_gen_profile_count(gen), endpoint_total(gen),
           o->threads);
    raise_file_limit(o);
    sb_prober_config_t probe_cfg = {.max_in_flight = o->probes_in_flight};
    sb_control_t *ctl = NULL;
    int rc = bind_listeners(o, &net);
    if (rc == 0 && (rc = sb_prober_start(&prober, gen, &probe_cfg)) < 0)
        sb_log(SB_LOG_ERROR, "prober-failed", "reason=\"%s\"", sb_strerror(rc));
    if (rc == 0) {
        restore_overrides(o, prober);
        rc = open_control(o, &control, prober, &ctl);
    }
    if (rc == 0) {
        uint64_t t0 = uv_hrtime();
        uint32_t bound =
            sb_prober_first_round_bound(gen, probe_cfg.max_in_flight) + FIRST_ROUND_SLACK_MS;
        bool complete = sb_prober_wait_first_round(prober, bound);
        sb_log(complete ? SB_LOG_INFO : SB_LOG_WARNING, "first-round",
               "complete=%s elapsed_ms=%llu", complete ? "yes" : "no",
               (unsigned long long)((uv_hrtime() - t0) / 1000000));
        atomic_store_explicit(&current_gen, gen, memory_order_release);
        if ((rc = sb_net_start(net, &current_gen)) < 0)
            sb_log(SB_LOG_ERROR, "start-failed", "reason=\"%s\"", sb_strerror(rc));
    }
    if (rc == 0) {
        log_listening(net, o->listen_count);
        sb_log(SB_LOG_INFO, "ready", NULL);
        uv_run(&control.loop, UV_RUN_DEFAULT);
    }
    sb_control_close(ctl);
    sb_net_stop(net, SHUTDOWN_DRAIN_MS);
    sb_prober_stop(prober);
    control_close(&control);
    if (rc == 0)
        sb_log(SB_LOG_INFO, "stopped", NULL);
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    sb_options_t o;
    sb_gen_t *gen = NULL;
    int rc = load_config(argc, argv, &o, &gen);
    if (rc == 0) {
        sb_log_set_level(o.log_level);
        rc = serve(&o, gen);
    } else {
        sb_log(SB_LOG_ERROR, "config-error",
               "action=exit reason=\"the configuration has "
               "errors; nothing was served\"");
    }
    sb_gen_free(gen);
    sb_options_free(&o);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("switchboard %s\n", SB_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "ctl") == 0)
        return sb_ctl_main(argc - 2, argv + 2);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        fprintf(stderr, "switchboard: cannot initialise libcurl or c-ares\n");
        return 1;
    }
    int status;
    if (strcmp(cmd, "serve") == 0)
        status = cmd_serve(argc - 2, argv + 2);
    else if (strcmp(cmd, "check") == 0)
        status = cmd_check(argc - 2, argv + 2);
    else {
        fprintf(stderr, "switchboard: unknown command '%s'\n\n", cmd);
        usage(stderr);
        status = 2;
    }
    ares_library_cleanup();
    curl_global_cleanup();
    return status;
}
