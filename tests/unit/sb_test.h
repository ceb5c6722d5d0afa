/*
 * Helpers shared by the unit tests: load zone texts into a generation and
 * compare collected diagnostics with the exact expected text.
 */
#ifndef SB_TEST_H
#define SB_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sb_diag.h"
#include "sb_error.h"
#include "sb_gen.h"
#include "sb_zonedir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer builds: a routing decision replaced is freed by liburcu's
 * call_rcu thread after a grace period, which ThreadSanitizer cannot see
 * (liburcu's atomics are not instrumented), so reads made before it was
 * replaced look racy. The daemon says the same (server/daemon/main.c). One
 * definition per test program: this header is included once in each. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "race:^free_decision$\n";
}
#endif

/* A zone header every test zone starts from: example.com with SOA, NS and
 * two addresses for endpoints. Lines 1-7. */
#define SB_TEST_HEADER                                                                             \
    "$ORIGIN example.com.\n"                                                                       \
    "$TTL 3600\n"                                                                                  \
    "@ SOA ns1 hostmaster 1 7200 900 1209600 60\n"                                                 \
    "@ NS ns1\n"                                                                                   \
    "ns1 A 127.0.0.1\n"                                                                            \
    "east A 127.0.0.10\n"                                                                          \
    "west A 127.0.0.11\n"

/* Load one zone (file example.com.zone); returns the status and leaves the
 * diagnostics in *diag (caller frees both). */
static inline int sb_test_load(const char *text, sb_gen_t **gen, sb_diag_t **diag)
{
    const char *files[2] = {"example.com.zone", text};
    *diag = sb_diag_new();
    *gen = NULL;
    return sb_zonedir_load_texts(gen, files, 1, *diag);
}

/* Assert that loading `text` fails with exactly the `n` messages given. */
static inline void sb_test_expect_errors(const char *text, size_t n, ...)
{
    sb_gen_t *gen;
    sb_diag_t *diag;
    int rc = sb_test_load(text, &gen, &diag);
    if (sb_diag_count(diag) != n)
        sb_diag_print(diag, stderr);
    assert_int_not_equal(rc, 0);
    assert_null(gen);
    assert_int_equal(sb_diag_count(diag), n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(sb_diag_message(diag, i), va_arg(ap, const char *));
    va_end(ap);
    sb_diag_free(diag);
}

/* Load text that must be valid. */
static inline sb_gen_t *sb_test_load_ok(const char *text)
{
    sb_gen_t *gen;
    sb_diag_t *diag;
    int rc = sb_test_load(text, &gen, &diag);
    if (rc != 0)
        sb_diag_print(diag, stderr);
    assert_int_equal(rc, 0);
    assert_non_null(gen);
    sb_diag_free(diag);
    return gen;
}

/* The RRset of `type` at `name` (text, absolute) in `zone`, or NULL. */
static inline const sb_rrset_t *sb_test_rrset(const sb_zone_t *zone, const char *name,
                                              uint16_t type)
{
    uint8_t wire[SB_NAME_MAX];
    int len = sb_name_from_text(name, wire);
    assert_true(len > 0);
    const sb_node_t *node = sb_zone_find(zone, wire, (size_t)len);
    return node != NULL ? sb_zone_node_rrset(node, type) : NULL;
}

#endif
