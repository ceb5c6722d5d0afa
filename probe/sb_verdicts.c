/*
 * Verdicts as the fleet's health messages carry them (sb_verdicts.h).
 */
#include "sb_verdicts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool sb_verdicts_node_ok(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= SB_VERDICTS_NODE_MAX &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

int sb_verdicts_begin(sb_verdicts_writer_t *w, const char *node, bool full)
{
    w->views = json_array();
    w->doc = json_pack("{s:s, s:i, s:b}", "node", node, "period_ms", SB_VERDICTS_PERIOD_MS, "full",
                       full);
    if (w->doc == NULL || w->views == NULL) {
        json_decref(w->doc);
        json_decref(w->views);
        w->doc = w->views = NULL;
        return -ENOMEM;
    }
    return 0;
}

int sb_verdicts_add(sb_verdicts_writer_t *w, const char *profile, const char *endpoint, bool up)
{
    json_t *v = json_pack("[s, s, s]", profile, endpoint, up ? "up" : "down");
    return v != NULL && json_array_append_new(w->views, v) == 0 ? 0 : -ENOMEM;
}

size_t sb_verdicts_pending(const sb_verdicts_writer_t *w)
{
    return json_array_size(w->views);
}

char *sb_verdicts_finish(sb_verdicts_writer_t *w)
{
    char *text = NULL;
    if (json_object_set_new(w->doc, "views", w->views) == 0)
        text = json_dumps(w->doc, JSON_COMPACT);
    json_decref(w->doc);
    w->doc = w->views = NULL;
    return text;
}

/* One ["profile", "endpoint", "up"|"down"]. */
static bool read_view(json_t *v, sb_verdict_t *out)
{
    const char *state;
    if (!json_is_array(v) || json_array_size(v) != 3 ||
        json_unpack(v, "[s, s, s]", &out->profile, &out->endpoint, &state) != 0)
        return false;
    size_t pl = strlen(out->profile), el = strlen(out->endpoint);
    if (pl == 0 || pl > 255 || el == 0 || el > 255)
        return false;
    out->up = strcmp(state, "up") == 0;
    return out->up || strcmp(state, "down") == 0;
}

static int read_message(json_t *doc, sb_verdicts_t *out)
{
    json_t *views = NULL;
    json_int_t period = 0;
    int full = 0;
    if (json_unpack(doc, "{s:s, s:I, s:b, s:o}", "node", &out->node, "period_ms", &period, "full",
                    &full, "views", &views) != 0 ||
        !sb_verdicts_node_ok(out->node) || period < 100 || period > 3600000 ||
        !json_is_array(views) || json_array_size(views) > SB_VERDICTS_PER_MESSAGE)
        return -EINVAL;
    out->period_ms = (uint32_t)period;
    out->full = full != 0;
    size_t n = json_array_size(views);
    if (n > 0 && (out->views = calloc(n, sizeof(*out->views))) == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!read_view(json_array_get(views, i), &out->views[i]))
            return -EINVAL;
    }
    out->count = n;
    return 0;
}

int sb_verdicts_decode(const char *data, size_t len, sb_verdicts_t *out)
{
    memset(out, 0, sizeof(*out));
    if (len > SB_VERDICTS_MAX_BYTES)
        return -EINVAL;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    int rc = doc == NULL || !json_is_object(doc) ? -EINVAL : read_message(doc, out);
    if (rc < 0) {
        free(out->views);
        json_decref(doc);
        memset(out, 0, sizeof(*out));
        return rc;
    }
    out->doc = doc;
    return 0;
}

void sb_verdicts_free(sb_verdicts_t *v)
{
    free(v->views);
    json_decref(v->doc);
    memset(v, 0, sizeof(*v));
}
