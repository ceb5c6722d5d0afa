/*
 * The fleet's talk: announcements and health messages (sb_fleet_talk.h).
 */
#include "sb_fleet_talk.h"

#include "sb_fleet_link.h"
#include "sb_fleet_nats.h"
#include "sb_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* On NATS's thread: another node (or this one) announced itself. */
static void on_announce(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc, (void)sub;
    sb_fleet_t *f = closure;
    sb_fleet_announce_t a;
    int len = natsMsg_GetDataLength(msg);
    int rc = sb_fleet_nodes_decode(natsMsg_GetData(msg), (size_t)(len > 0 ? len : 0), &a);
    pthread_mutex_lock(&f->lock);
    f->msgs_in++;
    f->bytes_in += (uint64_t)(len > 0 ? len : 0);
    sb_fleet_node_t *n =
        rc == 0 ? sb_fleet_nodes_heard(&f->nodes, &a, sb_fleet_link_wall_ms()) : NULL;
    bool news = n != NULL && strcmp(n->name, f->cfg->node) != 0 && f->digest[0] != '\0' &&
                strcmp(n->digest, f->digest) != 0 && !n->differs_logged;
    if (news)
        n->differs_logged = true;
    char ours[SB_FLEET_DIGEST_MAX];
    snprintf(ours, sizeof(ours), "%s", f->digest);
    pthread_mutex_unlock(&f->lock);
    if (news)
        sb_log(SB_LOG_WARNING, "fleet-config-differs", "node=%s digest=%s ours=%s", a.name,
               a.digest, ours);
    natsMsg_Destroy(msg);
}

/* On NATS's thread: another node's verdicts, handed to the server. */
static void on_health(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc, (void)sub;
    sb_fleet_t *f = closure;
    const char *subject = natsMsg_GetSubject(msg);
    const char *from = strrchr(subject, '.');
    int len = natsMsg_GetDataLength(msg);
    bool own = from != NULL && strcmp(from + 1, f->cfg->node) == 0;
    pthread_mutex_lock(&f->lock);
    f->msgs_in++;
    f->bytes_in += (uint64_t)(len > 0 ? len : 0);
    pthread_mutex_unlock(&f->lock);
    if (!own && from != NULL && f->hooks.on_health != NULL)
        f->hooks.on_health(f->health_arg, from + 1, natsMsg_GetData(msg),
                           (size_t)(len > 0 ? len : 0));
    natsMsg_Destroy(msg);
}

static void on_announcements_done(void *closure)
{
    sb_fleet_t *f = closure;
    sb_fleet_link_flag(f, &f->announcements_done);
}

static void on_health_done(void *closure)
{
    sb_fleet_t *f = closure;
    sb_fleet_link_flag(f, &f->health_done);
}

/* Subscribe to <fleet>.<what>.* with `cb`; `done` says when its last
 * callback has run. */
static int subscribe(sb_fleet_t *f, natsSubscription **sub, const char *what, natsMsgHandler cb,
                     natsOnCompleteCB done)
{
    char subject[SB_FLEET_NAME_MAX + 16];
    snprintf(subject, sizeof(subject), "%s.%s.*", f->cfg->name, what);
    natsStatus s = natsConnection_Subscribe(sub, f->nc, subject, cb, f);
    if (s == NATS_OK && (s = natsSubscription_SetOnCompleteCB(*sub, done, f)) != NATS_OK) {
        /* Without its completion callback it could not be closed safely:
         * undone, to be tried again. */
        natsSubscription_Unsubscribe(*sub);
        natsSubscription_Destroy(*sub);
    }
    if (s != NATS_OK) {
        *sub = NULL;
        char why[256];
        sb_fleet_link_error(f, what, sb_fleet_nats_error(s, why, sizeof(why)));
        return -EIO;
    }
    return 0;
}

