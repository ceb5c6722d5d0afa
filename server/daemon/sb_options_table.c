/*
 * The option table and how each value is read (sb_options_table.h).
 */
#include "sb_options_table.h"

#include "sb_error.h"
#include "sb_metrics_http.h"
#include "sb_prober.h"
#include "sb_request.h"
#include "sb_state.h"
#include "sb_value.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define TEXT_OF_(x)       #x
#define TEXT_OF(x)        TEXT_OF_(x)
#define METRICS_PORT_TEXT TEXT_OF(SB_METRICS_DEFAULT_PORT)

/* With its port made explicit: a port alone means loopback, the safe place
 * for an unauthenticated endpoint; an address alone, the default port (an
 * IPv6 address alone may go without brackets). Returns whether it fit. */
static bool metrics_address(const char *value, char *text, size_t cap)
{
    const char *colon = strchr(value, ':');
    int n;
    if (value[0] != '\0' && strspn(value, "0123456789") == strlen(value))
        n = snprintf(text, cap, "127.0.0.1:%s", value);
    else if (value[0] == '[' ? strstr(value, "]:") != NULL
                             : colon != NULL && !strchr(colon + 1, ':'))
        n = snprintf(text, cap, "%s", value); /* an address and a port */
    else if (value[0] != '[' && colon != NULL)
        n = snprintf(text, cap, "[%s]:%u", value, SB_METRICS_DEFAULT_PORT);
    else
        n = snprintf(text, cap, "%s:%u", value, SB_METRICS_DEFAULT_PORT);
    return n >= 0 && (size_t)n < cap;
}

static int set_metrics_listen(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    char text[96];
    if (!metrics_address(value, text, sizeof(text)) ||
        sb_listen_addr_parse(text, &o->metrics_listen) < 0) {
        snprintf(why, SB_WHY_MAX,
                 "must be a port (on 127.0.0.1), an IP address (on port %u) or both, as in "
                 "%u, 127.0.0.1, 127.0.0.1:%u or [::1]:%u",
                 SB_METRICS_DEFAULT_PORT, SB_METRICS_DEFAULT_PORT, SB_METRICS_DEFAULT_PORT,
                 SB_METRICS_DEFAULT_PORT);
        return -EINVAL;
    }
    o->metrics_set = true;
    return 0;
}

/* The status page and API's address. Unlike --listen and --metrics-listen,
 * the port is required: there is no standard one. A port alone means
 * loopback.
 * `example` is the port the error's examples show. */
static int set_http_addr(sb_listen_addr_t *dst, bool *set, const char *value, const char *example,
                         char *why)
{
    char loopback[32];
    bool port_only = value[0] != '\0' && strspn(value, "0123456789") == strlen(value);
    if (port_only &&
        snprintf(loopback, sizeof(loopback), "127.0.0.1:%s", value) < (int)sizeof(loopback))
        value = loopback;
    bool has_port = value[0] == '[' ? strstr(value, "]:") != NULL : strchr(value, ':') != NULL;
    if (!has_port || sb_listen_addr_parse(value, dst) < 0) {
        snprintf(why, SB_WHY_MAX,
                 "must be a port (on 127.0.0.1) or an IP address and port, as in %s, "
                 "127.0.0.1:%s or [::1]:%s",
                 example, example, example);
        return -EINVAL;
    }
    *set = true;
    return 0;
}

static int set_http_listen(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    return set_http_addr(&o->http_listen, &o->http_set, value, "8053", why);
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

static int set_geo_database(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)why;
    return set_path(&o->geo_database, value, base);
}

