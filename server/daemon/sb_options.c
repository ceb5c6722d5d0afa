#include "sb_options.h"

#include "sb_api_request.h"
#include "sb_error.h"
#include "sb_http_api.h"
#include "sb_request.h"
#include "sb_kvfile.h"
#include "sb_state.h"
#include "sb_prober.h"
#include "sb_secret.h"
#include "sb_value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

void sb_options_init(sb_options_t *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 0; /* one per CPU, decided in sb_options_parse */
    o->udp_max = 1232;
    o->ecs_prefix_max[0] = SB_ECS_DEFAULT_V4;
    o->ecs_prefix_max[1] = SB_ECS_DEFAULT_V6;
    o->tcp_idle_ms = 10000;
    o->tcp_clients = 1000;
    o->tcp_per_client = 100;
    o->rrl = (sb_rrl_config_t){.responses = 200,
                               .nxdomains = 200,
                               .errors = 200,
                               .slip = 2,
                               .ipv4_prefix = 24,
                               .ipv6_prefix = 56,
                               .exempt = o->rrl_exempt};
    o->log_level = SB_LOG_INFO;
    o->probes_in_flight = SB_PROBER_DEFAULT_IN_FLIGHT;
    o->control_mode = 0600;
    sb_fleet_config_init(&o->fleet);
}

static void free_secret(char **s)
{
    if (*s != NULL)
        explicit_bzero(*s, strlen(*s));
    free(*s);
    *s = NULL;
}

void sb_options_free(sb_options_t *o)
{
    free(o->config_file);
    free(o->zones_dir);
    free(o->geo_database);
    free(o->nsid);
    free(o->control_socket);
    free(o->state_file);
    o->control_socket = o->state_file = NULL;
    free(o->version_string);
    free(o->identity);
    free(o->probe_resolvers_csv);
    o->probe_resolvers_csv = NULL;
    free(o->cookie_secret_file);
    free(o->user);
    free(o->group);
    o->cookie_secret_file = o->user = o->group = NULL;
    explicit_bzero(&o->cookie_key, sizeof(o->cookie_key));
    sb_fleet_config_free(&o->fleet);
    free(o->fleet_password_file);
    free(o->fleet_token_file);
    o->fleet_password_file = o->fleet_token_file = NULL;
    free(o->http_token_file);
    free(o->http_tls_cert_file);
    free(o->http_tls_key_file);
    free(o->http_tls_cert);
    o->http_token_file = o->http_tls_cert_file = o->http_tls_key_file = o->http_tls_cert = NULL;
    free_secret(&o->http_token);
    free_secret(&o->http_tls_key);
    o->geo_database = NULL;
    o->config_file = o->zones_dir = o->nsid = o->version_string = o->identity = NULL;
}

static bool is(const sb_option_def_t *d, const char *name)
{
    return strcmp(d->name, name) == 0;
}

/* Where each option was last given, for checks made once all are known. */
typedef struct {
    sb_pos_t where[SB_OPTIONS_MAX];
} seen_at_t;

static int apply(sb_options_t *o, const sb_option_def_t *d, const char *value, const char *base,
                 sb_pos_t pos, sb_diag_t *diag, seen_at_t *at)
{
    char why[SB_WHY_MAX];
    at->where[d - sb_options_table] = pos;
    int rc = sb_options_table_set(o, d, value, base, why);
    if (rc == -EINVAL && d->secret)
        sb_diag_error(diag, pos, "%s %s", d->name, why); /* the value stays unsaid */
    else if (rc == -EINVAL)
        sb_diag_error(diag, pos, "%s '%s' %s", d->name, value, why);
    return rc == -ENOMEM ? rc : 0;
}

/* ---- the config file ----------------------------------------------------- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* What reading the config file carries from line to line. */
typedef struct {
    sb_options_t *o;
    const char *base;
    bool seen[SB_OPTIONS_MAX];
    sb_diag_t *diag;
    seen_at_t *at;
} file_read_t;

