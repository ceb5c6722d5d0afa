/*
 * Records (sb_zonefile_rr.h): the fields checked, then parsed by ldns, and
 * added to the zone in wire form.
 */
#include "sb_zonefile_rr.h"

#include "sb_dns.h"
#include "sb_error.h"
#include "sb_zonefile_rdata.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool lookup_type(const char *text, uint16_t *type)
{
    if ((*type = sb_zonefile_rdata_type(text)) != 0)
        return true; /* the common ones, before ldns's long list */
    if (strncasecmp(text, "TYPE", 4) == 0 && text[4] >= '0' && text[4] <= '9') {
        unsigned long v = 0;
        for (const char *p = text + 4; *p != '\0'; p++) {
            if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned long)(*p - '0')) > 65535)
                return false;
        }
        *type = (uint16_t)v;
        return v != 0;
    }
    ldns_rr_type t = ldns_get_rr_type_by_name(text);
    if (t == 0 || t > 65535)
        return false;
    *type = (uint16_t)t;
    return true;
}

bool sb_zonefile_rr_known_type(const char *text)
{
    uint16_t type;
    return lookup_type(text, &type);
}

static void type_text(uint16_t type, char *buf, size_t cap)
{
    char *name = ldns_rr_type2str((ldns_rr_type)type);
    snprintf(buf, cap, "%s", name != NULL ? name : "?");
    free(name);
}

static bool is_meta_type(uint16_t type)
{
    /* OPT, TKEY, TSIG and the query-only types (RFC 6895 §3.1). */
    return type == SB_TYPE_OPT || (type >= 249 && type <= 255);
}

static bool is_compressible_type(uint16_t type)
{
    /* RFC 3597 §4: only the RFC 1035 types may have their names compressed. */
    switch (type) {
    case SB_TYPE_NS:
    case SB_TYPE_MD:
    case SB_TYPE_MF:
    case SB_TYPE_CNAME:
    case SB_TYPE_SOA:
    case SB_TYPE_MB:
    case SB_TYPE_MG:
    case SB_TYPE_MR:
    case SB_TYPE_PTR:
    case SB_TYPE_MINFO:
    case SB_TYPE_MX:
        return true;
    default:
        return false;
    }
}

static const char *field_expectation(ldns_rdf_type ft)
{
    switch (ft) {
    case LDNS_RDF_TYPE_A:
        return "expected an IPv4 address";
    case LDNS_RDF_TYPE_AAAA:
        return "expected an IPv6 address";
    case LDNS_RDF_TYPE_DNAME:
        return "expected a domain name";
    case LDNS_RDF_TYPE_INT8:
        return "expected a number from 0 to 255";
    case LDNS_RDF_TYPE_INT16:
        return "expected a number from 0 to 65535";
    case LDNS_RDF_TYPE_INT32:
        return "expected a number from 0 to 4294967295";
    case LDNS_RDF_TYPE_PERIOD:
        return "expected a number of seconds up to 4294967295 (units as in 1h allowed)";
    default:
        return NULL;
    }
}

static bool digits_within(const char *text, uint64_t max)
{
    uint64_t v = 0;
    if (*text == '\0')
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (uint64_t)(*p - '0')) > max)
            return false;
    }
    return true;
}

static bool period_within(const char *text)
{
    if (digits_within(text, 4294967295u))
        return true;
    uint32_t v;
    return sb_zparse_ttl(text, &v);
}

/* ldns wraps out-of-range integers silently (MX 70000 becomes 4464), so the
 * fixed leading fields are checked here first. Also returns whether a field
 * of a simple kind fails to parse, to point at the exact token. */
static bool field_ok(ldns_rdf_type ft, const sb_token_t *t)
{
    switch (ft) {
    case LDNS_RDF_TYPE_INT8:
        return digits_within(t->text, 255);
    case LDNS_RDF_TYPE_INT16:
        return digits_within(t->text, 65535);
    case LDNS_RDF_TYPE_INT32:
        return digits_within(t->text, 4294967295u);
    case LDNS_RDF_TYPE_PERIOD:
        return period_within(t->text);
    case LDNS_RDF_TYPE_A:
    case LDNS_RDF_TYPE_AAAA: {
        ldns_rdf *rdf = ldns_rdf_new_frm_str(ft, t->text);
        ldns_rdf_deep_free(rdf);
        return rdf != NULL;
    }
    default:
        return true;
    }
}

/* Check each leading fixed field; returns false after reporting the first
 * bad one. */
