/*
 * libFuzzer harness for the common record types' data read without ldns
 * (sb_zonefile_rdata): every input is one record's type and data as a zone
 * file writes them ("MX 10 mail"), lexed as the zone-file parser lexes it.
 *
 * Checked, aborting on a violation: whatever sb_zonefile_rdata_encode()
 * takes, ldns parses too (relative names completed with the same origin),
 * into the same bytes with the same compressible names. What it declines
 * goes to ldns in the loader and needs no check here. ASan, UBSan and
 * LeakSanitizer catch the rest.
 *
 * Build and run: see docs/development.md, "Fuzzing".
 */
#include "fuzz.h"

#include "sb_dns.h"
#include "sb_lexer.h"
#include "sb_zonefile_rdata.h"

#include <ldns/ldns.h>
#include <string.h>

static const uint8_t origin[] = "\7example\3com"; /* example.com. */

static sb_zonefile_rdata_t mine;

static bool compressible(uint16_t type)
{
    return type == SB_TYPE_NS || type == SB_TYPE_CNAME || type == SB_TYPE_PTR || type == SB_TYPE_MX;
}

/* The entry's record given to ldns as the loader gives it: the tokens
 * joined by single spaces after an owner, a TTL and the class. */
static void same_as_ldns(const sb_entry_t *e, uint16_t type)
{
    size_t len = 64;
    for (size_t i = 0; i < e->count; i++)
        len += e->tokens[i].len + 1;
    char *text = malloc(len);
    CHECK(text != NULL);
    size_t o = (size_t)snprintf(text, len, "x.example.com. 3600 IN");
    for (size_t i = 0; i < e->count; i++) {
        text[o++] = ' ';
        memcpy(text + o, e->tokens[i].text, e->tokens[i].len);
        o += e->tokens[i].len;
    }
    text[o] = '\0';
    ldns_rdf *org = ldns_dname_new_frm_str("example.com.");
    ldns_rr *rr = NULL;
    CHECK(ldns_rr_new_frm_str(&rr, text, 3600, org, NULL) == LDNS_STATUS_OK);
    CHECK(ldns_rr_get_type(rr) == type);
    size_t at = 0, names = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        if (compressible(type) && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME) {
            CHECK(names < mine.name_count && mine.name_off[names] == at);
            names++;
        }
        CHECK(at + ldns_rdf_size(rdf) <= mine.len);
        CHECK(memcmp(mine.wire + at, ldns_rdf_data(rdf), ldns_rdf_size(rdf)) == 0);
        at += ldns_rdf_size(rdf);
    }
    CHECK(at == mine.len && names == mine.name_count);
    ldns_rr_free(rr);
    ldns_rdf_deep_free(org);
    free(text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 70000)
        return 0;
    /* One line, starting blank: the type is the first token. */
    char *line = malloc(size + 2);
    CHECK(line != NULL);
    line[0] = ' ';
    memcpy(line + 1, data, size);
    line[size + 1] = '\0';
    char *nl = memchr(line + 1, '\n', size);
    size_t len = nl != NULL ? (size_t)(nl - line) : size + 1;
    sb_diag_t *diag = sb_diag_new();
    sb_lexer_t *lx = NULL;
    sb_entry_t e;
    if (sb_lexer_open_text(&lx, "fuzz.zone", line, len, diag) == 0 && sb_lexer_next(lx, &e) == 1) {
        uint16_t type = sb_zonefile_rdata_type(e.tokens[0].text);
        if (type != 0 && sb_zonefile_rdata_encode(type, e.tokens + 1, e.count - 1, origin, &mine))
            same_as_ldns(&e, type);
    }
    sb_lexer_close(lx);
    sb_diag_free(diag);
    free(line);
    return 0;
}
