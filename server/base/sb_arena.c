#include "sb_arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)

typedef struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
} chunk_t;

struct sb_arena {
    chunk_t *head;
    size_t footprint;
};

sb_arena_t *sb_arena_new(void)
{
    return calloc(1, sizeof(sb_arena_t));
}

void sb_arena_destroy(sb_arena_t *arena)
{
    if (arena == NULL)
        return;
    chunk_t *c = arena->head;
    while (c != NULL) {
        chunk_t *next = c->next;
        free(c);
        c = next;
    }
    free(arena);
}

static chunk_t *add_chunk(sb_arena_t *arena, size_t min_size)
{
    size_t size = min_size > CHUNK_SIZE ? min_size : CHUNK_SIZE;
    chunk_t *c = malloc(sizeof(chunk_t) + size);
    if (c == NULL)
        return NULL;
    c->size = size;
    c->used = 0;
    /* A chunk made for one large object goes behind the head so that the
     * head's free space stays usable for the small objects that follow. */
    if (arena->head != NULL && size > CHUNK_SIZE) {
        c->next = arena->head->next;
        arena->head->next = c;
    } else {
        c->next = arena->head;
        arena->head = c;
    }
    arena->footprint += sizeof(chunk_t) + size;
    return c;
}

void *sb_arena_alloc(sb_arena_t *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded < size)
        return NULL;
    chunk_t *c = arena->head;
    if (c == NULL || c->size - c->used < rounded) {
        c = add_chunk(arena, rounded);
        if (c == NULL)
            return NULL;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    memset(p, 0, size);
    return p;
}

void *sb_arena_memdup(sb_arena_t *arena, const void *src, size_t size)
{
    void *p = sb_arena_alloc(arena, size);
    if (p != NULL && size > 0)
        memcpy(p, src, size);
    return p;
}

char *sb_arena_strdup(sb_arena_t *arena, const char *src)
{
    return sb_arena_memdup(arena, src, strlen(src) + 1);
}

size_t sb_arena_footprint(const sb_arena_t *arena)
{
    return arena->footprint;
}
