/*
 * sb_api_page — the status page: one HTML document with its style and
 * script inline (server/daemon/page/, built into the binary), and the
 * Content-Security-Policy that allows exactly that style and script (by
 * their SHA-256 hashes, computed here so that they cannot drift from the
 * files), fetches to its own origin, and nothing else: no other script,
 * style, image, frame, form or plugin, and no DOM sinks for strings
 * (Trusted Types). The script renders GET /api/v1/status with DOM calls
 * only and fetches it again every few seconds.
 *
 * Ownership: the page owns its strings; free with sb_api_page_free().
 * Thread: any; built once at start, then read-only.
 */
#ifndef SB_API_PAGE_H
#define SB_API_PAGE_H

#include <stddef.h>

typedef struct {
    char *html; /* the document, NUL-terminated */
    size_t len;
    char *csp; /* the Content-Security-Policy header's value */
} sb_api_page_t;

/* Assemble the page. Returns 0 or -ENOMEM. */
int sb_api_page_build(sb_api_page_t *out);

void sb_api_page_free(sb_api_page_t *p);

#endif
