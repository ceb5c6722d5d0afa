/* The response writer: bounds, rollback and name compression. */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_name.h"
#include "sb_writer.h"

static uint8_t buf[512];

static void wire(const char *text, uint8_t *out)
{
    assert_true(sb_name_from_text(text, out) > 0);
}

static void compresses_against_earlier_names(void **state)
{
    (void)state;
    sb_writer_t w;
    sb_writer_init(&w, buf, sizeof(buf));
    uint8_t n1[SB_NAME_MAX], n2[SB_NAME_MAX], n3[SB_NAME_MAX];
    wire("www.Example.COM.", n1);
    wire("mail.example.com.", n2);
    wire("example.com.", n3);
    w.len = 12;
    assert_true(sb_writer_name(&w, n1)); /* 17 bytes at 12 */
    assert_int_equal(w.len, 29);
    assert_true(sb_writer_name(&w, n2)); /* "mail" + pointer to example.com at 16 */
    assert_int_equal(w.len, 29 + 5 + 2);
    assert_int_equal(buf[34], 0xc0);
    assert_int_equal(buf[35], 16);
    assert_true(sb_writer_name(&w, n3)); /* just a pointer */
    assert_int_equal(w.len, 38);
    assert_int_equal(sb_get16(buf + 36), 0xc000 | 16);
    assert_true(sb_writer_name(&w, n1)); /* the whole name again */
    assert_int_equal(sb_get16(buf + 38), 0xc000 | 12);
}

static void bounded_and_rolled_back(void **state)
{
    (void)state;
    sb_writer_t w;
    sb_writer_init(&w, buf, 40);
    uint8_t name[SB_NAME_MAX];
    wire("a-rather-long-label.example.com.", name);
    w.len = 12;
    sb_writer_mark_t m = sb_writer_mark(&w);
    static const uint8_t rdata[4] = {192, 0, 2, 1};
    assert_false(sb_writer_rr(&w, SB_SECTION_ANSWER, name, 0, SB_TYPE_A, 60, rdata, 4, NULL, 0));
    assert_int_equal(w.len, m.len);
    assert_int_equal(w.counts[SB_SECTION_ANSWER], 0);
    assert_int_equal(w.comp_count, m.comp_count);
    sb_writer_set_limit(&w, sizeof(buf));
    assert_true(sb_writer_rr(&w, SB_SECTION_ANSWER, name, 0, SB_TYPE_A, 60, rdata, 4, NULL, 0));
    assert_int_equal(w.counts[SB_SECTION_ANSWER], 1);
    /* RDLENGTH was filled in. */
    assert_int_equal(sb_get16(buf + w.len - 6), 4);
}

static void rdata_names_compressed(void **state)
{
    (void)state;
    sb_writer_t w;
    sb_writer_init(&w, buf, sizeof(buf));
    uint8_t owner[SB_NAME_MAX], target[SB_NAME_MAX];
    wire("www.example.com.", owner);
    wire("east.example.com.", target);
    w.len = 12;
    memcpy(buf + 12, owner, 17);
    w.len = 29;
    sb_writer_note_name(&w, 12);
    static const uint16_t at0[1] = {0};
    assert_true(
        sb_writer_rr(&w, SB_SECTION_ANSWER, NULL, 12, SB_TYPE_CNAME, 30, target, 18, at0, 1));
    /* Owner pointer (2) + fixed (10) + "east" (5) + pointer (2). */
    assert_int_equal(w.len, 29 + 2 + 10 + 7);
    assert_int_equal(sb_get16(buf + 29 + 10), 7); /* RDLENGTH of the compressed target */
}

/* Write `names` after a question of "www.Example.COM" at 12, its targets
 * noted from the parser's label offsets (lazily) or from the name itself
 * (at once); returns the length written. */
static size_t write_after_question(uint8_t *out, bool from_labels, const uint8_t *const *names,
                                   size_t count)
{
    static const uint8_t label_off[3] = {0, 4, 12};
    sb_writer_t w;
    sb_writer_init(&w, out, 512);
    memset(out, 0, 12);
    w.len = 12;
    assert_true(sb_writer_bytes(&w, "\3www\7Example\3COM", 17));
    if (from_labels)
        sb_writer_note_labels(&w, 12, label_off, 3);
    else
        sb_writer_note_name(&w, 12);
    for (size_t i = 0; i < count; i++)
        assert_true(sb_writer_name(&w, names[i]));
    return w.len;
}

