/*
 * Profile blocks (sb_zonefile_profile.h): drafts collected line by line,
 * checked as a whole when the block closes, and built into the zone.
 */
#include "sb_zonefile_profile.h"

#include "sb_dns.h"
#include "sb_error.h"
#include "sb_monitor.h"
#include "sb_monitor_pool.h"
#include "sb_route_methods.h"
#include "sb_zonefile_route.h"
#include "sb_zonefile_rr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *name;
    uint32_t priority; /* 0: not given */
    sb_target_kind_t kind;
    uint8_t target[SB_NAME_MAX];
    uint8_t target_len;
    sb_addr_t addr;
    char target_text[SB_NAME_TEXT_MAX];
    sb_monitor_t overrides;
    bool own_proto; /* monitor=PROTOCOL on the endpoint */
    sb_monitor_proto_t proto;
    sb_pos_t proto_pos;
    sb_pos_t pos;
    sb_pos_t priority_pos;
    bool priority_bad; /* given, but not a valid number (already reported) */
    sb_route_ep_draft_t route;
} endpoint_draft_t;

/* STMT_BROKEN: the last statement had an error; its continuation lines are
 * skipped rather than reported again. */
typedef enum { STMT_NONE, STMT_MONITOR, STMT_ENDPOINT, STMT_BROKEN } stmt_t;

typedef struct sb_profile_draft {
    sb_pos_t pos;
    uint8_t owner[SB_NAME_MAX];
    uint32_t ttl;
    const sb_route_method_t *route; /* NULL when the one named is unknown (reported) */
    bool have_monitor;
    bool monitor_broken;  /* a monitor statement was there but had errors */
    bool endpoint_broken; /* an endpoint statement was there but had errors */
    sb_pos_t monitor_pos;
    sb_monitor_t monitor;
    endpoint_draft_t *eps;
    size_t count;
    size_t cap;
    stmt_t last;         /* the statement a continuation line extends */
    bool awaiting_brace; /* the profile line lacked '{': it may come on the next line */
    bool brace_missing;  /* it never came; the block's lines are checked, not built */
    sb_pos_t brace_pos;  /* where the '{' was expected */
    sb_route_profile_draft_t route_settings;
} profile_draft_t;

/* A profile's answers are cached for its TTL: that long after a failover,
 * resolvers may still send clients to the endpoint that failed. */
static void warn_long_ttl(sb_zparse_t *zp, const profile_draft_t *d, sb_pos_t where)
{
    if (d->ttl <= SB_PROFILE_TTL_WARN)
        return;
    char owner[SB_NAME_TEXT_MAX];
    sb_name_to_text(d->owner, owner, sizeof(owner));
    sb_diag_warning(zp->diag, where,
                    "profile %s has ttl=%u: resolvers may send clients to a failed endpoint for "
                    "up to %u s after failover; keep it at %u or less (the default is %u)",
                    owner, d->ttl, d->ttl, SB_PROFILE_TTL_WARN, SB_PROFILE_DEFAULT_TTL);
}

