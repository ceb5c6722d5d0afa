/*
 * sb_check_types — the probe types, in one table: for each monitor
 * protocol, the type that probes it. Adding a probe type is one file
 * exporting its sb_check_type_t and one entry here (docs/development.md
 * has the checklist).
 *
 * Thread: read-only data; any thread.
 */
#ifndef SB_CHECK_TYPES_H
#define SB_CHECK_TYPES_H

#include "sb_check.h"

/* The built-in types, NULL-terminated. */
extern const sb_check_type_t *const sb_check_types_builtin[];

/* The type in `types` (NULL-terminated) that probes `proto`, or NULL. */
const sb_check_type_t *sb_check_types_find(const sb_check_type_t *const *types,
                                           sb_monitor_proto_t proto);

#endif
