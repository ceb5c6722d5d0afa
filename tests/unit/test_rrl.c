/* Response rate limiting: the rate per client prefix and kind of response,
 * slips, and what is never limited (cookies, exempt clients, rate 0).
 * Prefixes are parsed by sb_addr (test_addr). */
#include "sb_test.h"

#include "sb_rrl.h"

#define NOW 1700000000u

static sb_client_t client(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    return (sb_client_t){
        .transport = SB_TRANSPORT_UDP, .addr_len = 4, .addr = {a, b, c, d}, .now = NOW};
}

static sb_answer_info_t answer(const char *wire_name, uint16_t qtype)
{
    return (sb_answer_info_t){
        .kind = SB_RESPONSE_ANSWER, .kind_name = (const uint8_t *)wire_name, .qtype = qtype};
}

/* Judge `n` responses; how many of each verdict. */
static void judge_n(sb_rrl_t *r, sb_rrl_worker_t *w, const sb_client_t *c,
                    const sb_answer_info_t *info, int n, int counts[4])
{
    memset(counts, 0, 4 * sizeof(int));
    for (int i = 0; i < n; i++)
        counts[sb_rrl_judge(r, w, c, info)]++;
}

static sb_rrl_t *table(unsigned responses, unsigned nxdomains, unsigned errors, unsigned slip,
                       const sb_prefix_t *exempt, size_t exempt_count)
{
    sb_rrl_config_t cfg = {responses, nxdomains, errors, slip, 24, 56, exempt, exempt_count};
    sb_rrl_t *r;
    assert_int_equal(sb_rrl_new(&r, &cfg), 0);
    assert_non_null(r);
    return r;
}

static void rate_per_prefix_and_answer(void **state)
{
    (void)state;
    sb_rrl_t *r = table(5, 5, 5, 2, NULL, 0);
    sb_rrl_worker_t w = {0};
    int v[4];
    sb_client_t a = client(192, 0, 2, 1);
    sb_answer_info_t www = answer("\3www\7example\3com", 1);
    judge_n(r, &w, &a, &www, 25, v);
    /* Five sent; of the 20 over the rate every second one slips. */
    assert_int_equal(v[SB_RRL_SEND], 5);
    assert_int_equal(v[SB_RRL_SLIP], 10);
    assert_int_equal(v[SB_RRL_DROP], 10);
    /* The same /24, the name in another case: the same key, still over. */
    sb_client_t a2 = client(192, 0, 2, 200);
    sb_answer_info_t upper = answer("\3WWW\7ExAmPle\3COM", 1);
    assert_int_not_equal(sb_rrl_judge(r, &w, &a2, &upper), SB_RRL_SEND);
    /* Another prefix, another type, another name: each its own rate. */
    sb_client_t b = client(192, 0, 3, 1);
    assert_int_equal(sb_rrl_judge(r, &w, &b, &www), SB_RRL_SEND);
    sb_answer_info_t aaaa = answer("\3www\7example\3com", 28);
    assert_int_equal(sb_rrl_judge(r, &w, &a, &aaaa), SB_RRL_SEND);
    sb_answer_info_t api = answer("\3api\7example\3com", 1);
    assert_int_equal(sb_rrl_judge(r, &w, &a, &api), SB_RRL_SEND);
    /* The next second starts afresh. */
    a.now = NOW + 1;
    judge_n(r, &w, &a, &www, 5, v);
    assert_int_equal(v[SB_RRL_SEND], 5);
    sb_rrl_free(r);
}

/* NXDOMAIN counts per zone whatever the name; errors per prefix; each kind
 * has its own rate, and 0 means no limit. */
static void kinds_and_their_rates(void **state)
{
    (void)state;
    sb_rrl_t *r = table(0, 3, 2, 0, NULL, 0);
    sb_rrl_worker_t w = {0};
    sb_client_t c = client(198, 51, 100, 7);
    int v[4];
    sb_answer_info_t nx = {.kind = SB_RESPONSE_NXDOMAIN,
                           .kind_name = (const uint8_t *)"\7example\3com"};
    judge_n(r, &w, &c, &nx, 10, v);
    assert_int_equal(v[SB_RRL_SEND], 3);
    assert_int_equal(v[SB_RRL_DROP], 7); /* slip 0: nothing slips */
    sb_answer_info_t err = {.kind = SB_RESPONSE_ERROR};
    judge_n(r, &w, &c, &err, 10, v);
    assert_int_equal(v[SB_RRL_SEND], 2);
    sb_answer_info_t www = answer("\3www\7example\3com", 1);
    judge_n(r, &w, &c, &www, 1000, v); /* responses 0: never limited */
    assert_int_equal(v[SB_RRL_SEND], 1000);
    sb_rrl_free(r);
}

/* A valid server cookie proves the address; an exempt client is counted
 * but sent to. */
static void cookies_and_exempt_clients(void **state)
{
    (void)state;
    sb_prefix_t exempt;
    assert_int_equal(sb_addr_prefix_parse("203.0.113.0/25", &exempt), 0);
    sb_rrl_t *r = table(1, 1, 1, 1, &exempt, 1);
    sb_rrl_worker_t w = {0};
    int v[4];
    sb_client_t c = client(203, 0, 113, 9);
    sb_answer_info_t www = answer("\3www\7example\3com", 1);
    judge_n(r, &w, &c, &www, 4, v);
    assert_int_equal(v[SB_RRL_SEND], 1);
    assert_int_equal(v[SB_RRL_EXEMPT], 3);
    sb_client_t out = client(203, 0, 113, 200); /* same /24, not in the /25 */
    assert_int_equal(sb_rrl_judge(r, &w, &out, &www), SB_RRL_SLIP);
    www.cookie_valid = true;
    judge_n(r, &w, &out, &www, 100, v);
    assert_int_equal(v[SB_RRL_SEND], 100);
    sb_rrl_free(r);
}

static void ipv6_prefix(void **state)
{
    (void)state;
    sb_rrl_t *r = table(1, 1, 1, 0, NULL, 0);
    sb_rrl_worker_t w = {0};
    sb_client_t a = {.addr_len = 16,
                     .now = NOW,
                     .addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}};
    sb_client_t same56 = a, other56 = a;
    same56.addr[15] = 9;
    same56.addr[7] = 0xff; /* still in 2001:db8:0:0::/56 */
    other56.addr[6] = 1;
    sb_answer_info_t www = answer("\3www\7example\3com", 1);
    assert_int_equal(sb_rrl_judge(r, &w, &a, &www), SB_RRL_SEND);
    assert_int_equal(sb_rrl_judge(r, &w, &same56, &www), SB_RRL_DROP);
    assert_int_equal(sb_rrl_judge(r, &w, &other56, &www), SB_RRL_SEND);
    sb_rrl_free(r);
}

static void off_when_every_rate_is_zero(void **state)
{
    (void)state;
    sb_rrl_config_t cfg = {0, 0, 0, 2, 24, 56, NULL, 0};
    sb_rrl_t *r = (sb_rrl_t *)1;
    assert_int_equal(sb_rrl_new(&r, &cfg), 0);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rate_per_prefix_and_answer),  cmocka_unit_test(kinds_and_their_rates),
        cmocka_unit_test(cookies_and_exempt_clients),  cmocka_unit_test(ipv6_prefix),
        cmocka_unit_test(off_when_every_rate_is_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
