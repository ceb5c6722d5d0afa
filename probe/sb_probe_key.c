#include "sb_probe_key.h"

#include "sb_check_types.h"
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
char *sb_probe_key(const sb_endpoint_t *ep, const sb_check_type_t *const *types)
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
    /* Probes from different sources are different vantage points. */
    if (m->source.family != 0) {
        fputc('@', f);
        for (size_t b = 0; b < (m->source.family == 4 ? 4u : 16u); b++)
            fprintf(f, "%02x", m->source.bytes[b]);
    }
    const sb_check_type_t *type = sb_check_types_find(types, m->proto);
    if (type != NULL)
        type->key(f, m);
    if (fclose(f) != 0) {
        free(key);
        return NULL;
    }
    return key;
}
