#include "sb_options.h"

#include "sb_request.h"
#include "sb_error.h"
#include "sb_kvfile.h"
#include "sb_state.h"
#include "sb_prober.h"
#include "sb_secret.h"
#include "sb_value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

typedef int (*setter_t)(sb_options_t *o, const char *value, const char *base_dir, char *why);

typedef struct {
    const char *name;
    char short_name;
    const char *arg;
    const char *help;
    setter_t set; /* NULL: a whole number from min to max, stored at `number` */
    bool repeatable;
    bool secret; /* never echoed, and refused on the command line (ps shows it) */
    struct {
        size_t off;
        size_t size; /* of the field: 1, 2 or 4 bytes */
        uint32_t min, max;
    } number;
} option_def_t;

/* A whole-number option: the field it sets and its range. The field is
 * 1, 2 or 4 bytes wide and holds the largest value: the compiler checks. */
#define FIELD_SIZE(field) sizeof(((sb_options_t *)0)->field)
#define NUMBER(field, lo, hi)                                                                      \
    .number = {offsetof(sb_options_t, field),                                                      \
               FIELD_SIZE(field) +                                                                 \
                   0 * sizeof(struct {                                                             \
                       _Static_assert(FIELD_SIZE(field) == 1 || FIELD_SIZE(field) == 2 ||          \
                                          FIELD_SIZE(field) == 4,                                  \
                                      "a whole-number option's field is 1, 2 or 4 bytes");         \
                       _Static_assert((uint64_t)(hi) < (1ull << (8 * FIELD_SIZE(field))),          \
                                      "the option's maximum fits its field");                      \
                       char c;                                                                     \
                   }),                                                                             \
               lo, hi}

/* Unlike --listen, the port is required: there is no standard one. A port
 * alone means loopback, the safe place for an unauthenticated endpoint. */
static int set_metrics_listen(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    char loopback[32];
    bool port_only = value[0] != '\0' && strspn(value, "0123456789") == strlen(value);
    if (port_only &&
        snprintf(loopback, sizeof(loopback), "127.0.0.1:%s", value) < (int)sizeof(loopback))
        value = loopback;
    bool has_port = value[0] == '[' ? strstr(value, "]:") != NULL : strchr(value, ':') != NULL;
    if (!has_port || sb_listen_addr_parse(value, &o->metrics_listen) < 0) {
        snprintf(why, SB_WHY_MAX,
                 "must be a port (on 127.0.0.1) or an IP address and port, as in 9153, "
                 "127.0.0.1:9153 or [::1]:9153");
        return -EINVAL;
    }
    o->metrics_set = true;
    return 0;
}

void sb_options_init(sb_options_t *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 0; /* one per CPU, decided in sb_options_parse */
    o->udp_max = 1232;
    o->tcp_idle_ms = 10000;
    o->tcp_clients = 1000;
    o->tcp_per_client = 100;
    o->rrl = (sb_rrl_config_t){.responses = 200,
                               .nxdomains = 200,
                               .errors = 200,
                               .slip = 2,
                               .ipv4_prefix = 24,
                               .ipv6_prefix = 56,
                               .exempt = o->rrl_exempt};
    o->log_level = SB_LOG_INFO;
    o->probes_in_flight = SB_PROBER_DEFAULT_IN_FLIGHT;
    o->control_mode = 0600;
}

void sb_options_free(sb_options_t *o)
{
    free(o->config_file);
    free(o->zones_dir);
    free(o->nsid);
    free(o->control_socket);
    free(o->state_file);
    o->control_socket = o->state_file = NULL;
    free(o->version_string);
    free(o->identity);
    free(o->probe_resolvers_csv);
    o->probe_resolvers_csv = NULL;
    free(o->cookie_secret_file);
    free(o->user);
    free(o->group);
    o->cookie_secret_file = o->user = o->group = NULL;
    explicit_bzero(&o->cookie_key, sizeof(o->cookie_key));
    o->config_file = o->zones_dir = o->nsid = o->version_string = o->identity = NULL;
}

