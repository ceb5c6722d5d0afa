/*
 * sb_net — the DNS listeners: UDP and TCP on every listen address, served by
 * a pool of worker threads, each with its own libuv loop.
 *
 * Every worker has its own UDP socket and TCP listener per address, bound
 * with SO_REUSEPORT so that the kernel spreads queries and connections over
 * the workers without any shared state. UDP is read and written in batches
 * (recvmmsg/sendmmsg); a socket bound to a wildcard address answers from the
 * address each query was sent to (IP_PKTINFO), so that multi-homed hosts
 * work. UDP responses are rate limited (sb_rrl) before they go out; TCP
 * ones never are. TCP follows RFC 7766: two-byte length framing, several queries per
 * connection answered in order, an idle timeout, a cap on connections from
 * one client, and a cap on all of them: when it is reached, the worker
 * taking a new connection closes its own connection idle longest (§6.2.3),
 * so that clients holding idle connections cannot lock others out.
 *
 * Lifecycle: sb_net_bind() creates and binds every socket (so a port
 * conflict is reported before anything else starts; packets that arrive
 * meanwhile wait in the kernel), sb_net_start() starts the workers, and
 * sb_net_stop() stops accepting, lets in-flight TCP answers finish (for at
 * most `drain_ms`), joins the workers and frees everything.
 *
 * The generation to answer from is read from `*current` with one atomic
 * load, inside an RCU read-side section (liburcu, memb flavour: a
 * thread-local counter, no lock, no system call): after storing a new
 * generation, the caller waits with urcu_memb_synchronize_rcu() and may
 * then free the old one, which no worker can still be using.
 *
 * What the workers count, and the metrics made of it, is sb_net_counters'.
 *
 * Files (each its own module; sb_net_worker.h holds the types they share):
 *   sb_net.c           sockets, the workers' lives, this API
 *   sb_net_udp.c       UDP: batches, replies from the address asked, rate
 *                      limiting
 *   sb_net_tcp.c       TCP connections (RFC 7766): framing, back-pressure,
 *                      the per-client limit and the table's idlest first
 *   sb_net_counters.c  counters and their metrics
 *
 * Thread: sb_net_* are called from one controlling thread. Workers touch only
 * their own state.
 */
#ifndef SB_NET_H
#define SB_NET_H

#include "sb_gen.h"
#include "sb_listen_addr.h"
#include "sb_net_config.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct sb_net sb_net_t;

/* Create and bind every socket. On failure writes a message into `err` and
 * returns a negative errno (-EADDRINUSE: another process holds the port). */
int sb_net_bind(sb_net_t **out, const sb_net_config_t *cfg, char *err, size_t errlen);

/* The address actually bound for listen address `i` (port 0 resolved). */
const sb_listen_addr_t *sb_net_bound(const sb_net_t *net, size_t i);

/* Start answering. `current` must stay valid until sb_net_stop() returns. */
int sb_net_start(sb_net_t *net, const sb_gen_t *_Atomic const *current);

/* Stop and free. Safe on a net that was bound but never started. */
void sb_net_stop(sb_net_t *net, uint32_t drain_ms);

#endif
