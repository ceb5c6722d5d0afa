/* Prewritten pieces of answers: the same bytes as the writer writes per
 * query, wherever the anchor sits in the question, and notes that later
 * names compress against. */
#include "sb_test.h"

#include "sb_arena.h"
#include "sb_dns.h"
#include "sb_name.h"
#include "sb_prewritten.h"
#include "sb_writer.h"

#include <string.h>

static void wire(const char *text, uint8_t *out)
{
    assert_true(sb_name_from_text(text, out) > 0);
}

/* A message holding the question `qname` (any case), ready for sections. */
static void start(sb_writer_t *w, uint8_t *buf, size_t limit, const char *qname)
{
    uint8_t name[SB_NAME_MAX];
    static const uint8_t type_class[4] = {0, SB_TYPE_A, 0, SB_CLASS_IN};
    wire(qname, name);
    sb_writer_init(w, buf, limit);
    memset(buf, 0, SB_DNS_HEADER_LEN);
    w->len = SB_DNS_HEADER_LEN;
    assert_true(sb_writer_bytes(w, name, sb_name_len(name)));
    assert_true(sb_writer_bytes(w, type_class, 4));
    sb_writer_note_name(w, SB_DNS_HEADER_LEN);
}

/* An SOA at example.com: the piece of a negative answer. */
static bool write_soa(sb_writer_t *w, void *arg)
{
    (void)arg;
    uint8_t apex[SB_NAME_MAX], rdata[2 * SB_NAME_MAX + 20];
    wire("example.com.", apex);
    size_t n = (size_t)sb_name_from_text("ns1.example.com.", rdata);
    uint16_t off[2] = {0, (uint16_t)n};
    n += (size_t)sb_name_from_text("hostmaster.example.com.", rdata + n);
    memset(rdata + n, 7, 20);
    return sb_writer_rr(w, SB_SECTION_AUTHORITY, apex, 0, SB_TYPE_SOA, 300, rdata,
                        (uint16_t)(n + 20), off, 2);
}

/* A CNAME owned by the question's name (pointer to 12) to www.example.com. */
static bool write_cname(sb_writer_t *w, void *arg)
{
    (void)arg;
    uint8_t target[SB_NAME_MAX];
    static const uint16_t at0[1] = {0};
    int n = sb_name_from_text("www.example.com.", target);
    return sb_writer_rr(w, SB_SECTION_ANSWER, NULL, SB_DNS_HEADER_LEN, SB_TYPE_CNAME, 30, target,
                        (uint16_t)n, at0, 1);
}

static bool refuse(sb_writer_t *w, void *arg)
{
    (void)w;
    (void)arg;
    return false;
}

/* The piece `write` writes, anchored at `anchor_text`. */
static const sb_prewritten_t *piece(sb_arena_t *arena, const char *anchor_text,
                                    sb_prewritten_fn write)
{
    uint8_t anchor[SB_NAME_MAX];
    wire(anchor_text, anchor);
    const sb_prewritten_t *p = NULL;
    assert_int_equal(sb_prewritten_build(&p, arena, anchor, write, NULL), 0);
    return p;
}

static uint8_t by_writer[512], prewritten[512];

/* The question `qname` in two messages: `write` writes the piece into the
 * first, `p` is copied into the second with its anchor at `anchor_off`. */
static void write_both(sb_writer_t *w1, sb_writer_t *w2, const char *qname, sb_prewritten_fn write,
                       const sb_prewritten_t *p, uint16_t anchor_off)
{
    assert_non_null(p);
    start(w1, by_writer, sizeof(by_writer), qname);
    start(w2, prewritten, sizeof(prewritten), qname);
    assert_true(write(w1, NULL));
    assert_true(sb_prewritten_write(w2, p, anchor_off));
}

static void assert_same(const sb_writer_t *w1, const sb_writer_t *w2)
{
    assert_int_equal(w1->len, w2->len);
    assert_memory_equal(by_writer, prewritten, w1->len);
    assert_memory_equal(w1->counts, w2->counts, sizeof(w1->counts));
}

static void same_as_the_writer_below_the_anchor(void **state)
{
    (void)state;
    sb_arena_t *arena = sb_arena_new();
    sb_writer_t w1, w2;
    write_both(&w1, &w2, "NoPe.ExAmPlE.cOm.", write_soa, piece(arena, "example.com.", write_soa),
               SB_DNS_HEADER_LEN + 5); /* past "\4NoPe" */
    assert_same(&w1, &w2);
    sb_arena_destroy(arena);
}

static void notes_let_later_names_compress(void **state)
{
    (void)state;
    sb_arena_t *arena = sb_arena_new();
    uint8_t www[SB_NAME_MAX];
    wire("www.example.com.", www);
    sb_writer_t w1, w2;
    write_both(&w1, &w2, "Alias.Example.COM.", write_cname,
               piece(arena, "alias.example.com.", write_cname), SB_DNS_HEADER_LEN);
    /* The CNAME's target, then its address: the owner points into the CNAME. */
    static const uint8_t addr[4] = {192, 0, 2, 1};
    assert_true(sb_writer_rr(&w1, SB_SECTION_ANSWER, www, 0, SB_TYPE_A, 30, addr, 4, NULL, 0));
    assert_true(sb_writer_rr(&w2, SB_SECTION_ANSWER, www, 0, SB_TYPE_A, 30, addr, 4, NULL, 0));
    assert_same(&w1, &w2);
    assert_int_equal(w2.counts[SB_SECTION_ANSWER], 2);
    sb_arena_destroy(arena);
}

static void too_big_writes_nothing(void **state)
{
    (void)state;
    sb_arena_t *arena = sb_arena_new();
    const sb_prewritten_t *p = piece(arena, "example.com.", write_soa);
    uint8_t buf[512];
    sb_writer_t w;
    start(&w, buf, 40, "example.com.");
    size_t before = w.len;
    uint8_t notes = w.comp_count;
    assert_false(sb_prewritten_write(&w, p, SB_DNS_HEADER_LEN));
    assert_int_equal(w.len, before);
    assert_int_equal(w.comp_count, notes);
    assert_int_equal(w.counts[SB_SECTION_AUTHORITY], 0);
    sb_arena_destroy(arena);
}

static void refused_is_null(void **state)
{
    (void)state;
    sb_arena_t *arena = sb_arena_new();
    assert_null(piece(arena, "example.com.", refuse));
    sb_arena_destroy(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_as_the_writer_below_the_anchor),
        cmocka_unit_test(notes_let_later_names_compress),
        cmocka_unit_test(too_big_writes_nothing),
        cmocka_unit_test(refused_is_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
