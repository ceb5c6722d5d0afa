/* The arena: alignment, zeroing, large objects and the footprint. */
#include "sb_test.h"

#include "sb_arena.h"

#include <stdalign.h>

static void allocations(void **state)
{
    (void)state;
    sb_arena_t *a = sb_arena_new();
    assert_non_null(a);
    for (int i = 0; i < 10000; i++) {
        unsigned char *p = sb_arena_alloc(a, (size_t)(i % 97) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        for (int k = 0; k < (i % 97) + 1; k++)
            assert_int_equal(p[k], 0);
        memset(p, 0xab, (size_t)(i % 97) + 1);
    }
    char *big = sb_arena_alloc(a, 1 << 20); /* larger than a chunk */
    assert_non_null(big);
    big[(1 << 20) - 1] = 1;
    char *after = sb_arena_alloc(a, 8); /* small objects still fit the head */
    assert_non_null(after);
    assert_string_equal(sb_arena_strdup(a, "zone"), "zone");
    assert_memory_equal(sb_arena_memdup(a, "\1\2\3", 3), "\1\2\3", 3);
    assert_true(sb_arena_footprint(a) >= (1 << 20));
    sb_arena_destroy(a);
    sb_arena_destroy(NULL);
}

/* Bytes are packed (no rounding to the alignment), zero, and an aligned
 * allocation after them is aligned again; chunks grow with the arena. */
static void bytes_packed(void **state)
{
    (void)state;
    sb_arena_t *a = sb_arena_new();
    unsigned char *first = sb_arena_alloc_bytes(a, 3);
    unsigned char *second = sb_arena_memdup_bytes(a, "\1\2\3\4\5", 5);
    assert_ptr_equal(second, first + 3);
    assert_memory_equal(first, "\0\0\0\1\2\3\4\5", 8);
    void *aligned = sb_arena_alloc(a, 8);
    assert_int_equal((uintptr_t)aligned % alignof(max_align_t), 0);
    char *s = sb_arena_strdup(a, "odd");
    assert_ptr_equal(s, (char *)aligned + 8);
    size_t total = 0;
    for (int i = 0; i < 100000; i++) { /* 3 MB of 31-byte names */
        unsigned char *p = sb_arena_alloc_bytes(a, 31);
        assert_non_null(p);
        assert_int_equal(p[0] | p[30], 0);
        p[30] = 1;
        total += 31;
    }
    /* Chunks double with the arena: at most twice what was asked, plus
     * the first chunks'. */
    assert_true(sb_arena_footprint(a) >= total);
    assert_true(sb_arena_footprint(a) <= 2 * total + (256 << 10));
    sb_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocations),
        cmocka_unit_test(bytes_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
