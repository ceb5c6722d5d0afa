/* Wire-format names: text conversion, comparison, suffixes, hashing. */
#include "sb_test.h"

#include "sb_error.h"
#include "sb_name.h"

static void text_round_trip(void **state)
{
    (void)state;
    uint8_t w[SB_NAME_MAX];
    char t[SB_NAME_TEXT_MAX];
    assert_int_equal(sb_name_from_text("www.Example.com", w), 17);
    assert_memory_equal(w, "\3www\7Example\3com", 17);
    sb_name_to_text(w, t, sizeof(t));
    assert_string_equal(t, "www.Example.com.");
    assert_int_equal(sb_name_from_text(".", w), 1);
    sb_name_to_text(w, t, sizeof(t));
    assert_string_equal(t, ".");
    assert_int_equal(sb_name_from_text("a\\.b\\032c.d.", w), 9);
    sb_name_to_text(w, t, sizeof(t));
    assert_string_equal(t, "a\\.b\\032c.d.");
    assert_int_equal(sb_name_from_text("a..b", w), -EINVAL);
    assert_int_equal(sb_name_from_text("", w), -EINVAL);
    assert_int_equal(sb_name_from_text("a\\999", w), -EINVAL);
    char longlabel[80];
    memset(longlabel, 'x', 64);
    longlabel[64] = '\0';
    assert_int_equal(sb_name_from_text(longlabel, w), SB_ETOOBIG);
    /* 255 bytes is the limit: four labels of 62 and one of 1 make 255. */
    char big[300] = "";
    for (int i = 0; i < 4; i++) {
        strncat(big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
                sizeof(big) - 1);
    }
    strcat(big, "b.");
    assert_int_equal(sb_name_from_text(big, w), 255);
    strcat(big, "c.");
    assert_int_equal(sb_name_from_text(big, w), SB_ETOOBIG);
}

