/* Server options: flags, the config file, precedence and errors. */
#include "sb_test.h"

#include "sb_error.h"
#include "sb_options.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse(sb_options_t *o, sb_diag_t **diag, int argc, char **argv)
{
    *diag = sb_diag_new();
    sb_options_init(o);
    return sb_options_parse(o, argc, argv, *diag);
}

static void defaults(void **state)
{
    (void)state;
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 0, NULL), 0);
    assert_string_equal(o.zones_dir, SB_DEFAULT_ZONES_DIR);
    assert_int_equal(o.listen_count, 2);
    assert_true(o.listen_is_default);
    assert_true(o.threads >= 1);
    assert_int_equal(o.udp_max, 1232);
    assert_int_equal(o.tcp_idle_ms, 10000);
    assert_int_equal(o.tcp_clients, 1000);
    assert_int_equal(o.tcp_per_client, 100);
    sb_options_free(&o);
    sb_diag_free(diag);
}

static void flags(void **state)
{
    (void)state;
    char *argv[] = {"-z",
                    "zones",
                    "--listen=127.0.0.1:5353",
                    "-l",
                    "[::1]:0",
                    "--threads",
                    "3",
                    "--tcp-idle-timeout",
                    "2s",
                    "--udp-max",
                    "4096",
                    "--tcp-per-client",
                    "7",
                    "--log-level",
                    "debug"};
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 15, argv), 0);
    assert_string_equal(o.zones_dir, "zones");
    assert_int_equal(o.listen_count, 2);
    assert_false(o.listen_is_default);
    char text[80];
    sb_listen_addr_format(&o.listen[0], text, sizeof(text));
    assert_string_equal(text, "127.0.0.1:5353");
    sb_listen_addr_format(&o.listen[1], text, sizeof(text));
    assert_string_equal(text, "[::1]:0");
    assert_int_equal(o.threads, 3);
    assert_int_equal(o.tcp_idle_ms, 2000);
    assert_int_equal(o.udp_max, 4096);
    assert_int_equal(o.tcp_per_client, 7);
    assert_int_equal(o.log_level, SB_LOG_DEBUG);
    sb_options_free(&o);
    sb_diag_free(diag);
}

static void flag_errors(void **state)
{
    (void)state;
    char *argv[] = {"--threads", "0", "--bogus", "x", "--listen", "localhost:53", "--zones"};
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 7, argv), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 5);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: unknown option '--bogus' (see --help)");
    assert_string_equal(sb_diag_message(diag, 1), "command line: unexpected argument 'x'");
    assert_string_equal(sb_diag_message(diag, 2),
                        "command line: option '--zones' needs a value (DIR)");
    assert_string_equal(sb_diag_message(diag, 3), "command line: threads '0' must be from 1 to 64");
    assert_string_equal(sb_diag_message(diag, 4),
                        "command line: listen 'localhost:53' must be an IP address with an "
                        "optional port, as in 127.0.0.1:5353 or [::1]:5353");
    sb_options_free(&o);
    sb_diag_free(diag);
}