static int set_config(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)o, (void)value, (void)base;
    snprintf(why, SB_WHY_MAX, "a config file cannot name another config file");
    return -EINVAL;
}

/* A path option: relative paths in a config file are relative to it. */
static int set_path(char **dst, const char *value, const char *base)
{
    char *path;
    if (value[0] == '/' || base == NULL) {
        path = strdup(value);
    } else {
        size_t n = strlen(base) + strlen(value) + 2;
        path = malloc(n);
        if (path != NULL)
            snprintf(path, n, "%s/%s", base, value);
    }
    if (path == NULL)
        return -ENOMEM;
    free(*dst);
    *dst = path;
    return 0;
}

static int set_zones(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)why;
    return set_path(&o->zones_dir, value, base);
}

/* Append an address (the port defaults to 53) to a list of at most `max`. */
static int add_address(sb_listen_addr_t *list, size_t *count, size_t max, const char *value,
                       const char *what, char *why)
{
    if (*count == max) {
        snprintf(why, SB_WHY_MAX, "at most %zu %s", max, what);
        return -EINVAL;
    }
    if (sb_listen_addr_parse(value, &list[*count]) < 0) {
        snprintf(why, SB_WHY_MAX,
                 "must be an IP address with an optional port, as in 127.0.0.1:5353 or "
                 "[::1]:5353");
        return -EINVAL;
    }
    (*count)++;
    return 0;
}

static int set_listen(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    return add_address(o->listen, &o->listen_count, SB_MAX_LISTEN, value, "listen addresses", why);
}

static int set_probe_resolver(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    int rc = add_address(o->probe_resolvers, &o->probe_resolver_count, SB_MAX_PROBE_RESOLVERS,
                         value, "probe resolvers", why);
    if (rc == 0 && sb_listen_addr_port(&o->probe_resolvers[o->probe_resolver_count - 1]) == 0) {
        o->probe_resolver_count--;
        snprintf(why, SB_WHY_MAX, "needs a port from 1 to 65535 (53 when none is given)");
        return -EINVAL;
    }
    return rc;
}

/* A string sent on the wire: printable ASCII, 1 to `max` bytes. */
static int set_wire_text(char **dst, const char *value, size_t max, char *why)
{
    size_t n = strlen(value);
    if (n > max) {
        snprintf(why, SB_WHY_MAX, "is %zu bytes long; at most %zu fit", n, max);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (value[i] < 0x20 || value[i] > 0x7e) {
            snprintf(why, SB_WHY_MAX, "must be printable ASCII (byte %zu is not)", i + 1);
            return -EINVAL;
        }
    }
    char *copy = strdup(value);
    if (copy == NULL)
        return -ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

static int set_control_socket(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)why;
    return set_path(&o->control_socket, value, base);
}

static int set_state_file(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)why;
    return set_path(&o->state_file, value, base);
}

static int set_control_mode(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    char *end;
    errno = 0;
    unsigned long v = strtoul(value, &end, 8);
    if (errno != 0 || *end != '\0' || end == value || v > 0777) {
        snprintf(why, SB_WHY_MAX, "must be octal permission bits, as in 0600 or 0660");
        return -EINVAL;
    }
    o->control_mode = (unsigned)v;
    return 0;
}

static int set_nsid(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    return set_wire_text(&o->nsid, value, SB_NSID_MAX, why);
}

static int set_version_string(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    return set_wire_text(&o->version_string, value, SB_CHAOS_MAX, why);
}

static int set_identity(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    return set_wire_text(&o->identity, value, SB_CHAOS_MAX, why);
}

static int set_cookie_secret(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    if (sb_cookie_key_parse(&o->cookie_key, value) < 0) {
        snprintf(why, SB_WHY_MAX, "must be exactly 32 hex digits (16 bytes)");
        return -EINVAL;
    }
    o->cookie_secret_set = true;
    return 0;
}

/* Read once every option is known (finish_secret): whether the file is too
 * open depends on the group the server will run as. */
static int set_cookie_secret_file(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)why;
    return set_path(&o->cookie_secret_file, value, base);
}