static int file_line(void *arg, const char *name, size_t nlen, const char *value, sb_pos_t name_pos,
                     sb_pos_t value_pos)
{
    file_read_t *r = arg;
    const sb_option_def_t *d = sb_options_table_find(name, nlen);
    if (d == NULL || is(d, "config")) {
        sb_diag_error(r->diag, name_pos, "unknown option '%.*s'", (int)nlen, name);
        return 0;
    }
    size_t idx = (size_t)(d - sb_options_table);
    if (*value == '\0') {
        sb_diag_error(r->diag, name_pos, "option '%s' needs a value", d->name);
        return 0;
    }
    if (r->seen[idx] && !d->repeatable) {
        sb_diag_error(r->diag, name_pos, "option '%s' is given twice", d->name);
        return 0;
    }
    r->seen[idx] = true;
    return apply(r->o, d, value, r->base, value_pos, r->diag, r->at) < 0 ? -ENOMEM : 0;
}

static int load_file(sb_options_t *o, const char *path, sb_diag_t *diag, seen_at_t *at)
{
    file_read_t r = {.o = o, .base = dir_of(path), .diag = diag, .at = at};
    int rc = r.base == NULL ? -ENOMEM : sb_kvfile_read(path, file_line, &r, diag);
    free((char *)r.base);
    return rc;
}

/* ---- the command line ---------------------------------------------------- */

typedef struct {
    const sb_option_def_t *def;
    const char *value;
} flag_t;

/* Split argv into recognised flags; errors for unknown ones and for
 * single-valued options given twice. */
static size_t collect_flags(int argc, char **argv, flag_t *flags, sb_diag_t *diag)
{
    sb_pos_t cl = {"command line", 0, 0};
    bool seen[SB_OPTIONS_MAX] = {false};
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const sb_option_def_t *d = NULL;
        const char *value = NULL;
        if (a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            d = sb_options_table_find(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
            value = eq ? eq + 1 : NULL;
        } else if (a[0] == '-' && a[1] != '\0' && a[2] == '\0') {
            d = sb_options_table_find_short(a[1]);
        } else {
            sb_diag_error(diag, cl, "unexpected argument '%s'", a);
            continue;
        }
        if (d == NULL) {
            sb_diag_error(diag, cl, "unknown option '%s' (see --help)", a);
            continue;
        }
        if (value == NULL) {
            if (i + 1 >= argc) {
                sb_diag_error(diag, cl, "option '%s' needs a value (%s)", a, d->arg);
                continue;
            }
            value = argv[++i];
        }
        size_t idx = (size_t)(d - sb_options_table);
        if (d->secret) {
            sb_diag_error(diag, cl,
                          "--%s on the command line shows the secret to every user (ps); give "
                          "--%s-file FILE, or put it in a config file only root can read",
                          d->name, d->name);
            continue;
        }
        if (seen[idx] && !d->repeatable) {
            sb_diag_error(diag, cl, "option '--%s' is given twice", d->name);
            continue;
        }
        seen[idx] = true;
        flags[n].def = d;
        flags[n++].value = value;
    }
    return n;
}

static unsigned default_threads(void)
{
    unsigned n = uv_available_parallelism();
    return n < 1 ? 1 : (n > 64 ? 64 : n);
}

/* c-ares's list form of the probe resolvers: "127.0.0.1:53,[::1]:5353". */
static int resolvers_csv(sb_options_t *o)
{
    if (o->probe_resolver_count == 0)
        return 0;
    size_t cap = o->probe_resolver_count * (INET6_ADDRSTRLEN + 9);
    if ((o->probe_resolvers_csv = calloc(1, cap)) == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < o->probe_resolver_count; i++) {
        char one[INET6_ADDRSTRLEN + 9];
        sb_listen_addr_format(&o->probe_resolvers[i], one, sizeof(one));
        if (i > 0)
            strcat(o->probe_resolvers_csv, ",");
        strcat(o->probe_resolvers_csv, one);
    }
    return 0;
}

static void default_listen(sb_options_t *o)
{
    sb_listen_addr_parse("0.0.0.0:53", &o->listen[0]);
    sb_listen_addr_parse("[::]:53", &o->listen[1]);
    o->listen_count = 2;
    o->listen_is_default = true;
}

/* ---- checks once every option is known ----------------------------------- */

/* Where the option called `name` was given (its last place). */
static sb_pos_t given_at(const seen_at_t *at, const char *name)
{
    const sb_option_def_t *d = sb_options_table_find(name, strlen(name));
    return at->where[d - sb_options_table];
}