static bool check_fields(sb_zparse_t *zp, const sb_entry_t *e, size_t first, uint16_t type,
                         const char *tname)
{
    const ldns_rr_descriptor *d = ldns_rr_descript(type);
    if (d == NULL)
        return true;
    size_t fixed = ldns_rr_descriptor_minimum(d);
    for (size_t i = 0; i < fixed && first + i < e->count; i++) {
        ldns_rdf_type ft = ldns_rr_descriptor_field_type(d, i);
        const sb_token_t *t = &e->tokens[first + i];
        if (t->quoted || !field_ok(ft, t)) {
            const char *want = field_expectation(ft);
            if (want == NULL)
                return true; /* not a kind checked here; leave it to ldns */
            sb_zparse_error(zp, t->pos, "bad %s data '%s': %s", tname, t->text, want);
            return false;
        }
    }
    return true;
}

static void report_ldns_error(sb_zparse_t *zp, const sb_entry_t *e, size_t type_index,
                              uint16_t type, const char *tname, ldns_status st)
{
    size_t first = type_index + 1;
    const sb_token_t *last = &e->tokens[e->count - 1];
    if (first >= e->count) {
        sb_zparse_error(zp, sb_zparse_pos_plus(last->pos, last->len), "%s record has no data",
                        tname);
        return;
    }
    const ldns_rr_descriptor *d = ldns_rr_descript(type);
    if (st == LDNS_STATUS_SYNTAX_SUPERFLUOUS_TEXT_ERR && d != NULL) {
        size_t max = ldns_rr_descriptor_maximum(d);
        if (max < e->count - first) {
            sb_zparse_error(zp, e->tokens[first + max].pos,
                            "unexpected '%s' after the %s record's data",
                            e->tokens[first + max].text, tname);
            return;
        }
    }
    if (st == LDNS_STATUS_SYNTAX_MISSING_VALUE_ERR) {
        sb_zparse_error(zp, sb_zparse_pos_plus(last->pos, last->len),
                        "%s record is missing data after '%s'", tname, last->text);
        return;
    }
    if (d != NULL) {
        size_t fixed = ldns_rr_descriptor_minimum(d);
        for (size_t i = 0; i < fixed && first + i < e->count; i++) {
            ldns_rdf_type ft = ldns_rr_descriptor_field_type(d, i);
            if (ft != LDNS_RDF_TYPE_DNAME)
                continue;
            ldns_rdf *rdf = ldns_rdf_new_frm_str(ft, e->tokens[first + i].text);
            ldns_rdf_deep_free(rdf);
            if (rdf == NULL) {
                sb_zparse_error(zp, e->tokens[first + i].pos, "bad %s data '%s': %s", tname,
                                e->tokens[first + i].text, field_expectation(ft));
                return;
            }
        }
    }
    sb_zparse_error(zp, e->tokens[first].pos, "cannot parse the %s record's data: %s", tname,
                    ldns_get_errorstr_by_id(st));
}

/* The presentation text handed to ldns: absolute owner, explicit TTL and
 * class, then the type and data exactly as written. */
static char *record_text(const sb_entry_t *e, size_t type_index, const uint8_t *owner, uint32_t ttl)
{
    size_t len = SB_NAME_TEXT_MAX + 32;
    for (size_t i = type_index; i < e->count; i++)
        len += e->tokens[i].len + 1;
    char *text = malloc(len);
    if (text == NULL)
        return NULL;
    size_t o = sb_name_to_text(owner, text, SB_NAME_TEXT_MAX);
    o += (size_t)snprintf(text + o, len - o, " %u IN", ttl);
    for (size_t i = type_index; i < e->count; i++) {
        text[o++] = ' ';
        memcpy(text + o, e->tokens[i].text, e->tokens[i].len);
        o += e->tokens[i].len;
    }
    text[o] = '\0';
    return text;
}

static int add_ldns_rr(sb_zparse_t *zp, const ldns_rr *rr, const uint8_t *owner, uint16_t type,
                       uint32_t ttl, sb_pos_t pos)
{
    size_t total = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
        total += ldns_rdf_size(ldns_rr_rdf(rr, i));
    if (total > SB_ZONEFILE_RDATA_MAX)
        return SB_ETOOBIG;
    sb_zonefile_rdata_t *rd = zp->rdata;
    rd->len = 0;
    rd->name_count = 0;
    bool compress = is_compressible_type(type);
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        if (compress && rd->name_count < 2 && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME)
            rd->name_off[rd->name_count++] = rd->len;
        if (ldns_rdf_size(rdf) == 0)
            continue; /* ldns gives an empty field (CAA 0 issue "") no data at all */
        memcpy(rd->wire + rd->len, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
        rd->len = (uint16_t)(rd->len + ldns_rdf_size(rdf));
    }
    return sb_zone_add_rr(zp->zone, owner, type, ttl, rd->wire, rd->len, rd->name_off,
                          rd->name_count, pos);
}

