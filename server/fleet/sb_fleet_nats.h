/*
 * sb_fleet_nats — the NATS client options for a fleet config: servers,
 * this node's connection name, credentials, TLS, and reconnecting for ever
 * (a nameserver outlives any outage of its fleet).
 *
 * Thread: any; blocking file reads (certificates, keys).
 */
#ifndef SB_FLEET_NATS_H
#define SB_FLEET_NATS_H

#include "sb_fleet_config.h"

#include <nats/nats.h>
#include <stddef.h>

/* Connection callbacks, all called on NATS's threads with `closure`. */
typedef struct {
    natsConnectionHandler disconnected, reconnected, closed;
    natsErrHandler error;
    void *closure;
} sb_fleet_nats_handlers_t;

/* Options for `cfg`. Returns 0 with *out to destroy with
 * natsOptions_Destroy(), or -EINVAL with words in `err` (a certificate
 * that cannot be read, say). */
int sb_fleet_nats_options(natsOptions **out, const sb_fleet_config_t *cfg,
                          const sb_fleet_nats_handlers_t *h, char *err, size_t errlen);

/* The words for `s`, with the library's last error when it has one. */
const char *sb_fleet_nats_error(natsStatus s, char *buf, size_t cap);

#endif
