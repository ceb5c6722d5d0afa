#include "sb_zonefile.h"

#include "sb_dns.h"
#include "sb_error.h"
#include "sb_lexer.h"
#include "sb_monitor.h"
#include "sb_route_methods.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_INCLUDE_DEPTH 8
#define MAX_INCLUDES      256         /* files included, in all, by one zone */
#define TTL_MAX           2147483647u /* RFC 2181 §8 */

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
} endpoint_draft_t;

/* STMT_BROKEN: the last statement had an error; its continuation lines are
 * skipped rather than reported again. */
typedef enum { STMT_NONE, STMT_MONITOR, STMT_ENDPOINT, STMT_BROKEN } stmt_t;

typedef struct {
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
} profile_draft_t;

typedef struct {
    sb_arena_t *arena;
    sb_diag_t *diag;
    sb_zone_t *zone;
    const uint8_t *apex;
    uint8_t origin[SB_NAME_MAX];
    ldns_rdf *origin_rdf;
    uint32_t default_ttl; /* from $TTL */
    bool have_default_ttl;
    uint32_t last_ttl; /* last TTL written on a record (RFC 1035 §5.1) */
    bool have_last_ttl;
    uint8_t prev_owner[SB_NAME_MAX];
    bool have_prev_owner;
    bool prev_owner_bad; /* the last owner written was invalid */
    int depth;
    struct {
        dev_t dev;
        ino_t ino;
    } open_files[MAX_INCLUDE_DEPTH + 1]; /* the files being read, outermost first */
    int include_count;
    profile_draft_t *profile; /* open profile block, or NULL */
    int oom;
} zparse_t;

static int parse_lexer(zparse_t *zp, sb_lexer_t *lx);

/* ---- small helpers ------------------------------------------------------ */

static void error_at(zparse_t *zp, sb_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(zparse_t *zp, sb_pos_t pos, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sb_diag_error(zp->diag, pos, "%s", msg);
}

static sb_pos_t pos_plus(sb_pos_t pos, size_t cols)
{
    pos.col += (unsigned)cols;
    return pos;
}

static int set_origin(zparse_t *zp, const uint8_t *name)
{
    size_t len = sb_name_len(name);
    ldns_rdf *rdf = ldns_dname_new_frm_data((uint16_t)len, name);
    if (rdf == NULL)
        return -ENOMEM;
    memcpy(zp->origin, name, len);
    if (zp->origin_rdf != NULL)
        ldns_rdf_deep_free(zp->origin_rdf);
    zp->origin_rdf = rdf;
    return 0;
}

/* True when the name text ends in a dot that is not escaped. */
static bool is_absolute(const char *text, size_t len)
{
    if (len == 0 || text[len - 1] != '.')
        return false;
    size_t slashes = 0;
    for (size_t i = len - 1; i > 0 && text[i - 1] == '\\'; i--)
        slashes++;
    return slashes % 2 == 0;
}

/* Parse a domain name token relative to the current origin. Returns the wire
 * length, or 0 after recording an error. */
static size_t parse_name(zparse_t *zp, const sb_token_t *t, const char *what, uint8_t *out)
{
    if (t->quoted) {
        error_at(zp, t->pos, "%s '%s' must not be quoted", what, t->text);
        return 0;
    }
    if (strcmp(t->text, "@") == 0) {
        size_t len = sb_name_len(zp->origin);
        memcpy(out, zp->origin, len);
        return len;
    }
    uint8_t wire[SB_NAME_MAX];
    int n = sb_name_from_text(t->text, wire);
    if (n == SB_ETOOBIG) {
        error_at(zp, t->pos, "%s '%s' has a label over 63 bytes or is over 255 bytes", what,
                 t->text);
        return 0;
    }
    if (n < 0) {
        error_at(zp, t->pos, "%s '%s' is not a valid domain name", what, t->text);
        return 0;
    }
    if (is_absolute(t->text, t->len)) {
        memcpy(out, wire, (size_t)n);
        return (size_t)n;
    }
    size_t olen = sb_name_len(zp->origin);
    if ((size_t)n - 1 + olen > SB_NAME_MAX) {
        error_at(zp, t->pos, "%s '%s' is over 255 bytes once the origin is appended", what,
                 t->text);
        return 0;
    }
    memcpy(out, wire, (size_t)n - 1);
    memcpy(out + n - 1, zp->origin, olen);
    return (size_t)n - 1 + olen;
}

/* A TTL: seconds, or BIND-style units (1h30m, 2d, 1w). */
static bool parse_ttl(const char *text, uint32_t *out)
{
    uint64_t total = 0, value = 0;
    bool digits = false, any_unit = false;
    for (const char *p = text;; p++) {
        char c = *p;
        if (c >= '0' && c <= '9') {
            value = value * 10 + (uint64_t)(c - '0');
            if (value > TTL_MAX)
                return false;
            digits = true;
            continue;
        }
        uint64_t scale;
        switch (c | 0x20) {
        case 's':
            scale = 1;
            break;
        case 'm':
            scale = 60;
            break;
        case 'h':
            scale = 3600;
            break;
        case 'd':
            scale = 86400;
            break;
        case 'w':
            scale = 604800;
            break;
        default:
            scale = 0;
            break;
        }
        if (c == '\0') {
            if (!digits && !any_unit)
                return false;
            if (digits && any_unit)
                return false; /* "1h30" is ambiguous */
            total += value;
            break;
        }
        if (scale == 0 || !digits)
            return false;
        total += value * scale;
        value = 0;
        digits = false;
        any_unit = true;
        if (total > TTL_MAX)
            return false;
    }
    if (total > TTL_MAX)
        return false;
    *out = (uint32_t)total;
    return true;
}

static bool looks_numeric(const char *text)
{
    return text[0] >= '0' && text[0] <= '9';
}

/* Split a `key=value` token; the value is unquoted and unescaped into
 * `value`. Returns false (after an error) for a malformed setting. */
static bool split_setting(zparse_t *zp, const sb_token_t *t, char *key, size_t keycap, char *value,
                          size_t valcap, sb_pos_t *value_pos)
{
    const char *eq = strchr(t->text, '=');
    size_t klen = (size_t)(eq - t->text);
    if (klen == 0 || klen >= keycap || memchr(t->text, '"', klen) != NULL) {
        error_at(zp, t->pos, "malformed setting '%s' (expected key=value)", t->text);
        return false;
    }
    memcpy(key, t->text, klen);
    key[klen] = '\0';
    *value_pos = pos_plus(t->pos, klen + 1);
    size_t o = 0;
    for (const char *p = eq + 1; *p != '\0';) {
        if (*p == '"') {
            p++;
            continue;
        }
        int c = (unsigned char)*p++;
        if (c == '\\') {
            if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                p[2] <= '9') {
                c = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                p += 3;
            } else {
                c = (unsigned char)*p++;
            }
        }
        if (c == 0 || c > 255 || o + 1 >= valcap) {
            error_at(zp, *value_pos, "value of '%s' is malformed or too long", key);
            return false;
        }
        value[o++] = (char)c;
    }
    value[o] = '\0';
    if (o == 0) {
        error_at(zp, *value_pos, "'%s=' needs a value", key);
        return false;
    }
    return true;
}