/* A file in /tmp holding `text`, with `mode`; its path in `path`. */
static void temp_file(char *path, const char *text, mode_t mode)
{
    strcpy(path, "/tmp/sb-options-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void identity_strings(void **state)
{
    (void)state;
    char *argv[] = {"--nsid",          "ns1.fra",    "--version-string",
                    "Switchboard 1.0", "--identity", "ns1.example"};
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 6, argv), 0);
    assert_string_equal(o.nsid, "ns1.fra");
    assert_string_equal(o.version_string, "Switchboard 1.0");
    assert_string_equal(o.identity, "ns1.example");
    assert_false(o.cookie_secret_set); /* random at start */
    assert_null(o.cookie_secret_from);
    sb_options_free(&o);
    sb_diag_free(diag);
    char long_nsid[200];
    memset(long_nsid, 'n', 129);
    long_nsid[129] = '\0';
    char *bad[] = {"--nsid", long_nsid, "--identity", "tab\there"};
    assert_int_equal(parse(&o, &diag, 4, bad), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    char expect[300];
    snprintf(expect, sizeof(expect), "command line: nsid '%s' is 129 bytes long; at most 128 fit",
             long_nsid);
    assert_string_equal(sb_diag_message(diag, 0), expect);
    assert_string_equal(sb_diag_message(diag, 1), "command line: identity 'tab\there' must be "
                                                  "printable ASCII (byte 4 is not)");
    sb_options_free(&o);
    sb_diag_free(diag);
}

/* The cookie secret: never on the command line, never echoed; from a config
 * file or a file of its own, with a warning when others may read it. */
static void cookie_secret_sources(void **state)
{
    (void)state;
    sb_options_t o;
    sb_diag_t *diag;
    char *flag[] = {"--cookie-secret", "000102030405060708090a0b0c0d0e0f"};
    assert_int_equal(parse(&o, &diag, 2, flag), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 1);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: --cookie-secret on the command line shows the secret to "
                        "every user (ps); give --cookie-secret-file FILE, or put it in a config "
                        "file only root can read");
    assert_false(o.cookie_secret_set);
    sb_options_free(&o);
    sb_diag_free(diag);

    char conf[64], key[64], expect[400];
    temp_file(conf, "cookie-secret 000102030405060708090a0b0c0d0e0f\n", 0600);
    char *quiet[] = {"--config", conf};
    assert_int_equal(parse(&o, &diag, 2, quiet), 0);
    assert_true(o.cookie_secret_set);
    assert_int_equal(o.cookie_key.secret[15], 0x0f);
    assert_string_equal(o.cookie_secret_from, "config-file");
    assert_int_equal(sb_diag_warning_count(diag), 0);
    sb_options_free(&o);
    sb_diag_free(diag);
    assert_int_equal(chmod(conf, 0644), 0);
    assert_int_equal(parse(&o, &diag, 2, quiet), 0);
    assert_int_equal(sb_diag_warning_count(diag), 1);
    snprintf(expect, sizeof(expect),
             "%s:1:15: warning: the cookie secret is in %s is readable by every user (mode "
             "0644); chmod 0600 (or 0640 with the server's group), or move it to a "
             "cookie-secret-file",
             conf, conf);
    assert_string_equal(sb_diag_warning_message(diag, 0), expect);
    sb_options_free(&o);
    sb_diag_free(diag);
    unlink(conf);

    temp_file(key, "  0f0e0d0c0b0a09080706050403020100\n", 0640);
    char *file[] = {"--cookie-secret-file", key};
    assert_int_equal(parse(&o, &diag, 2, file), 0);
    assert_true(o.cookie_secret_set);
    assert_int_equal(o.cookie_key.secret[0], 0x0f);
    assert_string_equal(o.cookie_secret_from, "file");
    assert_int_equal(sb_diag_warning_count(diag), 0); /* its group is the server's */
    sb_options_free(&o);
    sb_diag_free(diag);
    assert_int_equal(chmod(key, 0604), 0);
    assert_int_equal(parse(&o, &diag, 2, file), 0);
    snprintf(expect, sizeof(expect),
             "command line: warning: cookie-secret-file %s is readable by every user (mode "
             "0604); chmod 0600 (or 0640 with the server's group)",
             key);
    assert_string_equal(sb_diag_warning_message(diag, 0), expect);
    sb_options_free(&o);
    sb_diag_free(diag);
    unlink(key);

    temp_file(key, "secret words, not hex\n", 0600);
    temp_file(conf, "cookie-secret 00ff\n", 0600);
    char *bad[] = {"--config", conf, "--cookie-secret-file", key};
    assert_int_equal(parse(&o, &diag, 4, bad), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    snprintf(expect, sizeof(expect),
             "%s:1:15: cookie-secret must be exactly 32 hex digits (16 bytes)", conf);
    assert_string_equal(sb_diag_message(diag, 0), expect);
    snprintf(expect, sizeof(expect),
             "command line: cookie secret: %s must hold exactly 32 hex digits (16 bytes)", key);
    assert_string_equal(sb_diag_message(diag, 1), expect);
    sb_options_free(&o);
    sb_diag_free(diag);
    unlink(key);
    unlink(conf);
}

/* A systemd credential is the secret when no option names one; one of
 * white space only (the unit's SetCredential= default for a missing file)
 * is none. */
static void cookie_secret_credential(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-creds-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cookie-secret", dir);
    FILE *f = fopen(path, "w");
    fputs("\n", f); /* the unit's SetCredential= default: none */
    fclose(f);
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    sb_options_t o;
    sb_diag_t *diag;
    /* Credentials, but not this one: none either. */
    char other[64];
    snprintf(other, sizeof(other), "%s/none-here", dir);
    setenv("CREDENTIALS_DIRECTORY", other, 1);
    assert_int_equal(parse(&o, &diag, 0, NULL), 0);
    assert_false(o.cookie_secret_set);
    sb_options_free(&o);
    sb_diag_free(diag);
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    assert_int_equal(parse(&o, &diag, 0, NULL), 0);
    assert_false(o.cookie_secret_set);
    sb_options_free(&o);
    sb_diag_free(diag);
    f = fopen(path, "w");
    fputs("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", f);
    fclose(f);
    assert_int_equal(parse(&o, &diag, 0, NULL), 0);
    assert_true(o.cookie_secret_set);
    assert_string_equal(o.cookie_secret_from, "credential");
    assert_int_equal(o.cookie_key.secret[15], 0xaf);
    sb_options_free(&o);
    sb_diag_free(diag);
    unsetenv("CREDENTIALS_DIRECTORY");
    unlink(path);
    rmdir(dir);
}

/* Under systemd the fleet's secrets come from credentials of their own
 * names when no option names a file: the password and token are read,
 * the key files the NATS library reads are named by their paths. Without
 * a fleet, credentials are not looked at. */
static void fleet_credentials(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-creds-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    const char *names[] = {"fleet-password", "fleet-nkey-seed", "fleet-key"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        fputs(i == 0 ? "s3cret\n" : "x\n", f);
        fclose(f);
    }
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 0, NULL), 0);
    assert_null(o.fleet.password);
    sb_options_free(&o);
    sb_diag_free(diag);
    char *argv[] = {
        "--fleet-server", "nats://127.0.0.1:4222", "--fleet-user",         "ns1", "--fleet-nkey",
        "UABC",           "--fleet-cert",          "/nonexistent/cert.pem"};
    parse(&o, &diag, 8, argv); /* the certificate cannot be read: that is not checked here */
    assert_non_null(o.fleet.password);
    assert_string_equal(o.fleet.password, "s3cret");
    snprintf(path, sizeof(path), "%s/fleet-nkey-seed", dir);
    assert_string_equal(o.fleet.nkey_seed_file, path);
    snprintf(path, sizeof(path), "%s/fleet-key", dir);
    assert_string_equal(o.fleet.key_file, path);
    sb_options_free(&o);
    sb_diag_free(diag);
    unsetenv("CREDENTIALS_DIRECTORY");
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void rate_limiting(void **state)
{
    (void)state;
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 0, NULL), 0);
    assert_int_equal(o.rrl.responses, 200); /* on by default */
    assert_int_equal(o.rrl.nxdomains, 200);
    assert_int_equal(o.rrl.errors, 200);
    assert_int_equal(o.rrl.slip, 2);
    assert_int_equal(o.rrl.ipv4_prefix, 24);
    assert_int_equal(o.rrl.ipv6_prefix, 56);
    assert_int_equal(o.rrl.exempt_count, 0);
    sb_options_free(&o);
    sb_diag_free(diag);
    char *argv[] = {"--rrl-responses",   "0",          "--rrl-slip",   "1",
                    "--rrl-exempt",      "10.0.0.0/8", "--rrl-exempt", "::1",
                    "--rrl-ipv6-prefix", "64"};
    assert_int_equal(parse(&o, &diag, 10, argv), 0);
    assert_int_equal(o.rrl.responses, 0);
    assert_int_equal(o.rrl.slip, 1);
    assert_int_equal(o.rrl.ipv6_prefix, 64);
    assert_int_equal(o.rrl.exempt_count, 2);
    assert_ptr_equal(o.rrl.exempt, o.rrl_exempt);
    assert_int_equal(o.rrl_exempt[0].len, 8);
    assert_int_equal(o.rrl_exempt[1].family, 6);
    sb_options_free(&o);
    sb_diag_free(diag);
    char *bad[] = {"--rrl-exempt",      "10.0.0.1/8", "--rrl-slip",      "101",
                   "--rrl-ipv4-prefix", "4",          "--rrl-responses", "65535"};
    assert_int_equal(parse(&o, &diag, 8, bad), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 4);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: rrl-exempt '10.0.0.1/8' must be an address or prefix, as "
                        "in 192.0.2.0/24 or 2001:db8::/48, with no bits set past its length");
    assert_string_equal(sb_diag_message(diag, 1),
                        "command line: rrl-slip '101' must be from 0 to 100");
    assert_string_equal(sb_diag_message(diag, 2),
                        "command line: rrl-ipv4-prefix '4' must be from 8 to 32");
    assert_string_equal(sb_diag_message(diag, 3),
                        "command line: rrl-responses '65535' must be from 0 to 65534");
    sb_options_free(&o);
    sb_diag_free(diag);
}