void sb_zonefile_profile_open(sb_zparse_t *zp, const sb_entry_t *e, const sb_zparse_head_t *h)
{
    const sb_token_t *tt = &e->tokens[h->type_index];
    const sb_token_t *last = &e->tokens[e->count - 1];
    bool brace = sb_zparse_is_word(last, "{");
    size_t end = brace ? e->count - 1 : e->count;
    size_t i = h->type_index + 1;
    if (h->ttl_given)
        sb_zparse_error(zp, h->ttl_pos,
                        "a profile's TTL is set with ttl=N after the routing method");
    const sb_route_method_t *route = NULL;
    if (i >= end) {
        sb_zparse_error(zp, sb_zparse_pos_plus(tt->pos, tt->len),
                        "profile needs a routing method, as in 'www profile priority {'");
    } else if (e->tokens[i].quoted || (route = sb_route_methods_find(e->tokens[i].text)) == NULL) {
        char names[128];
        sb_route_methods_list(names, sizeof(names));
        sb_zparse_error(zp, e->tokens[i].pos, "unknown routing method '%s' (supported: %s)",
                        e->tokens[i].text, names);
    }
    profile_draft_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        zp->oom = 1;
        return;
    }
    d->route = route;
    memcpy(d->owner, h->owner, sb_name_len(h->owner));
    d->ttl = SB_PROFILE_DEFAULT_TTL;
    d->pos = e->blank_owner ? tt->pos : e->tokens[0].pos;
    for (i++; i < end; i++) {
        const sb_token_t *t = &e->tokens[i];
        char key[32], value[256];
        sb_pos_t vpos;
        if (!sb_zparse_is_setting(t)) {
            sb_zparse_error(zp, t->pos,
                            "unexpected '%s' in the profile line (settings are key=value)",
                            t->text);
        } else if (sb_zparse_split_setting(zp, t, key, sizeof(key), value, sizeof(value), &vpos)) {
            if (strcmp(key, "ttl") != 0) {
                if (!sb_zonefile_route_profile_setting(zp, &d->route_settings, route, key, value,
                                                       t->pos, vpos))
                    sb_zparse_error(zp, t->pos,
                                    "unknown profile setting '%s' (supported: "
                                    "ttl, " SB_ZONEFILE_ROUTE_PROFILE_KEYS ")",
                                    key);
            } else if (!sb_zparse_ttl(value, &d->ttl))
                sb_zparse_error(
                    zp, vpos, "bad ttl '%s' (seconds up to 2147483647, or units as in 1m)", value);
            else
                warn_long_ttl(zp, d, vpos);
        }
    }
    if (!brace) {
        d->awaiting_brace = true;
        d->brace_pos = sb_zparse_pos_plus(last->pos, last->len);
    }
    zp->profile = d;
}

/* Applies one key=value to a monitor. Returns SB_ENOTFOUND for a key that is
 * not a monitor setting (the caller decides what that means). */
static int monitor_setting(sb_zparse_t *zp, sb_monitor_t *m, const char *key, const char *value,
                           sb_pos_t kpos, sb_pos_t vpos)
{
    char why[SB_WHY_MAX];
    int rc = sb_monitor_set(m, key, value, kpos, zp->arena, why);
    if (rc == -EINVAL)
        sb_zparse_error(zp, vpos, "bad %s '%s': %s %s", key, value, key, why);
    else if (rc == -ENOMEM)
        zp->oom = 1;
    return rc;
}

static void monitor_settings(sb_zparse_t *zp, sb_monitor_t *m, const sb_token_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char key[32], value[256];
        sb_pos_t vpos;
        if (!sb_zparse_is_setting(&t[i])) {
            sb_zparse_error(zp, t[i].pos, "unexpected '%s' (monitor settings are key=value)",
                            t[i].text);
        } else if (!sb_zparse_split_setting(zp, &t[i], key, sizeof(key), value, sizeof(value),
                                            &vpos)) {
            continue;
        } else if (strcmp(key, "probe-target") == 0) {
            sb_zparse_error(zp, t[i].pos,
                            "probe-target belongs on an endpoint line: each endpoint has its own");
        } else if (monitor_setting(zp, m, key, value, t[i].pos, vpos) == SB_ENOTFOUND) {
            char known[512];
            sb_monitor_key_list(known, sizeof(known));
            sb_zparse_error(zp, t[i].pos, "unknown monitor setting '%s' (known: %s)", key, known);
        }
    }
}

static void monitor_stmt(sb_zparse_t *zp, profile_draft_t *d, const sb_token_t *t, size_t n)
{
    d->last = STMT_BROKEN;
    if (d->have_monitor) {
        sb_zparse_error(zp, t[0].pos, "the profile already has a monitor (line %u)",
                        d->monitor_pos.line);
        return;
    }
    sb_monitor_proto_t proto;
    d->monitor_broken = true;
    if (n < 2 || sb_zparse_is_setting(&t[1])) {
        sb_zparse_error(zp, sb_zparse_pos_plus(t[0].pos, t[0].len),
                        "monitor needs a protocol: http, https, tcp or none");
        return;
    }
    if (sb_monitor_proto_parse(t[1].text, &proto) < 0) {
        sb_zparse_error(zp, t[1].pos,
                        "unknown monitor protocol '%s' (supported: http, https, tcp, none)",
                        t[1].text);
        return;
    }
    sb_monitor_init(&d->monitor, proto, t[1].pos);
    d->have_monitor = true;
    d->last = STMT_MONITOR;
    d->monitor_pos = t[0].pos;
    monitor_settings(zp, &d->monitor, t + 2, n - 2);
}