static bool is_setting(const sb_token_t *t)
{
    return strchr(t->text, '=') != NULL;
}

/* ---- directives --------------------------------------------------------- */

static void directive_origin(zparse_t *zp, const sb_entry_t *e)
{
    if (e->count != 2) {
        error_at(zp, e->tokens[0].pos, "$ORIGIN takes exactly one domain name");
        return;
    }
    uint8_t name[SB_NAME_MAX];
    if (parse_name(zp, &e->tokens[1], "origin", name) == 0)
        return;
    if (set_origin(zp, name) < 0)
        zp->oom = 1;
}

static void directive_ttl(zparse_t *zp, const sb_entry_t *e)
{
    if (e->count != 2) {
        error_at(zp, e->tokens[0].pos, "$TTL takes exactly one TTL");
        return;
    }
    if (!parse_ttl(e->tokens[1].text, &zp->default_ttl)) {
        error_at(zp, e->tokens[1].pos,
                 "bad TTL '%s' (seconds up to 2147483647, or units as in 1h30m)",
                 e->tokens[1].text);
        return;
    }
    zp->have_default_ttl = true;
}

static char *include_path(zparse_t *zp, const char *including, const char *path)
{
    if (path[0] == '/')
        return sb_arena_strdup(zp->arena, path);
    const char *slash = strrchr(including, '/');
    size_t dir = slash == NULL ? 0 : (size_t)(slash - including + 1);
    char *full = sb_arena_alloc(zp->arena, dir + strlen(path) + 1);
    if (full == NULL)
        return NULL;
    memcpy(full, including, dir);
    strcpy(full + dir, path);
    return full;
}

/* Refuse an include that is already being read (a cycle), and more than
 * MAX_INCLUDES in all (a file that includes another twice, nested, grows
 * exponentially). Records the file as open when it may be read. */
static bool include_allowed(zparse_t *zp, const sb_token_t *at, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        for (int i = 0; i <= zp->depth; i++) {
            if (zp->open_files[i].dev == st.st_dev && zp->open_files[i].ino == st.st_ino) {
                error_at(zp, at->pos,
                         "$INCLUDE of '%s' includes a file that is already being "
                         "read (a cycle)",
                         path);
                return false;
            }
        }
        zp->open_files[zp->depth + 1].dev = st.st_dev;
        zp->open_files[zp->depth + 1].ino = st.st_ino;
    }
    if (++zp->include_count > MAX_INCLUDES) {
        error_at(zp, at->pos, "more than %d $INCLUDE files in one zone", MAX_INCLUDES);
        return false;
    }
    return true;
}

static void directive_include(zparse_t *zp, const sb_entry_t *e, const char *including)
{
    if (e->count < 2 || e->count > 3) {
        error_at(zp, e->tokens[0].pos, "$INCLUDE takes a file name and optionally an origin");
        return;
    }
    if (zp->depth >= MAX_INCLUDE_DEPTH) {
        error_at(zp, e->tokens[0].pos, "$INCLUDE nested more than %d deep", MAX_INCLUDE_DEPTH);
        return;
    }
    uint8_t saved[SB_NAME_MAX];
    memcpy(saved, zp->origin, sb_name_len(zp->origin));
    uint8_t origin[SB_NAME_MAX];
    if (e->count == 3 && parse_name(zp, &e->tokens[2], "origin", origin) == 0)
        return;
    char *path = include_path(zp, including, e->tokens[1].text);
    if (path == NULL || (e->count == 3 && set_origin(zp, origin) < 0)) {
        zp->oom = 1;
        return;
    }
    sb_lexer_t *lx = NULL;
    if (include_allowed(zp, &e->tokens[1], path)) {
        int rc = sb_lexer_open(&lx, path, e->tokens[1].pos, zp->diag);
        if (rc == -ENOMEM)
            zp->oom = 1;
        if (rc == 0) {
            zp->depth++;
            if (parse_lexer(zp, lx) < 0)
                zp->oom = 1;
            zp->depth--;
            sb_lexer_close(lx);
        }
    }
    if (set_origin(zp, saved) < 0)
        zp->oom = 1;
}

