#include "sb_ctl.h"

#include "sb_request.h"
#include "sb_value.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define EXIT_REFUSED   1
#define EXIT_USAGE     2
#define EXIT_NOT_SAVED 3 /* in force, but the state file could not be written */

typedef struct {
    const char *socket;
    bool json;
    bool local;
    const char *for_text;
    char *words[4];
    int nwords;
} ctl_args_t;

static void ctl_usage(FILE *out)
{
    fprintf(out,
            "usage: switchboard ctl [--socket PATH] [--json] COMMAND [ARGS]\n"
            "\n"
            "  status                          every profile and endpoint, and who answers\n"
            "  drain PROFILE ENDPOINT          never answer ENDPOINT (it is still probed)\n"
            "  undrain PROFILE ENDPOINT\n"
            "  force PROFILE ENDPOINT up|down [--for DURATION]\n"
            "                                  treat ENDPOINT as up or down, whatever its probes\n"
            "  unforce PROFILE ENDPOINT\n"
            "  switchover PROFILE ENDPOINT [--for DURATION]\n"
            "                                  answer ENDPOINT first, even while the primary is\n"
            "                                  healthy (a DR drill or a planned move)\n"
            "  failback PROFILE                undo a switchover\n"
            "  reload                          re-read the configuration (as SIGHUP)\n"
            "\n"
            "With --for (30m, 2h; from 1s to 8760h), a force or a switchover ends by\n"
            "itself, as unforce or failback would.\n"
            "\n"
            "In a fleet, an override is stored in the fleet and every nameserver applies\n"
            "it. --local applies it to this nameserver only, and only while the fleet\n"
            "cannot be reached (an emergency; the fleet's state wins when it returns).\n"
            "\n"
            "The socket defaults to " SB_REQUEST_DEFAULT_SOCKET ".\n");
}

static int parse_args(int argc, char **argv, ctl_args_t *a)
{
    a->socket = SB_REQUEST_DEFAULT_SOCKET;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--json") == 0) {
            a->json = true;
        } else if (strcmp(s, "--local") == 0) {
            a->local = true;
        } else if ((strcmp(s, "--socket") == 0 || strcmp(s, "--for") == 0) && i + 1 < argc) {
            *(strcmp(s, "--socket") == 0 ? &a->socket : &a->for_text) = argv[++i];
        } else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            ctl_usage(stdout);
            exit(0);
        } else if (s[0] == '-' && s[1] == '-') {
            fprintf(stderr, "switchboard ctl: unknown or incomplete option '%s'\n", s);
            return -EINVAL;
        } else if (a->nwords < 4) {
            a->words[a->nwords++] = argv[i];
        } else {
            fprintf(stderr, "switchboard ctl: too many arguments\n");
            return -EINVAL;
        }
    }
    return a->nwords > 0 ? 0 : -EINVAL;
}

/* `--for DURATION` as the request's for_seconds: a whole number of seconds
 * (rounded up) in the range the server accepts, for an override that may
 * end by itself. 0 after printing why not. */
static json_int_t for_seconds(const sb_request_command_t *cmd, const char *text)
{
    uint64_t ms;
    char why[SB_WHY_MAX];
    if (cmd->kind != SB_REQUEST_OVERRIDE || !sb_override_timed(cmd->op)) {
        snprintf(why, sizeof(why), "only force and switchover take --for");
    } else if (sb_value_duration_ms(text, &ms, why) == 0) {
        if (ms >= 1000 && ms <= (uint64_t)SB_REQUEST_FOR_MAX_SECONDS * 1000)
            return (json_int_t)((ms + 999) / 1000);
        snprintf(why, sizeof(why), "must be from 1s to %dh (leave --for out for a %s without end)",
                 SB_REQUEST_FOR_MAX_SECONDS / 3600, cmd->name);
    }
    fprintf(stderr, "switchboard ctl: --for %s: %s\n", text, why);
    return 0;
}

