#include "sb_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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
