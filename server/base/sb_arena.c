#include "sb_arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* LeakSanitizer scans the heap, not mappings: objects malloc'd and held
 * only by an arena (a profile's published routing decision) would look
 * leaked. Each chunk is made a root region, as a malloc'd one was seen. */
#if defined(__SANITIZE_ADDRESS__)
#define WITH_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WITH_LSAN 1
#endif
#endif
#ifdef WITH_LSAN
#include <sanitizer/lsan_interface.h>
#define LSAN_REGISTER(p, n)   __lsan_register_root_region((p), (n))
#define LSAN_UNREGISTER(p, n) __lsan_unregister_root_region((p), (n))
#else
#define LSAN_REGISTER(p, n)   ((void)(p), (void)(n))
#define LSAN_UNREGISTER(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK_MIN (64 * 1024)
#define CHUNK_MAX (4 * 1024 * 1024)

typedef struct chunk {
    struct chunk *next;
    size_t mapped; /* the whole mapping, this header included */
    size_t size;   /* of data[] */
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
        LSAN_UNREGISTER(c, c->mapped);
        munmap(c, c->mapped);
        c = next;
    }
    free(arena);
}

/* Chunks come straight from the kernel rather than from malloc: destroying
 * the arena gives every page back at once, whichever thread frees it, and
 * a chunk's pages are not resident until written, so chunks can grow with
 * the arena (fewer of them) at no cost for the part left unused. */
static chunk_t *add_chunk(sb_arena_t *arena, size_t min_size)
{
    size_t size = arena->footprint < CHUNK_MIN   ? CHUNK_MIN
                  : arena->footprint > CHUNK_MAX ? CHUNK_MAX
                                                 : arena->footprint;
    bool alone = min_size > size;
    if (alone)
        size = min_size;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (size > SIZE_MAX - sizeof(chunk_t) - page)
        return NULL;
    size_t mapped = (sizeof(chunk_t) + size + page - 1) & ~(page - 1);
    chunk_t *c = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return NULL;
    LSAN_REGISTER(c, mapped);
    c->mapped = mapped;
    c->size = mapped - sizeof(chunk_t);
    c->used = 0;
    /* A chunk made for one large object goes behind the head so that the
     * head's free space stays usable for the small objects that follow. */
    if (arena->head != NULL && alone) {
        c->next = arena->head->next;
        arena->head->next = c;
    } else {
        c->next = arena->head;
        arena->head = c;
    }
    arena->footprint += mapped;
    return c;
}

/* `size` bytes at a multiple of `align` (a power of two). The memory is
 * zero: it is fresh from the kernel, and an arena never reuses any. */
static void *take(sb_arena_t *arena, size_t size, size_t align)
{
    chunk_t *c = arena->head;
    size_t at = c == NULL ? 0 : (c->used + align - 1) & ~(align - 1);
    if (c == NULL || at > c->size || c->size - at < size) {
        c = add_chunk(arena, size);
        if (c == NULL)
            return NULL;
        at = 0;
    }
    c->used = at + size;
    return c->data + at;
}

void *sb_arena_alloc(sb_arena_t *arena, size_t size)
{
    return take(arena, size, alignof(max_align_t));
}

void *sb_arena_alloc_bytes(sb_arena_t *arena, size_t size)
{
    return take(arena, size, 1);
}

void *sb_arena_memdup(sb_arena_t *arena, const void *src, size_t size)
{
    void *p = sb_arena_alloc(arena, size);
    if (p != NULL && size > 0)
        memcpy(p, src, size);
    return p;
}

void *sb_arena_memdup_bytes(sb_arena_t *arena, const void *src, size_t size)
{
    void *p = sb_arena_alloc_bytes(arena, size);
    if (p != NULL && size > 0)
        memcpy(p, src, size);
    return p;
}

char *sb_arena_strdup(sb_arena_t *arena, const char *src)
{
    return sb_arena_memdup_bytes(arena, src, strlen(src) + 1);
}

size_t sb_arena_footprint(const sb_arena_t *arena)
{
    return arena->footprint;
}
