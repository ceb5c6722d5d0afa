/*
 * Overrides as the fleet's bucket keeps them (sb_fleet_record.h).
 */
#include "sb_fleet_record.h"

#include "sb_fleet_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    sb_override_op_t op;
    const char *slot;
} action_t;

/* The reason table of actions: each override's name in a value and the
 * slot it writes. */
static const action_t actions[] = {
    {"drain", SB_OVERRIDE_DRAIN, "drain"},
    {"undrain", SB_OVERRIDE_UNDRAIN, "drain"},
    {"force", SB_OVERRIDE_FORCE, "force"},
    {"unforce", SB_OVERRIDE_UNFORCE, "force"},
    {"switchover", SB_OVERRIDE_SWITCHOVER, "switchover"},
    {"failback", SB_OVERRIDE_FAILBACK, "switchover"},
};

#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

static const action_t *action_by_op(sb_override_op_t op)
{
    for (size_t i = 0; i < NACTIONS; i++) {
        if (actions[i].op == op)
            return &actions[i];
    }
    return NULL;
}

static const action_t *action_by_name(const char *name)
{
    for (size_t i = 0; i < NACTIONS; i++) {
        if (strcmp(actions[i].name, name) == 0)
            return &actions[i];
    }
    return NULL;
}

/* Append `name` escaped to the key alphabet; `lower` folds ASCII case.
 * Returns false when it does not fit. */
static bool append_escaped(char *key, size_t cap, size_t *at, const char *name, bool lower)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        unsigned char ch = lower ? (unsigned char)tolower(*p) : *p;
        bool plain = isalnum(ch) || ch == '-' || ch == '_';
        size_t need = plain ? 1 : 3;
        if (*at + need >= cap)
            return false;
        if (plain) {
            key[(*at)++] = (char)ch;
        } else {
            key[(*at)++] = '=';
            key[(*at)++] = hex[ch >> 4];
            key[(*at)++] = hex[ch & 15];
        }
    }
    return true;
}

int sb_fleet_record_key(const sb_override_t *o, char *key, size_t cap)
{
    const action_t *a = action_by_op(o->op);
    if (a == NULL || cap == 0)
        return -EINVAL;
    /* The final dot is not part of the slot: www.example.com and
     * www.example.com. are one profile. */
    char profile[256];
    snprintf(profile, sizeof(profile), "%s", o->profile);
    size_t plen = strlen(profile);
    if (plen > 1 && profile[plen - 1] == '.')
        profile[plen - 1] = '\0';
    int n = snprintf(key, cap, "%s.", a->slot);
    if (n < 0 || (size_t)n >= cap)
        return -ENAMETOOLONG;
    size_t at = (size_t)n;
    bool fits = append_escaped(key, cap, &at, profile, true);
    if (fits && strcmp(a->slot, "switchover") != 0 && at + 1 < cap) {
        key[at++] = '.';
        fits = append_escaped(key, cap, &at, o->endpoint != NULL ? o->endpoint : "", false);
    }
    if (!fits || at >= cap)
        return -ENAMETOOLONG;
    key[at] = '\0';
    return 0;
}

char *sb_fleet_record_encode(const sb_override_t *o, const char *node, int64_t now_ms)
{
    const action_t *a = action_by_op(o->op);
    if (a == NULL)
        return NULL;
    json_t *v =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "action", a->name, "profile", o->profile, "by",
                  o->by != NULL ? o->by : "unknown", "node", node, "at_ms", (json_int_t)now_ms);
    if (v == NULL)
        return NULL;
    if (o->op != SB_OVERRIDE_FAILBACK && o->endpoint != NULL)
        json_object_set_new(v, "endpoint", json_string(o->endpoint));
    if (o->op == SB_OVERRIDE_FORCE)
        json_object_set_new(v, "state", json_string(o->force_up ? "up" : "down"));
    if (sb_override_timed(o->op))
        json_object_set_new(v, "until_ms", json_integer((json_int_t)o->until_ms));
    char *text = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    return text;
}

/* A string field: `required`, at most `max` bytes, printable ASCII. NULL
 * when absent or wrong (`*bad` set when wrong or required). */
static const char *text_field(json_t *doc, const char *name, size_t max, bool required, bool *bad)
{
    json_t *v = json_object_get(doc, name);
    if (v == NULL) {
        *bad = *bad || required;
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t n = s != NULL ? json_string_length(v) : 0;
    bool ok = s != NULL && n >= 1 && n <= max && strlen(s) == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] >= 0x20 && s[i] < 0x7f;
    if (!ok) {
        *bad = true;
        return NULL;
    }
    return s;
}

