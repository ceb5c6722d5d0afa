/* The last-results ring of an endpoint: order, wrap-around, copied words. */
#include "sb_test.h"

#include "sb_history.h"

static void empty(void **state)
{
    (void)state;
    sb_history_t h = {0};
    assert_int_equal(sb_history_count(&h), 0);
    assert_null(sb_history_get(&h, 0));
}

static void newest_first_and_wraps(void **state)
{
    (void)state;
    sb_history_t h = {0};
    for (uint32_t i = 1; i <= 13; i++) {
        sb_result_t r = {.reason = i % 2 ? SB_REASON_OK : SB_REASON_TIMEOUT,
                         .number = i % 2 ? 200 : 1000,
                         .latency_ms = i};
        sb_history_add(&h, 1000 * (int64_t)i, &r, i * 10);
    }
    assert_int_equal(sb_history_count(&h), SB_HISTORY_LEN);
    const sb_history_entry_t *e = sb_history_get(&h, 0);
    assert_int_equal(e->time_ms, 13000);
    assert_true(e->ok);
    assert_int_equal(e->latency_ms, 13);
    assert_int_equal(e->queued_ms, 130);
    e = sb_history_get(&h, 1);
    assert_int_equal(e->time_ms, 12000);
    assert_false(e->ok);
    assert_int_equal(e->reason, SB_REASON_TIMEOUT);
    assert_string_equal(e->words, "timeout after 1000 ms");
    assert_int_equal(sb_history_get(&h, 9)->time_ms, 4000); /* 1-3 were overwritten */
    assert_null(sb_history_get(&h, 10));
}

static void words_are_copied(void **state)
{
    (void)state;
    sb_history_t h = {0};
    char text[32] = "certificate expired";
    sb_result_t r = {.reason = SB_REASON_TLS, .text = text};
    sb_history_add(&h, 1, &r, 0);
    strcpy(text, "something else");
    assert_non_null(strstr(sb_history_get(&h, 0)->words, "certificate expired"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty),
        cmocka_unit_test(newest_first_and_wraps),
        cmocka_unit_test(words_are_copied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