/* The request for the command line; NULL after printing why not. */
static json_t *build_request(const ctl_args_t *a)
{
    static const char *const keys[3] = {"profile", "endpoint", "state"};
    const char *name = a->words[0];
    const sb_request_command_t *cmd = sb_request_command(name);
    if (cmd == NULL) {
        fprintf(stderr, "switchboard ctl: unknown command '%s' (see --help)\n", name);
        return NULL;
    }
    if (a->nwords - 1 != cmd->words) {
        fprintf(stderr, "switchboard ctl: %s takes %d argument%s (see --help)\n", name, cmd->words,
                cmd->words == 1 ? "" : "s");
        return NULL;
    }
    json_t *req = json_pack("{s:s}", "command", name);
    for (int i = 0; req != NULL && i < cmd->words; i++)
        json_object_set_new(req, keys[i], json_string(a->words[i + 1]));
    if (req != NULL && a->for_text != NULL) {
        json_int_t seconds = for_seconds(cmd, a->for_text);
        if (seconds == 0) {
            json_decref(req);
            return NULL;
        }
        json_object_set_new(req, "for_seconds", json_integer(seconds));
    }
    if (req != NULL && a->local) {
        if (cmd->kind != SB_REQUEST_OVERRIDE) {
            fprintf(stderr, "switchboard ctl: only overrides take --local\n");
            json_decref(req);
            return NULL;
        }
        json_object_set_new(req, "local", json_true());
    }
    return req;
}

/* Write all of `data`; 0 or the errno of the write that failed. */
static int write_all(int fd, const char *data, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EPIPE;
        done += (size_t)n;
    }
    return 0;
}

/* Everything the server sends until it closes, NUL-terminated; NULL when
 * out of memory. `*got` is its length. */
static char *read_all(int fd, size_t *got)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    *got = 0;
    while (buf != NULL) {
        if (*got + 1 == cap) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL)
                free(buf);
            buf = grown;
            cap *= 2;
            continue;
        }
        ssize_t n = read(fd, buf + *got, cap - 1 - *got);
        if (n <= 0)
            break;
        *got += (size_t)n;
    }
    if (buf != NULL)
        buf[*got] = '\0';
    return buf;
}

/* Send the request, read the one-line reply. */
static char *exchange(const char *path, const char *request)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "switchboard ctl: cannot connect to %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    /* A server that refuses the connection (too many at once) answers
     * before reading and closes, so the write may fail: its reply is still
     * there to read. */
    int write_error = write_all(fd, request, strlen(request));
    size_t got;
    char *reply = read_all(fd, &got);
    close(fd);
    if (reply != NULL && got == 0 && write_error != 0) {
        fprintf(stderr, "switchboard ctl: writing to %s: %s\n", path, strerror(write_error));
        free(reply);
        return NULL;
    }
    return reply;
}

/* ---- text output ---------------------------------------------------------- */

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "-";
}

/* " (every endpoint down: failing open)" and the like, for a status. */
static const char *down_note(const char *status)
{
    if (strcmp(status, "fail-open") == 0)
        return " (every endpoint down: failing open)";
    if (strcmp(status, "fail-closed") == 0)
        return " (every endpoint down: answering NODATA)";
    if (strcmp(status, "fallback") == 0)
        return " (every endpoint down: the fallback answers)";
    return "";
}

static void print_answering(json_t *profile)
{
    json_t *a = json_object_get(profile, "answering");
    printf("  method: %s, all down: %s\n", str(profile, "method"), str(profile, "all_down"));
    if (strcmp(str(profile, "kind"), "names") == 0) {
        printf("  answering: %s%s\n", str(a, "endpoint"), down_note(str(a, "status")));
        return;
    }
    printf("  answering: ipv4 %s%s, ipv6 %s%s\n", str(a, "ipv4"), down_note(str(a, "ipv4_status")),
           str(a, "ipv6"), down_note(str(a, "ipv6_status")));
}

/* The routing method's view of an endpoint: its weight and share, the
 * profile it leads to, whether it answers anyone now. */