/* Resolved once every option is known (finish_identity). */
static int set_name(char **dst, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

static int set_user(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base, (void)why;
    return set_name(&o->user, value);
}

static int set_group(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base, (void)why;
    return set_name(&o->group, value);
}

static int set_tcp_idle(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    uint64_t ms;
    if (sb_value_duration_ms(value, &ms, why) < 0)
        return -EINVAL;
    if (ms < 100 || ms > 3600000) {
        snprintf(why, SB_WHY_MAX, "must be from 100ms to 1h");
        return -EINVAL;
    }
    o->tcp_idle_ms = (uint32_t)ms;
    return 0;
}

static int set_rrl_exempt(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    if (o->rrl.exempt_count == SB_RRL_MAX_EXEMPT) {
        snprintf(why, SB_WHY_MAX, "at most %d prefixes are exempt", SB_RRL_MAX_EXEMPT);
        return -EINVAL;
    }
    if (sb_addr_prefix_parse(value, &o->rrl_exempt[o->rrl.exempt_count]) < 0) {
        snprintf(why, SB_WHY_MAX,
                 "must be an address or prefix, as in 192.0.2.0/24 or 2001:db8::/48, with no "
                 "bits set past its length");
        return -EINVAL;
    }
    o->rrl.exempt_count++;
    return 0;
}

static int set_log_target(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    if (strcmp(value, "stderr") != 0 && strcmp(value, "syslog") != 0) {
        snprintf(why, SB_WHY_MAX, "must be stderr or syslog");
        return -EINVAL;
    }
    o->log_syslog = strcmp(value, "syslog") == 0;
    return 0;
}

static int set_log_level(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    if (sb_log_level_parse(value, &o->log_level) < 0) {
        snprintf(why, SB_WHY_MAX, "must be debug, info, warning or error");
        return -EINVAL;
    }
    return 0;
}

static const option_def_t defs[] = {
    {"config", 'c', "FILE", "read options from FILE, one 'name value' per line", set_config, false},
    {"zones", 'z', "DIR",
     "directory of zone files, NAME.zone each (default " SB_DEFAULT_ZONES_DIR ")", set_zones,
     false},
    {"listen", 'l', "ADDR[:PORT]",
     "address to answer on, repeatable; port 0 picks a free port (default 0.0.0.0:53 and "
     "[::]:53)",
     set_listen, true},
    {.name = "threads",
     .short_name = 't',
     .arg = "N",
     .help = "DNS worker threads, 1-64 (default: one per CPU)",
     NUMBER(threads, 1, 64)},
    {.name = "udp-max",
     .arg = "BYTES",
     .help = "largest UDP response sent with EDNS, 512-4096 (default 1232)",
     NUMBER(udp_max, 512, 4096)},
    {"tcp-idle-timeout", 0, "DURATION", "close a TCP connection idle this long (default 10s)",
     set_tcp_idle, false},
    {.name = "tcp-clients",
     .arg = "N",
     .help = "most TCP connections at once, 1-100000; past it the idlest is closed for a new one "
             "(default 1000)",
     NUMBER(tcp_clients, 1, 100000)},
    {.name = "tcp-per-client",
     .arg = "N",
     .help = "most TCP connections from one client (an IPv4 address, an IPv6 /64), 1-100000 "
             "(default 100)",
     NUMBER(tcp_per_client, 1, 100000)},
    {.name = "rrl-responses",
     .arg = "N",
     .help = "UDP responses a second to one client prefix with the same answer (or NODATA, "
             "referral, wildcard, DNAME), 0-65534; 0: no limit (default 200)",
     NUMBER(rrl.responses, 0, SB_RRL_RATE_MAX)},
    {.name = "rrl-nxdomains",
     .arg = "N",
     .help = "UDP NXDOMAIN responses a second to one client prefix for one zone; 0: no limit "
             "(default 200)",
     NUMBER(rrl.nxdomains, 0, SB_RRL_RATE_MAX)},
    {.name = "rrl-errors",
     .arg = "N",
     .help = "UDP error responses (REFUSED, FORMERR, ...) a second to one client prefix; 0: no "
             "limit (default 200)",
     NUMBER(rrl.errors, 0, SB_RRL_RATE_MAX)},
    {.name = "rrl-slip",
     .arg = "N",
     .help = "send every Nth rate-limited response truncated (TC) rather than drop it, 0-100; 0: "
             "drop all (default 2)",
     NUMBER(rrl.slip, 0, 100)},
    {.name = "rrl-ipv4-prefix",
     .arg = "BITS",
     .help = "the IPv4 client prefix rates count for, 8-32 (default 24)",
     NUMBER(rrl.ipv4_prefix, 8, 32)},
    {.name = "rrl-ipv6-prefix",
     .arg = "BITS",
     .help = "the IPv6 client prefix rates count for, 16-128 (default 56)",
     NUMBER(rrl.ipv6_prefix, 16, 128)},
    {"rrl-exempt", 0, "PREFIX",
     "clients never rate limited, as in 192.0.2.0/24 or 2001:db8::/48; repeatable (default "
     "none)",
     set_rrl_exempt, true},
    {"log-level", 0, "LEVEL", "debug, info, warning or error (default info)", set_log_level, false},
    {"log-target", 0, "TARGET", "stderr (default; journald reads it) or syslog", set_log_target,
     false},
    {"control-socket", 0, "PATH",
     "Unix socket for `switchboard ctl` (default " SB_REQUEST_DEFAULT_SOCKET ")",
     set_control_socket, false},
    {"control-socket-mode", 0, "OCTAL",
     "permissions of the control socket (default 0600: only its owner may connect)",
     set_control_mode, false},
    {"state-file", 0, "PATH",
     "where drains, forced states and switchovers are kept across restarts "
     "(default " SB_DEFAULT_STATE_FILE ")",
     set_state_file, false},
    {.name = "probes-in-flight",
     .arg = "N",
     .help = "most health probes running at once, 1-100000; more wait for a slot (default 2048)",
     NUMBER(probes_in_flight, 1, 100000)},
    {"probe-resolver", 0, "ADDR[:PORT]",
     "name server that resolves endpoint names for probes, repeatable (default: those in "
     "/etc/resolv.conf)",
     set_probe_resolver, true},
    {"nsid", 0, "TEXT", "name server identifier sent to clients that ask (RFC 5001; default none)",
     set_nsid, false},
    {"version-string", 0, "TEXT",
     "answer to CHAOS TXT version.bind and version.server (default: REFUSED)", set_version_string,
     false},
    {"identity", 0, "TEXT", "answer to CHAOS TXT hostname.bind and id.server (default: REFUSED)",
     set_identity, false},
    {"cookie-secret", 0, "HEX",
     "16-byte DNS Cookie secret as 32 hex digits, shared by servers of one anycast cluster; in a "
     "config file only (default: random at start)",
     set_cookie_secret, false, true},
    {"cookie-secret-file", 0, "FILE",
     "read the DNS Cookie secret (32 hex digits) from FILE, readable by root only (default: the "
     "systemd credential cookie-secret, else random at start)",
     set_cookie_secret_file, false},
    {"user", 'u', "NAME",
     "run as NAME once the sockets are open; required when started as root ('root' keeps root)",
     set_user, false},
    {"group", 'g', "NAME", "run with group NAME (default: NAME's own group)", set_group, false},
    {"metrics-listen", 0, "[ADDR:]PORT",
     "serve Prometheus metrics over HTTP at /metrics, on 127.0.0.1 unless ADDR is given; port 0 "
     "picks a free port (default: off)",
     set_metrics_listen, false},
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static const option_def_t *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < NDEFS; i++) {
        if (strlen(defs[i].name) == len && strncmp(defs[i].name, name, len) == 0)
            return &defs[i];
    }
    return NULL;
}