int sb_fleet_talk_subscribe(sb_fleet_t *f)
{
    if (f->announcements == NULL &&
        subscribe(f, &f->announcements, "nodes", on_announce, on_announcements_done) < 0)
        return -EIO;
    if (f->health == NULL && subscribe(f, &f->health, "health", on_health, on_health_done) < 0)
        return -EIO;
    return 0;
}

void sb_fleet_talk_publish_health(sb_fleet_t *f, char *text)
{
    pthread_mutex_lock(&f->lock);
    if (f->out_count == SB_FLEET_OUTBOX_MAX) { /* NATS slow or gone: the oldest goes */
        free(f->outbox[f->out_head]);
        f->out_head = (f->out_head + 1) % SB_FLEET_OUTBOX_MAX;
        f->out_count--;
        f->out_dropped++;
    }
    f->outbox[(f->out_head + f->out_count) % SB_FLEET_OUTBOX_MAX] = text;
    f->out_count++;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

void *sb_fleet_talk_sender(void *arg)
{
    sb_fleet_t *f = arg;
    char subject[2 * SB_FLEET_NAME_MAX + 16];
    snprintf(subject, sizeof(subject), "%s.health.%s", f->cfg->name, f->cfg->node);
    pthread_mutex_lock(&f->lock);
    while (!f->stopping) {
        if (f->out_count == 0 || f->nc == NULL) {
            sb_fleet_link_pause(f, 1000);
            continue;
        }
        char *text = f->outbox[f->out_head];
        f->out_head = (f->out_head + 1) % SB_FLEET_OUTBOX_MAX;
        f->out_count--;
        natsConnection *nc = f->nc; /* kept until the fleet stops */
        pthread_mutex_unlock(&f->lock);
        natsStatus s = natsConnection_PublishString(nc, subject, text);
        pthread_mutex_lock(&f->lock);
        if (s == NATS_OK) {
            f->msgs_out++;
            f->bytes_out += strlen(text);
        } else {
            f->out_dropped++;
        }
        free(text);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* Announce this node when it is time (every period, and at once after a
 * reload or a reconnection). On the fleet's thread. */
void sb_fleet_talk_announce(sb_fleet_t *f)
{
    int64_t now = sb_fleet_link_wall_ms();
    pthread_mutex_lock(&f->lock);
    bool due =
        f->digest[0] != '\0' && (f->announce_now || now - f->announced_ms >= SB_FLEET_ANNOUNCE_MS);
    char *text = due ? sb_fleet_nodes_encode(f->cfg->node, f->digest, SB_FLEET_ANNOUNCE_MS) : NULL;
    pthread_mutex_unlock(&f->lock);
    if (text == NULL)
        return;
    char subject[2 * SB_FLEET_NAME_MAX + 16];
    snprintf(subject, sizeof(subject), "%s.nodes.%s", f->cfg->name, f->cfg->node);
    natsStatus s = natsConnection_PublishString(f->nc, subject, text);
    pthread_mutex_lock(&f->lock);
    if (s == NATS_OK) {
        f->announce_now = false;
        f->announced_ms = now;
        f->msgs_out++;
        f->bytes_out += strlen(text);
    }
    pthread_mutex_unlock(&f->lock);
    free(text);
}

void sb_fleet_talk_set_digest(sb_fleet_t *f, const char *digest)
{
    pthread_mutex_lock(&f->lock);
    snprintf(f->digest, sizeof(f->digest), "%s", digest);
    f->announce_now = true;
    for (size_t i = 0; i < f->nodes.count; i++)
        f->nodes.nodes[i].differs_logged = false; /* compared afresh */
    pthread_mutex_unlock(&f->lock);
}

bool sb_fleet_talk_unsubscribe(sb_fleet_t *f)
{
    bool done = true;
    if (f->announcements != NULL && natsSubscription_Unsubscribe(f->announcements) == NATS_OK)
        done &= sb_fleet_link_wait(f, &f->announcements_done);
    if (f->health != NULL && natsSubscription_Unsubscribe(f->health) == NATS_OK)
        done &= sb_fleet_link_wait(f, &f->health_done);
    return done;
}
