#include "sb_ctl.h"

#include "sb_request.h"
#include "sb_suggest.h"
#include "sb_value.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define EXIT_REFUSED   1
#define EXIT_USAGE     2
#define EXIT_NOT_SAVED 3 /* in force, but the state file could not be written */
#define EXIT_MOVED     4 /* reload --fail-if-moved: an answer moved */

typedef struct {
    const char *socket;
    bool json;
    bool local;
    bool help;          /* --help or -h: the command's help, whatever else is there */
    bool fail_if_moved; /* reload: exit EXIT_MOVED when an answer moved */
    bool down;          /* status: only the profiles in trouble */
    const char *for_text;
    const char *limit_text, *offset_text; /* status: a page */
    char **words;                         /* the command and its arguments */
    int nwords;
} ctl_args_t;

/* One line of the list of commands: "  drain PROFILE ENDPOINT   summary". */
static void command_line(FILE *out, const char *name, const char *args, const char *summary)
{
    char left[64];
    snprintf(left, sizeof(left), "%s%s%s", name, args[0] ? " " : "", args);
    if (strlen(left) <= 30)
        fprintf(out, "  %-32s%s\n", left, summary);
    else
        fprintf(out, "  %s\n  %-32s%s\n", left, "", summary);
}

static void ctl_usage(FILE *out)
{
    size_t n;
    const sb_request_command_t *cmds = sb_request_commands(&n);
    fprintf(out, "usage: switchboard ctl [OPTIONS] COMMAND [ARGS]\n"
                 "       switchboard ctl help [COMMAND]\n\nCommands:\n");
    for (size_t i = 0; i < n; i++)
        command_line(out, cmds[i].name, cmds[i].args, cmds[i].summary);
    command_line(out, "help", "[COMMAND]", "list the commands, or say more of one");
    fprintf(out, "\nOptions:\n"
                 "  --socket PATH     the server's control socket (default\n"
                 "                    " SB_REQUEST_DEFAULT_SOCKET ")\n"
                 "  --json            print the server's reply as JSON, for scripts\n"
                 "  --for DURATION    force, switchover: end by itself after DURATION (30m,\n"
                 "                    2h; from 1s to 8760h), as unforce or failback would\n"
                 "  --local           an override, in a fleet: apply it to this nameserver\n"
                 "                    only, and only while the fleet cannot be reached (an\n"
                 "                    emergency; the fleet's state wins when it returns)\n"
                 "  --fail-if-moved   reload: exit 4 when a profile's answer moved\n"
                 "  --down            status: only profiles with an endpoint down, not yet\n"
                 "                    probed or held down, or answering without a usable\n"
                 "                    endpoint (failing open or closed, a fallback)\n"
                 "  --limit N         status: at most N profiles (of those matching)\n"
                 "  --offset N        status: skip the first N profiles matching\n"
                 "  -h, --help        this list; after a COMMAND, its help\n"
                 "\n"
                 "PROFILE is a profile's name (www.example.com), or the start of it (www)\n"
                 "when only one profile starts so; ENDPOINT is an endpoint's name, or a\n"
                 "whole word of it (east for us-east) when only one endpoint has it.\n"
                 "\n"
                 "Exit status: 0 done (or nothing to change), 1 refused by the server, 2 a\n"
                 "usage error or no server on the socket, 3 an override in force but not\n"
                 "saved (it will not survive a restart), 4 reload moved an answer\n"
                 "(--fail-if-moved).\n");
}

/* "unknown command 'stauts'; did you mean status?" on standard error. */
static int unknown_command(const char *name)
{
    size_t n;
    const sb_request_command_t *cmds = sb_request_commands(&n);
    sb_suggest_t s;
    char hint[256];
    sb_suggest_init(&s, name);
    for (size_t i = 0; i < n; i++)
        sb_suggest_consider(&s, cmds[i].name, strlen(cmds[i].name), cmds[i].name);
    sb_suggest_consider(&s, "help", 4, "help");
    fprintf(stderr, "switchboard ctl: unknown command '%s'%s (see switchboard ctl help)\n", name,
            sb_suggest_text(&s, "", hint, sizeof(hint)));
    return EXIT_USAGE;
}

int sb_ctl_help(const char *command)
{
    if (command == NULL) {
        ctl_usage(stdout);
        return 0;
    }
    if (strcmp(command, "help") == 0) {
        printf("usage: switchboard ctl help [COMMAND]\n\n"
               "Lists the commands and the options, or says how COMMAND is used (as\n"
               "'switchboard ctl COMMAND --help' does).\n");
        return 0;
    }
    const sb_request_command_t *cmd = sb_request_command(command);
    if (cmd == NULL)
        return unknown_command(command);
    printf("usage: switchboard ctl [OPTIONS] %s%s%s\n\n%s: %s.\n\n%s", cmd->name,
           cmd->args[0] ? " " : "", cmd->args, cmd->name, cmd->summary, cmd->help);
    return 0;
}

