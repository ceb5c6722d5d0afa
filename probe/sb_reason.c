#include "sb_reason.h"

#include <stdio.h>
#include <string.h>

static const char *const keys[SB_REASON_COUNT] = {
    [SB_REASON_OK] = "ok",
    [SB_REASON_TIMEOUT] = "timeout",
    [SB_REASON_REFUSED] = "refused",
    [SB_REASON_UNREACHABLE] = "unreachable",
    [SB_REASON_CONNECT_FAILED] = "connect_failed",
    [SB_REASON_RESET] = "reset",
    [SB_REASON_CLOSED] = "closed",
    [SB_REASON_HTTP_STATUS] = "http_status",
    [SB_REASON_BAD_RESPONSE] = "bad_response",
    [SB_REASON_RESOLVE_FAILED] = "resolve_failed",
    [SB_REASON_NO_ADDRESS] = "no_address",
    [SB_REASON_TLS] = "tls",
    [SB_REASON_BODY_MISMATCH] = "body_mismatch",
    [SB_REASON_LOCAL] = "local_error",
};

const char *sb_reason_key(sb_reason_t reason)
{
    return reason < SB_REASON_COUNT ? keys[reason] : "unknown";
}

static const sb_reason_class_t classes[SB_REASON_COUNT] = {
    [SB_REASON_OK] = SB_REASON_CLASS_OK,
    [SB_REASON_TIMEOUT] = SB_REASON_CLASS_TIMEOUT,
    [SB_REASON_REFUSED] = SB_REASON_CLASS_CONNECT,
    [SB_REASON_UNREACHABLE] = SB_REASON_CLASS_CONNECT,
    [SB_REASON_CONNECT_FAILED] = SB_REASON_CLASS_CONNECT,
    [SB_REASON_RESET] = SB_REASON_CLASS_CONNECT,
    [SB_REASON_CLOSED] = SB_REASON_CLASS_CONNECT,
    [SB_REASON_HTTP_STATUS] = SB_REASON_CLASS_RESPONSE,
    [SB_REASON_BAD_RESPONSE] = SB_REASON_CLASS_RESPONSE,
    [SB_REASON_RESOLVE_FAILED] = SB_REASON_CLASS_RESOLVE,
    [SB_REASON_NO_ADDRESS] = SB_REASON_CLASS_RESOLVE,
    [SB_REASON_TLS] = SB_REASON_CLASS_TLS,
    [SB_REASON_BODY_MISMATCH] = SB_REASON_CLASS_RESPONSE,
    [SB_REASON_LOCAL] = SB_REASON_CLASS_LOCAL,
};

static const char *const class_keys[SB_REASON_CLASS_COUNT] = {
    "ok", "timeout", "connect", "tls", "response", "resolve", "local",
};

sb_reason_class_t sb_reason_class(sb_reason_t reason)
{
    return reason < SB_REASON_COUNT ? classes[reason] : SB_REASON_CLASS_LOCAL;
}

const char *sb_reason_class_key(sb_reason_class_t c)
{
    return c < SB_REASON_CLASS_COUNT ? class_keys[c] : "unknown";
}

/* "HTTP 200": the words of nearly every result a status shows, written
 * without printf (a status at 20,000 endpoints has 200,000 of them). */
static void http_words(char *buf, size_t cap, unsigned status)
{
    if (cap < 9 || status < 100 || status > 999) {
        snprintf(buf, cap, "HTTP %u", status);
        return;
    }
    memcpy(buf, "HTTP ", 5);
    buf[5] = (char)('0' + status / 100);
    buf[6] = (char)('0' + status / 10 % 10);
    buf[7] = (char)('0' + status % 10);
    buf[8] = '\0';
}

const char *sb_reason_format(const sb_result_t *r, char *buf, size_t cap)
{
    const char *text = r->text != NULL ? r->text : "unknown";
    switch (r->reason) {
    case SB_REASON_OK:
        if (r->number != 0)
            http_words(buf, cap, r->number);
        else
            snprintf(buf, cap, "ok");
        break;
    case SB_REASON_TIMEOUT:
        snprintf(buf, cap, "timeout after %u ms", r->number);
        break;
    case SB_REASON_REFUSED:
        snprintf(buf, cap, "connect refused");
        break;
    case SB_REASON_UNREACHABLE:
        snprintf(buf, cap, "unreachable: %s", text);
        break;
    case SB_REASON_CONNECT_FAILED:
        snprintf(buf, cap, "connect failed: %s", text);
        break;
    case SB_REASON_RESET:
        snprintf(buf, cap, "connection reset");
        break;
    case SB_REASON_CLOSED:
        snprintf(buf, cap, "connection closed without a response");
        break;
    case SB_REASON_HTTP_STATUS:
        http_words(buf, cap, r->number);
        break;
    case SB_REASON_BAD_RESPONSE:
        snprintf(buf, cap, "bad response: %s", text);
        break;
    case SB_REASON_RESOLVE_FAILED:
        snprintf(buf, cap, "resolve failed: %s", text);
        break;
    case SB_REASON_NO_ADDRESS:
        snprintf(buf, cap, "no address: %s", text);
        break;
    case SB_REASON_TLS:
        snprintf(buf, cap, "TLS %s", text);
        break;
    case SB_REASON_BODY_MISMATCH:
        snprintf(buf, cap, "body did not contain '%s' in the first %u KiB", text, r->number);
        break;
    case SB_REASON_LOCAL:
        snprintf(buf, cap, "local error: %s", text);
        break;
    case SB_REASON_COUNT:
        snprintf(buf, cap, "unknown");
        break;
    }
    return buf;
}