static void directive(zparse_t *zp, const sb_entry_t *e, const char *file)
{
    const char *d = e->tokens[0].text;
    if (strcasecmp(d, "$ORIGIN") == 0)
        directive_origin(zp, e);
    else if (strcasecmp(d, "$TTL") == 0)
        directive_ttl(zp, e);
    else if (strcasecmp(d, "$INCLUDE") == 0)
        directive_include(zp, e, file);
    else
        error_at(zp, e->tokens[0].pos,
                 "unknown directive '%s' (supported: $ORIGIN, $TTL, $INCLUDE)", d);
}

/* ---- records ------------------------------------------------------------ */

typedef struct {
    uint8_t owner[SB_NAME_MAX];
    bool ttl_given;
    uint32_t ttl;
    sb_pos_t ttl_pos;
    size_t type_index; /* token index of the type (or "profile") */
} rr_head_t;

static bool is_class(const char *text)
{
    if (strcasecmp(text, "IN") == 0 || strcasecmp(text, "CH") == 0 || strcasecmp(text, "CS") == 0 ||
        strcasecmp(text, "HS") == 0)
        return true;
    if (strncasecmp(text, "CLASS", 5) != 0 || text[5] == '\0')
        return false;
    for (const char *p = text + 5; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    return true;
}

static bool owner_of(zparse_t *zp, const sb_entry_t *e, rr_head_t *h)
{
    if (e->blank_owner) {
        if (zp->prev_owner_bad)
            return false; /* its owner was already reported */
        if (!zp->have_prev_owner) {
            error_at(zp, e->tokens[0].pos,
                     "record has no owner name (the line starts with white space and no "
                     "earlier record names one)");
            return false;
        }
        memcpy(h->owner, zp->prev_owner, sb_name_len(zp->prev_owner));
        return true;
    }
    /* Lines that repeat this owner share its fate: a bad owner is reported
     * once and its following lines are skipped, never inherited. */
    zp->prev_owner_bad = true;
    if (parse_name(zp, &e->tokens[0], "owner name", h->owner) == 0)
        return false;
    if (!sb_name_is_within(h->owner, zp->apex)) {
        char o[SB_NAME_TEXT_MAX];
        sb_name_to_text(h->owner, o, sizeof(o));
        error_at(zp, e->tokens[0].pos, "owner name %s is outside the zone %s", o,
                 sb_zone_apex_text(zp->zone));
        return false;
    }
    memcpy(zp->prev_owner, h->owner, sb_name_len(h->owner));
    zp->have_prev_owner = true;
    zp->prev_owner_bad = false;
    return true;
}

/* Owner, then TTL and class in either order (RFC 1035 §5.1), then the type. */
static bool parse_head(zparse_t *zp, const sb_entry_t *e, rr_head_t *h)
{
    memset(h, 0, sizeof(*h));
    if (!owner_of(zp, e, h))
        return false;
    size_t i = e->blank_owner ? 0 : 1;
    bool class_seen = false;
    for (int k = 0; k < 2 && i < e->count; k++) {
        const sb_token_t *t = &e->tokens[i];
        if (!h->ttl_given && looks_numeric(t->text)) {
            if (!parse_ttl(t->text, &h->ttl)) {
                error_at(zp, t->pos,
                         "bad TTL '%s' (seconds up to 2147483647, or units as in 1h30m)", t->text);
                return false;
            }
            h->ttl_given = true;
            h->ttl_pos = t->pos;
        } else if (!class_seen && is_class(t->text)) {
            if (strcasecmp(t->text, "IN") != 0) {
                error_at(zp, t->pos, "class %s is not served; records must be class IN", t->text);
                return false;
            }
            class_seen = true;
        } else {
            break;
        }
        i++;
    }
    if (i >= e->count) {
        const sb_token_t *last = &e->tokens[e->count - 1];
        error_at(zp, pos_plus(last->pos, last->len), "record has no type");
        return false;
    }
    h->type_index = i;
    return true;
}

static bool lookup_type(const char *text, uint16_t *type)
{
    if (strncasecmp(text, "TYPE", 4) == 0 && text[4] >= '0' && text[4] <= '9') {
        unsigned long v = 0;
        for (const char *p = text + 4; *p != '\0'; p++) {
            if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned long)(*p - '0')) > 65535)
                return false;
        }
        *type = (uint16_t)v;
        return v != 0;
    }
    ldns_rr_type t = ldns_get_rr_type_by_name(text);
    if (t == 0 || t > 65535)
        return false;
    *type = (uint16_t)t;
    return true;
}

static void type_text(uint16_t type, char *buf, size_t cap)
{
    char *name = ldns_rr_type2str((ldns_rr_type)type);
    snprintf(buf, cap, "%s", name != NULL ? name : "?");
    free(name);
}

static bool is_meta_type(uint16_t type)
{
    /* OPT, TKEY, TSIG and the query-only types (RFC 6895 §3.1). */
    return type == SB_TYPE_OPT || (type >= 249 && type <= 255);
}

static bool is_compressible_type(uint16_t type)
{
    /* RFC 3597 §4: only the RFC 1035 types may have their names compressed. */
    switch (type) {
    case SB_TYPE_NS:
    case SB_TYPE_MD:
    case SB_TYPE_MF:
    case SB_TYPE_CNAME:
    case SB_TYPE_SOA:
    case SB_TYPE_MB:
    case SB_TYPE_MG:
    case SB_TYPE_MR:
    case SB_TYPE_PTR:
    case SB_TYPE_MINFO:
    case SB_TYPE_MX:
        return true;
    default:
        return false;
    }
}