static void user_and_group(void **state)
{
    (void)state;
    sb_options_t o;
    sb_diag_t *diag;
    char *ok[] = {"--user", "root", "-g", "root"};
    assert_int_equal(parse(&o, &diag, 4, ok), 0);
    assert_string_equal(o.user, "root");
    assert_int_equal(o.run_uid, 0);
    assert_int_equal(o.run_gid, 0);
    sb_options_free(&o);
    sb_diag_free(diag);
    char *bad[] = {"--user", "sb-no-such-user", "--group", "sb-no-such-group"};
    assert_int_equal(parse(&o, &diag, 4, bad), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: user 'sb-no-such-user' does not exist on this host");
    assert_string_equal(sb_diag_message(diag, 1),
                        "command line: group 'sb-no-such-group' does not exist on this host");
    sb_options_free(&o);
    sb_diag_free(diag);
}

static void config_file(void **state)
{
    (void)state;
    char path[] = "/tmp/sb-options-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# Switchboard\n"
                       "zones  zones.d\n"
                       "listen 127.0.0.1:53   # the first\n"
                       "listen 127.0.0.2:53\n"
                       "threads 2\n"
                       "threads 3\n"
                       "colour blue\n"
                       "udp-max\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *argv[] = {"--config", path, "--threads", "4"};
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 4, argv), SB_ECONFIG);
    char expect[3][200];
    snprintf(expect[0], sizeof(expect[0]), "%s:6:1: option 'threads' is given twice", path);
    snprintf(expect[1], sizeof(expect[1]), "%s:7:1: unknown option 'colour'", path);
    snprintf(expect[2], sizeof(expect[2]), "%s:8:1: option 'udp-max' needs a value", path);
    assert_int_equal(sb_diag_count(diag), 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(sb_diag_message(diag, i), expect[i]);
    /* Relative to the file's directory; flags win over the file. */
    assert_string_equal(o.zones_dir, "/tmp/zones.d");
    assert_int_equal(o.listen_count, 2);
    assert_int_equal(o.threads, 4);
    sb_options_free(&o);
    sb_diag_free(diag);
    unlink(path);
}

