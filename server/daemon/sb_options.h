/*
 * sb_options — the server's own settings (listen addresses, zones directory,
 * threads, limits), from command-line flags and an optional config file.
 *
 * One table defines every option, so a flag and a config-file line are the
 * same thing: `--threads 4` on the command line is `threads 4` in the file.
 * Precedence: defaults, then the file given with --config, then flags. A
 * --listen (or --probe-resolver) on the command line replaces the file's.
 *
 * Errors go to the diagnostics as `file:line:col: message` (or
 * `command line: message`), and parsing continues to report them all.
 * Unknown options and repeated single-valued options are errors.
 *
 * Secrets: `cookie-secret` is refused on the command line (every user sees
 * it in ps) and its value is never echoed in an error; `cookie-secret-file`
 * is read when parsing ends, and so, when neither is given, is the systemd
 * credential `cookie-secret` (sb_secret). A secret in a file that others
 * may read is a warning. `user` and `group` are resolved to ids when
 * parsing ends, so `check` reports a name the host does not know. Parsing
 * happens at start, as root when started so: secrets are read before the
 * server drops privileges (sb_privileges).
 *
 * Ownership: strings in sb_options_t are owned by it; free with
 * sb_options_free(). Thread: start-up only.
 */
#ifndef SB_OPTIONS_H
#define SB_OPTIONS_H

#include "sb_diag.h"
#include "sb_log.h"
#include "sb_net.h"
#include "sb_rrl.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define SB_MAX_LISTEN          32
#define SB_MAX_PROBE_RESOLVERS 8
#define SB_DEFAULT_ZONES_DIR   "/etc/switchboard/zones"

typedef struct {
    char *config_file;
    char *zones_dir;
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
} sb_options_t;

void sb_options_init(sb_options_t *o);
void sb_options_free(sb_options_t *o);

/* Parse the arguments after the command word. Returns 0, SB_ECONFIG when
 * errors were recorded, or -ENOMEM. */
int sb_options_parse(sb_options_t *o, int argc, char **argv, sb_diag_t *diag);

/* Print the option list for --help. */
void sb_options_usage(FILE *out);

#endif
