/* JSON written as it goes (sb_jsonw): commas and nesting, escapes,
 * numbers, null for a missing string, text spliced in; what it writes
 * reads back with jansson as the same document; a failure (closing what is
 * not open) gives no text. */
#include "sb_test.h"

#include "sb_jsonw.h"

#include <jansson.h>
#include <stdlib.h>

static void a_document_reads_back(void **state)
{
    (void)state;
    sb_jsonw_t w;
    sb_jsonw_init(&w);
    sb_jsonw_object(&w, NULL);
    sb_jsonw_string(&w, "name", "www.example.com.");
    sb_jsonw_string(&w, "odd \"key\"", "quote \" backslash \\ tab \t bell \a");
    sb_jsonw_string(&w, "none", NULL);
    sb_jsonw_int(&w, "big", -9007199254740993LL);
    sb_jsonw_real(&w, "share", 50.0);
    sb_jsonw_real(&w, "third", 1.0 / 3.0);
    sb_jsonw_bool(&w, "yes", true);
    sb_jsonw_array(&w, "empty");
    sb_jsonw_end(&w);
    sb_jsonw_array(&w, "list");
    sb_jsonw_object(&w, NULL);
    sb_jsonw_end(&w);
    sb_jsonw_int(&w, NULL, 7);
    sb_jsonw_raw(&w, NULL, "{\"spliced\":[1,2]}", 17);
    sb_jsonw_end(&w);
    sb_jsonw_end(&w);
    size_t len;
    char *text = sb_jsonw_take(&w, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    if (doc == NULL)
        fail_msg("%s: %s", err.text, text);
    json_t *want =
        json_pack("{s:s, s:s, s:n, s:I, s:f, s:f, s:b, s:[], s:[{}, i, {s:[i, i]}]}", "name",
                  "www.example.com.", "odd \"key\"", "quote \" backslash \\ tab \t bell \a", "none",
                  "big", (json_int_t)-9007199254740993LL, "share", 50.0, "third", 1.0 / 3.0, "yes",
                  1, "empty", "list", 7, "spliced", 1, 2);
    assert_true(json_equal(doc, want));
    assert_non_null(strstr(text, "\"share\":50.0"));
    assert_non_null(strstr(text, "\\u0007"));
    json_decref(doc);
    json_decref(want);
    free(text);
}

/* Every byte JSON escapes, at every place in strings of 1 to 24 bytes
 * (the word-at-a-time scan and its tail), beside UTF-8 and DEL, which it
 * does not: each reads back as written. */
static void escapes_found_wherever_they_are(void **state)
{
    (void)state;
    static const char special[] = {'"', '\\', '\x01', '\x1f', '\n'};
    static const char plain[] = {' ', '!', '#', '[', ']', '\x7f', '\xc3'};
    for (size_t len = 1; len <= 24; len++) {
        for (size_t at = 0; at < len; at++) {
            for (size_t k = 0; k < sizeof(special) + sizeof(plain); k++) {
                char s[32];
                memset(s, 'a', len);
                s[len] = '\0';
                bool escaped = k < sizeof(special);
                s[at] = escaped ? special[k] : plain[k - sizeof(special)];
                if (s[at] == '\xc3' && at + 1 < len)
                    s[at + 1] = '\xa9'; /* é */
                else if (s[at] == '\xc3')
                    s[at] = 'b';
                sb_jsonw_t w;
                sb_jsonw_init(&w);
                sb_jsonw_string(&w, NULL, s);
                size_t n;
                char *text = sb_jsonw_take(&w, &n);
                json_t *back = json_loads(text, JSON_DECODE_ANY, NULL);
                assert_non_null(back);
                assert_string_equal(json_string_value(back), s);
                /* quoted as it is, unless a byte had to be escaped */
                assert_int_equal(n == strlen(s) + 2, !escaped);
                json_decref(back);
                free(text);
            }
        }
    }
}

static void closing_what_is_not_open_fails(void **state)
{
    (void)state;
    sb_jsonw_t w;
    sb_jsonw_init(&w);
    sb_jsonw_array(&w, NULL);
    sb_jsonw_end(&w);
    sb_jsonw_end(&w);
    sb_jsonw_int(&w, NULL, 1); /* ignored */
    size_t len = 99;
    assert_null(sb_jsonw_take(&w, &len));
    assert_int_equal(len, 0);
    /* the writer is empty again, and works */
    sb_jsonw_array(&w, NULL);
    sb_jsonw_end(&w);
    char *text = sb_jsonw_take(&w, &len);
    assert_string_equal(text, "[]");
    free(text);
}

static void too_deep_fails(void **state)
{
    (void)state;
    sb_jsonw_t w;
    sb_jsonw_init(&w);
    for (int i = 0; i < SB_JSONW_DEPTH + 1; i++)
        sb_jsonw_array(&w, NULL);
    size_t len;
    assert_null(sb_jsonw_take(&w, &len));
    sb_jsonw_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_document_reads_back),
        cmocka_unit_test(escapes_found_wherever_they_are),
        cmocka_unit_test(closing_what_is_not_open_fails),
        cmocka_unit_test(too_deep_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