static void repeats_and_unreadable_files(void **state)
{
    (void)state;
    char *argv[] = {"--zones", "a",        "-z",        "b",        "--config",
                    "/tmp",    "--listen", "127.0.0.1", "--listen", "127.0.0.2"};
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 10, argv), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    assert_string_equal(sb_diag_message(diag, 0), "/tmp: cannot read: not a regular file");
    assert_string_equal(sb_diag_message(diag, 1), "command line: option '--zones' is given twice");
    assert_int_equal(o.listen_count, 2); /* listen may repeat */
    sb_options_free(&o);
    sb_diag_free(diag);
}

static void listen_addresses(void **state)
{
    (void)state;
    sb_listen_addr_t a;
    char text[80];
    assert_int_equal(sb_listen_addr_parse("0.0.0.0", &a), 0);
    sb_listen_addr_format(&a, text, sizeof(text));
    assert_string_equal(text, "0.0.0.0:53");
    assert_int_equal(sb_listen_addr_parse("[::]", &a), 0);
    sb_listen_addr_format(&a, text, sizeof(text));
    assert_string_equal(text, "[::]:53");
    assert_int_equal(sb_listen_addr_parse("::1", &a), -EINVAL);
    assert_int_equal(sb_listen_addr_parse("1.2.3.4:65536", &a), -EINVAL);
    assert_int_equal(sb_listen_addr_parse("1.2.3.4:", &a), -EINVAL);
    assert_int_equal(sb_listen_addr_parse("[::1]x", &a), -EINVAL);
}

