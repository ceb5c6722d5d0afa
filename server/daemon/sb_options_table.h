/*
 * sb_options_table — the server's settings (sb_options_t) and every
 * option, once: its name, its flag letter, its help line and how its value
 * is read into sb_options_t. sb_options
 * reads flags and config files through this table, so a flag and a config
 * file line are the same thing.
 *
 * Thread: start-up only.
 */
#ifndef SB_OPTIONS_TABLE_H
#define SB_OPTIONS_TABLE_H

#include "sb_fleet_config.h"
#include "sb_log.h"
#include "sb_net.h"
#include "sb_probe_metrics.h"
#include "sb_rrl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_MAX_LISTEN          32
#define SB_MAX_PROBE_RESOLVERS 8
#define SB_DEFAULT_ZONES_DIR   "/etc/switchboard/zones"

typedef struct {
    char *config_file;
    char *zones_dir;
    char *geo_database;        /* --geo-database; NULL: none */
    uint8_t ecs_prefix_max[2]; /* client bits routing may use: IPv4, IPv6 */
    sb_listen_addr_t listen[SB_MAX_LISTEN];
    size_t listen_count;
    bool listen_is_default; /* no listen given: 0.0.0.0:53 and [::]:53 */
    unsigned threads;
    uint16_t udp_max;
    uint32_t tcp_idle_ms;
    unsigned tcp_clients;
    unsigned tcp_per_client;
    sb_rrl_config_t rrl; /* its exempt list is rrl_exempt */
    sb_prefix_t rrl_exempt[SB_RRL_MAX_EXEMPT];
    sb_log_level_t log_level;
    bool log_syslog;
    unsigned probes_in_flight;
    sb_listen_addr_t probe_resolvers[SB_MAX_PROBE_RESOLVERS]; /* none: /etc/resolv.conf */
    size_t probe_resolver_count;
    char *probe_resolvers_csv; /* the same for c-ares: "127.0.0.1:53,[::1]:53"; NULL: none */
    sb_addr_t probe_source[2]; /* --probe-source: [0] IPv4, [1] IPv6; family 0: none */
    char *control_socket;
    unsigned control_mode;
    char *state_file;
    char *nsid;           /* NULL: none */
    char *version_string; /* NULL: REFUSED */
    char *identity;       /* NULL: REFUSED */
    bool cookie_secret_set;
    sb_cookie_key_t cookie_key;     /* valid when cookie_secret_set */
    char *cookie_secret_file;       /* --cookie-secret-file; NULL: none */
    const char *cookie_secret_from; /* "config-file", "file", "credential"; NULL: random */
    char *user;                     /* --user: run as this user once bound; NULL: as started */
    char *group;                    /* --group; NULL: the user's own */
    uid_t run_uid;                  /* the user's, when `user` is set */
    gid_t run_gid;                  /* the group the server will run as */
    bool metrics_set;               /* --metrics-listen given */
    sb_listen_addr_t metrics_listen;
    sb_latency_detail_t metrics_latency; /* --metrics-latency */
    bool http_set;                       /* --http-listen given: the status page and HTTP API */
    sb_listen_addr_t http_listen;
    char *http_token_file;       /* --http-token-file; NULL: the credential http-token */
    char *http_token;            /* read when parsing ends (wiped on free); NULL: none */
    const char *http_token_from; /* "file", "credential"; NULL: no token */
    char *http_tls_cert_file;    /* --http-tls-cert; with http_tls_key_file */
    char *http_tls_key_file;
    char *http_tls_cert; /* their PEM text, read when parsing ends (the key wiped on free) */
    char *http_tls_key;
    sb_fleet_config_t fleet;   /* no fleet-server: no fleet */
    char *fleet_password_file; /* read into fleet.password when parsing ends */
    char *fleet_token_file;    /* read into fleet.token when parsing ends */
} sb_options_t;

typedef int (*setter_t)(sb_options_t *o, const char *value, const char *base_dir, char *why);

typedef struct {
    const char *name;
    char short_name;
    const char *arg;
    const char *help;
    setter_t set; /* NULL: a whole number from min to max, stored at `number` */
    bool repeatable;
    bool secret; /* never echoed, and refused on the command line (ps shows it) */
    struct {
        size_t off;
        size_t size; /* of the field: 1, 2 or 4 bytes */
        uint32_t min, max;
    } number;
} sb_option_def_t;

/* More than the table holds: a bound for arrays indexed by option. */
#define SB_OPTIONS_MAX 96

extern const sb_option_def_t sb_options_table[];
extern const size_t sb_options_table_count;

/* The option called `name` (`len` bytes, no dashes), or NULL. */
const sb_option_def_t *sb_options_table_find(const char *name, size_t len);

/* The option with flag letter `c`, or NULL. */
const sb_option_def_t *sb_options_table_find_short(char c);

/* Read `value` into `o` as option `d` says; relative paths are taken from
 * `base` (the config file's directory; NULL: the working directory).
 * Returns 0, -EINVAL with the reason in `why` (SB_WHY_MAX), or -ENOMEM. */
int sb_options_table_set(sb_options_t *o, const sb_option_def_t *d, const char *value,
                         const char *base, char *why);

#endif