/* monitor=PROTOCOL on an endpoint: its own kind of probe (none: always up). */
static void endpoint_protocol(sb_zparse_t *zp, endpoint_draft_t *ep, const char *value,
                              sb_pos_t vpos)
{
    if (sb_monitor_proto_parse(value, &ep->proto) < 0) {
        sb_zparse_error(zp, vpos,
                        "unknown monitor protocol '%s' (supported: http, https, tcp, none)", value);
        return;
    }
    ep->own_proto = true;
    ep->proto_pos = vpos;
}

static void endpoint_settings(sb_zparse_t *zp, const profile_draft_t *d, endpoint_draft_t *ep,
                              const sb_token_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char key[32], value[256], why[SB_WHY_MAX];
        sb_pos_t vpos;
        uint64_t v;
        if (!sb_zparse_is_setting(&t[i])) {
            sb_zparse_error(zp, t[i].pos, "unexpected '%s' (endpoint settings are key=value)",
                            t[i].text);
            continue;
        }
        if (!sb_zparse_split_setting(zp, &t[i], key, sizeof(key), value, sizeof(value), &vpos))
            continue;
        if (strcmp(key, "priority") == 0) {
            if (sb_value_uint(value, 1, 65535, &v, why) < 0) {
                sb_zparse_error(zp, vpos, "bad priority '%s': priority %s", value, why);
                ep->priority_bad = true;
            } else {
                ep->priority = (uint32_t)v;
                ep->priority_pos = t[i].pos;
            }
        } else if (strcmp(key, "monitor") == 0) {
            endpoint_protocol(zp, ep, value, vpos);
        } else if (sb_zonefile_route_endpoint_setting(zp, &ep->route, d->route, key, value,
                                                      t[i].pos, vpos)) {
            continue;
        } else if (monitor_setting(zp, &ep->overrides, key, value, t[i].pos, vpos) ==
                   SB_ENOTFOUND) {
            sb_zparse_error(
                zp, t[i].pos,
                "unknown endpoint setting '%s' (an endpoint takes priority=N, monitor=PROTOCOL, "
                "its routing method's settings and any monitor setting)",
                key);
        }
    }
}

static bool valid_endpoint_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '-' || c == '_'));
        if (!ok)
            return false;
    }
    return true;
}

static bool parse_target(sb_zparse_t *zp, endpoint_draft_t *ep, const sb_token_t *t)
{
    if (!t->quoted && sb_addr_parse(t->text, &ep->addr) == 0) {
        ep->kind = ep->addr.family == 4 ? SB_TARGET_V4 : SB_TARGET_V6;
        snprintf(ep->target_text, sizeof(ep->target_text), "%s", t->text);
        return true;
    }
    if (!t->quoted && strchr(t->text, ':') != NULL) {
        sb_zparse_error(zp, t->pos, "endpoint target '%s' is not a valid IPv6 address", t->text);
        return false;
    }
    size_t len = sb_zparse_name(zp, t, "endpoint target", ep->target);
    if (len == 0)
        return false;
    ep->kind = SB_TARGET_NAME;
    ep->target_len = (uint8_t)len;
    sb_name_to_text(ep->target, ep->target_text, sizeof(ep->target_text));
    return true;
}

