/*
 * The control protocol's replies (sb_reply.h).
 */
#include "sb_reply.h"

#include <stdarg.h>
#include <stdio.h>

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
