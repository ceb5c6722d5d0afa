/*
 * sb_net_udp — a DNS worker's UDP sockets: queries read and answered in
 * batches (recvmmsg/sendmmsg), each reply sent from the address its query
 * was sent to (IP_PKTINFO, for sockets bound to a wildcard address), and
 * rate limited (sb_rrl) before it goes out.
 *
 * Thread: the worker's own loop.
 */
#ifndef SB_NET_UDP_H
#define SB_NET_UDP_H

#include "sb_net_worker.h"

#include <stdbool.h>
#include <uv.h>

/* Watch `fd` (a bound UDP socket, which `s` owns from now on, even on
 * failure) on the worker's loop and answer what arrives. `wildcard`: bound
 * to 0.0.0.0 or ::. Returns 0 or a libuv error. */
int sb_net_udp_open(worker_t *w, udp_sock_t *s, int fd, bool wildcard);

/* Stop watching and close the socket (on the loop's next turn). */
void sb_net_udp_close(uv_poll_t *poll);

#endif
