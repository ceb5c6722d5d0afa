/* Health messages: written and read back, node names, and every way a
 * message from the network can be wrong. */
#include "sb_test.h"

#include "sb_verdicts.h"

#include <stdlib.h>

static void written_and_read_back(void **state)
{
    (void)state;
    sb_verdicts_writer_t w;
    assert_int_equal(sb_verdicts_begin(&w, "ns1", true), 0);
    assert_int_equal(sb_verdicts_add(&w, "www.example.com.", "east", true), 0);
    assert_int_equal(sb_verdicts_add(&w, "www.example.com.", "west", false), 0);
    assert_int_equal(sb_verdicts_pending(&w), 2);
    char *text = sb_verdicts_finish(&w);
    assert_non_null(text);
    sb_verdicts_t m;
    assert_int_equal(sb_verdicts_decode(text, strlen(text), &m), 0);
    free(text);
    assert_string_equal(m.node, "ns1");
    assert_true(m.full);
    assert_int_equal(m.period_ms, SB_VERDICTS_PERIOD_MS);
    assert_int_equal(m.count, 2);
    assert_string_equal(m.views[1].endpoint, "west");
    assert_false(m.views[1].up);
    assert_true(m.views[0].up);
    sb_verdicts_free(&m);
}

static void bad_messages(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "[]",
        "{\"node\": \"a\", \"period_ms\": 5000, \"full\": true}",
        "{\"node\": \"a.b\", \"period_ms\": 5000, \"full\": true, \"views\": []}",
        "{\"node\": \"a\", \"period_ms\": 5, \"full\": true, \"views\": []}",
        "{\"node\": \"a\", \"period_ms\": 5000, \"full\": 1, \"views\": []}",
        "{\"node\": \"a\", \"period_ms\": 5000, \"full\": true, \"views\": [[\"p\", \"e\"]]}",
        "{\"node\": \"a\", \"period_ms\": 5000, \"full\": true, \"views\": [[\"p\", \"e\", "
        "\"sideways\"]]}",
        "{\"node\": \"a\", \"period_ms\": 5000, \"full\": true, \"views\": [[\"\", \"e\", "
        "\"up\"]]}",
        "{\"node\": \"a\", \"node\": \"b\", \"period_ms\": 5000, \"full\": true, \"views\": []}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sb_verdicts_t m;
        assert_int_equal(sb_verdicts_decode(bad[i], strlen(bad[i]), &m), -EINVAL);
        assert_null(m.doc);
        assert_null(m.views);
    }
    assert_true(sb_verdicts_node_ok("ns1-eu_west"));
    assert_false(sb_verdicts_node_ok("ns1.example"));
    assert_false(sb_verdicts_node_ok(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(written_and_read_back),
        cmocka_unit_test(bad_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
