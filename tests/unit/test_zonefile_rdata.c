/* The common record types without ldns: what is taken comes out byte for
 * byte as ldns makes it, with the same compressible names; what is not
 * taken is declined (and still loads, or fails, through ldns). */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_lexer.h"
#include "sb_zone.h"
#include "sb_zonefile_rdata.h"

#include <ldns/ldns.h>
#include <stdlib.h>

/* "example.com." */
static const uint8_t origin[] = "\7example\3com";

typedef struct {
    sb_lexer_t *lx;
    sb_entry_t e;
} line_t;

/* `text` ("TYPE data...") lexed as a zone file line starting blank. */
static void lex(line_t *l, const char *text)
{
    sb_diag_t *diag = sb_diag_new();
    char *line = malloc(strlen(text) + 2);
    line[0] = ' ';
    strcpy(line + 1, text);
    assert_int_equal(sb_lexer_open_text(&l->lx, "t.zone", line, strlen(line), diag), 0);
    assert_int_equal(sb_lexer_next(l->lx, &l->e), 1);
    assert_int_equal(sb_diag_count(diag), 0);
    free(line);
    sb_diag_free(diag);
}

static bool encode(const char *text, sb_zonefile_rdata_t *out)
{
    line_t l;
    lex(&l, text);
    uint16_t type = sb_zonefile_rdata_type(l.e.tokens[0].text);
    bool taken =
        type != 0 && sb_zonefile_rdata_encode(type, l.e.tokens + 1, l.e.count - 1, origin, out);
    sb_lexer_close(l.lx);
    return taken;
}

/* What ldns makes of the same record: its data, and where its names are. */
static void by_ldns(const char *text, sb_zonefile_rdata_t *out)
{
    char *full = malloc(strlen(text) + 64);
    sprintf(full, "x.example.com. 3600 IN %s", text);
    ldns_rdf *o = ldns_dname_new_frm_str("example.com.");
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, full, 3600, o, NULL), LDNS_STATUS_OK);
    out->len = 0;
    out->name_count = 0;
    uint16_t type = (uint16_t)ldns_rr_get_type(rr);
    bool compressible =
        type == SB_TYPE_NS || type == SB_TYPE_CNAME || type == SB_TYPE_PTR || type == SB_TYPE_MX;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        if (compressible && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME)
            out->name_off[out->name_count++] = out->len;
        memcpy(out->wire + out->len, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
        out->len = (uint16_t)(out->len + ldns_rdf_size(rdf));
    }
    ldns_rr_free(rr);
    ldns_rdf_deep_free(o);
    free(full);
}

static void same_as_ldns(const char *text)
{
    static sb_zonefile_rdata_t mine, theirs;
    if (!encode(text, &mine))
        fail_msg("declined: %s", text);
    by_ldns(text, &theirs);
    assert_int_equal(mine.len, theirs.len);
    assert_memory_equal(mine.wire, theirs.wire, mine.len);
    assert_int_equal(mine.name_count, theirs.name_count);
    for (uint8_t i = 0; i < mine.name_count; i++)
        assert_int_equal(mine.name_off[i], theirs.name_off[i]);
}

static void declined(const char *text)
{
    static sb_zonefile_rdata_t out;
    if (encode(text, &out))
        fail_msg("taken: %s", text);
}

static void taken_as_ldns_takes_them(void **state)
{
    (void)state;
    const char *records[] = {
        "A 192.0.2.1",
        "A 0.0.0.0",
        "a 255.255.255.255",
        "AAAA 2001:db8::1",
        "AAAA ::",
        "AAAA ::ffff:192.0.2.1",
        "aaaa 2001:DB8:0:0:0:0:0:1",
        "NS ns1",
        "NS ns1.example.net.",
        "NS .",
        "CNAME www.Example.COM.",
        "CNAME *.wild",
        "CNAME _sip._tcp",
        "PTR host.example.net.",
        "DNAME example.net.",
        "MX 10 mail",
        "MX 0 .",
        "MX 65535 mail.example.net.",
        "mx 010 mail",
        "SRV 0 5 5060 sip.example.net.",
        "SRV 65535 65535 65535 sip",
        "TXT plain",
        "TXT \"v=spf1 mx -all\"",
        "TXT \"two\" \"strings\"",
        "TXT one two three",
        "TXT \"a;b\" \"(c)\"",
        "TXT \"mixed\" bare",
        "TXT \"two  spaces\"",
        "TXT \"=;{}[]<>!#$%&'*+,-./:?@^_`|~\"",
        "PTR 0/25.2.0.192.in-addr.arpa.",
        "CNAME a-b_c.D",
        "CNAME x",
    };
    for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
        same_as_ldns(records[i]);
}

