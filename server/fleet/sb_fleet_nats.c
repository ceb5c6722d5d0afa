/*
 * NATS client options for the fleet (sb_fleet_nats.h).
 */
#include "sb_fleet_nats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Between attempts to reach a server again, and how long one attempt may
 * take: short, so that a ctl override soon finds the fleet back. */
#define RECONNECT_WAIT_MS  500
#define CONNECT_TIMEOUT_MS 2000

const char *sb_fleet_nats_error(natsStatus s, char *buf, size_t cap)
{
    natsStatus last = NATS_OK;
    const char *text = nats_GetLastError(&last);
    if (text != NULL && text[0] != '\0' && last == s)
        snprintf(buf, cap, "%s", text);
    else
        snprintf(buf, cap, "%s", natsStatus_GetText(s));
    return buf;
}

static natsStatus set_credentials(natsOptions *o, const sb_fleet_config_t *cfg)
{
    if (cfg->user != NULL)
        return natsOptions_SetUserInfo(o, cfg->user, cfg->password);
    if (cfg->token != NULL)
        return natsOptions_SetToken(o, cfg->token);
    if (cfg->creds_file != NULL)
        return natsOptions_SetUserCredentialsFromFiles(o, cfg->creds_file, NULL);
    if (cfg->nkey_seed_file != NULL)
        return natsOptions_SetNKeyFromSeed(o, cfg->nkey, cfg->nkey_seed_file);
    return NATS_OK;
}

static bool wants_tls(const sb_fleet_config_t *cfg)
{
    if (cfg->ca_pem != NULL || cfg->cert_pem != NULL)
        return true;
    for (size_t i = 0; i < cfg->server_count; i++) {
        if (strncmp(cfg->servers[i], "tls://", 6) == 0)
            return true;
    }
    return false;
}

static natsStatus set_tls(natsOptions *o, const sb_fleet_config_t *cfg)
{
    if (!wants_tls(cfg))
        return NATS_OK;
    natsStatus s = natsOptions_SetSecure(o, true);
    /* From the text read at start: the files may be root's alone. */
    if (s == NATS_OK && cfg->ca_pem != NULL)
        s = natsOptions_SetCATrustedCertificates(o, cfg->ca_pem);
    if (s == NATS_OK && cfg->cert_pem != NULL)
        s = natsOptions_SetCertificatesChain(o, cfg->cert_pem, cfg->key_pem);
    return s;
}

static natsStatus set_handlers(natsOptions *o, const sb_fleet_nats_handlers_t *h)
{
    natsStatus s = natsOptions_SetDisconnectedCB(o, h->disconnected, h->closure);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(o, h->reconnected, h->closure);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(o, h->closed, h->closure);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(o, h->error, h->closure);
    return s;
}

static natsStatus set_connection(natsOptions *o, const sb_fleet_config_t *cfg)
{
    char name[SB_FLEET_NAME_MAX * 2 + 32];
    snprintf(name, sizeof(name), "switchboard %s/%s", cfg->name, cfg->node);
    natsStatus s = natsOptions_SetServers(o, (const char **)cfg->servers, (int)cfg->server_count);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, name);
    if (s == NATS_OK)
        s = natsOptions_SetAllowReconnect(o, true);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(o, RECONNECT_WAIT_MS);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, CONNECT_TIMEOUT_MS);
    /* A write waiting for the store's answer when the connection drops
     * fails at once rather than when its timeout ends. */
    if (s == NATS_OK)
        s = natsOptions_SetFailRequestsOnDisconnect(o, true);
    return s;
}

int sb_fleet_nats_options(natsOptions **out, const sb_fleet_config_t *cfg,
                          const sb_fleet_nats_handlers_t *h, char *err, size_t errlen)
{
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    const char *step = "fleet options";
    if (s == NATS_OK && (s = set_connection(o, cfg)) != NATS_OK)
        step = "fleet-server";
    if (s == NATS_OK && (s = set_credentials(o, cfg)) != NATS_OK)
        step = "fleet credentials";
    if (s == NATS_OK && (s = set_tls(o, cfg)) != NATS_OK)
        step = "fleet TLS (fleet-ca, fleet-cert, fleet-key)";
    if (s == NATS_OK)
        s = set_handlers(o, h);
    if (s != NATS_OK) {
        char why[256];
        snprintf(err, errlen, "%s: %s", step, sb_fleet_nats_error(s, why, sizeof(why)));
        natsOptions_Destroy(o);
        return -EINVAL;
    }
    *out = o;
    return 0;
}
