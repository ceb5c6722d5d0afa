/*
 * sb_net_tcp — a DNS worker's TCP listeners and connections (RFC 7766):
 * two-byte length framing, several queries per connection answered in
 * order, back-pressure on a slow reader, an idle timeout, a cap on
 * connections from one client (sb_clients) and on all of them: when it is
 * reached, the worker taking a new connection closes its own connection
 * idle longest (§6.2.3), so that clients holding idle connections cannot
 * lock others out.
 *
 * Thread: the worker's own loop.
 */
#ifndef SB_NET_TCP_H
#define SB_NET_TCP_H

#include "sb_net_worker.h"

#include <stdbool.h>

/* Listen on `*fd` (a bound TCP socket) on the worker's loop. Once the
 * listener's handle owns the socket, `*fd` is set to -1; until then (a
 * failure before it) the socket stays the caller's to close. Returns 0 or a
 * libuv error. */
int sb_net_tcp_listen(worker_t *w, tcp_listener_t *l, int *fd);

/* Close the worker's connections; with `even_writing` false, those with an
 * answer still being written, or with queries the client sent that are not
 * read yet, finish first: each closes once it has answered all it had. */
void sb_net_tcp_close_all(worker_t *w, bool even_writing);

#endif
