/*
 * sb_fleet_config — how this nameserver joins its fleet: the NATS servers,
 * its node name, the fleet's name (which names the override bucket and the
 * subjects), credentials and TLS. Plain data filled by the server's options
 * (sb_options_table) and checked once all are known (sb_fleet_config_check).
 *
 * No servers: no fleet, and Switchboard behaves exactly as a lone server.
 *
 * Ownership: every string is owned by the config; free with
 * sb_fleet_config_free(), which also wipes the secrets.
 * Thread: start-up only; read-only afterwards.
 */
#ifndef SB_FLEET_CONFIG_H
#define SB_FLEET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_FLEET_MAX_SERVERS        16
#define SB_FLEET_NAME_MAX           63 /* a node's or the fleet's name, in bytes */
#define SB_FLEET_DEFAULT_NAME       "switchboard"
#define SB_FLEET_DEFAULT_REPLICAS   3
#define SB_FLEET_DEFAULT_TIMEOUT_MS 2000
#define SB_FLEET_PEM_MAX            (1u << 20) /* the largest certificate file read */

typedef struct {
    char *servers[SB_FLEET_MAX_SERVERS]; /* nats://host:port or tls://host:port */
    size_t server_count;
    char *node;          /* this nameserver's name; NULL: its host name's first label */
    char *name;          /* the fleet's: bucket <name>-overrides; NULL: "switchboard" */
    unsigned replicas;   /* copies of the bucket when this node creates it, 1-5 */
    uint32_t timeout_ms; /* how long an override write waits for the store */
    bool required;       /* refuse to start when the fleet cannot be reached */
    /* Credentials: at most one of user+password, token, creds file, NKey. */
    char *user;
    char *password; /* read from its file when options end */
    char *token;    /* read from its file when options end */
    char *creds_file;
    char *nkey; /* an NKey's public key, with its seed file */
    char *nkey_seed_file;
    /* TLS: a CA to verify the servers by; a client certificate and key. */
    char *ca_file;
    char *cert_file;
    char *key_file;
    /* Their PEM text, read by sb_fleet_config_check() at start, while the
     * server may still read files only root can; wiped when freed. */
    char *ca_pem;
    char *cert_pem;
    char *key_pem;
} sb_fleet_config_t;

void sb_fleet_config_init(sb_fleet_config_t *c);
void sb_fleet_config_free(sb_fleet_config_t *c);

/* Whether the fleet is configured at all. */
bool sb_fleet_config_enabled(const sb_fleet_config_t *c);

/* Add one NATS server URL (nats://, tls:// with host and port). Returns 0
 * or -EINVAL with the reason in `why` (SB_WHY_MAX bytes), -ENOMEM. */
int sb_fleet_config_add_server(sb_fleet_config_t *c, const char *url, char *why);

/* Whether `name` may name a node or a fleet: 1 to SB_FLEET_NAME_MAX of
 * A-Z a-z 0-9 - _ (it becomes part of subjects and of the bucket name). */
bool sb_fleet_config_name_ok(const char *name);

/* Fill the defaults (node from the host name, the fleet's name), check the
 * combination (credentials of one kind, a certificate with its key) and
 * read the TLS files. Returns 0 or -EINVAL with the reason in `why`,
 * -ENOMEM. */
int sb_fleet_config_check(sb_fleet_config_t *c, char *why, size_t why_len);

#endif
