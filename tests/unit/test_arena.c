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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