static const option_def_t *find_short(char c)
{
    for (size_t i = 0; i < NDEFS; i++) {
        if (defs[i].short_name == c && c != 0)
            return &defs[i];
    }
    return NULL;
}

/* A whole-number option: checked against its range, stored in its field. */
static int set_number(sb_options_t *o, const option_def_t *d, const char *value, char *why)
{
    uint64_t v;
    if (sb_value_uint(value, d->number.min, d->number.max, &v, why) < 0)
        return -EINVAL;
    uint8_t *field = (uint8_t *)o + d->number.off;
    if (d->number.size == 1)
        *field = (uint8_t)v;
    else if (d->number.size == 2)
        *(uint16_t *)field = (uint16_t)v;
    else
        *(uint32_t *)field = (uint32_t)v;
    return 0;
}

/* Where each option was last given, for checks made once all are known. */
typedef struct {
    sb_pos_t where[NDEFS];
} seen_at_t;

static int apply(sb_options_t *o, const option_def_t *d, const char *value, const char *base,
                 sb_pos_t pos, sb_diag_t *diag, seen_at_t *at)
{
    char why[SB_WHY_MAX];
    at->where[d - defs] = pos;
    int rc = d->set != NULL ? d->set(o, value, base, why) : set_number(o, d, value, why);
    if (rc == -EINVAL && d->secret)
        sb_diag_error(diag, pos, "%s %s", d->name, why); /* the value stays unsaid */
    else if (rc == -EINVAL)
        sb_diag_error(diag, pos, "%s '%s' %s", d->name, value, why);
    return rc == -ENOMEM ? rc : 0;
}

