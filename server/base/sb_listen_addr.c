#include "sb_listen_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_port(const char *text, uint16_t *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || *text == '\0' || *end != '\0' || v > 65535)
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int sb_listen_addr_parse(const char *text, sb_listen_addr_t *out)
{
    char host[64];
    uint16_t port = 53;
    const char *port_text = NULL;
    memset(out, 0, sizeof(*out));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || (size_t)(close - text - 1) >= sizeof(host))
            return -EINVAL;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        if (close[1] == ':')
            port_text = close + 2;
        else if (close[1] != '\0')
            return -EINVAL;
    } else {
        const char *colon = strchr(text, ':');
        size_t n = colon ? (size_t)(colon - text) : strlen(text);
        if (n >= sizeof(host) || (colon && strchr(colon + 1, ':')))
            return -EINVAL;
        memcpy(host, text, n);
        host[n] = '\0';
        if (colon)
            port_text = colon + 1;
    }
    if (port_text != NULL && parse_port(port_text, &port) < 0)
        return -EINVAL;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        out->len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        out->len = sizeof(*v6);
    } else {
        return -EINVAL;
    }
    return 0;
}

void sb_listen_addr_format(const sb_listen_addr_t *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    if (a->addr.ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->addr;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
        snprintf(buf, cap, "%s:%u", host, ntohs(v4->sin_port));
    } else {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->addr;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
        snprintf(buf, cap, "[%s]:%u", host, ntohs(v6->sin6_port));
    }
}

uint16_t sb_listen_addr_port(const sb_listen_addr_t *a)
{
    if (a->addr.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&a->addr)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)&a->addr)->sin6_port);
}

bool sb_listen_addr_is_wildcard(const sb_listen_addr_t *a)
{
    if (a->addr.ss_family == AF_INET)
        return ((const struct sockaddr_in *)&a->addr)->sin_addr.s_addr == htonl(INADDR_ANY);
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->addr;
    return memcmp(&v6->sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0;
}

int sb_listen_addr_tcp(const sb_listen_addr_t *a, int backlog, sb_listen_addr_t *bound)
{
    int one = 1;
    int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        (a->addr.ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
        bind(fd, (const struct sockaddr *)&a->addr, a->len) < 0 || listen(fd, backlog) < 0)
        rc = -errno;
    bound->len = sizeof(bound->addr);
    if (rc == 0 && getsockname(fd, (struct sockaddr *)&bound->addr, &bound->len) < 0)
        rc = -errno;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}
