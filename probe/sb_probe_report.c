/*
 * What a reload changed (sb_probe_report.h).
 */
#include "sb_probe_report.h"

#include <string.h>

static const char *const family_names[SB_FAMILIES] = {"ipv4", "ipv6"};

/* One entry of answers_moved per family whose answer differs from before. */
static int moved_json(const sb_profile_state_t *ps, json_t *out)
{
    sb_route_view_t before, after;
    sb_probe_view_full(&ps->before, ps->profile, NULL, &before);
    sb_probe_view_full(&ps->view, ps->profile, sb_route_published(ps->profile), &after);
    const sb_route_view_t *was = &before, *now = &after;
    for (int fam = 0; fam < SB_FAMILIES; fam++) {
        if (was->status[fam] == SB_ROUTE_NONE && now->status[fam] == SB_ROUTE_NONE)
            continue; /* no endpoint of this family, before or now */
        if (strcmp(was->answering[fam], now->answering[fam]) == 0)
            continue;
        json_t *o = json_pack("{s:s, s:s, s:s}", "profile", ps->profile->owner_text, "from",
                              was->answering[fam], "to", now->answering[fam]);
        if (o != NULL && ps->profile->addresses)
            json_object_set_new(o, "family", json_string(family_names[fam]));
        if (json_array_append_new(out, o) < 0)
            return -1;
    }
    return 0;
}

/* What the endpoint was before: "up", "checking" or "new"; NULL when it
 * did not go down (it is not down now, or was down already). */
static const char *went_down(const sb_ep_state_t *es)
{
    if (es->health.state != SB_HEALTH_DOWN || es->ep->child != NULL)
        return NULL;
    switch (es->before) {
    case SB_EP_NEW:
        return "new";
    case SB_HEALTH_CHECKING:
        return "checking";
    case SB_HEALTH_UP:
        return "up";
    default:
        return NULL;
    }
}

static int down_json(const sb_profile_state_t *ps, json_t *out)
{
    for (uint16_t i = 0; i < ps->profile->count; i++) {
        const sb_ep_state_t *es = &ps->eps[i];
        const char *was = went_down(es);
        if (was == NULL)
            continue;
        const sb_history_entry_t *last = sb_history_get(sb_ep_history(es), 0);
        char words[SB_HISTORY_WORDS_MAX];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "profile", ps->profile->owner_text,
                              "endpoint", es->ep->name, "was", was, "reason",
                              last != NULL ? sb_history_words(last, words, sizeof(words)) : "");
        if (json_array_append_new(out, o) < 0)
            return -1;
    }
    return 0;
}

/* Each profile into the lists it belongs to. */
static int profile_into(const sb_profile_state_t *ps, json_t *report)
{
    const char *name = ps->profile->owner_text;
    if (!ps->reloaded &&
        json_array_append_new(json_object_get(report, "profiles_added"), json_string(name)) < 0)
        return -1;
    if (down_json(ps, json_object_get(report, "endpoints_down")) < 0)
        return -1;
    if (!ps->decided)
        return json_array_append_new(json_object_get(report, "pending"), json_string(name));
    return ps->reloaded ? moved_json(ps, json_object_get(report, "answers_moved")) : 0;
}

json_t *sb_probe_report_json(const sb_probe_states_t *st, const json_t *removed)
{
    json_t *report = json_pack("{s:[], s:[], s:[], s:[], s:[]}", "answers_moved", "endpoints_down",
                               "profiles_added", "profiles_removed", "pending");
    /* A copy: the report goes to another thread, the list stays here. */
    if (report != NULL && removed != NULL)
        json_object_set_new(report, "profiles_removed", json_deep_copy(removed));
    for (size_t i = 0; report != NULL && i < st->profile_count; i++) {
        if (profile_into(&st->profiles[i], report) < 0) {
            json_decref(report);
            return NULL;
        }
    }
    return report;
}