/* ---- the config file ----------------------------------------------------- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* What reading the config file carries from line to line. */
typedef struct {
    sb_options_t *o;
    const char *base;
    bool seen[NDEFS];
    sb_diag_t *diag;
    seen_at_t *at;
} file_read_t;

static int file_line(void *arg, const char *name, size_t nlen, const char *value, sb_pos_t name_pos,
                     sb_pos_t value_pos)
{
    file_read_t *r = arg;
    const option_def_t *d = find_long(name, nlen);
    if (d == NULL || d->set == set_config) {
        sb_diag_error(r->diag, name_pos, "unknown option '%.*s'", (int)nlen, name);
        return 0;
    }
    size_t idx = (size_t)(d - defs);
    if (*value == '\0') {
        sb_diag_error(r->diag, name_pos, "option '%s' needs a value", d->name);
        return 0;
    }
    if (r->seen[idx] && !d->repeatable) {
        sb_diag_error(r->diag, name_pos, "option '%s' is given twice", d->name);
        return 0;
    }
    r->seen[idx] = true;
    return apply(r->o, d, value, r->base, value_pos, r->diag, r->at) < 0 ? -ENOMEM : 0;
}

static int load_file(sb_options_t *o, const char *path, sb_diag_t *diag, seen_at_t *at)
{
    file_read_t r = {.o = o, .base = dir_of(path), .diag = diag, .at = at};
    int rc = r.base == NULL ? -ENOMEM : sb_kvfile_read(path, file_line, &r, diag);
    free((char *)r.base);
    return rc;
}

/* ---- the command line ---------------------------------------------------- */

typedef struct {
    const option_def_t *def;
    const char *value;
} flag_t;

/* Split argv into recognised flags; errors for unknown ones and for
 * single-valued options given twice. */
static size_t collect_flags(int argc, char **argv, flag_t *flags, sb_diag_t *diag)
{
    sb_pos_t cl = {"command line", 0, 0};
    bool seen[NDEFS] = {false};
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const option_def_t *d = NULL;
        const char *value = NULL;
        if (a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            d = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
            value = eq ? eq + 1 : NULL;
        } else if (a[0] == '-' && a[1] != '\0' && a[2] == '\0') {
            d = find_short(a[1]);
        } else {
            sb_diag_error(diag, cl, "unexpected argument '%s'", a);
            continue;
        }
        if (d == NULL) {
            sb_diag_error(diag, cl, "unknown option '%s' (see --help)", a);
            continue;
        }
        if (value == NULL) {
            if (i + 1 >= argc) {
                sb_diag_error(diag, cl, "option '%s' needs a value (%s)", a, d->arg);
                continue;
            }
            value = argv[++i];
        }
        size_t idx = (size_t)(d - defs);
        if (d->secret) {
            sb_diag_error(diag, cl,
                          "--%s on the command line shows the secret to every user (ps); give "
                          "--%s-file FILE, or put it in a config file only root can read",
                          d->name, d->name);
            continue;
        }
        if (seen[idx] && !d->repeatable) {
            sb_diag_error(diag, cl, "option '--%s' is given twice", d->name);
            continue;
        }
        seen[idx] = true;
        flags[n].def = d;
        flags[n++].value = value;
    }
    return n;
}

