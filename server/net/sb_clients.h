/*
 * sb_clients — open TCP connections per client, counted across every DNS
 * worker, so that one client cannot hold all of --tcp-clients.
 *
 * A client is an IPv4 address, or an IPv6 /64 (what one host or customer
 * usually has). The kernel spreads one client's connections over the
 * workers (SO_REUSEPORT hashes each connection), so the count is shared:
 * a table under a mutex, taken when a connection is accepted and when it
 * closes — never on the query path. The table is sized for every
 * connection the server allows, so it never fills before the connections
 * do. Its hash is SipHash with a key drawn at start: a client cannot pick
 * addresses that share a slot with another's and slow the lookup.
 *
 * Ownership: sb_clients_free() frees the table.
 * Thread: any; every call takes the table's lock.
 */
#ifndef SB_CLIENTS_H
#define SB_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sb_clients sb_clients_t;

/* A table for up to `max_connections` connections in all (it refuses more),
 * each client allowed `per_client`. Returns 0 or -ENOMEM. */
int sb_clients_new(sb_clients_t **out, unsigned max_connections, unsigned per_client);
void sb_clients_free(sb_clients_t *c);

/* Count one more connection from `addr` (4 bytes for IPv4, 16 for IPv6;
 * an IPv4-mapped IPv6 address counts as IPv4). False, counting nothing,
 * when the client has `per_client` already or the table is full. */
bool sb_clients_add(sb_clients_t *c, const uint8_t *addr, size_t len);

/* One connection from `addr` closed; it must have been counted. */
void sb_clients_remove(sb_clients_t *c, const uint8_t *addr, size_t len);

/* Connections counted now for the client of `addr` (for tests). */
unsigned sb_clients_count(sb_clients_t *c, const uint8_t *addr, size_t len);

#endif
