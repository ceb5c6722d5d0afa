/*
 * The control protocol's replies (sb_reply.h).
 */
#include "sb_reply.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A member holding JSON text is stored as a string under its key with
 * this byte before it, which no member of the protocol starts with. */
#define TEXT_MARK '\x01'

/* The key a member given as text is stored under. */
static const char *marked_key(char buf[64], const char *key)
{
    snprintf(buf, 64, "%c%s", TEXT_MARK, key);
    return buf;
}

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
    marked_key(marked, key);
    json_t *r = json_pack("{s:b}", "ok", 1);
    /* The text's address and length, not a copy: a status is megabytes. */
    json_t *t = json_pack("[I,I]", (json_int_t)(intptr_t)text, (json_int_t)len);
    if (r == NULL || t == NULL || json_object_set_new(r, marked, t) < 0) {
        json_decref(r);
        free(text);
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

/* `reply`'s member given as text, if any and not yet taken: its key
 * (without the mark), text and length. */
static char *text_member(const json_t *reply, const char **key, size_t *len)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)reply, k, v)
    {
        if (k[0] == TEXT_MARK && json_array_size(v) == 2) {
            *key = k + 1;
            *len = (size_t)json_integer_value(json_array_get(v, 1));
            return (char *)(intptr_t)json_integer_value(json_array_get(v, 0));
        }
    }
    return NULL;
}

/* The text given to `reply` is someone else's now. */
static void text_member_taken(json_t *reply, const char *key)
{
    char marked[64];
    marked_key(marked, key);
    json_object_del(reply, marked);
}

void sb_reply_free(json_t *reply)
{
    if (reply == NULL)
        return;
    const char *key;
    size_t len;
    free(text_member(reply, &key, &len));
    json_decref(reply);
}

/* `head` ({"ok":true}) and `text` as one: ,"key":TEXT} spliced over the
 * head's closing brace. The text grows in place (at megabytes, realloc
 * moves its pages rather than copying them) and shifts up. Returns the
 * result, which owns `text`'s memory, or NULL (`text` untouched). */
static char *splice(const char *head, const char *key, char *text, size_t text_len, size_t *len)
{
    size_t n = strlen(head);
    char prefix[96];
    int w = snprintf(prefix, sizeof(prefix), "%.*s%s\"%s\":", (int)(n - 1), head, n > 2 ? "," : "",
                     key);
    if (w < 0 || (size_t)w >= sizeof(prefix))
        return NULL;
    char *out = realloc(text, (size_t)w + text_len + 2);
    if (out == NULL)
        return NULL;
    memmove(out + w, out, text_len);
    memcpy(out, prefix, (size_t)w);
    memcpy(out + w + text_len, "}", 2);
    *len = (size_t)w + text_len + 1;
    return out;
}

char *sb_reply_dumps(json_t *reply, size_t flags, size_t *len)
{
    const char *key = NULL;
    size_t text_len = 0;
    char *text = text_member(reply, &key, &text_len);
    if (text == NULL) {
        char *out = json_dumps(reply, flags);
        *len = out != NULL ? strlen(out) : 0;
        return out;
    }
    json_t *rest = json_copy(reply);
    char marked[64];
    marked_key(marked, key);
    json_object_del(rest, marked);
    char *head = rest != NULL ? json_dumps(rest, JSON_COMPACT) : NULL;
    json_decref(rest);
    char *out = head != NULL ? splice(head, key, text, text_len, len) : NULL;
    free(head);
    if (out != NULL)
        text_member_taken(reply, key);
    return out;
}