static void compare_and_suffix(void **state)
{
    (void)state;
    uint8_t a[SB_NAME_MAX], b[SB_NAME_MAX], apex[SB_NAME_MAX];
    sb_name_from_text("WWW.example.COM.", a);
    sb_name_from_text("www.Example.com.", b);
    sb_name_from_text("example.com.", apex);
    assert_true(sb_name_equal(a, b));
    assert_true(sb_name_is_within(a, apex));
    assert_false(sb_name_is_within(apex, a));
    assert_int_equal(sb_name_labels(a), 3);
    assert_ptr_equal(sb_name_suffix(a, 2), a + 4);
    sb_lname_t ln;
    sb_name_to_lname(&ln, a);
    assert_int_equal(ln.labels, 3);
    assert_memory_equal(ln.lc, "\3www\7example\3com", 17);
    size_t len;
    const uint8_t *s = sb_name_lname_suffix(&ln, 1, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(s, "\3com", 5);
    assert_int_equal(sb_name_hash(ln.lc, ln.len, 7), sb_name_hash(ln.lc, ln.len, 7));
    assert_int_not_equal(sb_name_hash(ln.lc, ln.len, 7), sb_name_hash(ln.lc, ln.len, 8));
}

/* Byte by byte, as sb_name_equal() was: the reference for the word-wise one. */
static bool equal_bytewise(const uint8_t *a, const uint8_t *b)
{
    for (;;) {
        if (*a != *b)
            return false;
        uint8_t n = *a;
        if (n == 0)
            return true;
        for (uint8_t i = 1; i <= n; i++) {
            if (sb_ascii_lower(a[i]) != sb_ascii_lower(b[i]))
                return false;
        }
        a += n + 1;
        b += n + 1;
    }
}

/* A well-formed wire name of exactly `len` bytes (not 2): labels of at
 * most five bytes drawn from `alphabet` in turn. */
static void make_name(uint8_t *out, size_t len, const char *alphabet)
{
    size_t p = 0, k = 0, alpha = strlen(alphabet);
    size_t left = len - 1; /* for labels, the root byte aside */
    while (left > 0) {
        size_t n = left - 1 <= 5 ? left - 1 : (left - 6 == 1 ? 4 : 5);
        out[p] = (uint8_t)n;
        for (size_t i = 1; i <= n; i++)
            out[p + i] = (uint8_t)alphabet[k++ % alpha];
        p += n + 1;
        left -= n + 1;
    }
    out[p] = 0;
}

/* Names of every length from 1 to 40 bytes, in both cases and with bytes
 * the folding must leave alone (0x80 and up, '@', '[', '`', '{'), compared
 * word-wise against the byte-by-byte reference; each one-byte change is a
 * different name. */
static void equal_word_wise(void **state)
{
    (void)state;
    uint8_t a[64], b[64];
    for (size_t len = 1; len <= 40; len++) {
        if (len == 2)
            continue; /* no name is two bytes long */
        make_name(a, len, "aZ@[`{\x80\xc1m-0Q");
        assert_int_equal(sb_name_len(a), len);
        size_t wire = sb_name_len(a);
        memcpy(b, a, wire);
        for (size_t i = 0; i < wire; i++)
            b[i] = a[i] >= 'a' && a[i] <= 'z' ? (uint8_t)(a[i] - 32) : a[i];
        assert_true(sb_name_equal(a, b));
        assert_true(equal_bytewise(a, b));
        for (size_t i = 0; i + 1 < wire; i++) {
            uint8_t keep = b[i];
            if (b[i] > 63) { /* a data byte: one that differs beyond case */
                b[i] = (uint8_t)(b[i] ^ 0x01);
                assert_int_equal(sb_name_equal(a, b), equal_bytewise(a, b));
                b[i] = (uint8_t)(b[i] ^ 0x01 ^ 0x20);
                assert_int_equal(sb_name_equal(a, b), equal_bytewise(a, b));
            }
            b[i] = keep;
        }
        uint8_t lc[64];
        sb_name_lower(lc, a, wire);
        assert_true(sb_name_same(lc, lc, wire));
    }
    uint8_t x[SB_NAME_MAX], y[SB_NAME_MAX];
    sb_name_from_text("abc.example.", x);
    sb_name_from_text("ab.cexample.", y); /* same letters, labels cut elsewhere */
    assert_false(sb_name_equal(x, y));
    sb_name_from_text("www.example.com.", y);
    assert_false(sb_name_equal(x, y)); /* of other lengths */
}

/* sb_name_same over every length up to 40: equal, and a difference at
 * each position (the first word, the overlapping last one, the tail). */
static void same_every_length(void **state)
{
    (void)state;
    uint8_t a[48], b[48];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 1; len <= 40; len++) {
        memcpy(b, a, sizeof(b));
        assert_true(sb_name_same(a, b, len));
        b[len] ^= 1; /* past the end: not looked at */
        assert_true(sb_name_same(a, b, len));
        for (size_t i = 0; i < len; i++) {
            memcpy(b, a, sizeof(b));
            b[i] ^= 0x20;
            assert_false(sb_name_same(a, b, len));
        }
    }
}

/* The hash is a function of the lower-cased bytes and the seed only; names
 * one byte apart (in the overlapping last word too) hash apart. */
static void hash_every_length(void **state)
{
    (void)state;
    uint8_t a[48], b[48];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)('a' + i % 26);
    for (size_t len = 1; len <= 40; len++) {
        memcpy(b, a, sizeof(b));
        b[len] = 'z'; /* past the end */
        assert_int_equal(sb_name_hash(a, len, 1), sb_name_hash(b, len, 1));
        for (size_t i = 0; i < len; i++) {
            memcpy(b, a, sizeof(b));
            b[i] ^= 1;
            assert_int_not_equal(sb_name_hash(a, len, 1), sb_name_hash(b, len, 1));
        }
        assert_int_not_equal(sb_name_hash(a, len, 1), sb_name_hash(a, len + 1, 1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_round_trip),   cmocka_unit_test(compare_and_suffix),
        cmocka_unit_test(equal_word_wise),   cmocka_unit_test(same_every_length),
        cmocka_unit_test(hash_every_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
