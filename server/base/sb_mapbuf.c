#include "sb_mapbuf.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_round(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (size + page - 1) & ~(page - 1);
}

int sb_mapbuf_reserve(sb_mapbuf_t *buf, size_t size)
{
    if (size <= buf->size)
        return 0;
    if (size > SIZE_MAX / 4)
        return -ENOMEM;
    size_t want = page_round(size > 2 * buf->size ? size : 2 * buf->size);
    void *p = buf->data == NULL
                  ? mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                  : mremap(buf->data, buf->size, want, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        return -ENOMEM;
    buf->data = p;
    buf->size = want;
    return 0;
}

void sb_mapbuf_free(sb_mapbuf_t *buf)
{
    if (buf->data != NULL)
        munmap(buf->data, buf->size);
    buf->data = NULL;
    buf->size = 0;
}
