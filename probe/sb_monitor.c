#include "sb_monitor.h"

#include "sb_error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const proto_names[] = {"none", "http", "https", "tcp"};

static const char *const key_names[SB_MK_COUNT] = {
    "port", "path", "host", "interval", "timeout", "fall", "rise", "expect",
};

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

static int find_key(const char *key)
{
    for (int i = 0; i < SB_MK_COUNT; i++) {
        if (strcmp(key, key_names[i]) == 0)
            return i;
    }
    return -1;
}

bool sb_monitor_is_key(const char *key)
{
    return find_key(key) >= 0;
}

static bool printable_without_space(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return false;
    }
    return true;
}

static int set_text(sb_monitor_t *m, sb_monitor_key_t key, const char *value, sb_arena_t *arena,
                    char *why)
{
    if (key == SB_MK_PATH && (value[0] != '/' || !printable_without_space(value))) {
        snprintf(why, SB_WHY_MAX, "must start with '/' and contain no spaces or control bytes");
        return -EINVAL;
    }
    if (key == SB_MK_HOST &&
        (value[0] == '\0' || !printable_without_space(value) || strpbrk(value, "/?#@") != NULL)) {
        snprintf(why, SB_WHY_MAX, "must be a host name, without spaces, '/', '?', '#' or '@'");
        return -EINVAL;
    }
    char *copy = sb_arena_strdup(arena, value);
    if (copy == NULL)
        return -ENOMEM;
    if (key == SB_MK_PATH)
        m->path = copy;
    else
        m->host = copy;
    return 0;
}

static int set_interval(sb_monitor_t *m, sb_monitor_key_t key, const char *value, char *why)
{
    uint64_t ms;
    if (sb_value_duration_ms(value, &ms, why) < 0)
        return -EINVAL;
    if (key == SB_MK_INTERVAL &&
        (ms < SB_MONITOR_MIN_INTERVAL_MS || ms > SB_MONITOR_MAX_INTERVAL_MS)) {
        snprintf(why, SB_WHY_MAX, "must be from 100ms to 1h");
        return -EINVAL;
    }
    if (key == SB_MK_TIMEOUT && (ms < 10 || ms > SB_MONITOR_MAX_INTERVAL_MS)) {
        snprintf(why, SB_WHY_MAX, "must be from 10ms to 1h");
        return -EINVAL;
    }
    if (key == SB_MK_INTERVAL)
        m->interval_ms = (uint32_t)ms;
    else
        m->timeout_ms = (uint32_t)ms;
    return 0;
}

static int set_value(sb_monitor_t *m, sb_monitor_key_t key, const char *value, sb_arena_t *arena,
                     char *why)
{
    uint64_t v;
    size_t count;
    switch (key) {
    case SB_MK_PORT:
        if (sb_value_uint(value, 1, 65535, &v, why) < 0)
            return -EINVAL;
        m->port = (uint16_t)v;
        return 0;
    case SB_MK_PATH:
    case SB_MK_HOST:
        return set_text(m, key, value, arena, why);
    case SB_MK_INTERVAL:
    case SB_MK_TIMEOUT:
        return set_interval(m, key, value, why);
    case SB_MK_FALL:
    case SB_MK_RISE:
        if (sb_value_uint(value, 1, 10, &v, why) < 0)
            return -EINVAL;
        *(key == SB_MK_FALL ? &m->fall : &m->rise) = (uint8_t)v;
        return 0;
    case SB_MK_EXPECT:
        if (sb_value_status_ranges(value, m->expect, SB_MONITOR_MAX_RANGES, &count, why) < 0)
            return -EINVAL;
        m->expect_count = (uint8_t)count;
        return 0;
    case SB_MK_COUNT:
        break;
    }
    return SB_ENOTFOUND;
}

int sb_monitor_set(sb_monitor_t *m, const char *key, const char *value, sb_pos_t where,
                   sb_arena_t *arena, char *why)
{
    int k = find_key(key);
    if (k < 0)
        return SB_ENOTFOUND;
    int rc = set_value(m, (sb_monitor_key_t)k, value, arena, why);
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
        switch ((sb_monitor_key_t)k) {
        case SB_MK_PORT:
            dst->port = o->port;
            break;
        case SB_MK_PATH:
            dst->path = o->path;
            break;
        case SB_MK_HOST:
            dst->host = o->host;
            break;
        case SB_MK_INTERVAL:
            dst->interval_ms = o->interval_ms;
            break;
        case SB_MK_TIMEOUT:
            dst->timeout_ms = o->timeout_ms;
            break;
        case SB_MK_FALL:
            dst->fall = o->fall;
            break;
        case SB_MK_RISE:
            dst->rise = o->rise;
            break;
        case SB_MK_EXPECT:
            dst->expect_count = o->expect_count;
            memcpy(dst->expect, o->expect, sizeof(dst->expect));
            break;
        case SB_MK_COUNT:
            break;
        }
        dst->set |= 1u << k;
        dst->pos[k] = o->pos[k];
    }
}

/* Keys that mean nothing for a protocol are refused rather than ignored, so a
 * typo like `monitor tcp path=/health` does not silently probe something else. */
static int check_applicable(const sb_monitor_t *m, char *why, sb_pos_t *where)
{
    uint32_t http_only = (1u << SB_MK_PATH) | (1u << SB_MK_HOST) | (1u << SB_MK_EXPECT);
    uint32_t misplaced = 0;
    if (m->proto == SB_MONITOR_NONE)
        misplaced = m->set;
    else if (m->proto == SB_MONITOR_TCP)
        misplaced = m->set & http_only;
    if (misplaced == 0)
        return 0;
    int k = __builtin_ctz(misplaced);
    snprintf(why, SB_WHY_MAX, "'%s' does not apply to a %s monitor", key_names[k],
             proto_names[m->proto]);
    *where = m->pos[k];
    return -EINVAL;
}

int sb_monitor_check(sb_monitor_t *m, char *why, sb_pos_t *where)
{
    if (check_applicable(m, why, where) < 0)
        return -EINVAL;
    if (m->proto == SB_MONITOR_NONE)
        return 0;
    if (m->proto == SB_MONITOR_TCP && m->port == 0) {
        snprintf(why, SB_WHY_MAX, "a tcp monitor needs a port (add port=N)");
        *where = m->proto_pos;
        return -EINVAL;
    }
    if (!(m->set & (1u << SB_MK_TIMEOUT))) {
        uint32_t half = m->interval_ms / 2;
        m->timeout_ms = half < 5000 ? half : 5000;
    }
    if (m->timeout_ms >= m->interval_ms) {
        char t[32], i[32];
        sb_value_format_duration(m->timeout_ms, t, sizeof(t));
        sb_value_format_duration(m->interval_ms, i, sizeof(i));
        snprintf(why, SB_WHY_MAX, "timeout=%s must be less than interval=%s", t, i);
        *where = m->pos[SB_MK_TIMEOUT];
        return -EINVAL;
    }
    return 0;
}

uint16_t sb_monitor_port(const sb_monitor_t *m)
{
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
