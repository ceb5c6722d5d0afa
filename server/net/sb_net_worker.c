#include "sb_net_worker.h"

#include "sb_log.h"

#include <netinet/in.h>
#include <string.h>

/* The client's address as DNS Cookies hash it: 4 bytes for IPv4, also when
 * it reached an IPv6 socket as a mapped address; 16 for IPv6. */
void sb_net_worker_client_address(const struct sockaddr *sa, sb_client_t *c)
{
    c->addr_len = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        memcpy(c->addr, &v4->sin_addr, 4);
        c->addr_len = 4;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            memcpy(c->addr, v6->sin6_addr.s6_addr + 12, 4);
            c->addr_len = 4;
        } else {
            memcpy(c->addr, &v6->sin6_addr, 16);
            c->addr_len = 16;
        }
    }
}

/* Errors of this host on the answering path, at most one line a minute per
 * worker: a flood of them must not turn into a flood of log writes. */
void sb_net_worker_log_error(worker_t *w, const char *what, int err)
{
    uint64_t now = uv_now(&w->loop);
    if (w->last_error_log != 0 && now - w->last_error_log < 60000)
        return;
    w->last_error_log = now;
    char q1[SB_LOG_QUOTE_MAX], q2[SB_LOG_QUOTE_MAX];
    sb_log(SB_LOG_ERROR, "net-error", "worker=%u what=%s reason=%s", w->index,
           sb_log_quote(q1, sizeof(q1), what, true),
           sb_log_quote(q2, sizeof(q2), uv_strerror(err), true));
}

void sb_net_worker_maybe_finish_drain(worker_t *w)
{
    if (w->stopping && w->conns == NULL && !uv_is_closing((uv_handle_t *)&w->drain))
        uv_close((uv_handle_t *)&w->drain, NULL);
}
