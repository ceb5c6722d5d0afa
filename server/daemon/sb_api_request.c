/*
 * The HTTP API's requests (sb_api_request.h).
 */
#include "sb_api_request.h"

#include "sb_value.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The keys an action's body may have: the control protocol's arguments,
 * and "for" as ctl takes it. */
static const char *const body_keys[] = {"profile",     "endpoint", "state",
                                        "for_seconds", "for",      "local"};

__attribute__((format(printf, 4, 5))) static int fail(int status, char *err, size_t errlen,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return status;
}

static bool is_method(const char *method, const char *name)
{
    return method != NULL && strcmp(method, name) == 0;
}

static bool known_key(const char *key)
{
    for (size_t i = 0; i < sizeof(body_keys) / sizeof(body_keys[0]); i++) {
        if (strcmp(key, body_keys[i]) == 0)
            return true;
    }
    return false;
}

/* "for": "2h" into "for_seconds", rounded up to whole seconds as ctl does;
 * the range is sb_request's to check. */
static int read_for(json_t *doc, char *err, size_t errlen)
{
    json_t *v = json_object_get(doc, "for");
    if (v == NULL)
        return 200;
    if (json_object_get(doc, "for_seconds") != NULL)
        return fail(400, err, errlen, "give for or for_seconds, not both");
    uint64_t ms;
    char why[SB_WHY_MAX];
    if (!json_is_string(v))
        return fail(400, err, errlen, "for must be a duration text, as in \"30m\" or \"2h\"");
    if (sb_value_duration_ms(json_string_value(v), &ms, why) < 0)
        return fail(400, err, errlen, "for: %s", why);
    if (ms > (uint64_t)SB_REQUEST_FOR_MAX_SECONDS * 1000 + 1000)
        ms = (uint64_t)SB_REQUEST_FOR_MAX_SECONDS * 1000 + 1000; /* refused below, as too long */
    json_object_set_new(doc, "for_seconds", json_integer((json_int_t)((ms + 999) / 1000)));
    json_object_del(doc, "for");
    return 200;
}

/* The body as the control protocol's request text for `command`, in *text
 * (the caller frees it). */
static int body_to_request(const char *command, const char *body, size_t len, char **text,
                           char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = len == 0 ? json_object()
                           : json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (doc == NULL)
        return fail(400, err, errlen, "the body is not JSON: %s", len ? jerr.text : "no memory");
    int status = 200;
    const char *key;
    json_t *v;
    if (!json_is_object(doc))
        status = fail(400, err, errlen, "the body must be a JSON object");
    json_object_foreach(doc, key, v)
    {
        if (status == 200 && !known_key(key))
            status = fail(400, err, errlen, "unknown field '%.64s' (the command is the path)", key);
    }
    if (status == 200)
        status = read_for(doc, err, errlen);
    if (status == 200 && json_object_set_new(doc, "command", json_string(command)) < 0)
        status = fail(400, err, errlen, "out of memory");
    *text = status == 200 ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (status == 200 && *text == NULL)
        status = fail(400, err, errlen, "out of memory");
    return status;
}

/* POST /api/v1/COMMAND, COMMAND an action. */
static int read_action(const sb_request_command_t *cmd, const char *body, size_t len,
                       int64_t now_ms, sb_api_request_t *out, char *err, size_t errlen)
{
    char *text = NULL;
    int status = body_to_request(cmd->name, body, len, &text, err, errlen);
    if (status != 200)
        return status;
    int rc = sb_request_parse(text, strlen(text), now_ms, &out->req, err, errlen);
    free(text);
    if (rc < 0)
        return 400;
    out->kind = SB_API_CONTROL;
    out->action = true;
    return 200;
}

static int read_status(sb_api_request_t *out, char *err, size_t errlen)
{
    static const char text[] = "{\"command\": \"status\"}";
    if (sb_request_parse(text, sizeof(text) - 1, 0, &out->req, err, errlen) < 0)
        return fail(400, err, errlen, "out of memory");
    out->kind = SB_API_CONTROL;
    return 200;
}