static void endpoint_stmt(sb_zparse_t *zp, profile_draft_t *d, const sb_token_t *t, size_t n)
{
    d->last = STMT_BROKEN;
    d->endpoint_broken = true;
    if (n < 3 || sb_zparse_is_setting(&t[1]) || sb_zparse_is_setting(&t[2])) {
        sb_zparse_error(
            zp, t[0].pos,
            "endpoint needs a name and a target, as in 'endpoint east east.example.com. "
            "priority=1'");
        return;
    }
    if (!valid_endpoint_name(t[1].text)) {
        sb_zparse_error(
            zp, t[1].pos,
            "endpoint name '%s' must be 1-63 letters, digits, '-' or '_', starting with a "
            "letter or digit",
            t[1].text);
        return;
    }
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        endpoint_draft_t *grown = realloc(d->eps, cap * sizeof(*grown));
        if (grown == NULL) {
            zp->oom = 1;
            return;
        }
        d->eps = grown;
        d->cap = cap;
    }
    endpoint_draft_t *ep = &d->eps[d->count];
    memset(ep, 0, sizeof(*ep));
    ep->pos = t[0].pos;
    ep->name = sb_arena_strdup(zp->arena, t[1].text);
    if (ep->name == NULL) {
        zp->oom = 1;
        return;
    }
    if (!parse_target(zp, ep, &t[2]))
        return;
    d->count++;
    d->last = STMT_ENDPOINT;
    endpoint_settings(zp, d, ep, t + 3, n - 3);
}

static void continuation(sb_zparse_t *zp, profile_draft_t *d, const sb_token_t *t, size_t n)
{
    if (d->last == STMT_MONITOR)
        monitor_settings(zp, &d->monitor, t, n);
    else if (d->last == STMT_ENDPOINT)
        endpoint_settings(zp, d, &d->eps[d->count - 1], t, n);
    else if (d->last == STMT_NONE)
        sb_zparse_error(zp, t[0].pos, "setting '%s' must follow a monitor or endpoint statement",
                        t[0].text);
}

/* An earlier endpoint with the same valid priority. Priority 0 stands for
 * "not given" (or given badly, already reported): it is nobody's. */
static const endpoint_draft_t *find_priority(const profile_draft_t *d, size_t before, uint32_t prio)
{
    if (prio == 0)
        return NULL;
    for (size_t j = 0; j < before; j++) {
        if (d->eps[j].priority == prio)
            return &d->eps[j];
    }
    return NULL;
}

static const endpoint_draft_t *find_name(const profile_draft_t *d, size_t before, const char *name)
{
    for (size_t j = 0; j < before; j++) {
        if (strcmp(d->eps[j].name, name) == 0)
            return &d->eps[j];
    }
    return NULL;
}

static void check_endpoint(sb_zparse_t *zp, const profile_draft_t *d, size_t i, const char *owner)
{
    const endpoint_draft_t *ep = &d->eps[i];
    const endpoint_draft_t *other;
    if ((other = find_name(d, i, ep->name)) != NULL) {
        sb_zparse_error(zp, ep->pos, "endpoint '%s' is already defined in this profile (line %u)",
                        ep->name, other->pos.line);
    }
    /* Other methods order endpoints as written unless told otherwise (for
     * failing open and falling back); addresses may share a priority (an
     * RRset of equal primaries), names may not (one CNAME per name). */
    bool needs_priority = d->route == NULL || d->route == sb_route_methods_find("priority");
    if (ep->priority == 0 && !ep->priority_bad && needs_priority) {
        sb_zparse_error(zp, ep->pos,
                        "endpoint '%s' needs a priority (add priority=N; 1 is the first)",
                        ep->name);
    } else if (ep->kind == SB_TARGET_NAME && (other = find_priority(d, i, ep->priority)) != NULL) {
        sb_zparse_error(
            zp, ep->priority_pos,
            "priority %u of endpoint '%s' is already used by endpoint '%s'; endpoints that are "
            "names each need their own priority (a name answers with one CNAME)",
            ep->priority, ep->name, other->name);
    }
    if ((ep->kind == SB_TARGET_NAME) != (d->eps[0].kind == SB_TARGET_NAME)) {
        sb_zparse_error(
            zp, ep->pos,
            "endpoint '%s' is %s but endpoint '%s' is %s; a profile's endpoints are all "
            "names (answered with CNAME) or all addresses (answered with A/AAAA)",
            ep->name, ep->kind == SB_TARGET_NAME ? "a name" : "an address", d->eps[0].name,
            d->eps[0].kind == SB_TARGET_NAME ? "a name" : "an address");
    }
    if (ep->kind == SB_TARGET_NAME && sb_name_equal(ep->target, d->owner)) {
        sb_zparse_error(zp, ep->pos, "endpoint '%s' points at the profile's own name %s", ep->name,
                        owner);
    }
}