/* A whole-number field from 0 up: absent is 0. */
static int64_t number_field(json_t *doc, const char *name, bool *bad)
{
    json_t *v = json_object_get(doc, name);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        *bad = true;
        return 0;
    }
    return (int64_t)json_integer_value(v);
}

/* What a force or a switchover adds: a force's state, and the end of
 * either (absent, as in values written before switchovers had one: none). */
static int read_timed(json_t *doc, sb_override_t *o)
{
    bool bad = false;
    if (o->op == SB_OVERRIDE_FORCE) {
        const char *state = text_field(doc, "state", 4, true, &bad);
        if (bad || (strcmp(state, "up") != 0 && strcmp(state, "down") != 0))
            return -EINVAL;
        o->force_up = strcmp(state, "up") == 0;
    }
    o->until_ms = number_field(doc, "until_ms", &bad);
    return bad ? -EINVAL : 0;
}

static int read_record(json_t *doc, sb_fleet_record_t *out, char *err, size_t errlen)
{
    bool bad = false;
    const char *action = text_field(doc, "action", 16, true, &bad);
    const action_t *a = action != NULL ? action_by_name(action) : NULL;
    if (a == NULL) {
        snprintf(err, errlen, "no known action");
        return -EINVAL;
    }
    sb_override_t *o = &out->override;
    o->op = a->op;
    o->profile = text_field(doc, "profile", 255, true, &bad);
    o->endpoint = text_field(doc, "endpoint", 255, a->op != SB_OVERRIDE_FAILBACK, &bad);
    const char *by = text_field(doc, "by", SB_FLEET_ASKED_BY_MAX, true, &bad);
    out->node = text_field(doc, "node", SB_FLEET_NAME_MAX, true, &bad);
    out->at_ms = number_field(doc, "at_ms", &bad);
    if (bad) {
        snprintf(err, errlen, "a %s record needs profile%s, by, node and at_ms, as text", a->name,
                 a->op != SB_OVERRIDE_FAILBACK ? ", endpoint" : "");
        return -EINVAL;
    }
    if (!sb_fleet_config_name_ok(out->node)) {
        snprintf(err, errlen, "a record's node must be 1 to %d of A-Z a-z 0-9 - _",
                 SB_FLEET_NAME_MAX);
        return -EINVAL;
    }
    out->asked_by = by;
    if (sb_override_timed(a->op) && read_timed(doc, o) < 0) {
        snprintf(err, errlen, "a %s record needs %sa whole until_ms", a->name,
                 a->op == SB_OVERRIDE_FORCE ? "state up or down and " : "");
        return -EINVAL;
    }
    /* Kept in the document, so that copies of the record stay valid. */
    char composed[SB_FLEET_BY_MAX];
    snprintf(composed, sizeof(composed), "%s@%s", by, out->node);
    if (json_object_set_new(doc, " by@node", json_string(composed)) < 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    o->by = json_string_value(json_object_get(doc, " by@node"));
    return 0;
}

int sb_fleet_record_decode(const char *data, size_t len, sb_fleet_record_t *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (len > SB_FLEET_RECORD_MAX) {
        snprintf(err, errlen, "a record of %zu bytes (at most %d)", len, SB_FLEET_RECORD_MAX);
        return -EINVAL;
    }
    json_error_t je;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL || !json_is_object(doc)) {
        snprintf(err, errlen, "not a JSON object");
        json_decref(doc);
        return -EINVAL;
    }
    int rc = read_record(doc, out, err, errlen);
    char key[SB_FLEET_KEY_MAX];
    if (rc == 0 && sb_fleet_record_key(&out->override, key, sizeof(key)) != 0) {
        /* Names that escape beyond a key's length: no slot could hold it. */
        snprintf(err, errlen, "profile and endpoint names too long for a fleet key");
        rc = -EINVAL;
    }
    if (rc < 0) {
        json_decref(doc);
        memset(out, 0, sizeof(*out));
        return rc == -ENOMEM ? rc : -EINVAL;
    }
    out->doc = doc;
    return 0;
}

int sb_fleet_record_check_key(const sb_fleet_record_t *r, const char *key, char *err, size_t errlen)
{
    char own[SB_FLEET_KEY_MAX];
    if (sb_fleet_record_key(&r->override, own, sizeof(own)) == 0 && strcmp(own, key) == 0)
        return 0;
    snprintf(err, errlen, "the value is for another slot than its key");
    return -EINVAL;
}

void sb_fleet_record_free(sb_fleet_record_t *r)
{
    json_decref(r->doc);
    memset(r, 0, sizeof(*r));
}
