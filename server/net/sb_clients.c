#include "sb_clients.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define KEY_LEN 9 /* the family, then 4 bytes of IPv4 or 8 (a /64) of IPv6 */

typedef struct {
    uint8_t key[KEY_LEN];
    uint32_t count; /* 0: a free slot */
} slot_t;

struct sb_clients {
    uv_mutex_t lock;
    unsigned per_client;
    size_t mask; /* slots - 1; slots a power of two, at least twice the connections */
    slot_t *slots;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
};

int sb_clients_new(sb_clients_t **out, unsigned max_connections, unsigned per_client)
{
    *out = NULL;
    sb_clients_t *c = calloc(1, sizeof(*c));
    size_t slots = 16;
    while (slots < 2 * (size_t)max_connections)
        slots *= 2;
    if (c == NULL || sodium_init() < 0 || (c->slots = calloc(slots, sizeof(slot_t))) == NULL ||
        uv_mutex_init(&c->lock) != 0) {
        if (c != NULL)
            free(c->slots);
        free(c);
        return -ENOMEM;
    }
    c->mask = slots - 1;
    c->per_client = per_client;
    crypto_shorthash_keygen(c->hash_key);
    *out = c;
    return 0;
}

void sb_clients_free(sb_clients_t *c)
{
    if (c == NULL)
        return;
    uv_mutex_destroy(&c->lock);
    free(c->slots);
    free(c);
}

/* The client an address belongs to. */
static void client_key(const uint8_t *addr, size_t len, uint8_t key[KEY_LEN])
{
    static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(key, 0, KEY_LEN);
    if (len == 16 && memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0) {
        addr += 12;
        len = 4;
    }
    key[0] = len == 4 ? 4 : 6;
    memcpy(key + 1, addr, len == 4 ? 4 : 8);
}

static size_t home_of(const sb_clients_t *c, const uint8_t key[KEY_LEN])
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, key, KEY_LEN, c->hash_key);
    return (size_t)h & c->mask;
}

/* The slot holding `key`, or the free slot where it would go; NULL when
 * neither exists (every slot taken). Linear probing. */
static slot_t *find(sb_clients_t *c, const uint8_t key[KEY_LEN])
{
    size_t i = home_of(c, key);
    for (size_t n = 0; n <= c->mask; n++, i = (i + 1) & c->mask) {
        slot_t *s = &c->slots[i];
        if (s->count == 0 || memcmp(s->key, key, KEY_LEN) == 0)
            return s;
    }
    return NULL;
}

/* Empty slot `i`, moving back the entries after it that probing would
 * otherwise no longer find (deletion without tombstones). */
static void vacate(sb_clients_t *c, size_t i)
{
    size_t j = i;
    for (;;) {
        c->slots[i].count = 0;
        for (;;) {
            j = (j + 1) & c->mask;
            if (c->slots[j].count == 0)
                return;
            size_t home = home_of(c, c->slots[j].key);
            /* Stays when its home lies cyclically in (i, j]. */
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                continue;
            c->slots[i] = c->slots[j];
            i = j;
            break;
        }
    }
}

bool sb_clients_add(sb_clients_t *c, const uint8_t *addr, size_t len)
{
    uint8_t key[KEY_LEN];
    client_key(addr, len, key);
    uv_mutex_lock(&c->lock);
    slot_t *s = find(c, key);
    bool ok = s != NULL && s->count < c->per_client;
    if (ok && s->count++ == 0)
        memcpy(s->key, key, KEY_LEN);
    uv_mutex_unlock(&c->lock);
    return ok;
}

void sb_clients_remove(sb_clients_t *c, const uint8_t *addr, size_t len)
{
    uint8_t key[KEY_LEN];
    client_key(addr, len, key);
    uv_mutex_lock(&c->lock);
    slot_t *s = find(c, key);
    if (s != NULL && s->count > 0 && --s->count == 0)
        vacate(c, (size_t)(s - c->slots));
    uv_mutex_unlock(&c->lock);
}

unsigned sb_clients_count(sb_clients_t *c, const uint8_t *addr, size_t len)
{
    uint8_t key[KEY_LEN];
    client_key(addr, len, key);
    uv_mutex_lock(&c->lock);
    slot_t *s = find(c, key);
    unsigned n = s != NULL ? s->count : 0;
    uv_mutex_unlock(&c->lock);
    return n;
}
