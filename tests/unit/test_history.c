/* The last-results ring of an endpoint: order, wrap-around, words made
 * again from the reason, a result's text copied (and freed when its entry
 * gives way, cleared or copied: the sanitizer build checks), a deep copy. */
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
    assert_int_equal(e->reason, SB_REASON_OK);
    assert_int_equal(e->latency_ms, 13);
    assert_int_equal(e->queued_ms, 130);
    e = sb_history_get(&h, 1);
    assert_int_equal(e->time_ms, 12000);
    assert_int_equal(e->reason, SB_REASON_TIMEOUT);
    char words[SB_HISTORY_WORDS_MAX];
    assert_string_equal(sb_history_words(e, words, sizeof(words)), "timeout after 1000 ms");
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
    char words[SB_HISTORY_WORDS_MAX];
    assert_string_equal(sb_history_words(sb_history_get(&h, 0), words, sizeof(words)),
                        "TLS certificate expired");
    /* a copy has texts of its own */
    sb_history_t copy;
    assert_int_equal(sb_history_copy(&copy, &h), 0);
    assert_ptr_not_equal(sb_history_get(&copy, 0)->text, sb_history_get(&h, 0)->text);
    /* the text goes when its entry gives way */
    for (int i = 0; i < SB_HISTORY_LEN; i++) {
        sb_result_t other = {.reason = i % 2 ? SB_REASON_RESOLVE_FAILED : SB_REASON_REFUSED,
                             .text = "NXDOMAIN"};
        sb_history_add(&h, 2 + i, &other, 0);
    }
    assert_string_equal(sb_history_words(sb_history_get(&h, 0), words, sizeof(words)),
                        "resolve failed: NXDOMAIN");
    sb_history_clear(&h);
    assert_int_equal(sb_history_count(&h), 0);
    assert_string_equal(sb_history_words(sb_history_get(&copy, 0), words, sizeof(words)),
                        "TLS certificate expired");
    sb_history_clear(&copy);
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
