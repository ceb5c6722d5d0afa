/*
 * sb_zonedir_targets — warnings, as named-checkzone gives them, for the
 * names NS, MX and SRV records point at that are inside the served zones
 * but have no address to reach: a name that does not exist there, one with
 * no A or AAAA record, a CNAME (RFC 2181 §10.3: such a target must be the
 * name that owns the addresses), or, for NS, a name below a delegation
 * without glue. Such a zone loads and serves — it is the resolvers that
 * fail later — so these are warnings, not errors: `check` prints them and
 * still exits 0, and a running server logs them (event=config-warning).
 *
 * Targets outside the served zones, delegated away (MX, SRV) or below a
 * DNAME are resolved elsewhere and not looked at; nor are "." targets (a
 * null MX, RFC 7505; an SRV's "no service", RFC 2782). A traffic-managed
 * name (a profile) answers for itself.
 *
 * Internal to config/. Thread: any thread; nothing shared.
 */
#ifndef SB_ZONEDIR_TARGETS_H
#define SB_ZONEDIR_TARGETS_H

#include "sb_diag.h"
#include "sb_gen.h"

/* Warn, at each record, of every NS, MX and SRV target of `gen`'s zones
 * that has no address to reach (once the zones are sealed). */
void sb_zonedir_targets_check(const sb_gen_t *gen, sb_diag_t *diag);

#endif
