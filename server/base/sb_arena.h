/*
 * sb_arena — a bump allocator that frees everything at once.
 *
 * A configuration generation (zones, profiles, endpoints) is built once,
 * read by many threads, and dropped as a whole; it lives in one arena so that
 * teardown is a single call and nothing can leak piecemeal (NSD's region).
 *
 * Ownership: memory returned by sb_arena_alloc() and friends belongs to the
 * arena and is released only by sb_arena_destroy(), which gives its pages
 * back to the system at once (the chunks are mapped, not malloc'd): a
 * generation dropped after a reload leaves no heap behind.
 * Thread: an arena is not thread-safe while being filled. Once filled and
 * published, its memory may be read from any thread.
 */
#ifndef SB_ARENA_H
#define SB_ARENA_H

#include <stddef.h>

typedef struct sb_arena sb_arena_t;

/* Returns NULL when out of memory. */
sb_arena_t *sb_arena_new(void);
void sb_arena_destroy(sb_arena_t *arena);

/* Zeroed memory aligned for any type; NULL when out of memory. */
void *sb_arena_alloc(sb_arena_t *arena, size_t size);
void *sb_arena_memdup(sb_arena_t *arena, const void *src, size_t size);

/* The same without alignment, for bytes (names, record data, strings):
 * a zone's many short ones then take their length, not 16 bytes each. */
void *sb_arena_alloc_bytes(sb_arena_t *arena, size_t size);
void *sb_arena_memdup_bytes(sb_arena_t *arena, const void *src, size_t size);
char *sb_arena_strdup(sb_arena_t *arena, const char *src);

/* Bytes mapped from the system (the unused end of the newest chunk
 * included, which is not resident), for memory reports. */
size_t sb_arena_footprint(const sb_arena_t *arena);

#endif