/* An endpoint's monitor error is reported on the endpoint's own line: at
 * the override that caused it, or at the endpoint statement when the
 * setting named was inherited from the profile. */
static sb_pos_t own_position(const endpoint_draft_t *ep, sb_pos_t where)
{
    for (int k = 0; k < SB_MK_COUNT; k++) {
        const sb_pos_t *p = &ep->overrides.pos[k];
        if ((ep->overrides.set & (1u << k)) && p->line == where.line && p->col == where.col)
            return where;
    }
    return ep->pos;
}

/* Check the profile's monitor, then each endpoint's monitor with its
 * overrides applied; fills eff[i] with the effective monitor. */
static void check_monitors(sb_zparse_t *zp, const profile_draft_t *d, sb_monitor_t *eff)
{
    char why[SB_WHY_MAX];
    sb_pos_t where;
    sb_monitor_t base = d->monitor;
    if (sb_monitor_check(&base, why, &where) < 0) {
        sb_zparse_error(zp, where, "%s", why);
        return;
    }
    for (size_t i = 0; i < d->count; i++) {
        const endpoint_draft_t *ep = &d->eps[i];
        /* The profile's settings are for its protocol: an endpoint with
         * another one starts from that protocol's defaults. */
        if (ep->own_proto && ep->proto != d->monitor.proto)
            sb_monitor_init(&eff[i], ep->proto, ep->proto_pos);
        else
            eff[i] = d->monitor;
        sb_monitor_apply(&eff[i], &ep->overrides);
        if (sb_monitor_check(&eff[i], why, &where) < 0)
            sb_zparse_error(zp, own_position(ep, where), "endpoint '%s': %s", ep->name, why);
    }
}

static int cmp_priority(const void *a, const void *b)
{
    const sb_endpoint_t *x = a, *y = b;
    return (x->priority > y->priority) - (x->priority < y->priority);
}

static int build_profile(sb_zparse_t *zp, const profile_draft_t *d, const sb_monitor_t *eff,
                         const char *owner_text)
{
    sb_profile_t *p = sb_arena_alloc(zp->arena, sizeof(*p));
    sb_endpoint_t *eps = sb_arena_alloc(zp->arena, d->count * sizeof(*eps));
    size_t olen = sb_name_len(d->owner);
    uint8_t *owner = sb_arena_alloc(zp->arena, olen);
    if (p == NULL || eps == NULL || owner == NULL)
        return -ENOMEM;
    sb_name_lower(owner, d->owner, olen);
    p->owner = owner;
    p->owner_len = (uint8_t)olen;
    p->owner_text = sb_arena_strdup(zp->arena, owner_text);
    p->ttl = d->ttl;
    /* A profile naming an unknown method is built all the same, so that
     * the checks across zones still report; the generation is refused. */
    p->route = d->route != NULL ? d->route : sb_route_methods_find("priority");
    p->addresses = d->eps[0].kind != SB_TARGET_NAME;
    p->pos = d->pos;
    if (sb_zonefile_route_apply_profile(zp, &d->route_settings, p) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < d->count; i++) {
        const endpoint_draft_t *src = &d->eps[i];
        sb_endpoint_t *ep = &eps[i];
        ep->name = src->name;
        /* Without priority= (methods other than priority): after those
         * with one, as written. */
        ep->priority = src->priority ? src->priority : 65536u + (uint32_t)i;
        ep->monitor_given = src->own_proto || src->overrides.set != 0;
        sb_zonefile_route_apply_endpoint(&src->route, ep);
        ep->kind = src->kind;
        ep->addr = src->addr;
        ep->target_len = src->target_len;
        ep->target =
            src->target_len ? sb_arena_memdup(zp->arena, src->target, src->target_len) : NULL;
        ep->target_text = sb_arena_strdup(zp->arena, src->target_text);
        /* Endpoints with equal settings, across the zone's profiles, share
         * one copy: a copy each was 672 bytes an endpoint. */
        ep->monitor = sb_monitor_pool_intern(zp->monitors, zp->arena, &eff[i]);
        ep->profile = p;
        ep->pos = src->pos;
        if (ep->target_text == NULL || ep->monitor == NULL ||
            (src->target_len && ep->target == NULL))
            return -ENOMEM;
    }
    qsort(eps, d->count, sizeof(*eps), cmp_priority);
    for (size_t i = 0; i < d->count; i++)
        eps[i].index = (uint16_t)i;
    p->endpoints = eps;
    p->count = (uint16_t)d->count;
    if (p->owner_text == NULL)
        return -ENOMEM;
    if (p->route->build != NULL && p->route->build(p, zp->arena, zp->diag) < 0)
        return -ENOMEM;
    sb_route_decision_t *first = sb_route_first(p, zp->arena);
    if (first == NULL)
        return -ENOMEM;
    sb_route_publish(p, first);
    return sb_zone_add_profile(zp->zone, p);
}

