/*
 * sb_resolver — asynchronous resolution of endpoint names (A and AAAA) with
 * c-ares, driven by the probe worker's libuv loop.
 *
 * c-ares tells us which sockets to watch (ARES_OPT_SOCK_STATE_CB); each gets
 * a uv_poll_t, and one uv_timer_t follows ares_timeout(). Nothing blocks.
 *
 * Lifecycle: sb_resolver_new() on the loop's thread; sb_resolver_lookup()
 * any number of times; sb_resolver_close() cancels outstanding lookups (their
 * callbacks run with the error "cancelled") and frees the resolver once its
 * handles have closed, so run the loop afterwards.
 *
 * Ownership: the resolver owns its handles; results passed to a callback are
 * valid only during the callback.
 * Thread: the loop's thread only.
 */
#ifndef SB_RESOLVER_H
#define SB_RESOLVER_H

#include "sb_addr.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SB_RESOLVE_MAX 16

typedef struct {
    sb_addr_t addrs[SB_RESOLVE_MAX];
    size_t count;
    uint32_t ttl; /* the smallest TTL of the answers, in seconds */
} sb_resolved_t;

/* `error` is NULL on success, else short static words ("NXDOMAIN",
 * "timeout", "cancelled", or c-ares's own). Runs exactly once per lookup. */
typedef void (*sb_resolve_cb)(void *arg, const char *error, const sb_resolved_t *result);

typedef struct sb_resolver sb_resolver_t;

/* `servers`: the name servers to ask, as c-ares lists them
 * ("127.0.0.1:53,[::1]:5353"), or NULL for those in /etc/resolv.conf.
 * Returns 0, -EINVAL for a list c-ares refuses, or -ENOMEM. */
int sb_resolver_new(sb_resolver_t **out, uv_loop_t *loop, const char *servers);

/* Start a lookup of `name`, written without the final dot (c-ares then also
 * finds names in /etc/hosts); search domains are never applied. Returns 0,
 * or a negative errno (the callback is then never called). */
int sb_resolver_lookup(sb_resolver_t *r, const char *name, sb_resolve_cb cb, void *arg);

void sb_resolver_close(sb_resolver_t *r);

#endif
