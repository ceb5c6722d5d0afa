/*
 * sb_probe_key — when two endpoints share one probe: the key of everything
 * that makes a probe what it is (what is connected to, what is sent, how
 * it is judged, and when). Endpoints with equal keys are fed by one check;
 * a reload keeps an endpoint's health only when its key is unchanged.
 *
 * Thread: pure; any thread.
 */
#ifndef SB_PROBE_KEY_H
#define SB_PROBE_KEY_H

#include "sb_check.h"
#include "sb_profile.h"

/* The endpoint's probe key, with the type-specific part from the type in
 * `types` (NULL-terminated) that probes its protocol; the caller frees it.
 * NULL when out of memory. */
char *sb_probe_key(const sb_endpoint_t *ep, const sb_check_type_t *const *types);

/* What a probe connects to and names (URL host, Host header, SNI): the
 * probe-target when there is one, else the served target. */
const char *sb_probe_key_target(const sb_endpoint_t *ep);

#endif