static void probe_resolvers(void **state)
{
    (void)state;
    sb_options_t o;
    sb_diag_t *diag;
    char *none[] = {"--zones", "/tmp"};
    assert_int_equal(parse(&o, &diag, 2, none), 0);
    assert_null(o.probe_resolvers_csv); /* /etc/resolv.conf's */
    sb_options_free(&o);
    sb_diag_free(diag);
    char path[] = "/tmp/sb-options-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "probe-resolver 10.0.0.1\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    /* The flags replace the file's list. */
    char *argv[] = {"--config",         path,   "--probe-resolver", "127.0.0.1:5300",
                    "--probe-resolver", "[::1]"};
    assert_int_equal(parse(&o, &diag, 6, argv), 0);
    assert_int_equal(o.probe_resolver_count, 2);
    assert_string_equal(o.probe_resolvers_csv, "127.0.0.1:5300,[::1]:53");
    sb_options_free(&o);
    sb_diag_free(diag);
    unlink(path);
    char *bad[] = {"--probe-resolver", "127.0.0.1:0", "--probe-resolver", "resolver.example"};
    assert_int_equal(parse(&o, &diag, 4, bad), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: probe-resolver '127.0.0.1:0' needs a port from 1 to 65535 "
                        "(53 when none is given)");
    assert_string_equal(sb_diag_message(diag, 1),
                        "command line: probe-resolver 'resolver.example' must be an IP address "
                        "with an optional port, as in 127.0.0.1:5353 or [::1]:5353");
    sb_options_free(&o);
    sb_diag_free(diag);
}

static void expect_metrics_address(int argc, char **argv, const char *want)
{
    char text[80];
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, argc, argv), 0);
    assert_true(o.metrics_set);
    sb_listen_addr_format(&o.metrics_listen, text, sizeof(text));
    assert_string_equal(text, want);
    sb_options_free(&o);
    sb_diag_free(diag);
}

static void metrics_listen(void **state)
{
    (void)state;
    sb_options_t o;
    sb_diag_t *diag;
    char *none[] = {"--zones", "/tmp"};
    assert_int_equal(parse(&o, &diag, 2, none), 0);
    assert_false(o.metrics_set); /* off by default */
    sb_options_free(&o);
    sb_diag_free(diag);
    char *v6[] = {"--metrics-listen", "[::1]:9100"};
    expect_metrics_address(2, v6, "[::1]:9100");
    char *v4[] = {"--metrics-listen=127.0.0.1:0"};
    expect_metrics_address(1, v4, "127.0.0.1:0");
    /* A port alone: loopback, as the metrics endpoint has no authentication. */
    char *port[] = {"--metrics-listen", "9100"};
    expect_metrics_address(2, port, "127.0.0.1:9100");
    char *port0[] = {"--metrics-listen=0"};
    expect_metrics_address(1, port0, "127.0.0.1:0");
    /* An address alone: the default port, SB_METRICS_DEFAULT_PORT. */
    char *addr4[] = {"--metrics-listen", "192.0.2.1"};
    expect_metrics_address(2, addr4, "192.0.2.1:7923");
    char *addr6[] = {"--metrics-listen", "[2001:db8::1]"};
    expect_metrics_address(2, addr6, "[2001:db8::1]:7923");
    char *bare6[] = {"--metrics-listen", "::1"};
    expect_metrics_address(2, bare6, "[::1]:7923");
    char *twice[] = {"--metrics-listen", "nowhere", "--metrics-listen", "127.0.0.1"};
    assert_int_equal(parse(&o, &diag, 4, twice), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: option '--metrics-listen' is given twice");
    assert_string_equal(sb_diag_message(diag, 1),
                        "command line: metrics-listen 'nowhere' must be a port (on 127.0.0.1), an "
                        "IP address (on port 7923) or both, as in 7923, 127.0.0.1, 127.0.0.1:7923 "
                        "or [::1]:7923");
    sb_options_free(&o);
    sb_diag_free(diag);
    const char *wrong[] = {"65536",
                           "12345678901234567890123456789",
                           "",
                           "-1",
                           ":9100",
                           "[::1",
                           "[::1]:",
                           "127.0.0.1:x",
                           "[::1]x",
                           "::1]:9100",
                           "2001:db8:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:1"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        char *argv[] = {"--metrics-listen", (char *)wrong[i]};
        assert_int_equal(parse(&o, &diag, 2, argv), SB_ECONFIG);
        assert_int_equal(sb_diag_count(diag), 1);
        assert_non_null(strstr(sb_diag_message(diag, 0), "must be a port (on 127.0.0.1)"));
        sb_options_free(&o);
        sb_diag_free(diag);
    }
}

/* The HTTP API: its address as metrics-listen's, its token and TLS files
 * read when parsing ends, and each way they can be wrong. */
static void http_api(void **state)
{
    (void)state;
    char token[64], cert[64], key[64], config[64], text[512];
    temp_file(token, "  0123456789abcdef0123456789abcdef-._~+/==\n", 0600);
    temp_file(cert, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 0644);
    temp_file(key, "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", 0600);
    snprintf(text, sizeof(text),
             "http-listen 8053\nhttp-token-file %s\nhttp-tls-cert %s\n"
             "http-tls-key %s\n",
             token, cert, key);
    temp_file(config, text, 0600);
    char *argv[] = {"--config", config};
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 2, argv), 0);
    char addr[80];
    sb_listen_addr_format(&o.http_listen, addr, sizeof(addr));
    assert_string_equal(addr, "127.0.0.1:8053");
    assert_string_equal(o.http_token, "0123456789abcdef0123456789abcdef-._~+/==");
    assert_string_equal(o.http_token_from, "file");
    assert_non_null(strstr(o.http_tls_cert, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(o.http_tls_key, "BEGIN PRIVATE KEY"));
    sb_options_free(&o);
    sb_diag_free(diag);
    const char *files[] = {token, cert, key, config};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unlink(files[i]);
}

