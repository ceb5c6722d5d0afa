/*
 * The status page (sb_api_page.h).
 */
#include "sb_api_page.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The page's files, from embed.cmake (each with a NUL after its bytes). */
extern const unsigned char sb_api_page_file_status_html[], sb_api_page_file_status_css[],
    sb_api_page_file_status_js[];
extern const size_t sb_api_page_file_status_html_len, sb_api_page_file_status_css_len,
    sb_api_page_file_status_js_len;

#define STYLE_MARK  "/*STYLE*/"
#define SCRIPT_MARK "/*SCRIPT*/"
#define HASH_B64    sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)

/* 'sha256-BASE64' of `len` bytes. */
static void hash_source(const unsigned char *data, size_t len, char *out)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    sodium_bin2base64(out, HASH_B64, digest, sizeof(digest), sodium_base64_VARIANT_ORIGINAL);
}

/* The template with its two marks replaced by the style and the script. */
static char *assemble(size_t *len)
{
    const char *tpl = (const char *)sb_api_page_file_status_html;
    const char *style = strstr(tpl, STYLE_MARK), *script = strstr(tpl, SCRIPT_MARK);
    if (style == NULL || script == NULL || script < style)
        return NULL; /* a broken template: the page test says so */
    size_t cap = sb_api_page_file_status_html_len + sb_api_page_file_status_css_len +
                 sb_api_page_file_status_js_len + 1;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    *len = (size_t)snprintf(out, cap, "%.*s%s%.*s%s%s", (int)(style - tpl), tpl,
                            (const char *)sb_api_page_file_status_css,
                            (int)(script - style - strlen(STYLE_MARK)), style + strlen(STYLE_MARK),
                            (const char *)sb_api_page_file_status_js, script + strlen(SCRIPT_MARK));
    return out;
}

int sb_api_page_build(sb_api_page_t *out)
{
    memset(out, 0, sizeof(*out));
    if (sodium_init() < 0)
        return -ENOMEM;
    char style[HASH_B64], script[HASH_B64];
    hash_source(sb_api_page_file_status_css, sb_api_page_file_status_css_len, style);
    hash_source(sb_api_page_file_status_js, sb_api_page_file_status_js_len, script);
    static const char fmt[] = "default-src 'none'; style-src 'sha256-%s'; script-src 'sha256-%s'; "
                              "connect-src 'self'; img-src data:; base-uri 'none'; "
                              "form-action 'none'; frame-ancestors 'none'; "
                              "require-trusted-types-for 'script'";
    size_t n = sizeof(fmt) + 2 * HASH_B64;
    out->csp = malloc(n);
    out->html = assemble(&out->len);
    if (out->csp == NULL || out->html == NULL) {
        sb_api_page_free(out);
        return -ENOMEM;
    }
    snprintf(out->csp, n, fmt, style, script);
    return 0;
}

void sb_api_page_free(sb_api_page_t *p)
{
    free(p->html);
    free(p->csp);
    p->html = p->csp = NULL;
}