/* One option at argv[*i] into `a`; false for one that is unknown or lacks
 * its value. */
static bool parse_option(int argc, char **argv, int *i, ctl_args_t *a)
{
    const char *s = argv[*i];
    if (strcmp(s, "--json") == 0)
        a->json = true;
    else if (strcmp(s, "--local") == 0)
        a->local = true;
    else if (strcmp(s, "--fail-if-moved") == 0)
        a->fail_if_moved = true;
    else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)
        a->help = true;
    else if (strcmp(s, "--down") == 0)
        a->down = true;
    else if (strcmp(s, "--socket") == 0 && *i + 1 < argc)
        a->socket = argv[++*i];
    else if (strcmp(s, "--for") == 0 && *i + 1 < argc)
        a->for_text = argv[++*i];
    else if (strcmp(s, "--limit") == 0 && *i + 1 < argc)
        a->limit_text = argv[++*i];
    else if (strcmp(s, "--offset") == 0 && *i + 1 < argc)
        a->offset_text = argv[++*i];
    else
        return false;
    return true;
}

/* Returns 0, -EINVAL after saying why (every argument is read all the
 * same, so that --help anywhere is seen), or -ENOMEM. */
static int parse_args(int argc, char **argv, ctl_args_t *a)
{
    int rc = 0;
    a->socket = SB_REQUEST_DEFAULT_SOCKET;
    if ((a->words = calloc((size_t)argc + 1, sizeof(*a->words))) == NULL)
        return -ENOMEM;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] != '-' || s[1] == '\0') {
            a->words[a->nwords++] = argv[i];
        } else if (!parse_option(argc, argv, &i, a)) {
            fprintf(stderr, "switchboard ctl: unknown or incomplete option '%s'\n", s);
            rc = -EINVAL;
        }
    }
    return rc == 0 && a->nwords == 0 ? -EINVAL : rc;
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

/* Whether the flags given fit `cmd`; says why not. */
static bool flags_fit(const ctl_args_t *a, const sb_request_command_t *cmd)
{
    if (a->local && cmd->kind != SB_REQUEST_OVERRIDE) {
        fprintf(stderr, "switchboard ctl: only overrides take --local\n");
        return false;
    }
    if (a->fail_if_moved && cmd->kind != SB_REQUEST_RELOAD) {
        fprintf(stderr, "switchboard ctl: only reload takes --fail-if-moved\n");
        return false;
    }
    if ((a->down || a->limit_text != NULL || a->offset_text != NULL) &&
        cmd->kind != SB_REQUEST_STATUS) {
        fprintf(stderr, "switchboard ctl: only status takes --down, --limit and --offset\n");
        return false;
    }
    if (!cmd->any_words && a->nwords - 1 != cmd->words) {
        fprintf(stderr, "switchboard ctl: %s takes %d argument%s (see switchboard ctl %s --help)\n",
                cmd->name, cmd->words, cmd->words == 1 ? "" : "s", cmd->name);
        return false;
    }
    return true;
}

/* The words after the command: a status's profiles, or an override's
 * profile, endpoint and state. */
static void add_words(json_t *req, const ctl_args_t *a, const sb_request_command_t *cmd)
{
    static const char *const keys[3] = {"profile", "endpoint", "state"};
    if (cmd->any_words && a->nwords > 1) {
        json_t *list = json_array();
        for (int i = 1; i < a->nwords; i++)
            json_array_append_new(list, json_string(a->words[i]));
        json_object_set_new(req, "profiles", list);
    }
    for (int i = 0; !cmd->any_words && i < cmd->words; i++)
        json_object_set_new(req, keys[i], json_string(a->words[i + 1]));
}

/* A status's filter and page into `req`; false after printing why not. */
static bool add_page(json_t *req, const ctl_args_t *a)
{
    const char *texts[] = {a->limit_text, a->offset_text}, *keys[] = {"limit", "offset"};
    for (int i = 0; i < 2; i++) {
        if (texts[i] == NULL)
            continue;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(texts[i], &end, 10);
        if (texts[i][0] < '0' || texts[i][0] > '9' || *end != '\0' || errno != 0 ||
            v > (unsigned long long)INT64_MAX) {
            fprintf(stderr, "switchboard ctl: --%s %s: must be a whole number\n", keys[i],
                    texts[i]);
            return false;
        }
        json_object_set_new(req, keys[i], json_integer((json_int_t)v));
    }
    if (a->down)
        json_object_set_new(req, "down", json_true());
    return true;
}

