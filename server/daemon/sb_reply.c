/*
 * The control protocol's replies (sb_reply.h).
 */
#include "sb_reply.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A member holding JSON text is stored as a string under its key with
 * this byte before it, which no member of the protocol starts with. */
#define TEXT_MARK '\x01'

json_t *sb_reply_ok(const char *message)
{
    return json_pack("{s:b, s:s}", "ok", 1, "message", message);
}

json_t *sb_reply_failure(const char *fmt, ...)
{
    char text[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return json_pack("{s:b, s:s}", "ok", 0, "error", text);
}

json_t *sb_reply_with_text(const char *key, char *text, size_t len)
{
    char marked[64];
    snprintf(marked, sizeof(marked), "%c%s", TEXT_MARK, key);
    json_t *r = json_pack("{s:b}", "ok", 1);
    json_t *t = json_stringn_nocheck(text, len);
    free(text);
    if (r == NULL || t == NULL || json_object_set_new(r, marked, t) < 0) {
        json_decref(r);
        return NULL;
    }
    return r;
}

char *sb_reply_add_member(char *text, size_t *len, const char *key, const json_t *value)
{
    json_t *k = json_string(key);
    char *kt = k != NULL ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
    char *vt = value != NULL ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(k);
    size_t kn = kt != NULL ? strlen(kt) : 0, vn = vt != NULL ? strlen(vt) : 0;
    char *grown = kt != NULL && vt != NULL && *len > 0 && text[*len - 1] == '}'
                      ? realloc(text, *len + kn + vn + 3)
                      : NULL;
    if (grown != NULL) {
        char *at = grown + *len - 1; /* over the closing brace */
        bool empty = *len >= 2 && grown[*len - 2] == '{';
        at += sprintf(at, "%s%s:%s}", empty ? "" : ",", kt, vt);
        *len = (size_t)(at - grown);
    } else {
        free(text);
    }
    free(kt);
    free(vt);
    return grown;
}

/* `reply`'s member written as text, if any: its key (without the mark)
 * and text. */
static const char *text_member(const json_t *reply, const char **key, size_t *len)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)reply, k, v)
    {
        if (k[0] == TEXT_MARK && json_is_string(v)) {
            *key = k + 1;
            *len = json_string_length(v);
            return json_string_value(v);
        }
    }
    return NULL;
}

char *sb_reply_dumps(const json_t *reply, size_t flags, size_t *len)
{
    const char *key = NULL;
    size_t text_len = 0;
    const char *text = text_member(reply, &key, &text_len);
    if (text == NULL) {
        char *out = json_dumps(reply, flags);
        *len = out != NULL ? strlen(out) : 0;
        return out;
    }
    json_t *rest = json_copy((json_t *)reply);
    char marked[64];
    snprintf(marked, sizeof(marked), "%c%s", TEXT_MARK, key);
    json_object_del(rest, marked);
    char *head = rest != NULL ? json_dumps(rest, JSON_COMPACT) : NULL;
    json_decref(rest);
    size_t n = head != NULL ? strlen(head) : 0;
    /* {"ok":true} + ,"key":TEXT} (the key is the server's own: no escapes) */
    char *out = n > 0 ? realloc(head, n + strlen(key) + text_len + 8) : NULL;
    if (out == NULL) {
        free(head);
        return NULL;
    }
    int w = sprintf(out + n - 1, "%s\"%s\":", n > 2 ? "," : "", key);
    memcpy(out + n - 1 + w, text, text_len);
    memcpy(out + n - 1 + w + text_len, "}", 2);
    *len = n - 1 + (size_t)w + text_len + 1;
    return out;
}