/* A short token, one with a space, a key without its certificate, a
 * certificate that is not PEM, files without the listener, an address
 * without a port. */
static void http_api_errors(void **state)
{
    (void)state;
    char key[64], text[512], weak[64], notpem[64];
    sb_options_t o;
    sb_diag_t *diag;
    temp_file(key, "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", 0600);
    temp_file(weak, "0123456789abcdef 0123456789abcdef\n", 0600);
    temp_file(notpem, "MIIB\n", 0600);
    char *bad[] = {"--http-listen=[::1]:0", "--http-token-file", weak, "--http-tls-key", key};
    assert_int_equal(parse(&o, &diag, 5, bad), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    snprintf(text, sizeof(text),
             "command line: http-token-file: %s must hold one token of at least 32 characters of "
             "A-Z a-z 0-9 - . _ ~ + / (as `openssl rand -hex 32` makes)",
             weak);
    assert_string_equal(sb_diag_message(diag, 0), text);
    assert_string_equal(sb_diag_message(diag, 1),
                        "command line: give http-tls-cert and http-tls-key together");
    assert_null(o.http_token);
    sb_options_free(&o);
    sb_diag_free(diag);
    char *bad_pem[] = {"--http-listen=0", "--http-tls-cert", notpem, "--http-tls-key", key};
    assert_int_equal(parse(&o, &diag, 5, bad_pem), SB_ECONFIG);
    snprintf(text, sizeof(text),
             "command line: http-tls-cert: %s is not in PEM format (no -----BEGIN line)", notpem);
    assert_string_equal(sb_diag_message(diag, 0), text);
    sb_options_free(&o);
    sb_diag_free(diag);
    /* Files without the listener do nothing: a warning, not an error. */
    char *unused[] = {"--http-token-file", weak};
    assert_int_equal(parse(&o, &diag, 2, unused), 0);
    assert_null(o.http_token);
    assert_int_equal(sb_diag_warning_count(diag), 1);
    sb_options_free(&o);
    sb_diag_free(diag);
    char *wrong[] = {"--http-listen", "127.0.0.1"};
    assert_int_equal(parse(&o, &diag, 2, wrong), SB_ECONFIG);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: http-listen '127.0.0.1' must be a port (on 127.0.0.1) or an "
                        "IP address and port, as in 8053, 127.0.0.1:8053 or [::1]:8053");
    sb_options_free(&o);
    sb_diag_free(diag);
    const char *files[] = {key, weak, notpem};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unlink(files[i]);
}

/* The fleet: servers, names, secrets read from files at the end, and
 * every combination refused with its reason. */
