/*
 * sb_fleet_record — an override as the fleet's key-value bucket keeps it:
 * which slot (key) it fills and what it says (value). Every node writes and
 * reads these; a node applies the latest value of each slot.
 *
 * Slots: one per thing an override can set, so that the latest write of a
 * slot is its state and undoing is a write too (it records who undid it):
 *   drain.<profile>.<endpoint>       drain / undrain
 *   force.<profile>.<endpoint>       force (up or down, an end) / unforce
 *   switchover.<profile>             switchover (to an endpoint, an end) / failback
 * Names are lower-cased (profiles; endpoint names are compared exactly) and
 * escaped to the key alphabet: A-Z a-z 0-9 - _ stay, any other byte
 * (the dots of a profile name included) is =XX in hex.
 *
 * Value: one JSON object,
 *   {"action": "drain", "profile": "www.example.com.", "endpoint": "east",
 *    "state": "up"|"down" (force),
 *    "until_ms": N (force, switchover: Unix ms; 0 or absent: no end),
 *    "by": "uid=1000", "node": "ns1", "at_ms": N}
 * Values come from the network: decoding checks every field and takes
 * nothing on trust (fuzzed: tests/fuzz/fuzz_fleet_record.c).
 *
 * Ownership: a decoded record owns its JSON document; the override's
 * strings point into it until sb_fleet_record_free(), so a copy of the
 * record is as good as the original (one of them is freed).
 * Thread: any; no shared state.
 */
#ifndef SB_FLEET_RECORD_H
#define SB_FLEET_RECORD_H

#include "sb_override.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SB_FLEET_KEY_MAX    1024 /* a slot's key, with its NUL */
#define SB_FLEET_RECORD_MAX 4096 /* the largest value read */
#define SB_FLEET_BY_MAX     SB_OVERRIDE_BY_MAX
/* The longest `by` a record carries, without its NUL: "uid=4294967295",
 * or the HTTP API's "api@" and an IPv6 address (39 characters). */
#define SB_FLEET_ASKED_BY_MAX 47

typedef struct {
    sb_override_t override; /* its `by` is "<by>@<node>" */
    const char *asked_by;   /* the value's own `by`: "uid=1000" */
    const char *node;       /* who wrote it: a valid node name */
    int64_t at_ms;          /* when, Unix ms, by the writer's clock */
    json_t *doc;
} sb_fleet_record_t;

/* The slot `o` writes, in `key` (SB_FLEET_KEY_MAX bytes). Returns 0, or
 * -ENAMETOOLONG when the names do not fit. */
int sb_fleet_record_key(const sb_override_t *o, char *key, size_t cap);

/* The value for `o`, written by `node` at `now_ms`, as a JSON text the
 * caller frees; NULL when out of memory. */
char *sb_fleet_record_encode(const sb_override_t *o, const char *node, int64_t now_ms);

/* Read a value of `len` bytes. Returns 0, or -EINVAL (-ENOMEM) with what
 * is wrong in `err`; out->doc is NULL then. */
int sb_fleet_record_decode(const char *data, size_t len, sb_fleet_record_t *out, char *err,
                           size_t errlen);

/* Whether `r` belongs in slot `key` (a value written by hand under another
 * key does not). Returns 0, or -EINVAL with words in `err`. */
int sb_fleet_record_check_key(const sb_fleet_record_t *r, const char *key, char *err,
                              size_t errlen);

void sb_fleet_record_free(sb_fleet_record_t *r);

#endif