/* The request for the command line; NULL after printing why not. */
static json_t *build_request(const ctl_args_t *a)
{
    const char *name = a->words[0];
    const sb_request_command_t *cmd = sb_request_command(name);
    if (cmd == NULL) {
        unknown_command(name);
        return NULL;
    }
    if (!flags_fit(a, cmd))
        return NULL;
    json_t *req = json_pack("{s:s}", "command", name);
    if (req != NULL)
        add_words(req, a, cmd);
    if (req != NULL && a->for_text != NULL) {
        json_int_t seconds = for_seconds(cmd, a->for_text);
        if (seconds == 0) {
            json_decref(req);
            return NULL;
        }
        json_object_set_new(req, "for_seconds", json_integer(seconds));
    }
    if (req != NULL && a->local)
        json_object_set_new(req, "local", json_true());
    if (req != NULL && !add_page(req, a)) {
        json_decref(req);
        return NULL;
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

/* A successful status reply starts so; with --json it is printed as it
 * arrives: at tens of thousands of endpoints it is tens of megabytes, and
 * holding it whole before printing it cost more than the server took to
 * write it. */
static const char STATUS_REPLY[] = "{\"ok\":true,\"status\":";
#define STATUS_REPLY_LEN (sizeof(STATUS_REPLY) - 1)

/* What the server sent until it closed. */
typedef struct {
    char *text;   /* NUL-terminated; empty when relayed; NULL: out of memory */
    size_t total; /* bytes received */
    bool relayed; /* a status printed to stdout as it came */
    bool print_failed;
} reply_t;

/* Print what `r` holds once it is known to be a status, as it comes. */
static void relay_status(reply_t *r, size_t *got)
{
    if (!r->relayed &&
        (*got < STATUS_REPLY_LEN || memcmp(r->text, STATUS_REPLY, STATUS_REPLY_LEN) != 0))
        return;
    r->relayed = true;
    if (fwrite(r->text, 1, *got, stdout) != *got)
        r->print_failed = true;
    *got = 0;
}

/* Read until the server closes; `relay`: print a status as it comes. */
static reply_t read_reply(int fd, bool relay)
{
    reply_t r = {0};
    /* Relayed, a status passes through in reads of up to a megabyte. */
    size_t cap = relay ? 1 << 20 : 1 << 16, got = 0;
    r.text = malloc(cap);
    while (r.text != NULL) {
        if (got + 1 == cap) {
            char *grown = realloc(r.text, cap * 2);
            if (grown == NULL)
                free(r.text);
            r.text = grown;
            cap *= 2;
            continue;
        }
        ssize_t n = read(fd, r.text + got, cap - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        r.total += (size_t)n;
        if (relay)
            relay_status(&r, &got);
        /* Not a status: nothing more to look for. */
        relay = relay && (r.relayed || got < STATUS_REPLY_LEN);
    }
    if (r.text != NULL)
        r.text[got] = '\0';
    return r;
}

/* Send the request, read the one-line reply (`relay`: read_reply). */
static reply_t exchange(const char *path, const char *request, bool relay)
{
    reply_t none = {0};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "switchboard ctl: cannot connect to %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return none;
    }
    /* A server that refuses the connection (too many at once) answers
     * before reading and closes, so the write may fail: its reply is still
     * there to read. */
    int write_error = write_all(fd, request, strlen(request));
    reply_t r = read_reply(fd, relay);
    close(fd);
    if (r.text != NULL && r.total == 0 && write_error != 0) {
        fprintf(stderr, "switchboard ctl: writing to %s: %s\n", path, strerror(write_error));
        free(r.text);
        return none;
    }
    return r;
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

/* Which of the profiles matching these are, when not all of them. */
static void print_page(json_t *status)
{
    json_t *page = json_object_get(status, "page");
    json_int_t matched = json_integer_value(json_object_get(page, "matched"));
    json_int_t offset = json_integer_value(json_object_get(page, "offset"));
    json_int_t shown = (json_int_t)json_array_size(json_object_get(status, "profiles"));
    if (page == NULL || shown == matched)
        return;
    if (shown == 0)
        printf("no profile past --offset %lld: %lld match\n", (long long)offset,
               (long long)matched);
    else
        printf("\nprofiles %lld to %lld of %lld matching (--offset N --limit N for others)\n",
               (long long)offset + 1, (long long)(offset + shown), (long long)matched);
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
    print_page(status);
}

/* Whether the profile typed names `configured` as written (case and the
 * final dot aside), rather than by the start of it. */
static bool as_typed(const char *typed, const char *configured)
{
    size_t n = strlen(typed), m = strlen(configured);
    n -= n > 0 && typed[n - 1] == '.';
    m -= m > 0 && configured[m - 1] == '.';
    return n == m && strncasecmp(typed, configured, n) == 0;
}

/* An override's outcome; the names it applied to when they were typed
 * short ("drain: done (profile app.example.com., endpoint us-east)"). */
static void print_done(const ctl_args_t *a, json_t *r)
{
    const char *profile = json_string_value(json_object_get(r, "profile"));
    const char *endpoint = json_string_value(json_object_get(r, "endpoint"));
    bool short_profile = profile != NULL && a->nwords > 1 && !as_typed(a->words[1], profile);
    bool short_endpoint = endpoint != NULL && a->nwords > 2 && strcmp(a->words[2], endpoint) != 0;
    printf("%s: %s", a->words[0], str(r, "message"));
    if (short_profile || short_endpoint)
        printf(" (profile %s%s%s)", profile, endpoint != NULL ? ", endpoint " : "",
               endpoint != NULL ? endpoint : "");
    printf("\n");
}

/* What a reload changed, a line each; returns how many answers moved. */
static size_t print_changes(json_t *changes)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(changes, "answers_moved"), i, c)
    {
        printf("  answer moved: %s%s%s from %s to %s\n", str(c, "profile"),
               json_is_string(json_object_get(c, "family")) ? " " : "",
               json_is_string(json_object_get(c, "family")) ? str(c, "family") : "", str(c, "from"),
               str(c, "to"));
    }
    json_array_foreach(json_object_get(changes, "endpoints_down"), i, c)
    {
        printf("  endpoint down: %s %s (was %s): %s\n", str(c, "profile"), str(c, "endpoint"),
               str(c, "was"), str(c, "reason"));
    }
    json_array_foreach(json_object_get(changes, "profiles_added"), i, c)
    {
        printf("  profile added: %s\n", json_string_value(c));
    }
    json_array_foreach(json_object_get(changes, "profiles_removed"), i, c)
    {
        printf("  profile removed: %s\n", json_string_value(c));
    }
    json_array_foreach(json_object_get(changes, "pending"), i, c)
    {
        printf("  no first probe result yet: %s (its answer may still move)\n",
               json_string_value(c));
    }
    return json_array_size(json_object_get(changes, "answers_moved"));
}

/* A success, as text. */
static void print_ok(const ctl_args_t *a, json_t *r)
{
    if (json_object_get(r, "status") != NULL) {
        print_status(json_object_get(r, "status"));
    } else if (json_object_get(r, "changes") != NULL) {
        printf("%s: %s\n", a->words[0], str(r, "message"));
        print_changes(json_object_get(r, "changes"));
    } else {
        print_done(a, r);
    }
}

/* The exit status of a reply that succeeded: an override not saved, or a
 * reload that moved an answer when told to fail then, say so. */
static int success_status(const ctl_args_t *a, json_t *r)
{
    size_t moved = json_array_size(json_object_get(json_object_get(r, "changes"), "answers_moved"));
    /* The override applies, but a restart would lose it: that is not the
     * success a script may take for granted. */
    if (json_is_false(json_object_get(r, "saved"))) {
        fprintf(stderr,
                "switchboard ctl: the override is in force, but was not saved and will not "
                "survive a restart: %s\n",
                str(r, "warning"));
        return EXIT_NOT_SAVED;
    }
    if (a->fail_if_moved && moved > 0) {
        fprintf(stderr,
                "switchboard ctl: reloaded, but %zu answer%s moved (--fail-if-moved); the new "
                "configuration is answering\n",
                moved, moved == 1 ? "" : "s");
        return EXIT_MOVED;
    }
    return 0;
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
    } else {
        print_ok(a, r);
    }
    int rc = ok ? success_status(a, r) : EXIT_REFUSED;
    json_decref(r);
    return rc;
}

