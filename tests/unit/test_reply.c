/* The control protocol's replies (sb_reply): a member given as JSON text
 * is spliced in as it is, last, whatever the flags; a member added to
 * such text (the fleet's, to a status); replies without one as jansson
 * writes them. */
#include "sb_test.h"

#include "sb_reply.h"

#include <stdlib.h>

static void text_members_are_spliced(void **state)
{
    (void)state;
    char *status = strdup("{\"profiles\":[{\"name\":\"www.example.com.\"}]}");
    size_t len = strlen(status);
    json_t *fleet = json_pack("{s:s, s:b}", "node", "ns1", "connected", 1);
    status = sb_reply_add_member(status, &len, "fleet", fleet);
    json_decref(fleet);
    assert_non_null(status);
    assert_int_equal(len, strlen(status));
    assert_string_equal(status, "{\"profiles\":[{\"name\":\"www.example.com.\"}],"
                                "\"fleet\":{\"node\":\"ns1\",\"connected\":true}}");
    json_t *reply = sb_reply_with_text("status", status, len);
    assert_non_null(reply);
    size_t n;
    char *text = sb_reply_dumps(reply, JSON_INDENT(2), &n);
    assert_string_equal(text, "{\"ok\":true,\"status\":{\"profiles\":[{\"name\":\"www.example."
                              "com.\"}],\"fleet\":{\"node\":\"ns1\",\"connected\":true}}}");
    assert_int_equal(n, strlen(text));
    json_t *back = json_loads(text, 0, NULL);
    assert_true(json_is_true(json_object_get(back, "ok")));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(back, "status"), "fleet"), "node")),
                        "ns1");
    json_decref(back);
    free(text);
    sb_reply_free(reply);
}

/* A reply given text and never written out frees it (ASan: no leak). */
static void an_unwritten_text_reply_is_freed(void **state)
{
    (void)state;
    sb_reply_free(sb_reply_with_text("status", strdup("{\"profiles\":[]}"), 15));
    sb_reply_free(NULL);
}

static void a_member_added_to_an_empty_object(void **state)
{
    (void)state;
    char *text = strdup("{}");
    size_t len = 2;
    json_t *v = json_integer(7);
    text = sb_reply_add_member(text, &len, "n", v);
    json_decref(v);
    assert_string_equal(text, "{\"n\":7}");
    assert_int_equal(len, 7);
    free(text);
}

static void other_replies_as_jansson_writes_them(void **state)
{
    (void)state;
    json_t *reply = sb_reply_failure("no profile named %s", "nope");
    size_t n;
    char *text = sb_reply_dumps(reply, JSON_COMPACT, &n);
    assert_string_equal(text, "{\"ok\":false,\"error\":\"no profile named nope\"}");
    assert_int_equal(n, strlen(text));
    free(text);
    sb_reply_free(reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_members_are_spliced),
        cmocka_unit_test(an_unwritten_text_reply_is_freed),
        cmocka_unit_test(a_member_added_to_an_empty_object),
        cmocka_unit_test(other_replies_as_jansson_writes_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