static void print_routing(json_t *e)
{
    json_t *w = json_object_get(e, "weight");
    if (json_is_integer(w))
        printf("  [weight %lld, %.1f%% of answers now]", (long long)json_integer_value(w),
               json_number_value(json_object_get(e, "share_percent")));
    if (json_is_string(json_object_get(e, "nested")))
        printf("  [nested: %s, needs %lld usable]", str(e, "nested"),
               (long long)json_integer_value(json_object_get(e, "min_usable")));
    json_t *nets = json_object_get(e, "subnets");
    if (json_array_size(nets) > 0)
        printf("  [subnets %s%s]", json_string_value(json_array_get(nets, 0)),
               json_array_size(nets) > 1 ? ",..." : "");
    json_t *places = json_object_get(e, "regions");
    if (json_array_size(places) > 0)
        printf("  [regions %s%s]", json_string_value(json_array_get(places, 0)),
               json_array_size(places) > 1 ? ",..." : "");
    if (json_is_true(json_object_get(e, "default")))
        printf("  [default]");
}

/* " until TIME" for an override with an end (`key` a time or null). */
static void print_until(json_t *o, const char *key)
{
    if (json_is_string(json_object_get(o, key)))
        printf(" until %s", str(o, key));
}

static void print_endpoint(json_t *e)
{
    char latency[32] = "-";
    json_t *l = json_object_get(e, "latency_ms");
    if (json_is_integer(l))
        snprintf(latency, sizeof(latency), "%lld ms", (long long)json_integer_value(l));
    char prio[16] = "-";
    if (json_is_integer(json_object_get(e, "priority")))
        snprintf(prio, sizeof(prio), "%lld",
                 (long long)json_integer_value(json_object_get(e, "priority")));
    printf("  %-12s %-9s %-6s prio %-3s %-34s since %s  latency %s", str(e, "name"),
           str(e, "state"), str(e, "monitor"), prio, str(e, "reason"), str(e, "since"), latency);
    json_int_t queued = json_integer_value(json_object_get(e, "queued_ms"));
    if (queued > 0)
        printf(" (after %lld ms waiting for a probe slot)", (long long)queued);
    if (json_is_true(json_object_get(e, "drained")))
        printf("  [drained by %s]", str(e, "drained_by"));
    if (json_is_string(json_object_get(e, "forced"))) {
        printf("  [forced %s by %s", str(e, "forced"), str(e, "forced_by"));
        print_until(e, "forced_until");
        printf("]");
    }
    if (json_is_true(json_object_get(e, "held")))
        printf("  [held down: flapping]");
    print_routing(e);
    printf("\n");
}

/* The fleet: this node's link, the other nodes, local-only overrides. */
static void print_fleet(json_t *fleet)
{
    size_t i;
    json_t *n, *key;
    if (fleet == NULL)
        return;
    printf("fleet %s: node %s, %s", str(fleet, "fleet"), str(fleet, "node"),
           json_is_true(json_object_get(fleet, "connected")) ? "connected to " : "NOT CONNECTED");
    if (json_is_true(json_object_get(fleet, "connected")))
        printf("%s%s", str(fleet, "server"),
               json_is_true(json_object_get(fleet, "synced")) ? "" : " (not synced yet)");
    if (json_is_string(json_object_get(fleet, "last_error")))
        printf(" (last error: %s)", str(fleet, "last_error"));
    printf("\n");
    json_array_foreach(json_object_get(fleet, "nodes"), i, n)
    {
        printf("  node %s: %s, heard %lld ms ago%s\n", str(n, "node"),
               json_is_true(json_object_get(n, "reachable")) ? "reachable" : "UNREACHABLE",
               (long long)json_integer_value(json_object_get(n, "heard_ms_ago")),
               json_is_true(json_object_get(n, "config_differs")) ? ", CONFIGURATION DIFFERS" : "");
    }
    json_array_foreach(json_object_get(fleet, "local_only"), i, key)
    {
        printf("  local only: %s\n", json_string_value(key));
    }
}