static const char *field_expectation(ldns_rdf_type ft)
{
    switch (ft) {
    case LDNS_RDF_TYPE_A:
        return "expected an IPv4 address";
    case LDNS_RDF_TYPE_AAAA:
        return "expected an IPv6 address";
    case LDNS_RDF_TYPE_DNAME:
        return "expected a domain name";
    case LDNS_RDF_TYPE_INT8:
        return "expected a number from 0 to 255";
    case LDNS_RDF_TYPE_INT16:
        return "expected a number from 0 to 65535";
    case LDNS_RDF_TYPE_INT32:
        return "expected a number from 0 to 4294967295";
    case LDNS_RDF_TYPE_PERIOD:
        return "expected a number of seconds up to 4294967295 (units as in 1h allowed)";
    default:
        return NULL;
    }
}

static bool digits_within(const char *text, uint64_t max)
{
    uint64_t v = 0;
    if (*text == '\0')
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (uint64_t)(*p - '0')) > max)
            return false;
    }
    return true;
}

static bool period_within(const char *text)
{
    if (digits_within(text, 4294967295u))
        return true;
    uint32_t v;
    return parse_ttl(text, &v);
}

/* ldns wraps out-of-range integers silently (MX 70000 becomes 4464), so the
 * fixed leading fields are checked here first. Also returns whether a field
 * of a simple kind fails to parse, to point at the exact token. */
static bool field_ok(ldns_rdf_type ft, const sb_token_t *t)
{
    switch (ft) {
    case LDNS_RDF_TYPE_INT8:
        return digits_within(t->text, 255);
    case LDNS_RDF_TYPE_INT16:
        return digits_within(t->text, 65535);
    case LDNS_RDF_TYPE_INT32:
        return digits_within(t->text, 4294967295u);
    case LDNS_RDF_TYPE_PERIOD:
        return period_within(t->text);
    case LDNS_RDF_TYPE_A:
    case LDNS_RDF_TYPE_AAAA: {
        ldns_rdf *rdf = ldns_rdf_new_frm_str(ft, t->text);
        ldns_rdf_deep_free(rdf);
        return rdf != NULL;
    }
    default:
        return true;
    }
}

/* Check each leading fixed field; returns false after reporting the first
 * bad one. */
static bool check_fields(zparse_t *zp, const sb_entry_t *e, size_t first, uint16_t type,
                         const char *tname)
{
    const ldns_rr_descriptor *d = ldns_rr_descript(type);
    if (d == NULL)
        return true;
    size_t fixed = ldns_rr_descriptor_minimum(d);
    for (size_t i = 0; i < fixed && first + i < e->count; i++) {
        ldns_rdf_type ft = ldns_rr_descriptor_field_type(d, i);
        const sb_token_t *t = &e->tokens[first + i];
        if (t->quoted || !field_ok(ft, t)) {
            const char *want = field_expectation(ft);
            if (want == NULL)
                return true; /* not a kind checked here; leave it to ldns */
            error_at(zp, t->pos, "bad %s data '%s': %s", tname, t->text, want);
            return false;
        }
    }
    return true;
}

static void report_ldns_error(zparse_t *zp, const sb_entry_t *e, size_t type_index, uint16_t type,
                              const char *tname, ldns_status st)
{
    size_t first = type_index + 1;
    const sb_token_t *last = &e->tokens[e->count - 1];
    if (first >= e->count) {
        error_at(zp, pos_plus(last->pos, last->len), "%s record has no data", tname);
        return;
    }
    const ldns_rr_descriptor *d = ldns_rr_descript(type);
    if (st == LDNS_STATUS_SYNTAX_SUPERFLUOUS_TEXT_ERR && d != NULL) {
        size_t max = ldns_rr_descriptor_maximum(d);
        if (max < e->count - first) {
            error_at(zp, e->tokens[first + max].pos, "unexpected '%s' after the %s record's data",
                     e->tokens[first + max].text, tname);
            return;
        }
    }
    if (st == LDNS_STATUS_SYNTAX_MISSING_VALUE_ERR) {
        error_at(zp, pos_plus(last->pos, last->len), "%s record is missing data after '%s'", tname,
                 last->text);
        return;
    }
    if (d != NULL) {
        size_t fixed = ldns_rr_descriptor_minimum(d);
        for (size_t i = 0; i < fixed && first + i < e->count; i++) {
            ldns_rdf_type ft = ldns_rr_descriptor_field_type(d, i);
            if (ft != LDNS_RDF_TYPE_DNAME)
                continue;
            ldns_rdf *rdf = ldns_rdf_new_frm_str(ft, e->tokens[first + i].text);
            ldns_rdf_deep_free(rdf);
            if (rdf == NULL) {
                error_at(zp, e->tokens[first + i].pos, "bad %s data '%s': %s", tname,
                         e->tokens[first + i].text, field_expectation(ft));
                return;
            }
        }
    }
    error_at(zp, e->tokens[first].pos, "cannot parse the %s record's data: %s", tname,
             ldns_get_errorstr_by_id(st));
}

/* The presentation text handed to ldns: absolute owner, explicit TTL and
 * class, then the type and data exactly as written. */
static char *record_text(const sb_entry_t *e, size_t type_index, const uint8_t *owner, uint32_t ttl)
{
    size_t len = SB_NAME_TEXT_MAX + 32;
    for (size_t i = type_index; i < e->count; i++)
        len += e->tokens[i].len + 1;
    char *text = malloc(len);
    if (text == NULL)
        return NULL;
    size_t o = sb_name_to_text(owner, text, SB_NAME_TEXT_MAX);
    o += (size_t)snprintf(text + o, len - o, " %u IN", ttl);
    for (size_t i = type_index; i < e->count; i++) {
        text[o++] = ' ';
        memcpy(text + o, e->tokens[i].text, e->tokens[i].len);
        o += e->tokens[i].len;
    }
    text[o] = '\0';
    return text;
}

