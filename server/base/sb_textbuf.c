#include "sb_textbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 4096

void sb_textbuf_free(sb_textbuf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

bool sb_textbuf_reserve(sb_textbuf_t *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->len + more + 1 <= b->cap && more < SIZE_MAX / 2)
        return true;
    if (more >= SIZE_MAX / 4 - b->len) { /* no doubling reaches it */
        b->failed = true;
        return false;
    }
    size_t cap = b->cap ? b->cap : INITIAL_CAP;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

void sb_textbuf_puts(sb_textbuf_t *b, const char *s)
{
    sb_textbuf_put(b, s, strlen(s));
}

char *sb_textbuf_take(sb_textbuf_t *b, size_t *len)
{
    char *text = b->failed ? NULL : b->data;
    *len = text != NULL ? b->len : 0;
    if (text == NULL)
        free(b->data);
    memset(b, 0, sizeof(*b));
    return text;
}