static bool record_ttl(sb_zparse_t *zp, const sb_entry_t *e, const sb_zparse_head_t *h,
                       uint32_t *ttl)
{
    if (h->ttl_given) {
        zp->last_ttl = h->ttl;
        zp->have_last_ttl = true;
        *ttl = h->ttl;
    } else if (zp->have_default_ttl) {
        *ttl = zp->default_ttl;
    } else if (zp->have_last_ttl) {
        *ttl = zp->last_ttl;
    } else {
        sb_zparse_error(zp, e->tokens[h->type_index].pos,
                        "record has no TTL and none is in effect; add '$TTL 3600' (or similar) at "
                        "the top of the file");
        return false;
    }
    return true;
}

/* Every field the type has. ldns accepts some malformed records with
 * fields missing (an SOA in \# form whose length is not a number came back
 * with five of its seven); served, such data would not parse. */
static bool complete(sb_zparse_t *zp, const ldns_rr *rr, const sb_token_t *tt, const char *tname)
{
    const ldns_rr_descriptor *d = ldns_rr_descript(ldns_rr_get_type(rr));
    size_t need = d != NULL ? ldns_rr_descriptor_minimum(d) : 0;
    if (ldns_rr_rd_count(rr) >= need)
        return true;
    sb_zparse_error(zp, tt->pos, "%s record has %zu of the %zu fields it needs", tname,
                    ldns_rr_rd_count(rr), need);
    return false;
}

/* The record through ldns: every type, and the errors at their positions. */
static void parse_by_ldns(sb_zparse_t *zp, const sb_entry_t *e, const sb_zparse_head_t *h,
                          uint16_t type, uint32_t ttl)
{
    const sb_token_t *tt = &e->tokens[h->type_index];
    char tname[16];
    type_text(type, tname, sizeof(tname));
    if (!check_fields(zp, e, h->type_index + 1, type, tname))
        return;
    char *text = record_text(e, h->type_index, h->owner, ttl);
    if (text == NULL) {
        zp->oom = 1;
        return;
    }
    ldns_rr *rr = NULL;
    ldns_status st = ldns_rr_new_frm_str(&rr, text, ttl, zp->origin_rdf, NULL);
    free(text);
    if (st != LDNS_STATUS_OK) {
        report_ldns_error(zp, e, h->type_index, type, tname, st);
        return;
    }
    if (!complete(zp, rr, tt, tname)) {
        ldns_rr_free(rr);
        return;
    }
    int rc = add_ldns_rr(zp, rr, h->owner, type, ttl, e->pos);
    ldns_rr_free(rr);
    if (rc == SB_ETOOBIG)
        sb_zparse_error(zp, tt->pos, "%s record data is longer than 65535 bytes", tname);
    else if (rc < 0)
        zp->oom = 1;
}

void sb_zonefile_rr_parse(sb_zparse_t *zp, const sb_entry_t *e, const sb_zparse_head_t *h)
{
    const sb_token_t *tt = &e->tokens[h->type_index];
    uint16_t type;
    if (!lookup_type(tt->text, &type)) {
        sb_zparse_error(zp, tt->pos, "unknown record type '%s'", tt->text);
        return;
    }
    if (is_meta_type(type)) {
        char tname[16];
        type_text(type, tname, sizeof(tname));
        sb_zparse_error(zp, tt->pos, "%s is a query or meta type and cannot be stored in a zone",
                        tname);
        return;
    }
    uint32_t ttl;
    if (!record_ttl(zp, e, h, &ttl))
        return;
    size_t first = h->type_index + 1;
    sb_zonefile_rdata_t *rd = zp->rdata;
    if (!sb_zonefile_rdata_encode(type, e->tokens + first, e->count - first, zp->origin, rd)) {
        parse_by_ldns(zp, e, h, type, ttl);
        return;
    }
    if (sb_zone_add_rr(zp->zone, h->owner, type, ttl, rd->wire, rd->len, rd->name_off,
                       rd->name_count, e->pos) < 0)
        zp->oom = 1;
}
