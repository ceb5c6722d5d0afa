/*
 * One shared copy of each distinct monitor (sb_monitor_pool.h): an
 * open-addressing table of arena copies, keyed by their settings.
 */
#include "sb_monitor_pool.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define FIRST_CAP   16

/* Every string of sb_monitor_t but the headers (which follow them in the
 * numbering of string_offset()). A string left out of this list would be
 * compared by its pointer with the other fields: never shared wrongly,
 * only less often. */
static const size_t named_strings[] = {
    offsetof(sb_monitor_t, path),        offsetof(sb_monitor_t, host),
    offsetof(sb_monitor_t, body),        offsetof(sb_monitor_t, ca_file),
    offsetof(sb_monitor_t, client_cert), offsetof(sb_monitor_t, client_key),
    offsetof(sb_monitor_t, send),        offsetof(sb_monitor_t, receive),
    offsetof(sb_monitor_t, probe_host),
};
#define STRING_COUNT (COUNT_OF(named_strings) + SB_MONITOR_MAX_HEADERS)

typedef struct {
    uint64_t hash;
    const sb_monitor_t *m; /* NULL: free */
} slot_t;

struct sb_monitor_pool {
    slot_t *slots;
    size_t cap; /* a power of two */
    size_t count;
};

static size_t string_offset(size_t k)
{
    if (k < COUNT_OF(named_strings))
        return named_strings[k];
    return offsetof(sb_monitor_t, headers) + (k - COUNT_OF(named_strings)) * sizeof(const char *);
}

static const char *string_get(const sb_monitor_t *m, size_t k)
{
    const char *s;
    memcpy(&s, (const char *)m + string_offset(k), sizeof(s));
    return s;
}

/* A copy of `m` without the positions its settings were written at: they
 * differ between equal monitors, and no one reads them in a shared copy. */
static void copy_without_positions(const sb_monitor_t *m, sb_monitor_t *out)
{
    memcpy(out, m, sizeof(*out));
    memset(out->pos, 0, sizeof(out->pos));
    memset(&out->proto_pos, 0, sizeof(out->proto_pos));
}

/* `m` as the pool compares it byte for byte: positions cleared, and the
 * strings too (compared by their text apart). */
static void key_of(const sb_monitor_t *m, sb_monitor_t *key)
{
    copy_without_positions(m, key);
    for (size_t k = 0; k < STRING_COUNT; k++) {
        const char *none = NULL;
        memcpy((char *)key + string_offset(k), &none, sizeof(none));
    }
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t hash_of(const sb_monitor_t *m)
{
    sb_monitor_t key;
    key_of(m, &key);
    uint64_t h = fnv(0xcbf29ce484222325ull, &key, sizeof(key));
    for (size_t k = 0; k < STRING_COUNT; k++) {
        const char *s = string_get(m, k);
        /* NULL and "" differ: a length of ~0 stands for NULL. */
        size_t len = s != NULL ? strlen(s) : SIZE_MAX;
        h = fnv(h, &len, sizeof(len));
        if (s != NULL)
            h = fnv(h, s, len);
    }
    return h;
}

static bool text_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

bool sb_monitor_pool_same(const sb_monitor_t *a, const sb_monitor_t *b)
{
    sb_monitor_t ka, kb;
    key_of(a, &ka);
    key_of(b, &kb);
    if (memcmp(&ka, &kb, sizeof(ka)) != 0)
        return false;
    for (size_t k = 0; k < STRING_COUNT; k++) {
        if (!text_equal(string_get(a, k), string_get(b, k)))
            return false;
    }
    return true;
}

int sb_monitor_pool_new(sb_monitor_pool_t **out)
{
    sb_monitor_pool_t *pool = calloc(1, sizeof(*pool));
    if (pool != NULL && (pool->slots = calloc(FIRST_CAP, sizeof(*pool->slots))) == NULL) {
        free(pool);
        pool = NULL;
    }
    *out = pool;
    if (pool == NULL)
        return -ENOMEM;
    pool->cap = FIRST_CAP;
    return 0;
}

void sb_monitor_pool_free(sb_monitor_pool_t *pool)
{
    if (pool == NULL)
        return;
    free(pool->slots);
    free(pool);
}

size_t sb_monitor_pool_count(const sb_monitor_pool_t *pool)
{
    return pool->count;
}

/* The slot holding a monitor equal to `m`, or the free slot where it goes. */
static slot_t *find(slot_t *slots, size_t cap, uint64_t hash, const sb_monitor_t *m)
{
    for (size_t i = (size_t)hash & (cap - 1);; i = (i + 1) & (cap - 1)) {
        slot_t *s = &slots[i];
        if (s->m == NULL || (s->hash == hash && sb_monitor_pool_same(s->m, m)))
            return s;
    }
}

/* Double the table. Returns 0 or -ENOMEM (the pool unchanged). */
static int grow(sb_monitor_pool_t *pool)
{
    size_t cap = pool->cap * 2;
    slot_t *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < pool->cap; i++) {
        const slot_t *s = &pool->slots[i];
        if (s->m != NULL)
            *find(slots, cap, s->hash, s->m) = *s;
    }
    free(pool->slots);
    pool->slots = slots;
    pool->cap = cap;
    return 0;
}

const sb_monitor_t *sb_monitor_pool_intern(sb_monitor_pool_t *pool, sb_arena_t *arena,
                                           const sb_monitor_t *m)
{
    uint64_t hash = hash_of(m);
    slot_t *s = find(pool->slots, pool->cap, hash, m);
    if (s->m != NULL)
        return s->m;
    if ((pool->count + 1) * 2 > pool->cap) {
        if (grow(pool) < 0)
            return NULL;
        s = find(pool->slots, pool->cap, hash, m);
    }
    sb_monitor_t copy;
    copy_without_positions(m, &copy);
    const sb_monitor_t *kept = sb_arena_memdup(arena, &copy, sizeof(copy));
    if (kept == NULL)
        return NULL;
    *s = (slot_t){hash, kept};
    pool->count++;
    return kept;
}