int sb_api_request_parse(const char *method, const char *path, const char *body, size_t len,
                         int64_t now_ms, sb_api_request_t *out, char *err, size_t errlen,
                         const char **allow)
{
    memset(out, 0, sizeof(*out));
    *allow = NULL;
    if (len > SB_API_BODY_MAX)
        return fail(413, err, errlen, "the body is over %d bytes", SB_API_BODY_MAX);
    bool get = is_method(method, "GET") || is_method(method, "HEAD");
    if (path == NULL)
        return fail(404, err, errlen, "no such resource");
    if (strcmp(path, SB_API_PAGE_PATH) == 0 || strcmp(path, SB_API_STATUS_PATH) == 0) {
        if (!get) {
            *allow = "GET, HEAD";
            return fail(405, err, errlen, "%s takes GET or HEAD", path);
        }
        if (strcmp(path, SB_API_PAGE_PATH) == 0) {
            out->kind = SB_API_PAGE;
            return 200;
        }
        return read_status(out, err, errlen);
    }
    size_t plen = strlen(SB_API_PREFIX);
    const sb_request_command_t *cmd =
        strncmp(path, SB_API_PREFIX, plen) == 0 ? sb_request_command(path + plen) : NULL;
    if (cmd == NULL || cmd->kind == SB_REQUEST_STATUS)
        return fail(404, err, errlen, "no such resource; the API is under " SB_API_PREFIX);
    if (!is_method(method, "POST")) {
        *allow = "POST";
        return fail(405, err, errlen, "%s takes POST", path);
    }
    return read_action(cmd, body, len, now_ms, out, err, errlen);
}

/* A whole number for limit= or offset=; false when it is not one. */
static bool whole_number(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v > SIZE_MAX / 2)
        return false;
    *out = (size_t)v;
    return true;
}

/* profile=NAME,NAME... as the request's "profiles" list. */
static int read_profile_list(sb_request_t *req, const char *text, char *err, size_t errlen)
{
    json_t *list = json_array();
    for (const char *p = text; list != NULL && *p != '\0';) {
        size_t n = strcspn(p, ",");
        if (n == 0 || json_array_append_new(list, json_stringn(p, n)) < 0) {
            json_decref(list);
            return fail(400, err, errlen, "profile= holds an empty or unreadable name");
        }
        p += n + (p[n] == ',');
    }
    if (list == NULL || json_array_size(list) > SB_REQUEST_MAX_PROFILES) {
        json_decref(list);
        return fail(400, err, errlen, "profile= names at most %d profiles",
                    SB_REQUEST_MAX_PROFILES);
    }
    json_object_set_new(req->doc, "profiles", list);
    req->profiles = list;
    return 200;
}

int sb_api_request_status_query(sb_api_request_t *r, const char *profile, const char *down,
                                const char *limit, const char *offset, char *err, size_t errlen)
{
    if (down != NULL) {
        bool yes = strcmp(down, "1") == 0 || strcmp(down, "true") == 0;
        if (!yes && strcmp(down, "0") != 0 && strcmp(down, "false") != 0)
            return fail(400, err, errlen, "down= takes 1, true, 0 or false");
        r->req.down = yes;
    }
    if (limit != NULL && !whole_number(limit, &r->req.limit))
        return fail(400, err, errlen, "limit= takes a whole number");
    if (offset != NULL && !whole_number(offset, &r->req.offset))
        return fail(400, err, errlen, "offset= takes a whole number");
    return profile != NULL ? read_profile_list(&r->req, profile, err, errlen) : 200;
}

void sb_api_request_free(sb_api_request_t *r)
{
    sb_request_free(&r->req);
}

bool sb_api_request_token_ok(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && (text[i] == '-' || text[i] == '.' || text[i] == '_' || text[i] == '~' ||
                       text[i] == '+' || text[i] == '/' || (text[i] >= '0' && text[i] <= '9') ||
                       (text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z')))
        i++;
    if (i == 0)
        return false;
    while (i < len && text[i] == '=')
        i++;
    return i == len;
}

int sb_api_request_bearer(const char *header, const char **token, size_t *len)
{
    static const char scheme[] = "Bearer";
    if (header == NULL || strncasecmp(header, scheme, sizeof(scheme) - 1) != 0)
        return -EINVAL;
    const char *p = header + sizeof(scheme) - 1;
    if (*p != ' ')
        return -EINVAL;
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (!sb_api_request_token_ok(p, n))
        return -EINVAL;
    *token = p;
    *len = n;
    return 0;
}