static void fleet(void **state)
{
    (void)state;
    char pw[64], config[64], text[512];
    temp_file(pw, "s3cret\n", 0600);
    snprintf(text, sizeof(text),
             "fleet-server nats://127.0.0.1:4222\nfleet-server tls://nats.example.net:4443\n"
             "fleet-node ns1\nfleet-name dns-eu\nfleet-replicas 5\nfleet-timeout 750ms\n"
             "fleet-required yes\nfleet-user ns1\nfleet-password-file %s\n",
             pw);
    temp_file(config, text, 0600);
    char *argv[] = {"--config", config};
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 2, argv), 0);
    assert_int_equal(o.fleet.server_count, 2);
    assert_string_equal(o.fleet.servers[1], "tls://nats.example.net:4443");
    assert_string_equal(o.fleet.node, "ns1");
    assert_string_equal(o.fleet.name, "dns-eu");
    assert_int_equal(o.fleet.replicas, 5);
    assert_int_equal(o.fleet.timeout_ms, 750);
    assert_true(o.fleet.required);
    assert_string_equal(o.fleet.user, "ns1");
    assert_string_equal(o.fleet.password, "s3cret");
    sb_options_free(&o);
    sb_diag_free(diag);

    char *bad[] = {"--fleet-server",   "http://a:1", "--fleet-node",    "ns1.example",
                   "--fleet-replicas", "7",          "--fleet-timeout", "90s",
                   "--fleet-required", "maybe"};
    assert_int_equal(parse(&o, &diag, 10, bad), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 5);
    assert_non_null(strstr(sb_diag_message(diag, 0), "must be nats://HOST:PORT"));
    assert_string_equal(
        sb_diag_message(diag, 1),
        "command line: fleet-node 'ns1.example' must be 1 to 63 of A-Z a-z 0-9 - _");
    assert_non_null(strstr(sb_diag_message(diag, 3), "must be from 100ms to 60s"));
    assert_non_null(strstr(sb_diag_message(diag, 4), "must be yes or no"));
    sb_options_free(&o);
    sb_diag_free(diag);

    char *alone[] = {"--fleet-node", "ns1"};
    assert_int_equal(parse(&o, &diag, 2, alone), SB_ECONFIG);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: fleet options are given but no fleet-server");
    sb_options_free(&o);
    sb_diag_free(diag);
    char *no_pw[] = {"--fleet-server", "nats://a:1", "--fleet-node", "a", "--fleet-user", "u"};
    assert_int_equal(parse(&o, &diag, 6, no_pw), SB_ECONFIG);
    assert_string_equal(sb_diag_message(diag, 0),
                        "command line: fleet-user and fleet-password-file go together");
    sb_options_free(&o);
    sb_diag_free(diag);
    unlink(pw);
    unlink(config);
}

static void probe_source(void **state)
{
    (void)state;
    char *argv[] = {"--probe-source", "127.0.0.21", "--probe-source", "::1"};
    sb_options_t o;
    sb_diag_t *diag;
    assert_int_equal(parse(&o, &diag, 4, argv), 0);
    assert_int_equal(o.probe_source[0].family, 4);
    assert_int_equal(o.probe_source[1].family, 6);
    sb_options_free(&o);
    sb_diag_free(diag);
    char *bad[] = {"--probe-source", "127.0.0.21",     "--probe-source",
                   "127.0.0.22",     "--probe-source", "localhost"};
    assert_int_equal(parse(&o, &diag, 6, bad), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 2);
    assert_string_equal(sb_diag_message(diag, 0), "command line: probe-source '127.0.0.22' gives "
                                                  "a second IPv4 source (one per family)");
    assert_string_equal(sb_diag_message(diag, 1),
                        "command line: probe-source 'localhost' must be an IP address, as in "
                        "192.0.2.1 or 2001:db8::1");
    sb_options_free(&o);
    sb_diag_free(diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(flags),
        cmocka_unit_test(flag_errors),
        cmocka_unit_test(identity_strings),
        cmocka_unit_test(cookie_secret_sources),
        cmocka_unit_test(cookie_secret_credential),
        cmocka_unit_test(fleet_credentials),
        cmocka_unit_test(user_and_group),
        cmocka_unit_test(rate_limiting),
        cmocka_unit_test(config_file),
        cmocka_unit_test(repeats_and_unreadable_files),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(metrics_listen),
        cmocka_unit_test(http_api),
        cmocka_unit_test(http_api_errors),
        cmocka_unit_test(probe_resolvers),
        cmocka_unit_test(fleet),
        cmocka_unit_test(probe_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