static int add_ldns_rr(zparse_t *zp, const ldns_rr *rr, const uint8_t *owner, uint16_t type,
                       uint32_t ttl, sb_pos_t pos)
{
    size_t total = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
        total += ldns_rdf_size(ldns_rr_rdf(rr, i));
    if (total > 65535)
        return SB_ETOOBIG;
    uint8_t *wire = malloc(total + 1);
    if (wire == NULL)
        return -ENOMEM;
    uint16_t name_off[2];
    uint8_t names = 0;
    size_t o = 0;
    bool compress = is_compressible_type(type);
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        if (compress && names < 2 && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME)
            name_off[names++] = (uint16_t)o;
        if (ldns_rdf_size(rdf) == 0)
            continue; /* ldns gives an empty field (CAA 0 issue "") no data at all */
        memcpy(wire + o, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
        o += ldns_rdf_size(rdf);
    }
    int rc =
        sb_zone_add_rr(zp->zone, owner, type, ttl, wire, (uint16_t)total, name_off, names, pos);
    free(wire);
    return rc;
}

static bool record_ttl(zparse_t *zp, const sb_entry_t *e, const rr_head_t *h, uint32_t *ttl)
{
    if (h->ttl_given) {
        zp->last_ttl = h->ttl;
        zp->have_last_ttl = true;
        *ttl = h->ttl;
    } else if (zp->have_default_ttl) {
        *ttl = zp->default_ttl;
    } else if (zp->have_last_ttl) {
        *ttl = zp->last_ttl;
    } else {
        error_at(zp, e->tokens[h->type_index].pos,
                 "record has no TTL and none is in effect; add '$TTL 3600' (or similar) at "
                 "the top of the file");
        return false;
    }
    return true;
}

/* Every field the type has. ldns accepts some malformed records with
 * fields missing (an SOA in \# form whose length is not a number came back
 * with five of its seven); served, such data would not parse. */
static bool complete(zparse_t *zp, const ldns_rr *rr, const sb_token_t *tt, const char *tname)
{
    const ldns_rr_descriptor *d = ldns_rr_descript(ldns_rr_get_type(rr));
    size_t need = d != NULL ? ldns_rr_descriptor_minimum(d) : 0;
    if (ldns_rr_rd_count(rr) >= need)
        return true;
    error_at(zp, tt->pos, "%s record has %zu of the %zu fields it needs", tname,
             ldns_rr_rd_count(rr), need);
    return false;
}

static void parse_record(zparse_t *zp, const sb_entry_t *e, const rr_head_t *h)
{
    const sb_token_t *tt = &e->tokens[h->type_index];
    uint16_t type;
    if (!lookup_type(tt->text, &type)) {
        error_at(zp, tt->pos, "unknown record type '%s'", tt->text);
        return;
    }
    char tname[16];
    type_text(type, tname, sizeof(tname));
    if (is_meta_type(type)) {
        error_at(zp, tt->pos, "%s is a query or meta type and cannot be stored in a zone", tname);
        return;
    }
    uint32_t ttl;
    if (!record_ttl(zp, e, h, &ttl) || !check_fields(zp, e, h->type_index + 1, type, tname))
        return;
    char *text = record_text(e, h->type_index, h->owner, ttl);
    if (text == NULL) {
        zp->oom = 1;
        return;
    }
    ldns_rr *rr = NULL;
    ldns_status st = ldns_rr_new_frm_str(&rr, text, ttl, zp->origin_rdf, NULL);
    free(text);
    if (st != LDNS_STATUS_OK) {
        report_ldns_error(zp, e, h->type_index, type, tname, st);
        return;
    }
    if (!complete(zp, rr, tt, tname)) {
        ldns_rr_free(rr);
        return;
    }
    int rc = add_ldns_rr(zp, rr, h->owner, type, ttl, e->pos);
    ldns_rr_free(rr);
    if (rc == SB_ETOOBIG)
        error_at(zp, tt->pos, "%s record data is longer than 65535 bytes", tname);
    else if (rc < 0)
        zp->oom = 1;
}

/* ---- profile blocks ----------------------------------------------------- */

static bool is_word(const sb_token_t *t, const char *word)
{
    return !t->quoted && strcmp(t->text, word) == 0;
}

/* A profile's answers are cached for its TTL: that long after a failover,
 * resolvers may still send clients to the endpoint that failed. */
static void warn_long_ttl(zparse_t *zp, const profile_draft_t *d, sb_pos_t where)
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