/* The user and group to run as: names resolved now, so that `check` reports
 * a user that does not exist on this host. */
static void finish_identity(sb_options_t *o, const seen_at_t *at, sb_diag_t *diag)
{
    o->run_gid = getegid();
    if (o->user != NULL) {
        errno = 0;
        struct passwd *pw = getpwnam(o->user);
        if (pw == NULL)
            sb_diag_error(diag, given_at(at, "user"), "user '%s' %s", o->user,
                          errno == 0 || errno == ENOENT ? "does not exist on this host"
                                                        : strerror(errno));
        else {
            o->run_uid = pw->pw_uid;
            o->run_gid = pw->pw_gid;
        }
    }
    if (o->group != NULL) {
        errno = 0;
        struct group *gr = getgrnam(o->group);
        if (gr == NULL)
            sb_diag_error(diag, given_at(at, "group"), "group '%s' %s", o->group,
                          errno == 0 || errno == ENOENT ? "does not exist on this host"
                                                        : strerror(errno));
        else
            o->run_gid = gr->gr_gid;
    }
}

/* A cookie secret in a file that others may read is a warning where the
 * file was named. */
static void warn_exposed(const struct stat *st, gid_t gid, sb_pos_t pos, const char *what,
                         const char *path, const char *fix, sb_diag_t *diag)
{
    char buf[160];
    const char *how = sb_secret_exposure(st, gid, buf, sizeof(buf));
    if (how != NULL)
        sb_diag_warning(diag, pos, "%s %s %s; %s", what, path, how, fix);
}

/* The cookie secret from wherever it was given: a file of its own, the
 * config file, or else a systemd credential. */
static void finish_secret(sb_options_t *o, const seen_at_t *at, sb_diag_t *diag)
{
    char why[SB_WHY_MAX + 256], cred[4096];
    struct stat st;
    sb_pos_t pos = given_at(at, "cookie-secret-file");
    const char *path = o->cookie_secret_file;
    if (path != NULL && o->cookie_secret_set) {
        sb_diag_error(diag, pos, "give cookie-secret or cookie-secret-file, not both");
        return;
    }
    if (o->cookie_secret_set) {
        o->cookie_secret_from = "config-file";
        if (stat(o->config_file, &st) == 0)
            warn_exposed(&st, o->run_gid, given_at(at, "cookie-secret"), "the cookie secret is in",
                         o->config_file,
                         "chmod 0600 (or 0640 with the server's group), or move it to a "
                         "cookie-secret-file",
                         diag);
        return;
    }
    if (path == NULL && (path = sb_secret_credential("cookie-secret", cred, sizeof(cred))) != NULL)
        pos = (sb_pos_t){path, 0, 0};
    if (path == NULL)
        return;
    if (sb_secret_read_cookie(path, &o->cookie_key, &st, why, sizeof(why)) < 0) {
        sb_diag_error(diag, pos, "cookie secret: %s", why);
        return;
    }
    o->cookie_secret_set = true;
    o->cookie_secret_from = path == cred ? "credential" : "file";
    if (path != cred)
        warn_exposed(&st, o->run_gid, pos, "cookie-secret-file", path,
                     "chmod 0600 (or 0640 with the server's group)", diag);
}

/* A fleet secret from its file into *dst, warned about where the file was
 * named when others may read it. Without a file, under systemd, from the
 * credential `credential` (LoadCredential=), as the cookie secret. */
static void read_fleet_secret(sb_options_t *o, const seen_at_t *at, const char *option,
                              const char *credential, const char *path, char **dst, sb_diag_t *diag)
{
    char why[SB_WHY_MAX + 256], cred[4096];
    struct stat st;
    sb_pos_t pos = given_at(at, option);
    if (path == NULL && sb_fleet_config_enabled(&o->fleet) &&
        (path = sb_secret_credential(credential, cred, sizeof(cred))) != NULL)
        pos = (sb_pos_t){path, 0, 0};
    if (path == NULL)
        return;
    int rc = sb_secret_read_text(path, dst, &st, why, sizeof(why));
    if (rc < 0) {
        sb_diag_error(diag, pos, "%s: %s", option, rc == -ENOMEM ? "out of memory" : why);
        return;
    }
    if (path != cred)
        warn_exposed(&st, o->run_gid, pos, option, path,
                     "chmod 0600 (or 0640 with the server's group)", diag);
}