static unsigned default_threads(void)
{
    unsigned n = uv_available_parallelism();
    return n < 1 ? 1 : (n > 64 ? 64 : n);
}

/* c-ares's list form of the probe resolvers: "127.0.0.1:53,[::1]:5353". */
static int resolvers_csv(sb_options_t *o)
{
    if (o->probe_resolver_count == 0)
        return 0;
    size_t cap = o->probe_resolver_count * (INET6_ADDRSTRLEN + 9);
    if ((o->probe_resolvers_csv = calloc(1, cap)) == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < o->probe_resolver_count; i++) {
        char one[INET6_ADDRSTRLEN + 9];
        sb_listen_addr_format(&o->probe_resolvers[i], one, sizeof(one));
        if (i > 0)
            strcat(o->probe_resolvers_csv, ",");
        strcat(o->probe_resolvers_csv, one);
    }
    return 0;
}

static void default_listen(sb_options_t *o)
{
    sb_listen_addr_parse("0.0.0.0:53", &o->listen[0]);
    sb_listen_addr_parse("[::]:53", &o->listen[1]);
    o->listen_count = 2;
    o->listen_is_default = true;
}

/* ---- checks once every option is known ----------------------------------- */

/* Where the option with setter `set` was given (its last place). */
static sb_pos_t given_at(const seen_at_t *at, setter_t set)
{
    for (size_t i = 0; i < NDEFS; i++) {
        if (defs[i].set == set)
            return at->where[i];
    }
    return (sb_pos_t){"command line", 0, 0};
}

/* The user and group to run as: names resolved now, so that `check` reports
 * a user that does not exist on this host. */
static void finish_identity(sb_options_t *o, const seen_at_t *at, sb_diag_t *diag)
{
    o->run_gid = getegid();
    if (o->user != NULL) {
        errno = 0;
        struct passwd *pw = getpwnam(o->user);
        if (pw == NULL)
            sb_diag_error(diag, given_at(at, set_user), "user '%s' %s", o->user,
                          errno == 0 || errno == ENOENT ? "does not exist on this host"
                                                        : strerror(errno));
        else {
            o->run_uid = pw->pw_uid;
            o->run_gid = pw->pw_gid;
        }
    }
    if (o->group != NULL) {
        errno = 0;
        struct group *gr = getgrnam(o->group);
        if (gr == NULL)
            sb_diag_error(diag, given_at(at, set_group), "group '%s' %s", o->group,
                          errno == 0 || errno == ENOENT ? "does not exist on this host"
                                                        : strerror(errno));
        else
            o->run_gid = gr->gr_gid;
    }
}

/* A cookie secret in a file that others may read is a warning where the
 * file was named. */
static void warn_exposed(const struct stat *st, gid_t gid, sb_pos_t pos, const char *what,
                         const char *path, const char *fix, sb_diag_t *diag)
{
    char buf[160];
    const char *how = sb_secret_exposure(st, gid, buf, sizeof(buf));
    if (how != NULL)
        sb_diag_warning(diag, pos, "%s %s %s; %s", what, path, how, fix);
}

/* The cookie secret from wherever it was given: a file of its own, the
 * config file, or else a systemd credential. */
