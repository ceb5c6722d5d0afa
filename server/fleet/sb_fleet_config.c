/*
 * The fleet's settings (sb_fleet_config.h).
 */
#include "sb_fleet_config.h"

#include "sb_value.h"
#include "sb_verdicts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sb_fleet_config_init(sb_fleet_config_t *c)
{
    memset(c, 0, sizeof(*c));
    c->replicas = SB_FLEET_DEFAULT_REPLICAS;
    c->timeout_ms = SB_FLEET_DEFAULT_TIMEOUT_MS;
}

static void free_secret(char **s)
{
    if (*s != NULL)
        explicit_bzero(*s, strlen(*s));
    free(*s);
    *s = NULL;
}

void sb_fleet_config_free(sb_fleet_config_t *c)
{
    for (size_t i = 0; i < c->server_count; i++)
        free(c->servers[i]);
    free_secret(&c->password);
    free_secret(&c->token);
    free_secret(&c->key_pem);
    free(c->ca_pem);
    free(c->cert_pem);
    char **strings[] = {&c->node,           &c->name,    &c->user,      &c->creds_file, &c->nkey,
                        &c->nkey_seed_file, &c->ca_file, &c->cert_file, &c->key_file};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(*strings[i]);
    sb_fleet_config_init(c);
}

bool sb_fleet_config_enabled(const sb_fleet_config_t *c)
{
    return c->server_count > 0;
}

int sb_fleet_config_add_server(sb_fleet_config_t *c, const char *url, char *why)
{
    if (c->server_count == SB_FLEET_MAX_SERVERS) {
        snprintf(why, SB_WHY_MAX, "at most %d fleet servers", SB_FLEET_MAX_SERVERS);
        return -EINVAL;
    }
    const char *rest = strncmp(url, "nats://", 7) == 0  ? url + 7
                       : strncmp(url, "tls://", 6) == 0 ? url + 6
                                                        : NULL;
    const char *colon = rest != NULL ? strrchr(rest, ':') : NULL;
    uint64_t port;
    char port_why[SB_WHY_MAX];
    if (rest == NULL || colon == NULL || colon == rest || strchr(rest, '/') != NULL ||
        strchr(rest, '@') != NULL || sb_value_uint(colon + 1, 1, 65535, &port, port_why) < 0) {
        snprintf(why, SB_WHY_MAX,
                 "must be nats://HOST:PORT or tls://HOST:PORT, with no user or password in "
                 "it (give those with fleet-user and fleet-password-file)");
        return -EINVAL;
    }
    if ((c->servers[c->server_count] = strdup(url)) == NULL)
        return -ENOMEM;
    c->server_count++;
    return 0;
}

_Static_assert(SB_FLEET_NAME_MAX == SB_VERDICTS_NODE_MAX, "one rule for names");

bool sb_fleet_config_name_ok(const char *name)
{
    return sb_verdicts_node_ok(name);
}

/* The host name's first label, as a node name: ns1.example.net -> ns1. */
static int default_node(sb_fleet_config_t *c, char *why, size_t why_len)
{
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) != 0)
        host[0] = '\0';
    host[strcspn(host, ".")] = '\0';
    if (!sb_fleet_config_name_ok(host)) {
        snprintf(why, why_len,
                 "this host's name cannot name a node (A-Z a-z 0-9 - _, at most %d): give "
                 "fleet-node",
                 SB_FLEET_NAME_MAX);
        return -EINVAL;
    }
    return (c->node = strdup(host)) != NULL ? 0 : -ENOMEM;
}

static int check_credentials(const sb_fleet_config_t *c, char *why, size_t why_len)
{
    int kinds = (c->user != NULL || c->password != NULL) + (c->token != NULL) +
                (c->creds_file != NULL) + (c->nkey != NULL || c->nkey_seed_file != NULL);
    if (kinds > 1) {
        snprintf(why, why_len,
                 "give one kind of fleet credentials: fleet-user with fleet-password-file, "
                 "fleet-token-file, fleet-creds, or fleet-nkey with fleet-nkey-seed-file");
        return -EINVAL;
    }
    if ((c->user != NULL) != (c->password != NULL)) {
        snprintf(why, why_len, "fleet-user and fleet-password-file go together");
        return -EINVAL;
    }
    if ((c->nkey != NULL) != (c->nkey_seed_file != NULL)) {
        snprintf(why, why_len, "fleet-nkey and fleet-nkey-seed-file go together");
        return -EINVAL;
    }
    if ((c->cert_file != NULL) != (c->key_file != NULL)) {
        snprintf(why, why_len, "fleet-cert and fleet-key go together");
        return -EINVAL;
    }
    return 0;
}

/* A PEM file's whole text into *out. */
static int read_pem(const char *option, const char *path, char **out, char *why, size_t why_len)
{
    if (path == NULL)
        return 0;
    FILE *f = fopen(path, "re");
    char *text = f != NULL ? calloc(1, SB_FLEET_PEM_MAX + 1) : NULL;
    size_t n = text != NULL ? fread(text, 1, SB_FLEET_PEM_MAX + 1, f) : 0;
    int err = f == NULL ? errno : text == NULL ? ENOMEM : ferror(f) ? EIO : 0;
    if (f != NULL)
        fclose(f);
    if (err == 0 && (n == 0 || n > SB_FLEET_PEM_MAX || strlen(text) != n))
        err = EINVAL;
    if (err != 0) {
        snprintf(why, why_len, "%s %s: %s", option, path,
                 err == EINVAL ? "not a PEM text file of at most 1 MiB" : strerror(err));
        free(text);
        return err == ENOMEM ? -ENOMEM : -EINVAL;
    }
    *out = text;
    return 0;
}

static int read_tls_files(sb_fleet_config_t *c, char *why, size_t why_len)
{
    int rc = read_pem("fleet-ca", c->ca_file, &c->ca_pem, why, why_len);
    if (rc == 0)
        rc = read_pem("fleet-cert", c->cert_file, &c->cert_pem, why, why_len);
    if (rc == 0)
        rc = read_pem("fleet-key", c->key_file, &c->key_pem, why, why_len);
    return rc;
}

int sb_fleet_config_check(sb_fleet_config_t *c, char *why, size_t why_len)
{
    if (!sb_fleet_config_enabled(c)) {
        bool any = c->node != NULL || c->name != NULL || c->user != NULL || c->password != NULL ||
                   c->token != NULL || c->creds_file != NULL || c->nkey != NULL ||
                   c->nkey_seed_file != NULL || c->ca_file != NULL || c->cert_file != NULL ||
                   c->required;
        if (any) {
            snprintf(why, why_len, "fleet options are given but no fleet-server");
            return -EINVAL;
        }
        return 0;
    }
    if (c->name == NULL && (c->name = strdup(SB_FLEET_DEFAULT_NAME)) == NULL)
        return -ENOMEM;
    if (c->node == NULL) {
        int rc = default_node(c, why, why_len);
        if (rc < 0)
            return rc;
    }
    int rc = check_credentials(c, why, why_len);
    return rc == 0 ? read_tls_files(c, why, why_len) : rc;
}