static void unusual_writing_declined(void **state)
{
    (void)state;
    const char *records[] = {
        "A 192.0.2",          /* not an address */
        "A 192.0.2.01",       /* leading zero */
        "A 192.0.2.1 extra",  /* too many fields */
        "A \"192.0.2.1\"",    /* quoted */
        "AAAA 192.0.2.1",     /* the wrong family */
        "NS @",               /* the origin, ldns's to read */
        "PTR @.",             /* the origin too, to ldns (found by fuzz_rdata) */
        "CNAME a@b",          /* any @ */
        "NS a\\.b",           /* an escape */
        "NS a..b",            /* an empty label */
        "NS \"quoted\"",      /* quoted name */
        "NS",                 /* missing */
        "MX 70000 mail",      /* out of range */
        "MX -1 mail",         /* not a number */
        "MX 10",              /* missing the exchange */
        "MX 1e3 mail",        /* not digits */
        "SRV 0 5 sip",        /* a field missing */
        "TXT \"\"",           /* empty string */
        "TXT \"a\\\"b\"",     /* escaped quote */
        "TXT \"tab\there\"",  /* a control byte */
        "TXT \"x\"y",         /* quoted in part */
        "TXT caf\xc3\xa9",    /* not ASCII */
        "TXT \\# 2 0161",     /* RFC 3597 */
        "CAA 0 issue \"ca\"", /* not a common type */
    };
    for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
        declined(records[i]);
}

/* A 63-byte label, a 255-byte name, and one byte more of each. */
static void name_limits(void **state)
{
    (void)state;
    char text[600];
    char label[64];
    memset(label, 'a', 63);
    label[63] = '\0';
    snprintf(text, sizeof(text), "CNAME %s", label);
    same_as_ldns(text);
    snprintf(text, sizeof(text), "CNAME %sa", label);
    declined(text);
    /* 3 x 64 + 50 + 1 + 12 ("example.com.") = 255 bytes once completed. */
    char name[300];
    snprintf(name, sizeof(name), "%s.%s.%s.%.49s", label, label, label, label);
    snprintf(text, sizeof(text), "CNAME %s", name);
    same_as_ldns(text);
    snprintf(text, sizeof(text), "CNAME %sa", name);
    declined(text);
}

/* TXT data up to 65535 bytes is taken; one byte more is not (and ldns's
 * path reports it). */
static void txt_limits(void **state)
{
    (void)state;
    char *text = malloc(70000);
    char s255[256];
    memset(s255, 'x', 255);
    s255[255] = '\0';
    size_t o = (size_t)sprintf(text, "TXT");
    for (int i = 0; i < 255; i++)
        o += (size_t)sprintf(text + o, " %s", s255);
    sprintf(text + o, " %.254s", s255); /* 255 x 256 + 255 = 65535 bytes */
    same_as_ldns(text);
    sprintf(text + o, " %s", s255);
    declined(text);
    sprintf(text, "TXT %sx", s255); /* a string of 256 */
    declined(text);
    free(text);
}

/* A zone loads the same whichever path each record took, and what the
 * common path declines still gets ldns's errors at their positions. */
static void loads_and_errors_unchanged(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(SB_TEST_HEADER "www CNAME east\n"
                                                   "@ MX 10 mail\n"
                                                   "mail A 192.0.2.25\n"
                                                   "mail AAAA 2001:db8::25\n"
                                                   "_sip._tcp SRV 0 5 5060 mail\n"
                                                   "t TXT \"v=spf1\" x\n"
                                                   "t TXT \"v=spf1\" x\n"
                                                   "e TXT \"a\\\"b\"\n");
    const sb_zone_t *z = sb_gen_zone(gen, 0);
    const sb_rrset_t *t = sb_test_rrset(z, "t.example.com.", SB_TYPE_TXT);
    assert_int_equal(t->count, 1); /* the same record twice is merged */
    assert_int_equal(t->rdata[0].len, 9);
    assert_memory_equal(t->rdata[0].data, "\6v=spf1\1x", 9);
    t = sb_test_rrset(z, "e.example.com.", SB_TYPE_TXT);
    assert_memory_equal(t->rdata[0].data, "\3a\"b", 4);
    sb_gen_free(gen);
    sb_test_expect_errors(SB_TEST_HEADER "a A 192.0.2\n"
                                         "m MX 70000 mail\n",
                          2, "example.com.zone:8:5: bad A data '192.0.2': expected an IPv4 address",
                          "example.com.zone:9:6: bad MX data '70000': expected a number from 0 "
                          "to 65535");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(taken_as_ldns_takes_them),
        cmocka_unit_test(unusual_writing_declined),
        cmocka_unit_test(name_limits),
        cmocka_unit_test(txt_limits),
        cmocka_unit_test(loads_and_errors_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
