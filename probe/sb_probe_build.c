#include "sb_probe_build.h"

#include "sb_monitor.h"
#include "sb_probe_key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    sb_ep_state_t *es;
} keyed_t;

static int cmp_keyed(const void *a, const void *b)
{
    return strcmp(((const keyed_t *)a)->key, ((const keyed_t *)b)->key);
}

/* One check per distinct probe, feeding every endpoint that has it. */
static int add_checks(sb_probe_sched_t *s, keyed_t *probed, size_t n)
{
    if (n > 1)
        qsort(probed, n, sizeof(*probed), cmp_keyed);
    sb_ep_state_t **group = malloc((n + 1) * sizeof(*group));
    if (group == NULL)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t j = i;
        while (j < n && strcmp(probed[j].key, probed[i].key) == 0) {
            group[j - i] = probed[j].es;
            j++;
        }
        rc = sb_probe_sched_add(s, group, j - i);
        i = j;
    }
    free(group);
    return rc;
}

/* What the carry knew of a profile and its endpoints; the probe key of
 * each endpoint with a monitor goes into `probed` (the caller frees it). */
static int carry_profile(sb_profile_state_t *ps, const sb_probe_sched_t *s, const sb_carry_t *carry,
                         keyed_t *probed, size_t *n_probed)
{
    sb_carry_profile(carry, ps);
    for (uint16_t k = 0; k < ps->profile->count; k++) {
        sb_ep_state_t *es = &ps->eps[k];
        char *key = NULL;
        if (es->ep->monitor->proto != SB_MONITOR_NONE &&
            (key = sb_probe_key(es->ep, s->types)) == NULL)
            return -ENOMEM;
        sb_carry_endpoint(carry, es, key);
        if (key != NULL)
            probed[(*n_probed)++] = (keyed_t){.key = key, .es = es};
    }
    sb_carry_check_drains(ps);
    return 0;
}

int sb_probe_build(sb_probe_states_t *st, sb_probe_sched_t *s, sb_gen_t *gen,
                   const sb_carry_t *carry, size_t *carried)
{
    size_t n_probed = 0;
    *carried = 0;
    sb_carry_queue_wait(carry, &s->queue_wait);
    int rc = sb_probe_state_init(st, gen);
    keyed_t *probed = calloc(st->ep_count + 1, sizeof(*probed));
    if (probed == NULL)
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < st->profile_count; i++)
        rc = carry_profile(&st->profiles[i], s, carry, probed, &n_probed);
    if (rc == 0) {
        sb_carry_report_dropped(carry, st);
        rc = add_checks(s, probed, n_probed);
    }
    for (size_t i = 0; i < st->ep_count; i++)
        *carried += st->eps[i].carried;
    for (size_t i = 0; probed != NULL && i < n_probed; i++)
        free(probed[i].key);
    free(probed);
    return rc;
}
