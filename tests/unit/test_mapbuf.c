/* The mapped scratch buffer: growth keeps the contents, new bytes are zero,
 * growth at least doubles, and free empties it. */
#include "sb_test.h"

#include "sb_mapbuf.h"

static void grows_keeping_contents(void **state)
{
    (void)state;
    sb_mapbuf_t b = {0};
    assert_int_equal(sb_mapbuf_reserve(&b, 10), 0);
    assert_non_null(b.data);
    assert_true(b.size >= 10);
    size_t first = b.size;
    memset(b.data, 0xab, first);
    assert_int_equal(sb_mapbuf_reserve(&b, first), 0); /* room already */
    assert_int_equal(b.size, first);
    assert_int_equal(sb_mapbuf_reserve(&b, first + 1), 0);
    assert_true(b.size >= 2 * first);
    const unsigned char *p = b.data;
    for (size_t i = 0; i < first; i++)
        assert_int_equal(p[i], 0xab);
    for (size_t i = first; i < b.size; i++)
        assert_int_equal(p[i], 0);
    assert_int_equal(sb_mapbuf_reserve(&b, 64u << 20), 0); /* 64 MiB, mostly never touched */
    assert_true(b.size >= 64u << 20);
    assert_int_equal(((unsigned char *)b.data)[first - 1], 0xab);
    sb_mapbuf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.size, 0);
    sb_mapbuf_free(&b); /* empty: nothing to do */
}

static void refuses_absurd_sizes(void **state)
{
    (void)state;
    sb_mapbuf_t b = {0};
    assert_int_equal(sb_mapbuf_reserve(&b, SIZE_MAX - 10), -ENOMEM);
    assert_null(b.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_keeping_contents),
        cmocka_unit_test(refuses_absurd_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