static void print_status(json_t *status)
{
    size_t i, k;
    json_t *p, *e, *z;
    json_array_foreach(json_object_get(status, "zones"), i, z)
    {
        printf("zone %s (%s): %lld names, %lld profiles\n", str(z, "name"), str(z, "file"),
               (long long)json_integer_value(json_object_get(z, "names")),
               (long long)json_integer_value(json_object_get(z, "profiles")));
    }
    json_t *probes = json_object_get(status, "probes");
    printf("probes: %lld in flight (at most %lld), %lld waiting for a slot",
           (long long)json_integer_value(json_object_get(probes, "in_flight")),
           (long long)json_integer_value(json_object_get(probes, "max_in_flight")),
           (long long)json_integer_value(json_object_get(probes, "waiting")));
    if (json_integer_value(json_object_get(probes, "waiting")) > 0)
        printf(", the oldest for %lld ms",
               (long long)json_integer_value(json_object_get(probes, "oldest_wait_ms")));
    printf("\n");
    print_fleet(json_object_get(status, "fleet"));
    printf("\n");
    json_array_foreach(json_object_get(status, "profiles"), i, p)
    {
        printf("%s%s (zone %s, %s endpoints, ttl %lld)\n", i ? "\n" : "", str(p, "name"),
               str(p, "zone"), str(p, "kind")[0] == 'n' ? "name" : "address",
               (long long)json_integer_value(json_object_get(p, "ttl")));
        print_answering(p);
        if (json_is_string(json_object_get(p, "switchover"))) {
            printf("  switchover: %s (by %s", str(p, "switchover"), str(p, "switchover_by"));
            print_until(p, "switchover_until");
            printf(")\n");
        }
        json_array_foreach(json_object_get(p, "endpoints"), k, e) print_endpoint(e);
    }
}

static int print_reply(const ctl_args_t *a, const char *text)
{
    json_error_t jerr;
    json_t *r = json_loads(text, JSON_DISABLE_EOF_CHECK, &jerr);
    if (r == NULL) {
        fprintf(stderr, "switchboard ctl: unreadable reply: %s\n", jerr.text);
        return EXIT_USAGE;
    }
    bool ok = json_is_true(json_object_get(r, "ok"));
    if (a->json) {
        char *out = json_dumps(r, JSON_INDENT(2));
        printf("%s\n", out != NULL ? out : "{}");
        free(out);
    } else if (!ok) {
        fprintf(stderr, "switchboard ctl: %s\n", str(r, "error"));
    } else if (json_object_get(r, "status") != NULL) {
        print_status(json_object_get(r, "status"));
    } else {
        printf("%s: %s\n", a->words[0], str(r, "message"));
    }
    /* The override applies, but a restart would lose it: that is not the
     * success a script may take for granted. */
    bool unsaved = ok && json_is_false(json_object_get(r, "saved"));
    if (unsaved)
        fprintf(stderr,
                "switchboard ctl: the override is in force, but was not saved and will not "
                "survive a restart: %s\n",
                str(r, "warning"));
    json_decref(r);
    return !ok ? EXIT_REFUSED : unsaved ? EXIT_NOT_SAVED : 0;
}

int sb_ctl_main(int argc, char **argv)
{
    ctl_args_t a = {0};
    if (parse_args(argc, argv, &a) < 0) {
        ctl_usage(stderr);
        return EXIT_USAGE;
    }
    json_t *req = build_request(&a);
    if (req == NULL)
        return EXIT_USAGE;
    char *line = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    size_t n = line != NULL ? strlen(line) : 0;
    char *framed = line != NULL ? realloc(line, n + 2) : NULL;
    if (framed == NULL) {
        free(line);
        return EXIT_USAGE;
    }
    memcpy(framed + n, "\n", 2);
    char *reply = exchange(a.socket, framed);
    free(framed);
    if (reply == NULL)
        return EXIT_USAGE;
    int rc = print_reply(&a, reply);
    free(reply);
    return rc;
}
