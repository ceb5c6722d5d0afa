/*
 * sb_check_http — the HTTP and HTTPS probe type, through the curl engine
 * (sb_curl). What it checks is described in sb_check_http.c.
 */
#ifndef SB_CHECK_HTTP_H
#define SB_CHECK_HTTP_H

#include "sb_check.h"

extern const sb_check_type_t sb_check_http_type;

#endif