static void route_check(sb_zparse_t *zp, const profile_draft_t *d, const char *owner)
{
    const sb_route_ep_draft_t **eps = calloc(d->count + 1, sizeof(*eps));
    if (eps == NULL) {
        zp->oom = 1;
        return;
    }
    for (size_t i = 0; i < d->count; i++)
        eps[i] = &d->eps[i].route;
    bool addresses = d->count > 0 && d->eps[0].kind != SB_TARGET_NAME;
    sb_zonefile_route_check(zp, &d->route_settings, d->route, eps, d->count, addresses, owner,
                            d->pos);
    free(eps);
}

static void profile_close(sb_zparse_t *zp)
{
    profile_draft_t *d = zp->profile;
    zp->profile = NULL;
    char owner[SB_NAME_TEXT_MAX];
    sb_name_to_text(d->owner, owner, sizeof(owner));
    if (!d->have_monitor && !d->monitor_broken) {
        sb_zparse_error(zp, d->pos,
                        "profile %s has no monitor; add 'monitor http', 'monitor tcp port=N' or "
                        "'monitor none'",
                        owner);
    }
    if (d->count == 0 && !d->endpoint_broken) {
        sb_zparse_error(zp, d->pos,
                        "profile %s has no endpoints; add 'endpoint NAME TARGET priority=N'",
                        owner);
    }
    if (d->count > 1000) {
        sb_zparse_error(zp, d->pos, "profile %s has %zu endpoints; at most 1000 are allowed", owner,
                        d->count);
    }
    for (size_t i = 0; i < d->count; i++)
        check_endpoint(zp, d, i, owner);
    route_check(zp, d, owner);
    sb_monitor_t *eff = calloc(d->count ? d->count : 1, sizeof(*eff));
    if (eff == NULL) {
        zp->oom = 1;
    } else if (d->have_monitor && d->count > 0 && d->count <= 1000 && !d->brace_missing) {
        /* Built even when something above was wrong, so that the checks that
         * run across zones (endpoint targets) report too; a generation with
         * any error is refused as a whole. */
        check_monitors(zp, d, eff);
        if (build_profile(zp, d, eff, owner) < 0)
            zp->oom = 1;
    }
    free(eff);
    free(d->eps);
    free(d);
}

static bool block_like(const sb_entry_t *e)
{
    const sb_token_t *t = &e->tokens[0];
    return sb_zparse_is_word(t, "monitor") || sb_zparse_is_word(t, "endpoint") ||
           sb_zparse_is_word(t, "}") || sb_zparse_is_setting(t);
}

void sb_zonefile_profile_discard(sb_zparse_t *zp)
{
    free(zp->profile->eps);
    free(zp->profile);
    zp->profile = NULL;
}

/* A profile line without '{': the brace may stand alone on the next line.
 * Otherwise report it once, and keep reading the block's statements (to
 * check them) until a line that cannot belong to a block. Returns false when
 * `e` is not part of the block and must be read as an ordinary entry. */
static bool brace_check(sb_zparse_t *zp, const sb_entry_t *e)
{
    profile_draft_t *d = zp->profile;
    if (d->awaiting_brace) {
        d->awaiting_brace = false;
        if (e->count == 1 && sb_zparse_is_word(&e->tokens[0], "{"))
            return true;
        sb_zparse_error(zp, d->brace_pos, "expected '{' at the end of the profile line");
        d->brace_missing = true;
    }
    if (d->brace_missing && !block_like(e)) {
        sb_zonefile_profile_discard(zp);
        return false;
    }
    return true;
}