/* The question's targets, kept as its label offsets until a name looks
 * for one, compress exactly as when each is noted at once. */
static void question_noted_lazily(void **state)
{
    (void)state;
    uint8_t n1[SB_NAME_MAX], n2[SB_NAME_MAX], n3[SB_NAME_MAX], n4[SB_NAME_MAX];
    wire("mail.example.com.", n1);
    wire("WWW.example.com.", n2);
    wire("com.", n3);
    wire("other.org.", n4);
    const uint8_t *names[] = {n1, n2, n3, n4, n1};
    uint8_t lazy[512], eager[512];
    size_t len = write_after_question(lazy, true, names, 5);
    assert_int_equal(write_after_question(eager, false, names, 5), len);
    assert_memory_equal(lazy, eager, len);
    assert_int_equal(sb_get16(lazy + 29 + 5), 0xc000 | 16); /* mail + example.com */
    assert_int_equal(sb_get16(lazy + 29 + 7), 0xc000 | 12); /* www.example.com */
    assert_int_equal(sb_get16(lazy + 29 + 9), 0xc000 | 24); /* com */
}

/* A copied piece's targets wait until they are needed; a mark notes them
 * first, and a rollback past the piece forgets them. */
static void piece_notes_deferred(void **state)
{
    (void)state;
    static const sb_writer_note_t notes[2] = {{0, 3}, {4, 2}};
    uint8_t name[SB_NAME_MAX];
    wire("ns1.kinds.test.", name);
    sb_writer_t w;
    sb_writer_init(&w, buf, sizeof(buf));
    w.len = 12;
    sb_writer_mark_t before = sb_writer_mark(&w);
    assert_true(sb_writer_bytes(&w, name, 16)); /* the piece, at 12 */
    sb_writer_defer_notes(&w, 12, notes, 2);
    assert_int_equal(w.comp_count, 0);
    sb_writer_mark_t after = sb_writer_mark(&w);
    assert_int_equal(w.comp_count, 2);
    assert_int_equal(after.comp_count, 2);
    assert_true(sb_writer_name(&w, name)); /* a pointer to the piece's */
    assert_int_equal(sb_get16(buf + 28), 0xc000 | 12);
    /* Deferred again, then dropped with what they point into. */
    sb_writer_rollback(&w, before);
    assert_true(sb_writer_bytes(&w, name, 16));
    sb_writer_defer_notes(&w, 12, notes, 2);
    sb_writer_rollback(&w, before);
    assert_int_equal(w.comp_count, 0);
    assert_true(sb_writer_name(&w, name)); /* in full: nothing to point at */
    assert_int_equal(w.len, 12 + 16);
}

/* sb_get16/32 and sb_put16/32: network byte order at odd addresses. */
static void byte_order(void **state)
{
    (void)state;
    uint8_t b[9] = {0};
    sb_put16(b + 1, 0x1234);
    sb_put32(b + 3, 0x89abcdefu);
    static const uint8_t want[9] = {0, 0x12, 0x34, 0x89, 0xab, 0xcd, 0xef, 0, 0};
    assert_memory_equal(b, want, sizeof(want));
    assert_int_equal(sb_get16(b + 1), 0x1234);
    assert_int_equal(sb_get32(b + 3), 0x89abcdefu);
    assert_int_equal(sb_get16(b + 2), 0x3489);
}

/* sb_writer_copy at every length from 0 to 40 (each of its ways), at an
 * odd address: exactly `len` bytes are written, none around them. */
static void copy_every_length(void **state)
{
    (void)state;
    uint8_t src[48], dst[64];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i + 1);
    for (size_t len = 0; len <= 40; len++) {
        memset(dst, 0xee, sizeof(dst));
        sb_writer_copy(dst + 3, src, len);
        assert_memory_equal(dst + 3, src, len);
        assert_int_equal(dst[2], 0xee);
        assert_int_equal(dst[3 + len], 0xee);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compresses_against_earlier_names),
        cmocka_unit_test(bounded_and_rolled_back),
        cmocka_unit_test(rdata_names_compressed),
        cmocka_unit_test(question_noted_lazily),
        cmocka_unit_test(piece_notes_deferred),
        cmocka_unit_test(byte_order),
        cmocka_unit_test(copy_every_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