static void profile_open(zparse_t *zp, const sb_entry_t *e, const rr_head_t *h)
{
    const sb_token_t *tt = &e->tokens[h->type_index];
    const sb_token_t *last = &e->tokens[e->count - 1];
    bool brace = is_word(last, "{");
    size_t end = brace ? e->count - 1 : e->count;
    size_t i = h->type_index + 1;
    if (h->ttl_given)
        error_at(zp, h->ttl_pos, "a profile's TTL is set with ttl=N after the routing method");
    const sb_route_method_t *route = NULL;
    if (i >= end) {
        error_at(zp, pos_plus(tt->pos, tt->len),
                 "profile needs a routing method, as in 'www profile priority {'");
    } else if (e->tokens[i].quoted || (route = sb_route_methods_find(e->tokens[i].text)) == NULL) {
        char names[128];
        sb_route_methods_list(names, sizeof(names));
        error_at(zp, e->tokens[i].pos, "unknown routing method '%s' (supported: %s)",
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
        if (!is_setting(t)) {
            error_at(zp, t->pos, "unexpected '%s' in the profile line (settings are key=value)",
                     t->text);
        } else if (split_setting(zp, t, key, sizeof(key), value, sizeof(value), &vpos)) {
            if (strcmp(key, "ttl") != 0)
                error_at(zp, t->pos, "unknown profile setting '%s' (supported: ttl)", key);
            else if (!parse_ttl(value, &d->ttl))
                error_at(zp, vpos, "bad ttl '%s' (seconds up to 2147483647, or units as in 1m)",
                         value);
            else
                warn_long_ttl(zp, d, vpos);
        }
    }
    if (!brace) {
        d->awaiting_brace = true;
        d->brace_pos = pos_plus(last->pos, last->len);
    }
    zp->profile = d;
}

/* Applies one key=value to a monitor. Returns SB_ENOTFOUND for a key that is
 * not a monitor setting (the caller decides what that means). */
static int monitor_setting(zparse_t *zp, sb_monitor_t *m, const char *key, const char *value,
                           sb_pos_t kpos, sb_pos_t vpos)
{
    char why[SB_WHY_MAX];
    int rc = sb_monitor_set(m, key, value, kpos, zp->arena, why);
    if (rc == -EINVAL)
        error_at(zp, vpos, "bad %s '%s': %s %s", key, value, key, why);
    else if (rc == -ENOMEM)
        zp->oom = 1;
    return rc;
}

static void monitor_settings(zparse_t *zp, sb_monitor_t *m, const sb_token_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char key[32], value[256];
        sb_pos_t vpos;
        if (!is_setting(&t[i])) {
            error_at(zp, t[i].pos, "unexpected '%s' (monitor settings are key=value)", t[i].text);
        } else if (!split_setting(zp, &t[i], key, sizeof(key), value, sizeof(value), &vpos)) {
            continue;
        } else if (strcmp(key, "probe-target") == 0) {
            error_at(zp, t[i].pos,
                     "probe-target belongs on an endpoint line: each endpoint has its own");
        } else if (monitor_setting(zp, m, key, value, t[i].pos, vpos) == SB_ENOTFOUND) {
            char known[512];
            sb_monitor_key_list(known, sizeof(known));
            error_at(zp, t[i].pos, "unknown monitor setting '%s' (known: %s)", key, known);
        }
    }
}

