#include "sb_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int sb_addr_parse(const char *text, sb_addr_t *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, text, out->bytes) == 1)
        out->family = 4;
    else if (inet_pton(AF_INET6, text, out->bytes) == 1)
        out->family = 6;
    else
        return -EINVAL;
    return 0;
}

const char *sb_addr_format(const sb_addr_t *a, char *buf, size_t cap)
{
    if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, buf, (socklen_t)cap) == NULL &&
        cap > 0)
        buf[0] = '\0';
    return buf;
}

socklen_t sb_addr_sockaddr(const sb_addr_t *a, uint16_t port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    if (a->family == 4) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)out;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        memcpy(&v4->sin_addr, a->bytes, 4);
        return sizeof(*v4);
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    memcpy(&v6->sin6_addr, a->bytes, 16);
    return sizeof(*v6);
}

/* ---- prefixes -------------------------------------------------------------- */

static bool host_bits_clear(const sb_prefix_t *p)
{
    size_t bytes = p->family == 4 ? 4 : 16;
    for (size_t bit = p->len; bit < bytes * 8; bit++) {
        if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
            return false;
    }
    return true;
}

/* An IPv4-mapped IPv6 prefix (::ffff:192.0.2.0/120) as the IPv4 prefix it
 * means: clients on mapped addresses are judged as IPv4 clients. */
static void unmap(sb_prefix_t *p)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (p->family != 6 || p->len < 96 || memcmp(p->addr, mapped, sizeof(mapped)) != 0)
        return;
    memmove(p->addr, p->addr + 12, 4);
    memset(p->addr + 4, 0, 12);
    p->family = 4;
    p->len = (uint8_t)(p->len - 96);
}

int sb_addr_prefix_parse(const char *text, sb_prefix_t *out)
{
    char host[64];
    const char *slash = strchr(text, '/');
    size_t n = slash != NULL ? (size_t)(slash - text) : strlen(text);
    if (n >= sizeof(host))
        return -EINVAL;
    memcpy(host, text, n);
    host[n] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, host, out->addr) == 1)
        out->family = 4;
    else if (inet_pton(AF_INET6, host, out->addr) == 1)
        out->family = 6;
    else
        return -EINVAL;
    unsigned max = out->family == 4 ? 32 : 128;
    char *end;
    unsigned long len = slash != NULL ? strtoul(slash + 1, &end, 10) : max;
    if (slash != NULL && (slash[1] < '0' || slash[1] > '9' || *end != '\0'))
        return -EINVAL;
    if (len > max)
        return -EINVAL;
    out->len = (uint8_t)len;
    if (!host_bits_clear(out))
        return -EINVAL;
    unmap(out);
    return 0;
}