/* A line that cannot belong to a block: no block statement (monitor,
 * endpoint, a setting, a brace) and no directive (reported as misplaced
 * instead), but a record or a profile line, which the zone reads. */
static bool zone_entry(const sb_entry_t *e)
{
    const sb_token_t *t = &e->tokens[0];
    if (block_like(e) || sb_zparse_is_word(t, "{") || (t->text[0] == '$' && !t->quoted))
        return false;
    size_t i = sb_zparse_type_index(e);
    if (i >= e->count || e->tokens[i].quoted)
        return false;
    return strcasecmp(e->tokens[i].text, "profile") == 0 ||
           sb_zonefile_rr_known_type(e->tokens[i].text);
}

/* The open block meets a line of the zone: its '}' is missing. Say so
 * once, close the block (so that its own statements are checked as
 * written), and skip what is left of it. */
static void never_closed(sb_zparse_t *zp, const sb_entry_t *e)
{
    profile_draft_t *d = zp->profile;
    char owner[SB_NAME_TEXT_MAX];
    sb_name_to_text(d->owner, owner, sizeof(owner));
    sb_zparse_error(zp, d->pos, "profile %s is never closed (missing '}' before line %u)", owner,
                    e->tokens[0].pos.line);
    profile_close(zp);
    zp->block_unclosed = true;
}

bool sb_zonefile_profile_stray(sb_zparse_t *zp, const sb_entry_t *e)
{
    if (!zp->block_unclosed)
        return false;
    if (!block_like(e)) {
        zp->block_unclosed = false;
        return false;
    }
    if (sb_zparse_is_word(&e->tokens[e->count - 1], "}"))
        zp->block_unclosed = false;
    return true;
}

/* Returns false when the entry turned out not to belong to the block. */
bool sb_zonefile_profile_line(sb_zparse_t *zp, const sb_entry_t *e)
{
    if (!brace_check(zp, e))
        return false;
    if (zp->profile != NULL && !zp->profile->brace_missing && zone_entry(e)) {
        never_closed(zp, e);
        return false;
    }
    profile_draft_t *d = zp->profile;
    if (d == NULL || (e->count == 1 && sb_zparse_is_word(&e->tokens[0], "{") &&
                      d->last == STMT_NONE && d->count == 0 && !d->have_monitor))
        return true;
    const sb_token_t *t = e->tokens;
    size_t n = e->count;
    if (t[0].text[0] == '$' && !t[0].quoted) {
        sb_zparse_error(zp, t[0].pos, "directive '%s' is not allowed inside a profile block",
                        t[0].text);
        return true;
    }
    if (sb_zparse_is_word(&t[0], "}")) {
        if (n > 1)
            sb_zparse_error(zp, t[1].pos, "unexpected '%s' after '}'", t[1].text);
        profile_close(zp);
        return true;
    }
    bool closes = sb_zparse_is_word(&t[n - 1], "}");
    if (closes)
        n--;
    if (sb_zparse_is_word(&t[0], "monitor"))
        monitor_stmt(zp, d, t, n);
    else if (sb_zparse_is_word(&t[0], "endpoint"))
        endpoint_stmt(zp, d, t, n);
    else if (sb_zparse_is_setting(&t[0]))
        continuation(zp, d, t, n);
    else {
        sb_zparse_error(zp, t[0].pos, "expected 'monitor', 'endpoint' or '}' but found '%s'",
                        t[0].text);
        d->last = STMT_BROKEN;
    }
    if (closes)
        profile_close(zp);
    return true;
}

void sb_zonefile_profile_unclosed(sb_zparse_t *zp)
{
    profile_draft_t *d = zp->profile;
    char owner[SB_NAME_TEXT_MAX];
    sb_name_to_text(d->owner, owner, sizeof(owner));
    if (d->awaiting_brace)
        sb_zparse_error(zp, d->brace_pos, "expected '{' at the end of the profile line");
    else if (!d->brace_missing)
        sb_zparse_error(zp, d->pos, "profile %s is never closed (missing '}')", owner);
    sb_zonefile_profile_discard(zp);
}