/* The fleet's key files the NATS library reads itself: without a file
 * named, under systemd, the credential of that name (systemd keeps it, the
 * server's user's, for as long as the service runs). */
static void fleet_key_credentials(sb_options_t *o, sb_diag_t *diag)
{
    char **slots[] = {&o->fleet.nkey_seed_file, &o->fleet.key_file};
    static const char *const names[] = {"fleet-nkey-seed", "fleet-key"};
    char cred[4096];
    for (size_t i = 0; i < 2 && sb_fleet_config_enabled(&o->fleet); i++) {
        if (*slots[i] != NULL || sb_secret_credential(names[i], cred, sizeof(cred)) == NULL)
            continue;
        if ((*slots[i] = strdup(cred)) == NULL)
            sb_diag_error(diag, (sb_pos_t){cred, 0, 0}, "%s: out of memory", names[i]);
    }
}

/* The fleet's secrets, defaults and combination, once every option is in. */
static void finish_fleet(sb_options_t *o, const seen_at_t *at, sb_diag_t *diag)
{
    read_fleet_secret(o, at, "fleet-password-file", "fleet-password", o->fleet_password_file,
                      &o->fleet.password, diag);
    read_fleet_secret(o, at, "fleet-token-file", "fleet-token", o->fleet_token_file,
                      &o->fleet.token, diag);
    fleet_key_credentials(o, diag);
    char why[256];
    if (sb_fleet_config_check(&o->fleet, why, sizeof(why)) < 0)
        sb_diag_error(diag, given_at(at, "fleet-server"), "%s", why);
}

/* ---- the HTTP API --------------------------------------------------------- */

/* The API's token from its file or the systemd credential http-token: one
 * line of RFC 6750 token characters, long enough not to be guessed. */
static void read_http_token(sb_options_t *o, const seen_at_t *at, sb_diag_t *diag)
{
    char why[SB_WHY_MAX + 256], cred[4096];
    struct stat st;
    sb_pos_t pos = given_at(at, "http-token-file");
    const char *path = o->http_token_file;
    if (path == NULL && (path = sb_secret_credential("http-token", cred, sizeof(cred))) != NULL)
        pos = (sb_pos_t){path, 0, 0};
    if (path == NULL)
        return;
    int rc = sb_secret_read_text(path, &o->http_token, &st, why, sizeof(why));
    if (rc < 0) {
        sb_diag_error(diag, pos, "http-token-file: %s", rc == -ENOMEM ? "out of memory" : why);
        return;
    }
    size_t n = strlen(o->http_token);
    if (n < SB_HTTP_API_TOKEN_MIN || !sb_api_request_token_ok(o->http_token, n)) {
        sb_diag_error(diag, pos,
                      "http-token-file: %s must hold one token of at least %d characters of "
                      "A-Z a-z 0-9 - . _ ~ + / (as `openssl rand -hex 32` makes)",
                      path, SB_HTTP_API_TOKEN_MIN);
        free_secret(&o->http_token);
        return;
    }
    o->http_token_from = path == cred ? "credential" : "file";
    if (path != cred)
        warn_exposed(&st, o->run_gid, pos, "http-token-file", path,
                     "chmod 0600 (or 0640 with the server's group)", diag);
}

