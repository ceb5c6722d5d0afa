#include "sb_monitor.h"

#include "sb_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const proto_names[] = {"none", "http", "https", "tcp"};

/* Which protocols a setting applies to. */
enum {
    FOR_HTTP = 1 << SB_MONITOR_HTTP,
    FOR_HTTPS = 1 << SB_MONITOR_HTTPS,
    FOR_TCP = 1 << SB_MONITOR_TCP,
    FOR_WEB = FOR_HTTP | FOR_HTTPS,
    FOR_ALL = FOR_WEB | FOR_TCP,
};

typedef int (*setter_t)(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);

/* One setting: its name, parser, the protocols it applies to, and the
 * fields it fills (copied as they are when an endpoint overrides it). */
typedef struct {
    const char *name;
    setter_t set;
    uint8_t applies;
    size_t off, size;   /* the field */
    size_t off2, size2; /* a second field (a count, a port), if any */
} key_def_t;

static int set_port(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_path(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_host(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_interval(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_timeout(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_fall(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_rise(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_expect(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_method(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_header(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_body(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_body_kib(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_keep_alive(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_tls_verify(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_ca_file(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_client_cert(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_client_key(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_send(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_receive(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_family(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_probe_target(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_flap_limit(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_flap_window(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_hold_down(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_fleet(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);
static int set_source(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why);

#define FIELD(f) offsetof(sb_monitor_t, f), sizeof(((sb_monitor_t *)0)->f)
#define NO_FIELD 0, 0

static const key_def_t keys[SB_MK_COUNT] = {
    [SB_MK_PORT] = {"port", set_port, FOR_ALL, FIELD(port), NO_FIELD},
    [SB_MK_PATH] = {"path", set_path, FOR_WEB, FIELD(path), NO_FIELD},
    [SB_MK_HOST] = {"host", set_host, FOR_WEB, FIELD(host), NO_FIELD},
    [SB_MK_INTERVAL] = {"interval", set_interval, FOR_ALL, FIELD(interval_ms), NO_FIELD},
    [SB_MK_TIMEOUT] = {"timeout", set_timeout, FOR_ALL, FIELD(timeout_ms), NO_FIELD},
    [SB_MK_FALL] = {"fall", set_fall, FOR_ALL, FIELD(fall), NO_FIELD},
    [SB_MK_RISE] = {"rise", set_rise, FOR_ALL, FIELD(rise), NO_FIELD},
    [SB_MK_EXPECT] = {"expect", set_expect, FOR_WEB, FIELD(expect), FIELD(expect_count)},
    [SB_MK_METHOD] = {"method", set_method, FOR_WEB, FIELD(method), NO_FIELD},
    [SB_MK_HEADER] = {"header", set_header, FOR_WEB, FIELD(headers), FIELD(header_count)},
    [SB_MK_BODY] = {"body", set_body, FOR_WEB, FIELD(body), NO_FIELD},
    [SB_MK_BODY_KIB] = {"body-kib", set_body_kib, FOR_WEB, FIELD(body_kib), NO_FIELD},
    [SB_MK_KEEP_ALIVE] = {"keep-alive", set_keep_alive, FOR_WEB, FIELD(keep_alive), NO_FIELD},
    [SB_MK_TLS_VERIFY] = {"tls-verify", set_tls_verify, FOR_HTTPS, FIELD(tls_verify), NO_FIELD},
    [SB_MK_CA_FILE] = {"ca-file", set_ca_file, FOR_HTTPS, FIELD(ca_file), NO_FIELD},
    [SB_MK_CLIENT_CERT] = {"client-cert", set_client_cert, FOR_HTTPS, FIELD(client_cert), NO_FIELD},
    [SB_MK_CLIENT_KEY] = {"client-key", set_client_key, FOR_HTTPS, FIELD(client_key), NO_FIELD},
    [SB_MK_SEND] = {"send", set_send, FOR_TCP, FIELD(send), NO_FIELD},
    [SB_MK_RECEIVE] = {"receive", set_receive, FOR_TCP, FIELD(receive), NO_FIELD},
    [SB_MK_FAMILY] = {"family", set_family, FOR_ALL, FIELD(family), NO_FIELD},
    [SB_MK_PROBE_TARGET] = {"probe-target", set_probe_target, FOR_ALL, FIELD(probe_host),
                            FIELD(probe_port)},
    [SB_MK_FLAP_LIMIT] = {"flap-limit", set_flap_limit, FOR_ALL, FIELD(flap_limit), NO_FIELD},
    [SB_MK_FLAP_WINDOW] = {"flap-window", set_flap_window, FOR_ALL, FIELD(flap_window_ms),
                           NO_FIELD},
    [SB_MK_HOLD_DOWN] = {"hold-down", set_hold_down, FOR_ALL, FIELD(hold_down_ms), NO_FIELD},
    [SB_MK_FLEET] = {"fleet", set_fleet, FOR_ALL, FIELD(fleet), NO_FIELD},
    [SB_MK_SOURCE] = {"source", set_source, FOR_ALL, FIELD(source), NO_FIELD},
};

#define DEFAULT_FLAP_WINDOW_MS (5 * 60 * 1000)
#define DEFAULT_HOLD_DOWN_MS   (10 * 60 * 1000)
#define MAX_ANTIFLAP_MS        (24 * 3600 * 1000)

void sb_monitor_init(sb_monitor_t *m, sb_monitor_proto_t proto, sb_pos_t where)
{
    memset(m, 0, sizeof(*m));
    m->proto = proto;
    m->path = "/";
    m->interval_ms = 10000;
    m->fall = 3;
    m->rise = 2;
    m->expect_count = 1;
    m->expect[0] = (sb_status_range_t){200, 299};
    m->body_kib = SB_MONITOR_DEFAULT_BODY_KIB;
    m->tls_verify = true;
    m->flap_window_ms = DEFAULT_FLAP_WINDOW_MS;
    m->hold_down_ms = DEFAULT_HOLD_DOWN_MS;
    m->proto_pos = where;
}

int sb_monitor_proto_parse(const char *text, sb_monitor_proto_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, proto_names[i]) == 0) {
            *out = (sb_monitor_proto_t)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *sb_monitor_proto_name(sb_monitor_proto_t proto)
{
    return proto_names[proto];
}

const char *sb_monitor_key_name(sb_monitor_key_t key)
{
    return keys[key].name;
}

static int find_key(const char *key)
{
    for (int i = 0; i < SB_MK_COUNT; i++) {
        if (strcmp(key, keys[i].name) == 0)
            return i;
    }
    return -1;
}

bool sb_monitor_is_key(const char *key)
{
    return find_key(key) >= 0;
}

void sb_monitor_key_list(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < SB_MK_COUNT && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", keys[i].name);
}

/* ---- value parsers ------------------------------------------------------ */

static bool printable_without_space(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return false;
    }
    return true;
}

static int copy_text(const char **dst, const char *value, sb_arena_t *arena)
{
    char *copy = sb_arena_strdup(arena, value);
    if (copy == NULL)
        return -ENOMEM;
    *dst = copy;
    return 0;
}

static int set_uint_field(uint64_t *out, const char *value, uint64_t min, uint64_t max, char *why)
{
    return sb_value_uint(value, min, max, out, why) < 0 ? -EINVAL : 0;
}

static int set_port(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    uint64_t v;
    int rc = set_uint_field(&v, value, 1, 65535, why);
    if (rc == 0)
        m->port = (uint16_t)v;
    return rc;
}

static int set_path(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    if (value[0] != '/' || !printable_without_space(value)) {
        snprintf(why, SB_WHY_MAX, "must start with '/' and contain no spaces or control bytes");
        return -EINVAL;
    }
    return copy_text(&m->path, value, arena);
}

static bool host_ok(const char *value)
{
    return value[0] != '\0' && printable_without_space(value) && strpbrk(value, "/?#@") == NULL;
}

static int set_host(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    if (!host_ok(value)) {
        snprintf(why, SB_WHY_MAX, "must be a host name, without spaces, '/', '?', '#' or '@'");
        return -EINVAL;
    }
    return copy_text(&m->host, value, arena);
}

static int parse_duration(uint32_t *out, const char *value, uint64_t min, uint64_t max,
                          const char *range, char *why)
{
    uint64_t ms;
    if (sb_value_duration_ms(value, &ms, why) < 0)
        return -EINVAL;
    if (ms < min || ms > max) {
        snprintf(why, SB_WHY_MAX, "must be from %s", range);
        return -EINVAL;
    }
    *out = (uint32_t)ms;
    return 0;
}

static int set_interval(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return parse_duration(&m->interval_ms, value, SB_MONITOR_MIN_INTERVAL_MS,
                          SB_MONITOR_MAX_INTERVAL_MS, "100ms to 1h", why);
}

static int set_timeout(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return parse_duration(&m->timeout_ms, value, 10, SB_MONITOR_MAX_INTERVAL_MS, "10ms to 1h", why);
}

static int set_streak(uint8_t *dst, const char *value, char *why)
{
    uint64_t v;
    int rc = set_uint_field(&v, value, 1, 10, why);
    if (rc == 0)
        *dst = (uint8_t)v;
    return rc;
}

static int set_fall(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return set_streak(&m->fall, value, why);
}

static int set_rise(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return set_streak(&m->rise, value, why);
}

static int set_expect(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    size_t count;
    if (sb_value_status_ranges(value, m->expect, SB_MONITOR_MAX_RANGES, &count, why) < 0)
        return -EINVAL;
    m->expect_count = (uint8_t)count;
    return 0;
}

static int set_method(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    if (strcmp(value, "GET") == 0)
        m->method = SB_HTTP_GET;
    else if (strcmp(value, "HEAD") == 0)
        m->method = SB_HTTP_HEAD;
    else {
        snprintf(why, SB_WHY_MAX, "must be GET or HEAD");
        return -EINVAL;
    }
    return 0;
}

/* RFC 9110 §5.1: a token, a colon, then a value without control bytes. */
static bool header_ok(const char *value)
{
    const char *colon = strchr(value, ':');
    if (colon == NULL || colon == value)
        return false;
    for (const char *p = value; p < colon; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
            return false;
    }
    for (const char *p = colon + 1; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < ' ' && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

/* Repeatable: each one adds a header. The set bit then means "headers
 * given here", and an endpoint's headers replace the profile's. */
static int set_header(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    if (!header_ok(value)) {
        snprintf(why, SB_WHY_MAX,
                 "must be \"Name: value\" with a header name and no control bytes");
        return -EINVAL;
    }
    if (m->header_count == SB_MONITOR_MAX_HEADERS) {
        snprintf(why, SB_WHY_MAX, "at most %d headers", SB_MONITOR_MAX_HEADERS);
        return -EINVAL;
    }
    return copy_text(&m->headers[m->header_count++], value, arena);
}

static int set_nonempty(const char **dst, const char *value, sb_arena_t *arena, char *why)
{
    if (value[0] == '\0') {
        snprintf(why, SB_WHY_MAX, "must not be empty");
        return -EINVAL;
    }
    return copy_text(dst, value, arena);
}

static int set_body(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    return set_nonempty(&m->body, value, arena, why);
}

static int set_body_kib(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    uint64_t v;
    int rc = set_uint_field(&v, value, 1, 1024, why);
    if (rc == 0)
        m->body_kib = (uint32_t)v;
    return rc;
}

static int set_yes_no(bool *out, const char *value, char *why)
{
    if (strcmp(value, "yes") == 0)
        *out = true;
    else if (strcmp(value, "no") == 0)
        *out = false;
    else {
        snprintf(why, SB_WHY_MAX, "must be yes or no");
        return -EINVAL;
    }
    return 0;
}

static int set_keep_alive(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return set_yes_no(&m->keep_alive, value, why);
}

static int set_tls_verify(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return set_yes_no(&m->tls_verify, value, why);
}

/* A file the probe worker will read: absolute (a zone file may be checked
 * from anywhere) and readable now, so that `switchboard check` catches it. */
static int set_file(const char **dst, const char *value, sb_arena_t *arena, char *why)
{
    if (value[0] != '/') {
        snprintf(why, SB_WHY_MAX, "must be an absolute path");
        return -EINVAL;
    }
    if (access(value, R_OK) != 0) {
        snprintf(why, SB_WHY_MAX, "cannot be read: %s", strerror(errno));
        return -EINVAL;
    }
    return copy_text(dst, value, arena);
}

static int set_ca_file(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    return set_file(&m->ca_file, value, arena, why);
}

static int set_client_cert(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    return set_file(&m->client_cert, value, arena, why);
}

static int set_client_key(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    return set_file(&m->client_key, value, arena, why);
}

static int set_send(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    return set_nonempty(&m->send, value, arena, why);
}

#define RECEIVE_MAX 4096 /* what the TCP probe reads */

static int set_receive(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    if (strlen(value) > RECEIVE_MAX) {
        snprintf(why, SB_WHY_MAX, "is longer than the %d bytes a probe reads", RECEIVE_MAX);
        return -EINVAL;
    }
    return set_nonempty(&m->receive, value, arena, why);
}

static int set_family(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    static const char *const names[] = {"ipv4-first", "ipv6-first", "ipv4", "ipv6"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(value, names[i]) == 0) {
            m->family = (sb_family_pref_t)i;
            return 0;
        }
    }
    snprintf(why, SB_WHY_MAX, "must be ipv4-first, ipv6-first, ipv4 or ipv6");
    return -EINVAL;
}

/* NAME, IPv4, [IPv6], each with an optional :PORT; a bare IPv6 address
 * (no port) needs no brackets. */
static int set_probe_target(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    char host[256];
    const char *port = NULL;
    struct in6_addr a6;
    size_t n = strlen(value);
    if (n >= sizeof(host))
        goto bad;
    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            goto bad;
        memcpy(host, value + 1, (size_t)(close - value - 1));
        host[close - value - 1] = '\0';
        if (inet_pton(AF_INET6, host, &a6) != 1)
            goto bad;
        port = close[1] == ':' ? close + 2 : NULL;
    } else if (inet_pton(AF_INET6, value, &a6) == 1) {
        memcpy(host, value, n + 1);
    } else {
        const char *colon = strchr(value, ':');
        size_t hlen = colon != NULL ? (size_t)(colon - value) : n;
        memcpy(host, value, hlen);
        host[hlen] = '\0';
        port = colon != NULL ? colon + 1 : NULL;
        if (!host_ok(host))
            goto bad;
    }
    if (port != NULL) {
        uint64_t v;
        if (sb_value_uint(port, 1, 65535, &v, why) < 0) {
            snprintf(why, SB_WHY_MAX, "has a bad port (1-65535)");
            return -EINVAL;
        }
        m->probe_port = (uint16_t)v;
    } else {
        m->probe_port = 0;
    }
    return copy_text(&m->probe_host, host, arena);
bad:
    snprintf(why, SB_WHY_MAX,
             "must be a host name or address with an optional port, as in "
             "health.east.internal:8443 or [2001:db8::1]:8443");
    return -EINVAL;
}

static int set_flap_limit(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    uint64_t v;
    int rc = set_uint_field(&v, value, 2, 100, why);
    if (rc == 0)
        m->flap_limit = (uint8_t)v;
    return rc;
}

static int set_flap_window(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return parse_duration(&m->flap_window_ms, value, 1000, MAX_ANTIFLAP_MS, "1s to 24h", why);
}

static int set_hold_down(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return parse_duration(&m->hold_down_ms, value, 1000, MAX_ANTIFLAP_MS, "1s to 24h", why);
}

static int set_fleet(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    return sb_vote_parse(value, &m->fleet, why);
}

static int set_source(sb_monitor_t *m, const char *value, sb_arena_t *arena, char *why)
{
    (void)arena;
    if (sb_addr_parse(value, &m->source) < 0) {
        snprintf(why, SB_WHY_MAX, "must be an IP address, as in 192.0.2.1 or 2001:db8::1");
        return -EINVAL;
    }
    return 0;
}

/* ---- setting, layering, checking ---------------------------------------- */

int sb_monitor_set(sb_monitor_t *m, const char *key, const char *value, sb_pos_t where,
                   sb_arena_t *arena, char *why)
{
    int k = find_key(key);
    if (k < 0)
        return SB_ENOTFOUND;
    if (k == SB_MK_HEADER && !(m->set & (1u << k)))
        m->header_count = 0; /* the first header given here replaces any inherited */
    int rc = keys[k].set(m, value, arena, why);
    if (rc == 0) {
        m->set |= 1u << k;
        m->pos[k] = where;
    }
    return rc;
}

void sb_monitor_apply(sb_monitor_t *dst, const sb_monitor_t *o)
{
    for (int k = 0; k < SB_MK_COUNT; k++) {
        if (!(o->set & (1u << k)))
            continue;
        const key_def_t *d = &keys[k];
        memcpy((char *)dst + d->off, (const char *)o + d->off, d->size);
        if (d->size2 > 0)
            memcpy((char *)dst + d->off2, (const char *)o + d->off2, d->size2);
        dst->set |= 1u << k;
        dst->pos[k] = o->pos[k];
    }
}

/* Keys that mean nothing for a protocol are refused rather than ignored, so a
 * typo like `monitor tcp path=/health` does not silently probe something else. */
static int check_applicable(const sb_monitor_t *m, char *why, sb_pos_t *where)
{
    for (int k = 0; k < SB_MK_COUNT; k++) {
        if ((m->set & (1u << k)) && !(keys[k].applies & (1u << m->proto))) {
            snprintf(why, SB_WHY_MAX, "'%s' does not apply to a %s monitor", keys[k].name,
                     proto_names[m->proto]);
            *where = m->pos[k];
            return -EINVAL;
        }
    }
    return 0;
}

static int check_needs(const sb_monitor_t *m, sb_monitor_key_t key, sb_monitor_key_t needed,
                       char *why, sb_pos_t *where)
{
    if (!(m->set & (1u << key)) || (m->set & (1u << needed)))
        return 0;
    snprintf(why, SB_WHY_MAX, "'%s' needs '%s'", keys[key].name, keys[needed].name);
    *where = m->pos[key];
    return -EINVAL;
}

static int check_timeout(sb_monitor_t *m, char *why, sb_pos_t *where)
{
    if (!(m->set & (1u << SB_MK_TIMEOUT))) {
        uint32_t half = m->interval_ms / 2;
        m->timeout_ms = half < 5000 ? half : 5000;
    }
    if (m->timeout_ms < m->interval_ms)
        return 0;
    char t[32], i[32];
    sb_value_format_duration(m->timeout_ms, t, sizeof(t));
    sb_value_format_duration(m->interval_ms, i, sizeof(i));
    snprintf(why, SB_WHY_MAX, "timeout=%s must be less than interval=%s", t, i);
    *where = m->pos[SB_MK_TIMEOUT];
    return -EINVAL;
}

int sb_monitor_check(sb_monitor_t *m, char *why, sb_pos_t *where)
{
    if (check_applicable(m, why, where) < 0)
        return -EINVAL;
    if (m->proto == SB_MONITOR_NONE)
        return 0;
    if (m->proto == SB_MONITOR_TCP && m->port == 0 && m->probe_port == 0) {
        snprintf(why, SB_WHY_MAX, "a tcp monitor needs a port (add port=N)");
        *where = m->proto_pos;
        return -EINVAL;
    }
    if (check_needs(m, SB_MK_FLAP_WINDOW, SB_MK_FLAP_LIMIT, why, where) < 0 ||
        check_needs(m, SB_MK_HOLD_DOWN, SB_MK_FLAP_LIMIT, why, where) < 0 ||
        check_needs(m, SB_MK_CLIENT_KEY, SB_MK_CLIENT_CERT, why, where) < 0)
        return -EINVAL;
    for (int k = SB_MK_BODY; m->method == SB_HTTP_HEAD && k <= SB_MK_BODY_KIB; k++) {
        if (m->set & (1u << k)) {
            snprintf(why, SB_WHY_MAX, "'%s' needs method=GET: a HEAD response has no body",
                     keys[k].name);
            *where = m->pos[k];
            return -EINVAL;
        }
    }
    return check_timeout(m, why, where);
}

uint16_t sb_monitor_port(const sb_monitor_t *m)
{
    if (m->probe_port != 0)
        return m->probe_port;
    if (m->port != 0)
        return m->port;
    return m->proto == SB_MONITOR_HTTPS ? 443 : 80;
}

bool sb_monitor_status_ok(const sb_monitor_t *m, unsigned status)
{
    for (unsigned i = 0; i < m->expect_count; i++) {
        if (status >= m->expect[i].lo && status <= m->expect[i].hi)
            return true;
    }
    return false;
}
