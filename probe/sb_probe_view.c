/*
 * A profile's routing view, kept small (sb_probe_view.h).
 */
#include "sb_probe_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_probe_view_clear(sb_probe_view_t *v)
{
    free(v->text);
    memset(v, 0, sizeof(*v));
}

void sb_probe_view_set(sb_probe_view_t *v, const sb_route_decision_t *d)
{
    sb_probe_view_clear(v);
    for (int fam = 0; fam < SB_FAMILIES; fam++)
        v->status[fam] = (uint8_t)(d != NULL ? d->family[fam].status : SB_ROUTE_NONE);
}

int sb_probe_view_keep(sb_probe_view_t *v, const sb_route_view_t *full)
{
    sb_probe_view_clear(v);
    v->carried = true;
    for (int fam = 0; fam < SB_FAMILIES; fam++)
        v->status[fam] = (uint8_t)full->status[fam];
    size_t len[SB_FAMILIES], total = 0;
    for (int fam = 0; fam < SB_FAMILIES; fam++)
        total += len[fam] = strlen(full->answering[fam]) + 1;
    if ((v->text = malloc(total)) == NULL)
        return -ENOMEM;
    memcpy(v->text, full->answering[SB_FAMILY_PRIMARY], len[SB_FAMILY_PRIMARY]);
    memcpy(v->text + len[SB_FAMILY_PRIMARY], full->answering[SB_FAMILY_V6], len[SB_FAMILY_V6]);
    return 0;
}

void sb_probe_view_full(const sb_probe_view_t *v, const sb_profile_t *p,
                        const sb_route_decision_t *d, sb_route_view_t *out)
{
    if (!v->carried) {
        sb_route_view(p, d, out);
        return;
    }
    memset(out, 0, sizeof(*out));
    const char *text = v->text;
    for (int fam = 0; fam < SB_FAMILIES; fam++) {
        out->status[fam] = (sb_route_status_t)v->status[fam];
        snprintf(out->answering[fam], SB_ROUTE_TEXT_MAX, "%s", text != NULL ? text : "unknown");
        if (text != NULL)
            text += strlen(text) + 1;
    }
}
