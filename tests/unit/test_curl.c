/* The curl engine's pool and homes (sb_curl): a lent handle comes back as
 * its last owner left it, with that owner's set-up mark; a transfer that
 * keeps its connection runs on the same multi handle run after run, a
 * home is shared by a bounded number of transfers, and other transfers
 * run elsewhere. Nothing here connects:
 * the loop only runs to close the engine. */
#include "sb_test.h"

#include "sb_curl.h"

static void never_done(CURL *easy, CURLcode result)
{
    (void)easy;
    (void)result;
    fail_msg("no transfer should end: the loop never runs one");
}

static sb_curl_t *engine_open(uv_loop_t *loop)
{
    assert_int_equal(uv_loop_init(loop), 0);
    sb_curl_t *curl = NULL;
    assert_int_equal(sb_curl_new(&curl, loop, never_done), 0);
    return curl;
}

static void engine_close(sb_curl_t *curl, uv_loop_t *loop)
{
    sb_curl_close(curl);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void start_kept(sb_curl_t *curl, sb_curl_transfer_t *t)
{
    assert_int_equal(sb_curl_lend(curl, t), 0);
    curl_easy_setopt(t->easy, CURLOPT_URL, "http://127.0.0.1:9/");
    t->keep_connection = true;
    assert_int_equal(sb_curl_start(curl, t), 0);
}

static void lent_handles_keep_their_setup(void **state)
{
    (void)state;
    uv_loop_t loop;
    sb_curl_t *curl = engine_open(&loop);
    sb_curl_transfer_t t = {0};
    assert_int_equal(sb_curl_lend(curl, &t), 0);
    assert_int_equal(t.setup, 0); /* a new handle: its owner sets it up */
    CURL *first = t.easy;
    t.setup = 7;
    sb_curl_stop(curl, &t);
    assert_null(t.easy);
    assert_int_equal(sb_curl_lend(curl, &t), 0);
    assert_ptr_equal(t.easy, first);
    assert_int_equal(t.setup, 7);
    sb_curl_forget(curl, &t);
    engine_close(curl, &loop);
}

static void kept_transfers_stay_home(void **state)
{
    (void)state;
    uv_loop_t loop;
    sb_curl_t *curl = engine_open(&loop);
    enum { HOMES_PER_SHARD = 128 };
    static sb_curl_transfer_t t[HOMES_PER_SHARD + 1];
    memset(t, 0, sizeof(t));
    for (int i = 0; i <= HOMES_PER_SHARD; i++)
        start_kept(curl, &t[i]);
    void *home = t[0].home;
    assert_non_null(home);
    assert_ptr_equal(t[HOMES_PER_SHARD - 1].home, home); /* shared by 128 */
    assert_non_null(t[HOMES_PER_SHARD].home);
    assert_ptr_not_equal(t[HOMES_PER_SHARD].home, home); /* the 129th: another */
    /* Run after run, the same home. */
    sb_curl_stop(curl, &t[0]);
    start_kept(curl, &t[0]);
    assert_ptr_equal(t[0].home, home);
    assert_ptr_equal(t[0].shard, home);
    /* A forgotten transfer's place is free for another. */
    sb_curl_forget(curl, &t[1]);
    assert_null(t[1].home);
    start_kept(curl, &t[1]);
    assert_ptr_equal(t[1].home, home);
    /* A transfer that keeps nothing runs apart from kept connections. */
    sb_curl_transfer_t fresh = {0};
    assert_int_equal(sb_curl_lend(curl, &fresh), 0);
    curl_easy_setopt(fresh.easy, CURLOPT_URL, "http://127.0.0.1:9/");
    assert_int_equal(sb_curl_start(curl, &fresh), 0);
    assert_ptr_not_equal(fresh.shard, home);
    assert_ptr_not_equal(fresh.shard, t[HOMES_PER_SHARD].home);
    assert_null(fresh.home);
    sb_curl_forget(curl, &fresh);
    for (int i = 0; i <= HOMES_PER_SHARD; i++)
        sb_curl_forget(curl, &t[i]);
    engine_close(curl, &loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lent_handles_keep_their_setup),
        cmocka_unit_test(kept_transfers_stay_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
