/*
 * sb_mapbuf — a large scratch buffer mapped straight from the kernel.
 *
 * For a load's big temporaries: a zone file's text, its records before
 * they are grouped. malloc serves them too, but glibc raises its mmap and
 * trim thresholds to the size of the largest block freed; from then on the
 * next load's buffers of that size come from the heap and stay there,
 * beside the generation being built (a reload's peak) and after it. A
 * mapping is returned whole when freed and leaves malloc's thresholds
 * alone.
 *
 * Ownership: the caller's; release with sb_mapbuf_free(). Thread: any, one
 * buffer per thread at a time.
 */
#ifndef SB_MAPBUF_H
#define SB_MAPBUF_H

#include <stddef.h>

typedef struct {
    void *data;  /* NULL until the first reserve */
    size_t size; /* bytes usable at data (whole pages) */
} sb_mapbuf_t;

/* Make at least `size` bytes usable, keeping the contents; growth at least
 * doubles, so that appending one item at a time stays cheap. New bytes are
 * zero. Returns 0 or -ENOMEM (the buffer unchanged). */
int sb_mapbuf_reserve(sb_mapbuf_t *buf, size_t size);

/* Unmap; the buffer is empty again. */
void sb_mapbuf_free(sb_mapbuf_t *buf);

#endif
