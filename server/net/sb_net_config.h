/*
 * sb_net_config — what the DNS listeners are given: the addresses, the
 * worker threads, the TCP limits, rate limiting and how to answer.
 *
 * Ownership: the addresses are borrowed; sb_net_bind() copies the rest.
 */
#ifndef SB_NET_CONFIG_H
#define SB_NET_CONFIG_H

#include "sb_answer.h"
#include "sb_listen_addr.h"
#include "sb_rrl.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const sb_listen_addr_t *addrs;
    size_t addr_count;
    unsigned threads;         /* worker threads, at least 1 */
    uint32_t tcp_idle_ms;     /* close a TCP connection idle this long */
    unsigned tcp_max_clients; /* all workers together; past it, a worker closes its
                                 connection idle longest to take a new one */
    unsigned tcp_per_client;  /* from one client (IPv4 address, IPv6 /64; sb_clients) */
    sb_rrl_config_t rrl;      /* UDP response rate limiting; every rate 0: off */
    sb_answer_config_t answer;
} sb_net_config_t;

#endif