static void finish_secret(sb_options_t *o, const seen_at_t *at, sb_diag_t *diag)
{
    char why[SB_WHY_MAX + 256], cred[4096];
    struct stat st;
    sb_pos_t pos = given_at(at, set_cookie_secret_file);
    const char *path = o->cookie_secret_file;
    if (path != NULL && o->cookie_secret_set) {
        sb_diag_error(diag, pos, "give cookie-secret or cookie-secret-file, not both");
        return;
    }
    if (o->cookie_secret_set) {
        o->cookie_secret_from = "config-file";
        if (stat(o->config_file, &st) == 0)
            warn_exposed(&st, o->run_gid, given_at(at, set_cookie_secret),
                         "the cookie secret is in", o->config_file,
                         "chmod 0600 (or 0640 with the server's group), or move it to a "
                         "cookie-secret-file",
                         diag);
        return;
    }
    if (path == NULL && (path = sb_secret_credential("cookie-secret", cred, sizeof(cred))) != NULL)
        pos = (sb_pos_t){path, 0, 0};
    if (path == NULL)
        return;
    if (sb_secret_read_cookie(path, &o->cookie_key, &st, why, sizeof(why)) < 0) {
        sb_diag_error(diag, pos, "cookie secret: %s", why);
        return;
    }
    o->cookie_secret_set = true;
    o->cookie_secret_from = path == cred ? "credential" : "file";
    if (path != cred)
        warn_exposed(&st, o->run_gid, pos, "cookie-secret-file", path,
                     "chmod 0600 (or 0640 with the server's group)", diag);
}

int sb_options_parse(sb_options_t *o, int argc, char **argv, sb_diag_t *diag)
{
    size_t errors_before = sb_diag_count(diag);
    seen_at_t at;
    for (size_t i = 0; i < NDEFS; i++)
        at.where[i] = (sb_pos_t){"command line", 0, 0};
    flag_t *flags = calloc((size_t)argc + 1, sizeof(*flags));
    if (flags == NULL)
        return -ENOMEM;
    size_t n = collect_flags(argc, argv, flags, diag);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (flags[i].def->set == set_config) {
            free(o->config_file);
            o->config_file = strdup(flags[i].value);
            rc = o->config_file == NULL ? -ENOMEM : load_file(o, o->config_file, diag, &at);
        }
    }
    bool listen_from_flags = false, resolvers_from_flags = false;
    sb_pos_t cl = {"command line", 0, 0};
    for (size_t i = 0; i < n && rc == 0; i++) {
        const option_def_t *d = flags[i].def;
        if (d->set == set_config)
            continue;
        /* Flags replace the file's addresses rather than add to them. */
        if (d->set == set_listen && !listen_from_flags) {
            o->listen_count = 0;
            listen_from_flags = true;
        }
        if (d->set == set_probe_resolver && !resolvers_from_flags) {
            o->probe_resolver_count = 0;
            resolvers_from_flags = true;
        }
        rc = apply(o, d, flags[i].value, NULL, cl, diag, &at);
    }
    free(flags);
    if (rc < 0)
        return rc;
    if ((o->zones_dir == NULL && (o->zones_dir = strdup(SB_DEFAULT_ZONES_DIR)) == NULL) ||
        (o->control_socket == NULL &&
         (o->control_socket = strdup(SB_REQUEST_DEFAULT_SOCKET)) == NULL) ||
        (o->state_file == NULL && (o->state_file = strdup(SB_DEFAULT_STATE_FILE)) == NULL) ||
        resolvers_csv(o) < 0)
        return -ENOMEM;
    if (o->listen_count == 0)
        default_listen(o);
    if (o->threads == 0)
        o->threads = default_threads();
    finish_identity(o, &at, diag);
    finish_secret(o, &at, diag);
    return sb_diag_count(diag) > errors_before ? SB_ECONFIG : 0;
}

void sb_options_usage(FILE *out)
{
    for (size_t i = 0; i < NDEFS; i++) {
        char left[64];
        if (defs[i].short_name)
            snprintf(left, sizeof(left), "-%c, --%s %s", defs[i].short_name, defs[i].name,
                     defs[i].arg);
        else
            snprintf(left, sizeof(left), "    --%s %s", defs[i].name, defs[i].arg);
        fprintf(out, "  %-34s %s\n", left, defs[i].help);
    }
}