/* The certificate and key of the API's TLS, read now (as root). */
static void read_http_tls(sb_options_t *o, const seen_at_t *at, sb_diag_t *diag)
{
    char why[SB_WHY_MAX + 256];
    struct stat st;
    sb_pos_t pos = given_at(at, o->http_tls_cert_file != NULL ? "http-tls-cert" : "http-tls-key");
    if (o->http_tls_cert_file == NULL && o->http_tls_key_file == NULL)
        return;
    if (o->http_tls_cert_file == NULL || o->http_tls_key_file == NULL) {
        sb_diag_error(diag, pos, "give http-tls-cert and http-tls-key together");
        return;
    }
    if (!sb_http_api_tls_available()) {
        sb_diag_error(diag, pos, "this libmicrohttpd was built without TLS");
        return;
    }
    if (sb_secret_read_pem(o->http_tls_cert_file, &o->http_tls_cert, &st, why, sizeof(why)) < 0)
        sb_diag_error(diag, given_at(at, "http-tls-cert"), "http-tls-cert: %s", why);
    pos = given_at(at, "http-tls-key");
    if (sb_secret_read_pem(o->http_tls_key_file, &o->http_tls_key, &st, why, sizeof(why)) < 0)
        sb_diag_error(diag, pos, "http-tls-key: %s", why);
    else
        warn_exposed(&st, o->run_gid, pos, "http-tls-key", o->http_tls_key_file,
                     "chmod 0600 (or 0640 with the server's group)", diag);
}

static void finish_http(sb_options_t *o, const seen_at_t *at, sb_diag_t *diag)
{
    if (!o->http_set) {
        if (o->http_token_file != NULL || o->http_tls_cert_file != NULL ||
            o->http_tls_key_file != NULL)
            sb_diag_warning(diag,
                            given_at(at, o->http_token_file ? "http-token-file" : "http-tls-cert"),
                            "the HTTP API's token and TLS files do nothing without http-listen");
        return;
    }
    read_http_token(o, at, diag);
    read_http_tls(o, at, diag);
}

int sb_options_parse(sb_options_t *o, int argc, char **argv, sb_diag_t *diag)
{
    size_t errors_before = sb_diag_count(diag);
    seen_at_t at;
    for (size_t i = 0; i < sb_options_table_count; i++)
        at.where[i] = (sb_pos_t){"command line", 0, 0};
    flag_t *flags = calloc((size_t)argc + 1, sizeof(*flags));
    if (flags == NULL)
        return -ENOMEM;
    size_t n = collect_flags(argc, argv, flags, diag);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (is(flags[i].def, "config")) {
            free(o->config_file);
            o->config_file = strdup(flags[i].value);
            rc = o->config_file == NULL ? -ENOMEM : load_file(o, o->config_file, diag, &at);
        }
    }
    bool listen_from_flags = false, resolvers_from_flags = false;
    sb_pos_t cl = {"command line", 0, 0};
    for (size_t i = 0; i < n && rc == 0; i++) {
        const sb_option_def_t *d = flags[i].def;
        if (is(d, "config"))
            continue;
        /* Flags replace the file's addresses rather than add to them. */
        if (is(d, "listen") && !listen_from_flags) {
            o->listen_count = 0;
            listen_from_flags = true;
        }
        if (is(d, "probe-resolver") && !resolvers_from_flags) {
            o->probe_resolver_count = 0;
            resolvers_from_flags = true;
        }
        rc = apply(o, d, flags[i].value, NULL, cl, diag, &at);
    }
    free(flags);
    if (rc < 0)
        return rc;
    if ((o->zones_dir == NULL && (o->zones_dir = strdup(SB_DEFAULT_ZONES_DIR)) == NULL) ||
        (o->control_socket == NULL &&
         (o->control_socket = strdup(SB_REQUEST_DEFAULT_SOCKET)) == NULL) ||
        (o->state_file == NULL && (o->state_file = strdup(SB_DEFAULT_STATE_FILE)) == NULL) ||
        resolvers_csv(o) < 0)
        return -ENOMEM;
    if (o->listen_count == 0)
        default_listen(o);
    if (o->threads == 0)
        o->threads = default_threads();
    finish_identity(o, &at, diag);
    finish_secret(o, &at, diag);
    finish_fleet(o, &at, diag);
    finish_http(o, &at, diag);
    return sb_diag_count(diag) > errors_before ? SB_ECONFIG : 0;
}

void sb_options_usage(FILE *out)
{
    for (size_t i = 0; i < sb_options_table_count; i++) {
        const sb_option_def_t *d = &sb_options_table[i];
        char left[64];
        if (d->short_name)
            snprintf(left, sizeof(left), "-%c, --%s %s", d->short_name, d->name, d->arg);
        else
            snprintf(left, sizeof(left), "    --%s %s", d->name, d->arg);
        fprintf(out, "  %-34s %s\n", left, d->help);
    }
}