/* ecs-prefix=V4,V6: the most of a client's address routing uses. */
static int set_ecs_prefix(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    unsigned v4, v6;
    char end;
    if (sscanf(value, "%u,%u%c", &v4, &v6, &end) != 2 || v4 < 8 || v4 > 32 || v6 < 16 || v6 > 128) {
        snprintf(why, SB_WHY_MAX,
                 "must be an IPv4 (8-32) and an IPv6 (16-128) prefix length, as in 24,56");
        return -EINVAL;
    }
    o->ecs_prefix_max[0] = (uint8_t)v4;
    o->ecs_prefix_max[1] = (uint8_t)v6;
    return 0;
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

/* One local address per family to probe from. */
static int set_probe_source(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    sb_addr_t a;
    if (sb_addr_parse(value, &a) < 0) {
        snprintf(why, SB_WHY_MAX, "must be an IP address, as in 192.0.2.1 or 2001:db8::1");
        return -EINVAL;
    }
    sb_addr_t *slot = &o->probe_source[a.family == 6];
    if (slot->family != 0) {
        snprintf(why, SB_WHY_MAX, "gives a second IPv%d source (one per family)", a.family);
        return -EINVAL;
    }
    *slot = a;
    return 0;
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

/* --metrics-latency: how finely probe latency histograms are labelled. */
static int set_metrics_latency(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    static const char *const names[] = {"type", "profile", "endpoint"};
    for (int i = 0; i < 3; i++)
        if (strcmp(value, names[i]) == 0) {
            o->metrics_latency = (sb_latency_detail_t)i;
            return 0;
        }
    snprintf(why, SB_WHY_MAX, "must be type, profile or endpoint");
    return -EINVAL;
}

/* ---- the fleet ------------------------------------------------------------ */

static int set_fleet_server(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    return sb_fleet_config_add_server(&o->fleet, value, why);
}

/* A node's or the fleet's name: it becomes part of subjects and names. */
static int set_fleet_name_field(char **dst, const char *value, char *why)
{
    if (!sb_fleet_config_name_ok(value)) {
        snprintf(why, SB_WHY_MAX, "must be 1 to %d of A-Z a-z 0-9 - _", SB_FLEET_NAME_MAX);
        return -EINVAL;
    }
    return set_name(dst, value);
}

static int set_fleet_node(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    return set_fleet_name_field(&o->fleet.node, value, why);
}

static int set_fleet_name(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    return set_fleet_name_field(&o->fleet.name, value, why);
}

static int set_fleet_timeout(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    uint64_t ms;
    if (sb_value_duration_ms(value, &ms, why) < 0)
        return -EINVAL;
    if (ms < 100 || ms > 60000) {
        snprintf(why, SB_WHY_MAX, "must be from 100ms to 60s");
        return -EINVAL;
    }
    o->fleet.timeout_ms = (uint32_t)ms;
    return 0;
}

static int set_fleet_required(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base;
    if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
        snprintf(why, SB_WHY_MAX, "must be yes or no");
        return -EINVAL;
    }
    o->fleet.required = strcmp(value, "yes") == 0;
    return 0;
}

static int set_fleet_user(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base, (void)why;
    return set_name(&o->fleet.user, value);
}

static int set_fleet_nkey(sb_options_t *o, const char *value, const char *base, char *why)
{
    (void)base, (void)why;
    return set_name(&o->fleet.nkey, value);
}

/* The fleet's files, each relative to the config file that names it. */
#define FLEET_PATH_SETTER(fn, field)                                                               \
    static int fn(sb_options_t *o, const char *value, const char *base, char *why)                 \
    {                                                                                              \
        (void)why;                                                                                 \
        return set_path(&o->field, value, base);                                                   \
    }
FLEET_PATH_SETTER(set_fleet_password_file, fleet_password_file)
FLEET_PATH_SETTER(set_fleet_token_file, fleet_token_file)
FLEET_PATH_SETTER(set_fleet_creds, fleet.creds_file)
FLEET_PATH_SETTER(set_fleet_nkey_seed_file, fleet.nkey_seed_file)
FLEET_PATH_SETTER(set_fleet_ca, fleet.ca_file)
FLEET_PATH_SETTER(set_fleet_cert, fleet.cert_file)
FLEET_PATH_SETTER(set_fleet_key, fleet.key_file)
FLEET_PATH_SETTER(set_http_token_file, http_token_file)
FLEET_PATH_SETTER(set_http_tls_cert, http_tls_cert_file)
FLEET_PATH_SETTER(set_http_tls_key, http_tls_key_file)

const sb_option_def_t sb_options_table[] = {
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
    {"probe-source", 0, "ADDR",
     "local address health probes are sent from, one IPv4 and one IPv6 at most (default: the "
     "kernel's choice)",
     set_probe_source, true},
    {"nsid", 0, "TEXT", "name server identifier sent to clients that ask (RFC 5001; default none)",
     set_nsid, false},
    {"geo-database", 0, "PATH",
     "MaxMind DB file (GeoIP2/GeoLite2 City or Country format) geo and closest profiles route "
     "with; read again at each reload (default none)",
     set_geo_database, false},
    {"ecs-prefix", 0, "V4,V6",
     "most leading bits of a client's address (or EDNS Client Subnet) routing uses, IPv4 and "
     "IPv6 (default 24,56)",
     set_ecs_prefix, false},
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
    {"metrics-listen", 0, "ADDR[:PORT]",
     "serve Prometheus metrics over HTTP at /metrics; a PORT alone means 127.0.0.1, an ADDR alone "
     "port " METRICS_PORT_TEXT "; port 0 picks a free port (default: off)",
     set_metrics_listen, false},
    {"metrics-latency", 0, "DETAIL",
     "probe latency histograms: one per probe type, per profile, or per endpoint (18 lines "
     "each): type, profile or endpoint (default type)",
     set_metrics_latency, false},
    {"http-listen", 0, "[ADDR:]PORT",
     "serve the status page and the HTTP API, on 127.0.0.1 unless ADDR is given; port 0 picks a "
     "free port (default: off)",
     set_http_listen, false},
    {"http-token-file", 0, "FILE",
     "the HTTP API's bearer token, for its actions, from FILE (readable by root only) (default: "
     "the systemd credential http-token, else actions are refused)",
     set_http_token_file, false},
    {"http-tls-cert", 0, "FILE", "serve the HTTP API over TLS with this certificate (PEM chain)",
     set_http_tls_cert, false},
    {"http-tls-key", 0, "FILE", "the TLS certificate's private key (PEM; readable by root only)",
     set_http_tls_key, false},
    {"fleet-server", 0, "URL",
     "a NATS server of the fleet, nats://HOST:PORT or tls://HOST:PORT; repeatable; given, this "
     "nameserver joins the fleet (docs/fleet.md) (default: no fleet)",
     set_fleet_server, true},
    {"fleet-node", 0, "NAME",
     "this nameserver's name in the fleet (default: the host name's first "
     "label)",
     set_fleet_node, false},
    {"fleet-name", 0, "NAME",
     "the fleet's name: its override bucket is NAME-overrides (default " SB_FLEET_DEFAULT_NAME ")",
     set_fleet_name, false},
    {.name = "fleet-replicas",
     .arg = "N",
     .help = "copies of the override bucket when this node creates it, 1-5 (default 3)",
     NUMBER(fleet.replicas, 1, 5)},
    {"fleet-timeout", 0, "DURATION",
     "how long an override waits for the fleet's store to accept it (default 2s)",
     set_fleet_timeout, false},
    {"fleet-required", 0, "yes|no",
     "refuse to start when the fleet cannot be reached (default no: serve, and join when it "
     "can)",
     set_fleet_required, false},
    {"fleet-user", 0, "NAME", "NATS user name, with fleet-password-file", set_fleet_user, false},
    {"fleet-password-file", 0, "FILE", "read the NATS password from FILE (readable by root only)",
     set_fleet_password_file, false},
    {"fleet-token-file", 0, "FILE", "read a NATS token from FILE (readable by root only)",
     set_fleet_token_file, false},
    {"fleet-creds", 0, "FILE",
     "NATS credentials file (user JWT and NKey seed); the server's user must be able to read it",
     set_fleet_creds, false},
    {"fleet-nkey", 0, "PUBLIC-KEY", "NATS NKey public key (U...), with fleet-nkey-seed-file",
     set_fleet_nkey, false},
    {"fleet-nkey-seed-file", 0, "FILE",
     "the NKey's seed; the server's user must be able to read it", set_fleet_nkey_seed_file, false},
    {"fleet-ca", 0, "FILE", "CA certificates to verify the NATS servers by (turns on TLS)",
     set_fleet_ca, false},
    {"fleet-cert", 0, "FILE", "client certificate for NATS over TLS, with fleet-key",
     set_fleet_cert, false},
    {"fleet-key", 0, "FILE", "the client certificate's private key", set_fleet_key, false},
};

#define NDEFS (sizeof(sb_options_table) / sizeof(sb_options_table[0]))

_Static_assert(NDEFS <= SB_OPTIONS_MAX, "SB_OPTIONS_MAX bounds the option table");
const size_t sb_options_table_count = NDEFS;

const sb_option_def_t *sb_options_table_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NDEFS; i++) {
        if (strlen(sb_options_table[i].name) == len &&
            strncmp(sb_options_table[i].name, name, len) == 0)
            return &sb_options_table[i];
    }
    return NULL;
}

const sb_option_def_t *sb_options_table_find_short(char c)
{
    for (size_t i = 0; i < NDEFS; i++) {
        if (sb_options_table[i].short_name == c && c != 0)
            return &sb_options_table[i];
    }
    return NULL;
}

/* A whole-number option: checked against its range, stored in its field. */
static int set_number(sb_options_t *o, const sb_option_def_t *d, const char *value, char *why)
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

int sb_options_table_set(sb_options_t *o, const sb_option_def_t *d, const char *value,
                         const char *base, char *why)
{
    return d->set != NULL ? d->set(o, value, base, why) : set_number(o, d, value, why);
}
