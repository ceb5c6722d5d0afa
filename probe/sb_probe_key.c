#include "sb_probe_key.h"

#include "sb_monitor.h"

#include <stdio.h>
#include <stdlib.h>

/* What a probe connects to and names (URL host, Host header, SNI): the
 * probe-target when there is one, else the served target. */
const char *sb_probe_key_target(const sb_endpoint_t *ep)
{
    return ep->monitor->probe_host != NULL ? ep->monitor->probe_host : ep->target_text;
}

/* Everything that makes two endpoints' probes the same probe: what is
 * connected to, what is sent, how it is judged, and when. fall and rise are
 * not in it: each endpoint keeps its own health from the shared results. */
char *sb_probe_key(const sb_endpoint_t *ep)
{
    const sb_monitor_t *m = ep->monitor;
    char *key = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&key, &len);
    if (f == NULL)
        return NULL;
    fprintf(f, "%d\x1f%s\x1f%u\x1f%d\x1f%u\x1f%u\x1f", m->proto, sb_probe_key_target(ep),
            sb_monitor_port(m), m->family, m->interval_ms, m->timeout_ms);
    const sb_addr_t *addrs = ep->monitor->probe_host ? ep->probe_zone_addrs : ep->zone_addrs;
    size_t count = ep->monitor->probe_host ? ep->probe_zone_addr_count : ep->zone_addr_count;
    for (size_t i = 0; i < count; i++) {
        for (size_t b = 0; b < (addrs[i].family == 4 ? 4u : 16u); b++)
            fprintf(f, "%02x", addrs[i].bytes[b]);
        fputc(',', f);
    }
    if (m->proto == SB_MONITOR_HTTP || m->proto == SB_MONITOR_HTTPS) {
        fprintf(f, "\x1f%s\x1f%s\x1f%d\x1f%s\x1f%u\x1f", m->path, m->host ? m->host : "", m->method,
                m->body ? m->body : "", m->body_kib);
        for (unsigned i = 0; i < m->expect_count; i++)
            fprintf(f, "%u-%u,", m->expect[i].lo, m->expect[i].hi);
        for (unsigned i = 0; i < m->header_count; i++)
            fprintf(f, "\x1f%s", m->headers[i]);
        fprintf(f, "\x1f%d\x1f%s\x1f%s\x1f%s", m->tls_verify, m->ca_file ? m->ca_file : "",
                m->client_cert ? m->client_cert : "", m->client_key ? m->client_key : "");
    } else {
        fprintf(f, "\x1f%s\x1f%s", m->send ? m->send : "", m->receive ? m->receive : "");
    }
    if (fclose(f) != 0) {
        free(key);
        return NULL;
    }
    return key;
}
