#include "sb_check.h"

void sb_check_report(sb_check_t *c, sb_result_t r)
{
    if (c->phase != SB_CHECK_PROBING)
        return; /* a late report for a run that already ended */
    c->on_result(c, r);
}

uint32_t sb_check_elapsed(const sb_check_t *c)
{
    /* The loop's cached time can lag a busy iteration; latency wants now. */
    return (uint32_t)((uv_hrtime() - c->run_started_ns) / 1000000);
}

const sb_addr_t *sb_check_source(const sb_check_t *c)
{
    if (c->monitor->source.family != 0 && c->monitor->source.family == c->addr.family)
        return &c->monitor->source; /* the monitor's own, for its family */
    return c->addr.family == 6 ? c->source_v6 : c->source_v4;
}