static void monitor_stmt(zparse_t *zp, profile_draft_t *d, const sb_token_t *t, size_t n)
{
    d->last = STMT_BROKEN;
    if (d->have_monitor) {
        error_at(zp, t[0].pos, "the profile already has a monitor (line %u)", d->monitor_pos.line);
        return;
    }
    sb_monitor_proto_t proto;
    d->monitor_broken = true;
    if (n < 2 || is_setting(&t[1])) {
        error_at(zp, pos_plus(t[0].pos, t[0].len),
                 "monitor needs a protocol: http, https, tcp or none");
        return;
    }
    if (sb_monitor_proto_parse(t[1].text, &proto) < 0) {
        error_at(zp, t[1].pos, "unknown monitor protocol '%s' (supported: http, https, tcp, none)",
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
static void endpoint_protocol(zparse_t *zp, endpoint_draft_t *ep, const char *value, sb_pos_t vpos)
{
    if (sb_monitor_proto_parse(value, &ep->proto) < 0) {
        error_at(zp, vpos, "unknown monitor protocol '%s' (supported: http, https, tcp, none)",
                 value);
        return;
    }
    ep->own_proto = true;
    ep->proto_pos = vpos;
}

static void endpoint_settings(zparse_t *zp, endpoint_draft_t *ep, const sb_token_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char key[32], value[256], why[SB_WHY_MAX];
        sb_pos_t vpos;
        uint64_t v;
        if (!is_setting(&t[i])) {
            error_at(zp, t[i].pos, "unexpected '%s' (endpoint settings are key=value)", t[i].text);
            continue;
        }
        if (!split_setting(zp, &t[i], key, sizeof(key), value, sizeof(value), &vpos))
            continue;
        if (strcmp(key, "priority") == 0) {
            if (sb_value_uint(value, 1, 65535, &v, why) < 0) {
                error_at(zp, vpos, "bad priority '%s': priority %s", value, why);
                ep->priority_bad = true;
            } else {
                ep->priority = (uint32_t)v;
                ep->priority_pos = t[i].pos;
            }
        } else if (strcmp(key, "monitor") == 0) {
            endpoint_protocol(zp, ep, value, vpos);
        } else if (monitor_setting(zp, &ep->overrides, key, value, t[i].pos, vpos) ==
                   SB_ENOTFOUND) {
            error_at(
                zp, t[i].pos,
                "unknown endpoint setting '%s' (an endpoint takes priority=N, monitor=PROTOCOL "
                "and any monitor setting)",
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

static bool parse_target(zparse_t *zp, endpoint_draft_t *ep, const sb_token_t *t)
{
    if (!t->quoted && inet_pton(AF_INET, t->text, ep->addr.bytes) == 1) {
        ep->kind = SB_TARGET_V4;
        ep->addr.family = 4;
        snprintf(ep->target_text, sizeof(ep->target_text), "%s", t->text);
        return true;
    }
    if (!t->quoted && strchr(t->text, ':') != NULL) {
        if (inet_pton(AF_INET6, t->text, ep->addr.bytes) != 1) {
            error_at(zp, t->pos, "endpoint target '%s' is not a valid IPv6 address", t->text);
            return false;
        }
        ep->kind = SB_TARGET_V6;
        ep->addr.family = 6;
        snprintf(ep->target_text, sizeof(ep->target_text), "%s", t->text);
        return true;
    }
    size_t len = parse_name(zp, t, "endpoint target", ep->target);
    if (len == 0)
        return false;
    ep->kind = SB_TARGET_NAME;
    ep->target_len = (uint8_t)len;
    sb_name_to_text(ep->target, ep->target_text, sizeof(ep->target_text));
    return true;
}

static void endpoint_stmt(zparse_t *zp, profile_draft_t *d, const sb_token_t *t, size_t n)
{
    d->last = STMT_BROKEN;
    d->endpoint_broken = true;
    if (n < 3 || is_setting(&t[1]) || is_setting(&t[2])) {
        error_at(zp, t[0].pos,
                 "endpoint needs a name and a target, as in 'endpoint east east.example.com. "
                 "priority=1'");
        return;
    }
    if (!valid_endpoint_name(t[1].text)) {
        error_at(zp, t[1].pos,
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
    endpoint_settings(zp, ep, t + 3, n - 3);
}

static void continuation(zparse_t *zp, profile_draft_t *d, const sb_token_t *t, size_t n)
{
    if (d->last == STMT_MONITOR)
        monitor_settings(zp, &d->monitor, t, n);
    else if (d->last == STMT_ENDPOINT)
        endpoint_settings(zp, &d->eps[d->count - 1], t, n);
    else if (d->last == STMT_NONE)
        error_at(zp, t[0].pos, "setting '%s' must follow a monitor or endpoint statement",
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

static void check_endpoint(zparse_t *zp, const profile_draft_t *d, size_t i, const char *owner)
{
    const endpoint_draft_t *ep = &d->eps[i];
    const endpoint_draft_t *other;
    if ((other = find_name(d, i, ep->name)) != NULL) {
        error_at(zp, ep->pos, "endpoint '%s' is already defined in this profile (line %u)",
                 ep->name, other->pos.line);
    }
    if (ep->priority == 0 && !ep->priority_bad) {
        error_at(zp, ep->pos, "endpoint '%s' needs a priority (add priority=N; 1 is the first)",
                 ep->name);
    } else if ((other = find_priority(d, i, ep->priority)) != NULL) {
        error_at(zp, ep->priority_pos,
                 "priority %u of endpoint '%s' is already used by endpoint '%s'; each endpoint "
                 "needs its own priority",
                 ep->priority, ep->name, other->name);
    }
    if ((ep->kind == SB_TARGET_NAME) != (d->eps[0].kind == SB_TARGET_NAME)) {
        error_at(zp, ep->pos,
                 "endpoint '%s' is %s but endpoint '%s' is %s; a profile's endpoints are all "
                 "names (answered with CNAME) or all addresses (answered with A/AAAA)",
                 ep->name, ep->kind == SB_TARGET_NAME ? "a name" : "an address", d->eps[0].name,
                 d->eps[0].kind == SB_TARGET_NAME ? "a name" : "an address");
    }
    if (ep->kind == SB_TARGET_NAME && sb_name_equal(ep->target, d->owner)) {
        error_at(zp, ep->pos, "endpoint '%s' points at the profile's own name %s", ep->name, owner);
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
static void check_monitors(zparse_t *zp, const profile_draft_t *d, sb_monitor_t *eff)
{
    char why[SB_WHY_MAX];
    sb_pos_t where;
    sb_monitor_t base = d->monitor;
    if (sb_monitor_check(&base, why, &where) < 0) {
        error_at(zp, where, "%s", why);
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
            error_at(zp, own_position(ep, where), "endpoint '%s': %s", ep->name, why);
    }
}

static int cmp_priority(const void *a, const void *b)
{
    const sb_endpoint_t *x = a, *y = b;
    return (x->priority > y->priority) - (x->priority < y->priority);
}

static int build_profile(zparse_t *zp, const profile_draft_t *d, const sb_monitor_t *eff,
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
    for (size_t i = 0; i < d->count; i++) {
        const endpoint_draft_t *src = &d->eps[i];
        sb_endpoint_t *ep = &eps[i];
        ep->name = src->name;
        ep->priority = src->priority;
        ep->kind = src->kind;
        ep->addr = src->addr;
        ep->target_len = src->target_len;
        ep->target =
            src->target_len ? sb_arena_memdup(zp->arena, src->target, src->target_len) : NULL;
        ep->target_text = sb_arena_strdup(zp->arena, src->target_text);
        ep->monitor = sb_arena_memdup(zp->arena, &eff[i], sizeof(eff[i]));
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
    sb_route_publish(p, sb_route_default(p));
    return sb_zone_add_profile(zp->zone, p);
}

static void profile_close(zparse_t *zp)
{
    profile_draft_t *d = zp->profile;
    zp->profile = NULL;
    char owner[SB_NAME_TEXT_MAX];
    sb_name_to_text(d->owner, owner, sizeof(owner));
    if (!d->have_monitor && !d->monitor_broken) {
        error_at(zp, d->pos,
                 "profile %s has no monitor; add 'monitor http', 'monitor tcp port=N' or "
                 "'monitor none'",
                 owner);
    }
    if (d->count == 0 && !d->endpoint_broken) {
        error_at(zp, d->pos, "profile %s has no endpoints; add 'endpoint NAME TARGET priority=N'",
                 owner);
    }
    if (d->count > 1000) {
        error_at(zp, d->pos, "profile %s has %zu endpoints; at most 1000 are allowed", owner,
                 d->count);
    }
    for (size_t i = 0; i < d->count; i++)
        check_endpoint(zp, d, i, owner);
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
    return is_word(t, "monitor") || is_word(t, "endpoint") || is_word(t, "}") || is_setting(t);
}

static void discard_profile(zparse_t *zp)
{
    free(zp->profile->eps);
    free(zp->profile);
    zp->profile = NULL;
}

/* A profile line without '{': the brace may stand alone on the next line.
 * Otherwise report it once, and keep reading the block's statements (to
 * check them) until a line that cannot belong to a block. Returns false when
 * `e` is not part of the block and must be read as an ordinary entry. */
static bool brace_check(zparse_t *zp, const sb_entry_t *e)
{
    profile_draft_t *d = zp->profile;
    if (d->awaiting_brace) {
        d->awaiting_brace = false;
        if (e->count == 1 && is_word(&e->tokens[0], "{"))
            return true;
        error_at(zp, d->brace_pos, "expected '{' at the end of the profile line");
        d->brace_missing = true;
    }
    if (d->brace_missing && !block_like(e)) {
        discard_profile(zp);
        return false;
    }
    return true;
}

/* Returns false when the entry turned out not to belong to the block. */
static bool profile_line(zparse_t *zp, const sb_entry_t *e)
{
    if (!brace_check(zp, e))
        return false;
    profile_draft_t *d = zp->profile;
    if (d == NULL || (e->count == 1 && is_word(&e->tokens[0], "{") && d->last == STMT_NONE &&
                      d->count == 0 && !d->have_monitor))
        return true;
    const sb_token_t *t = e->tokens;
    size_t n = e->count;
    if (t[0].text[0] == '$' && !t[0].quoted) {
        error_at(zp, t[0].pos, "directive '%s' is not allowed inside a profile block", t[0].text);
        return true;
    }
    if (is_word(&t[0], "}")) {
        if (n > 1)
            error_at(zp, t[1].pos, "unexpected '%s' after '}'", t[1].text);
        profile_close(zp);
        return true;
    }
    bool closes = is_word(&t[n - 1], "}");
    if (closes)
        n--;
    if (is_word(&t[0], "monitor"))
        monitor_stmt(zp, d, t, n);
    else if (is_word(&t[0], "endpoint"))
        endpoint_stmt(zp, d, t, n);
    else if (is_setting(&t[0]))
        continuation(zp, d, t, n);
    else {
        error_at(zp, t[0].pos, "expected 'monitor', 'endpoint' or '}' but found '%s'", t[0].text);
        d->last = STMT_BROKEN;
    }
    if (closes)
        profile_close(zp);
    return true;
}

/* ---- driver ------------------------------------------------------------- */

static void entry(zparse_t *zp, const sb_entry_t *e, const char *file)
{
    if (zp->profile != NULL && profile_line(zp, e))
        return;
    if (e->tokens[0].text[0] == '$' && !e->tokens[0].quoted) {
        directive(zp, e, file);
        return;
    }
    rr_head_t h;
    if (!parse_head(zp, e, &h))
        return;
    if (strcasecmp(e->tokens[h.type_index].text, "profile") == 0)
        profile_open(zp, e, &h);
    else
        parse_record(zp, e, &h);
}

static int parse_lexer(zparse_t *zp, sb_lexer_t *lx)
{
    profile_draft_t *open_before = zp->profile;
    sb_entry_t e;
    int rc;
    while ((rc = sb_lexer_next(lx, &e)) == 1) {
        entry(zp, &e, sb_lexer_file(lx));
        if (zp->oom)
            return -ENOMEM;
    }
    if (zp->profile != NULL && zp->profile != open_before) {
        char owner[SB_NAME_TEXT_MAX];
        sb_name_to_text(zp->profile->owner, owner, sizeof(owner));
        if (zp->profile->awaiting_brace)
            error_at(zp, zp->profile->brace_pos, "expected '{' at the end of the profile line");
        else if (!zp->profile->brace_missing)
            error_at(zp, zp->profile->pos, "profile %s is never closed (missing '}')", owner);
        discard_profile(zp);
    }
    return rc < 0 ? rc : 0;
}

static int load(sb_lexer_t *lx, const char *file, const uint8_t *apex, sb_arena_t *arena,
                sb_diag_t *diag, sb_zone_t **out)
{
    zparse_t zp = {.arena = arena, .diag = diag, .apex = apex};
    struct stat st;
    if (stat(file, &st) == 0) {
        zp.open_files[0].dev = st.st_dev;
        zp.open_files[0].ino = st.st_ino;
    }
    size_t errors_before = sb_diag_count(diag);
    int rc = sb_zone_new(&zp.zone, arena, apex, file);
    if (rc == 0)
        rc = set_origin(&zp, apex);
    if (rc == 0)
        rc = parse_lexer(&zp, lx);
    if (zp.zone != NULL) {
        int frc = sb_zone_finish(zp.zone, diag);
        if (rc == 0 && frc == -ENOMEM)
            rc = frc;
    }
    if (zp.profile != NULL) /* left open when running out of memory */
        discard_profile(&zp);
    if (zp.origin_rdf != NULL)
        ldns_rdf_deep_free(zp.origin_rdf);
    if (rc == 0 && sb_diag_count(diag) > errors_before)
        rc = SB_ECONFIG;
    *out = rc == 0 || rc == SB_ECONFIG ? zp.zone : NULL;
    return rc;
}

int sb_zonefile_load(const char *path, const uint8_t *apex, sb_arena_t *arena, sb_diag_t *diag,
                     sb_zone_t **out)
{
    *out = NULL;
    const char *file = sb_arena_strdup(arena, path);
    if (file == NULL)
        return -ENOMEM;
    sb_lexer_t *lx;
    sb_pos_t whole = {file, 0, 0};
    int rc = sb_lexer_open(&lx, file, whole, diag);
    if (rc < 0)
        return rc == -ENOMEM ? rc : SB_ECONFIG;
    rc = load(lx, file, apex, arena, diag, out);
    sb_lexer_close(lx);
    return rc;
}

int sb_zonefile_load_text(const char *name, const char *text, const uint8_t *apex,
                          sb_arena_t *arena, sb_diag_t *diag, sb_zone_t **out)
{
    *out = NULL;
    const char *file = sb_arena_strdup(arena, name);
    if (file == NULL)
        return -ENOMEM;
    sb_lexer_t *lx;
    int rc = sb_lexer_open_text(&lx, file, text, strlen(text), diag);
    if (rc < 0)
        return rc;
    rc = load(lx, file, apex, arena, diag, out);
    sb_lexer_close(lx);
    return rc;
}