/* Send the request the arguments make; print the reply. */
static int run(const ctl_args_t *a)
{
    json_t *req = build_request(a);
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
    reply_t reply = exchange(a->socket, framed, a->json);
    free(framed);
    if (reply.text == NULL)
        return EXIT_USAGE;
    int rc = reply.relayed ? (reply.print_failed || fflush(stdout) != 0 ? EXIT_USAGE : 0)
                           : print_reply(a, reply.text);
    free(reply.text);
    return rc;
}

int sb_ctl_main(int argc, char **argv)
{
    ctl_args_t a = {0};
    int rc = parse_args(argc, argv, &a);
    bool help_word = a.nwords > 0 && strcmp(a.words[0], "help") == 0;
    if (a.help || help_word) {
        /* `ctl --help`, `ctl drain --help`, `ctl help`, `ctl help drain` */
        const char *of = !help_word ? a.words[0] : a.nwords > 1 ? a.words[1] : NULL;
        rc = sb_ctl_help(of == NULL && a.help && help_word ? "help" : of);
    } else if (rc < 0) {
        if (rc == -EINVAL && a.nwords == 0)
            ctl_usage(stderr);
        rc = EXIT_USAGE;
    } else {
        rc = run(&a);
    }
    free(a.words);
    return rc;
}
