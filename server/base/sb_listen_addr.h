/*
 * sb_listen_addr — a socket address to listen on (or connect to): an IP
 * address and a port, parsed from and written as "127.0.0.1:5353" or
 * "[::1]:5353".
 *
 * Thread: pure, but for sb_listen_addr_tcp() (a socket); any thread.
 */
#ifndef SB_LISTEN_ADDR_H
#define SB_LISTEN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
    struct sockaddr_storage addr;
    socklen_t len;
} sb_listen_addr_t;

/* "127.0.0.1:5353", "[::1]:5353", "0.0.0.0" (port 53), "[::]:53".
 * Port 0 picks a free port, the same for UDP and TCP. Returns 0 or -EINVAL. */
int sb_listen_addr_parse(const char *text, sb_listen_addr_t *out);

/* "127.0.0.1:5353" or "[::1]:5353". */
void sb_listen_addr_format(const sb_listen_addr_t *a, char *buf, size_t cap);

uint16_t sb_listen_addr_port(const sb_listen_addr_t *a);

/* True for 0.0.0.0 and ::, which receive on every local address. */
bool sb_listen_addr_is_wildcard(const sb_listen_addr_t *a);

/* A non-blocking TCP socket listening on `a` (SO_REUSEADDR; IPv6 only for
 * an IPv6 address), for a server that takes it over (libmicrohttpd): the
 * descriptor, with the address actually bound (port 0 resolved) in
 * *bound; or a negative errno. */
int sb_listen_addr_tcp(const sb_listen_addr_t *a, int backlog, sb_listen_addr_t *bound);

#endif
