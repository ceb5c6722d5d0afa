/* TCP connections per client: the limit, what counts as one client (an
 * IPv4 address, an IPv6 /64), and the table staying right under churn. */
#include "sb_test.h"

#include "sb_clients.h"

#include <stdlib.h>

static const uint8_t V4[4] = {192, 0, 2, 1};
static const uint8_t V4_MAPPED[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
static const uint8_t V6_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t V6_B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0xff, 0, 0, 0, 0, 0, 0, 9};
static const uint8_t V6_C[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1};

static void limit_per_client(void **state)
{
    (void)state;
    sb_clients_t *c;
    assert_int_equal(sb_clients_new(&c, 100, 3), 0);
    for (int i = 0; i < 3; i++)
        assert_true(sb_clients_add(c, V4, 4));
    assert_false(sb_clients_add(c, V4, 4));
    /* The same client over IPv6 (mapped): already at its limit. */
    assert_false(sb_clients_add(c, V4_MAPPED, 16));
    assert_int_equal(sb_clients_count(c, V4_MAPPED, 16), 3);
    sb_clients_remove(c, V4, 4);
    assert_true(sb_clients_add(c, V4_MAPPED, 16));
    /* One /64 is one client; another /64 is another. */
    assert_true(sb_clients_add(c, V6_A, 16));
    assert_true(sb_clients_add(c, V6_B, 16));
    assert_true(sb_clients_add(c, V6_A, 16));
    assert_false(sb_clients_add(c, V6_B, 16));
    assert_true(sb_clients_add(c, V6_C, 16));
    assert_int_equal(sb_clients_count(c, V6_B, 16), 3);
    assert_int_equal(sb_clients_count(c, V6_C, 16), 1);
    sb_clients_free(c);
}

/* Many clients coming and going, checked against a plain array: a slot
 * freed in the middle of a probe run must not hide the entries after it. */
static void churn_matches_a_model(void **state)
{
    (void)state;
    enum { CLIENTS = 700, ROUNDS = 200000, MAX = 1000 };
    sb_clients_t *c;
    assert_int_equal(sb_clients_new(&c, MAX, 4), 0);
    unsigned model[CLIENTS] = {0}, total = 0;
    srand(7);
    for (int r = 0; r < ROUNDS; r++) {
        unsigned k = (unsigned)rand() % CLIENTS;
        uint8_t addr[4] = {10, 0, (uint8_t)(k >> 8), (uint8_t)k};
        if ((rand() & 1) && total < MAX) {
            bool ok = sb_clients_add(c, addr, 4);
            assert_int_equal(ok, model[k] < 4);
            if (ok) {
                model[k]++;
                total++;
            }
        } else if (model[k] > 0) {
            sb_clients_remove(c, addr, 4);
            model[k]--;
            total--;
        }
    }
    for (unsigned k = 0; k < CLIENTS; k++) {
        uint8_t addr[4] = {10, 0, (uint8_t)(k >> 8), (uint8_t)k};
        assert_int_equal(sb_clients_count(c, addr, 4), model[k]);
    }
    sb_clients_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limit_per_client),
        cmocka_unit_test(churn_matches_a_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
