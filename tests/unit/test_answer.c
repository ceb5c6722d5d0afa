/* Answer building: every response code and section rule, each response
 * parsed back with ldns and checked field by field. */
#include "sb_test.h"

#include "sb_answer.h"
#include "sb_dns.h"
#include "sb_route.h"

#include <ldns/ldns.h>
#include <stdlib.h>

#define H SB_TEST_HEADER

static const char *ZONE = H "www profile priority ttl=30 {\n"
                            "    monitor http port=8001\n"
                            "    endpoint east east priority=1\n"
                            "    endpoint west west priority=2\n"
                            "}\n"
                            "@ profile priority ttl=20 {\n"
                            "    monitor none\n"
                            "    endpoint a4 192.0.2.1 priority=1\n"
                            "    endpoint a6 2001:db8::1 priority=2\n"
                            "}\n"
                            "@ MX 10 mail\n"
                            "mail A 192.0.2.25\n"
                            "mail AAAA 2001:db8::25\n"
                            "deep.ent A 192.0.2.3\n"
                            "*.wild TXT \"wild\"\n"
                            "exact.wild TXT \"exact\"\n"
                            "cname1 CNAME cname2\n"
                            "cname2 CNAME east\n"
                            "loop1 CNAME loop2\n"
                            "loop2 CNAME loop1\n"
                            "dangling CNAME nothing\n"
                            "away CNAME www.example.org.\n"
                            "*.wc CNAME east\n"
                            "sub NS ns.sub\n"
                            "sub NS ns.elsewhere.net.\n"
                            "sub DS 12345 8 2 "
                            "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE16B2C5C1E3A5F7E3E5D9F0B2\n"
                            "ns.sub A 192.0.2.53\n"
                            "dn DNAME target.example.net.\n"
                            "self DNAME example.com.\n"
                            "towww CNAME www\n"
                            "v6only profile priority {\n"
                            "    monitor none\n"
                            "    endpoint only6 2001:db8::6 priority=1\n"
                            "}\n"
                            "sorry profile priority ttl=10 fallback=sorry.example.net. {\n"
                            "    monitor none\n"
                            "    endpoint s east priority=1\n"
                            "}\n"
                            "big TXT \"" /* eight 100-byte strings: 800+ bytes of data */
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "012345678901234567890123456789\"\n";

static sb_gen_t *gen;
static sb_answer_config_t cfg = {.udp_max = 1232};

static int setup(void **state)
{
    (void)state;
    char *text = malloc(strlen(ZONE) + 8 * 140 + 1);
    strcpy(text, ZONE);
    for (int i = 1; i < 8; i++) {
        char line[160];
        snprintf(line, sizeof(line),
                 "big TXT \"%d12345678901234567890123456789012345678901234567890123456789012345"
                 "6789012345678901234567890123456789\"\n",
                 i);
        strcat(text, line);
    }
    gen = sb_test_load_ok(text);
    free(text);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_gen_free(gen);
    return 0;
}

typedef struct {
    uint16_t flags;   /* header flags word (RD etc.) */
    uint16_t qdcount; /* 0: default 1 */
    bool edns;
    uint16_t udp_size;
    uint8_t edns_version;
    bool do_bit;
    const uint8_t *options; /* EDNS options, as on the wire */
    uint16_t options_len;
} query_opts_t;

/* Build a query by hand so that every byte is under the test's control. */
static size_t build_query(uint8_t *buf, const char *qname, uint16_t qtype, uint16_t qclass,
                          const query_opts_t *o)
{
    memset(buf, 0, 12);
    sb_put16(buf, 0xbeef);
    sb_put16(buf + 2, o->flags);
    sb_put16(buf + 4, o->qdcount ? o->qdcount : 1);
    size_t n = 12;
    int len = sb_name_from_text(qname, buf + n);
    assert_true(len > 0);
    n += (size_t)len;
    sb_put16(buf + n, qtype);
    sb_put16(buf + n + 2, qclass);
    n += 4;
    if (o->edns) {
        sb_put16(buf + 10, 1);
        buf[n] = 0;
        sb_put16(buf + n + 1, SB_TYPE_OPT);
        sb_put16(buf + n + 3, o->udp_size);
        sb_put32(buf + n + 5, (uint32_t)o->edns_version << 16 | (o->do_bit ? 0x8000u : 0));
        sb_put16(buf + n + 9, o->options_len);
        if (o->options_len > 0)
            memcpy(buf + n + 11, o->options, o->options_len);
        n += 11u + o->options_len;
    }
    return n;
}

static uint8_t resp[65535];
static size_t resp_len;
static sb_answer_info_t info;

/* A client on 192.0.2.1 at a fixed time, over `tr`. */
static const sb_client_t *client_for(sb_transport_t tr)
{
    static sb_client_t c = {.addr_len = 4, .addr = {192, 0, 2, 1}, .now = 1700000000u};
    c.transport = tr;
    return &c;
}

static ldns_pkt *ask_raw(const uint8_t *q, size_t qlen, sb_transport_t tr)
{
    resp_len = sb_answer(gen, &cfg, client_for(tr), q, qlen, resp, sizeof(resp), &info);
    if (resp_len == 0)
        return NULL;
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, resp, resp_len), LDNS_STATUS_OK);
    return pkt;
}

static ldns_pkt *ask_opts(const char *qname, uint16_t qtype, const query_opts_t *o,
                          sb_transport_t tr)
{
    uint8_t q[512];
    size_t n = build_query(q, qname, qtype, SB_CLASS_IN, o);
    return ask_raw(q, n, tr);
}

static ldns_pkt *ask(const char *qname, uint16_t qtype)
{
    query_opts_t o = {.flags = SB_FLAG_RD};
    return ask_opts(qname, qtype, &o, SB_TRANSPORT_UDP);
}

/* The section rendered as presentation lines joined by '|'. */
static char *section(const ldns_rr_list *rrs)
{
    static char out[8192];
    out[0] = '\0';
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
        char *s = ldns_rr2str(ldns_rr_list_rr(rrs, i));
        s[strcspn(s, "\n")] = '\0';
        for (char *p = s; *p; p++)
            if (*p == '\t')
                *p = ' ';
        if (i > 0)
            strcat(out, "|");
        strncat(out, s, sizeof(out) - strlen(out) - 1);
        free(s);
    }
    return out;
}

static void expect_header(const ldns_pkt *p, ldns_pkt_rcode rcode, bool aa, size_t an, size_t ns,
                          size_t ar)
{
    assert_int_equal(ldns_pkt_id(p), 0xbeef);
    assert_true(ldns_pkt_qr(p));
    assert_int_equal(ldns_pkt_get_rcode(p), rcode);
    assert_int_equal(ldns_pkt_aa(p), aa);
    assert_false(ldns_pkt_ra(p));
    assert_false(ldns_pkt_ad(p));
    assert_int_equal(ldns_pkt_ancount(p), an);
    assert_int_equal(ldns_pkt_nscount(p), ns);
    assert_int_equal(ldns_pkt_arcount(p), ar);
}

static const char *SOA_NEG = "example.com. 60 IN SOA ns1.example.com. hostmaster.example.com. 1 "
                             "7200 900 1209600 60";

/* ---- NOERROR -------------------------------------------------------------- */

static void profile_cname_with_target_address(void **state)
{
    (void)state;
    ldns_pkt *p = ask("WwW.ExAmPlE.cOm.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 2, 0, 0);
    assert_true(ldns_pkt_rd(p));
    assert_int_equal(ldns_pkt_qdcount(p), 1);
    /* The question and the owner keep the query's case (0x20 resolvers).
     * Compression is case-insensitive, like NSD's and Knot's: the target's
     * suffix points at the question and so shows the query's case, which
     * DNS treats as the same name (RFC 4343). */
    assert_string_equal(section(ldns_pkt_question(p)), "WwW.ExAmPlE.cOm. IN A");
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "WwW.ExAmPlE.cOm. 30 IN CNAME east.ExAmPlE.cOm.|"
                        "east.ExAmPlE.cOm. 3600 IN A 127.0.0.10");
    ldns_pkt_free(p);
}

static sb_profile_t *find_profile(const char *name)
{
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++)
        if (strcmp(sb_gen_profile(gen, i)->owner_text, name) == 0)
            return sb_gen_profile(gen, i);
    fail_msg("no profile %s", name);
    return NULL;
}

static sb_profile_t *www_profile(void)
{
    return find_profile("www.example.com.");
}

/* Publish what the profile's method decides with these endpoints usable;
 * returns the status of its first family. */
static sb_route_status_t publish(sb_profile_t *profile, const bool *usable, const bool *eligible)
{
    sb_route_input_t in = {.usable = usable, .eligible = eligible, .preferred = SB_PICK_NONE};
    sb_route_decision_t *d = sb_route_decide(profile, &in);
    assert_non_null(d);
    sb_route_publish(profile, d);
    return d->family[SB_FAMILY_PRIMARY].status;
}

static void profile_follows_published_choice(void **state)
{
    (void)state;
    sb_profile_t *www = www_profile();
    bool usable[2] = {false, true};
    publish(www, usable, NULL);
    ldns_pkt *p = ask("www.example.com.", SB_TYPE_A);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "www.example.com. 30 IN CNAME west.example.com.|"
                        "west.example.com. 3600 IN A 127.0.0.11");
    ldns_pkt_free(p);
    /* Every endpoint down: the highest priority answers (fail open). */
    usable[1] = false;
    assert_int_equal(publish(www, usable, NULL), SB_ROUTE_FAIL_OPEN);
    p = ask("www.example.com.", SB_TYPE_A);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "www.example.com. 30 IN CNAME east.example.com.|"
                        "east.example.com. 3600 IN A 127.0.0.10");
    ldns_pkt_free(p);
    sb_route_publish(www, sb_route_decide(www, NULL));
}

/* A name profile with no endpoint chosen (no published choice should ever
 * say so, but the query path must not trust that): NODATA, not a crash;
 * cached no longer than the profile's answers (its ttl, 30). */
static void profile_with_no_choice_answers_nodata(void **state)
{
    (void)state;
    sb_profile_t *www = www_profile();
    bool drained[2] = {false, false}; /* nothing eligible: no endpoint at all */
    assert_int_equal(publish(www, NULL, drained), SB_ROUTE_NONE);
    ldns_pkt *p = ask("www.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 0, 1, 0);
    assert_string_equal(section(ldns_pkt_authority(p)),
                        "example.com. 30 IN SOA ns1.example.com. hostmaster.example.com. 1 "
                        "7200 900 1209600 60");
    ldns_pkt_free(p);
    sb_route_publish(www, sb_route_decide(www, NULL));
}

static void profile_cname_other_types(void **state)
{
    (void)state;
    /* AAAA: the CNAME, then NODATA for the target (RFC 6604: last name). */
    ldns_pkt *p = ask("www.example.com.", SB_TYPE_AAAA);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 1, 0);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "www.example.com. 30 IN CNAME east.example.com.");
    assert_string_equal(section(ldns_pkt_authority(p)), SOA_NEG);
    ldns_pkt_free(p);
    /* CNAME asked for: just the CNAME. */
    p = ask("www.example.com.", SB_TYPE_CNAME);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    ldns_pkt_free(p);
}

/* The profile endpoints an answer was given with come back in the info, for
 * the DNS worker to count (switchboard_answers_total); static data and
 * profiles that answer nothing of the type report none. */
static void expect_endpoints(const char *qname, uint16_t qtype, const char *want)
{
    ldns_pkt_free(ask(qname, qtype));
    char got[128] = "";
    for (uint8_t i = 0; i < info.endpoint_count; i++) {
        const sb_endpoint_t *ep = info.endpoints[i];
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s/%s", i ? " " : "",
                 ep->profile->owner_text, ep->name);
        if (ep->index == SB_PICK_NONE) /* a fallback target */
            assert_true(ep == ep->profile->fallback[0] || ep == ep->profile->fallback[1]);
        else
            assert_ptr_equal(ep, &ep->profile->endpoints[ep->index]);
    }
    assert_string_equal(got, want);
}

static void answers_report_their_endpoints(void **state)
{
    (void)state;
    expect_endpoints("www.example.com.", SB_TYPE_A, "www.example.com./east");
    expect_endpoints("www.example.com.", SB_TYPE_CNAME, "www.example.com./east");
    expect_endpoints("towww.example.com.", SB_TYPE_A, "www.example.com./east");
    expect_endpoints("example.com.", SB_TYPE_A, "example.com./a4");
    expect_endpoints("example.com.", SB_TYPE_AAAA, "example.com./a6");
    expect_endpoints("example.com.", SB_TYPE_ANY, "example.com./a4");
    expect_endpoints("example.com.", SB_TYPE_MX, "");
    expect_endpoints("v6only.example.com.", SB_TYPE_A, "");
    expect_endpoints("mail.example.com.", SB_TYPE_A, "");
    expect_endpoints("nothing.example.com.", SB_TYPE_A, "");
}

/* A profile's fallback target answers when nothing is usable, and the info
 * reports it too (switchboard_fallback_answers_total counts it). */
static void fallback_answers_report_the_fallback(void **state)
{
    (void)state;
    sb_profile_t *sorry = find_profile("sorry.example.com.");
    bool usable[1] = {false};
    assert_int_equal(publish(sorry, usable, NULL), SB_ROUTE_FALLBACK);
    ldns_pkt *p = ask("sorry.example.com.", SB_TYPE_CNAME);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "sorry.example.com. 10 IN CNAME sorry.example.net.");
    ldns_pkt_free(p);
    expect_endpoints("sorry.example.com.", SB_TYPE_A, "sorry.example.com./fallback");
    assert_int_equal(info.endpoints[0]->id, sorry->fallback[0]->id);
    assert_true(info.endpoints[0]->id >= sb_gen_endpoint_count(gen));
    usable[0] = true;
    publish(sorry, usable, NULL);
    expect_endpoints("sorry.example.com.", SB_TYPE_A, "sorry.example.com./s");
}

static void address_profile_and_static_data_at_apex(void **state)
{
    (void)state;
    ldns_pkt *p = ask("example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)), "example.com. 20 IN A 192.0.2.1");
    ldns_pkt_free(p);
    p = ask("example.com.", SB_TYPE_AAAA);
    assert_string_equal(section(ldns_pkt_answer(p)), "example.com. 20 IN AAAA 2001:db8::1");
    ldns_pkt_free(p);
    /* Other types come from the records that share the name; MX gets the
     * exchange's addresses in the additional section. */
    p = ask("example.com.", SB_TYPE_MX);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 2);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "example.com. 3600 IN MX 10 mail.example.com.");
    assert_string_equal(section(ldns_pkt_additional(p)),
                        "mail.example.com. 3600 IN A 192.0.2.25|"
                        "mail.example.com. 3600 IN AAAA 2001:db8::25");
    ldns_pkt_free(p);
}

static void cname_chains(void **state)
{
    (void)state;
    ldns_pkt *p = ask("cname1.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 3, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "cname1.example.com. 3600 IN CNAME cname2.example.com.|"
                        "cname2.example.com. 3600 IN CNAME east.example.com.|"
                        "east.example.com. 3600 IN A 127.0.0.10");
    ldns_pkt_free(p);
    /* A loop stops when a name repeats. */
    p = ask("loop1.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 2, 0, 0);
    ldns_pkt_free(p);
    /* A chain ending at a missing name is NXDOMAIN (RFC 6604). */
    p = ask("dangling.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NXDOMAIN, true, 1, 1, 0);
    assert_string_equal(section(ldns_pkt_authority(p)), SOA_NEG);
    ldns_pkt_free(p);
    /* Leaving the served zones: the CNAME only; the resolver follows it. */
    p = ask("away.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    ldns_pkt_free(p);
}

static void wildcards(void **state)
{
    (void)state;
    ldns_pkt *p = ask("Any.Wild.example.com.", SB_TYPE_TXT);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)), "Any.Wild.example.com. 3600 IN TXT \"wild\"");
    ldns_pkt_free(p);
    p = ask("exact.wild.example.com.", SB_TYPE_TXT);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "exact.wild.example.com. 3600 IN TXT \"exact\"");
    ldns_pkt_free(p);
    /* Below an existing name the wildcard does not apply (RFC 4592 §3.3.1). */
    p = ask("x.exact.wild.example.com.", SB_TYPE_TXT);
    expect_header(p, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
    ldns_pkt_free(p);
    /* Wildcard of another type: NODATA, not NXDOMAIN. */
    p = ask("any.wild.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 0, 1, 0);
    ldns_pkt_free(p);
    /* A wildcard CNAME is followed. */
    p = ask("foo.wc.example.com.", SB_TYPE_A);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "foo.wc.example.com. 3600 IN CNAME east.example.com.|"
                        "east.example.com. 3600 IN A 127.0.0.10");
    ldns_pkt_free(p);
}

static void any_is_one_rrset(void **state)
{
    (void)state;
    /* RFC 8482: one RRset, not all of them. */
    ldns_pkt *p = ask("mail.example.com.", SB_TYPE_ANY);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)), "mail.example.com. 3600 IN A 192.0.2.25");
    ldns_pkt_free(p);
}

/* ---- negative answers ------------------------------------------------------ */

static void nxdomain_and_nodata(void **state)
{
    (void)state;
    ldns_pkt *p = ask("nope.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NXDOMAIN, true, 0, 1, 0);
    assert_string_equal(section(ldns_pkt_authority(p)), SOA_NEG);
    ldns_pkt_free(p);
    p = ask("mail.example.com.", SB_TYPE_TXT);
    expect_header(p, LDNS_RCODE_NOERROR, true, 0, 1, 0);
    assert_string_equal(section(ldns_pkt_authority(p)), SOA_NEG);
    ldns_pkt_free(p);
    /* An empty non-terminal exists: NODATA. */
    p = ask("ent.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 0, 1, 0);
    ldns_pkt_free(p);
    /* An address profile asked for a family it lacks: NODATA. */
    p = ask("v6only.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 0, 1, 0);
    ldns_pkt_free(p);
}

static void refused(void **state)
{
    (void)state;
    ldns_pkt *p = ask("www.example.org.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_REFUSED, false, 0, 0, 0);
    assert_string_equal(section(ldns_pkt_question(p)), "www.example.org. IN A");
    ldns_pkt_free(p);
    p = ask("com.", SB_TYPE_NS);
    expect_header(p, LDNS_RCODE_REFUSED, false, 0, 0, 0);
    ldns_pkt_free(p);
    p = ask("example.com.", SB_TYPE_AXFR);
    expect_header(p, LDNS_RCODE_REFUSED, false, 0, 0, 0);
    ldns_pkt_free(p);
    uint8_t q[512];
    query_opts_t o = {0};
    size_t n = build_query(q, "example.com.", SB_TYPE_SOA, SB_CLASS_CH, &o);
    p = ask_raw(q, n, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_REFUSED, false, 0, 0, 0);
    ldns_pkt_free(p);
}

/* ---- delegation ------------------------------------------------------------ */

static void referral_with_glue(void **state)
{
    (void)state;
    ldns_pkt *p = ask("host.Sub.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, false, 0, 2, 1);
    assert_string_equal(section(ldns_pkt_authority(p)),
                        "Sub.example.com. 3600 IN NS ns.Sub.example.com.|"
                        "Sub.example.com. 3600 IN NS ns.elsewhere.net.");
    assert_string_equal(section(ldns_pkt_additional(p)),
                        "ns.Sub.example.com. 3600 IN A 192.0.2.53");
    ldns_pkt_free(p);
    /* DS lives on the parent side of the cut: answered, authoritatively. */
    p = ask("sub.example.com.", SB_TYPE_DS);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    ldns_pkt_free(p);
}

/* ---- malformed and unsupported -------------------------------------------- */

static void formerr_and_notimp(void **state)
{
    (void)state;
    uint8_t q[512];
    query_opts_t o = {.qdcount = 2};
    size_t n = build_query(q, "www.example.com.", SB_TYPE_A, SB_CLASS_IN, &o);
    ldns_pkt *p = ask_raw(q, n, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_FORMERR, false, 0, 0, 0);
    ldns_pkt_free(p);
    /* A question cut short: FORMERR without a question. */
    o.qdcount = 1;
    n = build_query(q, "www.example.com.", SB_TYPE_A, SB_CLASS_IN, &o);
    p = ask_raw(q, n - 3, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_FORMERR, false, 0, 0, 0);
    assert_int_equal(ldns_pkt_qdcount(p), 0);
    ldns_pkt_free(p);
    /* A compression pointer in the question name. */
    static const uint8_t ptr[] = {0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    p = ask_raw(ptr, sizeof(ptr), SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_FORMERR, false, 0, 0, 0);
    ldns_pkt_free(p);
    /* Opcode STATUS: NOTIMP with the question echoed. */
    o.flags = 2 << SB_OPCODE_SHIFT;
    n = build_query(q, "www.example.com.", SB_TYPE_A, SB_CLASS_IN, &o);
    p = ask_raw(q, n, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_NOTIMPL, false, 0, 0, 0);
    assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_STATUS);
    assert_int_equal(ldns_pkt_qdcount(p), 1);
    ldns_pkt_free(p);
}

static void dropped(void **state)
{
    (void)state;
    uint8_t q[512];
    query_opts_t o = {.flags = SB_FLAG_QR};
    size_t n = build_query(q, "www.example.com.", SB_TYPE_A, SB_CLASS_IN, &o);
    assert_null(ask_raw(q, n, SB_TRANSPORT_UDP));
    assert_true(info.dropped);
    assert_null(ask_raw(q, 11, SB_TRANSPORT_UDP));
}

/* ---- EDNS and truncation -------------------------------------------------- */

static void edns_echo_and_badvers(void **state)
{
    (void)state;
    query_opts_t o = {.edns = true, .udp_size = 4096, .do_bit = true, .flags = SB_FLAG_CD};
    ldns_pkt *p = ask_opts("www.example.com.", SB_TYPE_A, &o, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_NOERROR, true, 2, 0, 0);
    assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
    assert_true(ldns_pkt_edns_do(p));
    assert_int_equal(ldns_pkt_edns_version(p), 0);
    assert_true(ldns_pkt_cd(p));
    assert_false(ldns_pkt_rd(p));
    ldns_pkt_free(p);
    o.edns_version = 1;
    p = ask_opts("www.example.com.", SB_TYPE_A, &o, SB_TRANSPORT_UDP);
    assert_int_equal(info.rcode, SB_RCODE_BADVERS);
    assert_int_equal(ldns_pkt_edns_extended_rcode(p), 1);
    assert_int_equal(ldns_pkt_get_rcode(p), 0);
    assert_int_equal(ldns_pkt_edns_version(p), 0);
    assert_int_equal(ldns_pkt_ancount(p), 0);
    ldns_pkt_free(p);
}

static void truncation(void **state)
{
    (void)state;
    /* Without EDNS the limit is 512: question only, TC set. */
    ldns_pkt *p = ask("big.example.com.", SB_TYPE_TXT);
    expect_header(p, LDNS_RCODE_NOERROR, true, 0, 0, 0);
    assert_true(ldns_pkt_tc(p));
    assert_true(resp_len <= 512);
    ldns_pkt_free(p);
    /* With EDNS 1232 it fits. */
    query_opts_t o = {.edns = true, .udp_size = 1232};
    p = ask_opts("big.example.com.", SB_TYPE_TXT, &o, SB_TRANSPORT_UDP);
    assert_false(ldns_pkt_tc(p));
    assert_int_equal(ldns_pkt_ancount(p), 8);
    ldns_pkt_free(p);
    /* A client size below 512 counts as 512; truncated, OPT kept. */
    o.udp_size = 100;
    p = ask_opts("big.example.com.", SB_TYPE_TXT, &o, SB_TRANSPORT_UDP);
    assert_true(ldns_pkt_tc(p));
    assert_int_equal(ldns_pkt_ancount(p), 0);
    assert_true(ldns_pkt_edns(p)); /* ldns lifts the OPT out of the counts */
    assert_int_equal(sb_get16(resp + SB_HDR_ARCOUNT), 1);
    ldns_pkt_free(p);
    /* Over TCP there is no truncation. */
    o.edns = false;
    p = ask_opts("big.example.com.", SB_TYPE_TXT, &o, SB_TRANSPORT_TCP);
    assert_false(ldns_pkt_tc(p));
    assert_int_equal(ldns_pkt_ancount(p), 8);
    assert_true(resp_len > 512);
    ldns_pkt_free(p);
}

static void compression_is_used(void **state)
{
    (void)state;
    /* The CNAME answer points at the question and at the CNAME's target:
     * header 12 + question 21 + CNAME (2+10+7) + A (2+10+4) = 68 bytes. */
    ldns_pkt *p = ask("www.example.com.", SB_TYPE_A);
    assert_int_equal(resp_len, 68);
    ldns_pkt_free(p);
}

/* A second generation for the cases that need their own zones. */
static ldns_pkt *ask_in(const sb_gen_t *g, const char *qname, uint16_t qtype, sb_transport_t tr)
{
    uint8_t q[512];
    query_opts_t o = {0};
    size_t n = build_query(q, qname, qtype, SB_CLASS_IN, &o);
    resp_len = sb_answer(g, &cfg, client_for(tr), q, n, resp, sizeof(resp), &info);
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, resp, resp_len), LDNS_STATUS_OK);
    return pkt;
}

static void ds_at_a_served_child_comes_from_the_parent(void **state)
{
    (void)state;
    const char *files[4] = {
        "example.com.zone",
        SB_TEST_HEADER "child NS ns1.child\nns1.child A 192.0.2.53\n"
                       "child DS 12345 8 2 "
                       "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE16B2C5C1E3A5F7E3E5D9F0B2\n",
        "child.example.com.zone",
        "$TTL 60\n@ SOA ns1 h 7 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n",
    };
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *g;
    assert_int_equal(sb_zonedir_load_texts(&g, files, 2, diag), 0);
    ldns_pkt *p = ask_in(g, "child.example.com.", SB_TYPE_DS, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), LDNS_RR_TYPE_DS);
    ldns_pkt_free(p);
    /* Every other type at the child's apex is the child's. */
    p = ask_in(g, "child.example.com.", SB_TYPE_SOA, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "child.example.com. 60 IN SOA ns1.child.example.com. h.child.example.com. "
                        "7 2 3 4 5");
    ldns_pkt_free(p);
    sb_gen_free(g);
    sb_diag_free(diag);
}

static void all_glue_or_tc(void **state)
{
    (void)state;
    /* 40 name servers inside a delegation: every glue address is sent
     * (RFC 9471), past any cap on additional names. */
    char zone[8192];
    size_t n = (size_t)snprintf(zone, sizeof(zone), "%s", SB_TEST_HEADER);
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(zone + n, sizeof(zone) - n,
                              "big NS ns%d.big\nns%d.big A 192.0.2.%d\n", i, i, i + 1);
    const char *files[2] = {"example.com.zone", zone};
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *g;
    assert_int_equal(sb_zonedir_load_texts(&g, files, 1, diag), 0);
    ldns_pkt *p = ask_in(g, "x.big.example.com.", SB_TYPE_A, SB_TRANSPORT_TCP);
    expect_header(p, LDNS_RCODE_NOERROR, false, 0, 40, 40);
    assert_false(ldns_pkt_tc(p));
    ldns_pkt_free(p);
    /* Over UDP at 512 bytes it cannot fit: TC, so the resolver uses TCP. */
    p = ask_in(g, "x.big.example.com.", SB_TYPE_A, SB_TRANSPORT_UDP);
    assert_true(ldns_pkt_tc(p));
    ldns_pkt_free(p);
    sb_gen_free(g);
    sb_diag_free(diag);
}

static void additional_data_is_authoritative_only(void **state)
{
    (void)state;
    /* An MX pointing below a delegation gets no glue in an AA answer. */
    const char *files[2] = {"example.com.zone",
                            SB_TEST_HEADER "@ MX 10 mx.sub\nsub NS ns.sub\nns.sub A 192.0.2.53\n"
                                           "mx.sub A 192.0.2.25\n"};
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *g;
    assert_int_equal(sb_zonedir_load_texts(&g, files, 1, diag), 0);
    ldns_pkt *p = ask_in(g, "example.com.", SB_TYPE_MX, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    ldns_pkt_free(p);
    sb_gen_free(g);
    sb_diag_free(diag);
}

static void any_at_an_ipv6_only_profile(void **state)
{
    (void)state;
    ldns_pkt *p = ask("v6only.example.com.", SB_TYPE_ANY);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)), "v6only.example.com. 30 IN AAAA 2001:db8::6");
    ldns_pkt_free(p);
}

/* ---- EDNS options (RFC 5001, 7871, 7873) ---------------------------------- */

/* The option `code` in the response's OPT, or NULL; its length in *len. */
static const uint8_t *response_option(const ldns_pkt *p, uint16_t code, size_t *len)
{
    const ldns_rdf *data = ldns_pkt_edns_data(p);
    if (data == NULL)
        return NULL;
    const uint8_t *d = ldns_rdf_data(data);
    size_t total = ldns_rdf_size(data), at = 0;
    while (at + 4 <= total) {
        size_t olen = sb_get16(d + at + 2);
        if (sb_get16(d + at) == code) {
            *len = olen;
            return d + at + 4;
        }
        at += 4 + olen;
    }
    return NULL;
}

static ldns_pkt *ask_with_options(const uint8_t *options, uint16_t len)
{
    query_opts_t o = {.edns = true, .udp_size = 1232, .options = options, .options_len = len};
    return ask_opts("www.example.com.", SB_TYPE_A, &o, SB_TRANSPORT_UDP);
}

static void nsid_when_asked_and_configured(void **state)
{
    (void)state;
    static const uint8_t nsid[] = {0, 3, 0, 0};
    size_t len;
    ldns_pkt *p = ask_with_options(nsid, sizeof(nsid));
    assert_null(response_option(p, SB_EDNS_OPT_NSID, &len)); /* none configured */
    ldns_pkt_free(p);
    cfg.nsid = (const uint8_t *)"ns-a";
    cfg.nsid_len = 4;
    p = ask_with_options(nsid, sizeof(nsid));
    const uint8_t *got = response_option(p, SB_EDNS_OPT_NSID, &len);
    assert_non_null(got);
    assert_int_equal(len, 4);
    assert_memory_equal(got, "ns-a", 4);
    ldns_pkt_free(p);
    p = ask_with_options(NULL, 0); /* not asked: not sent */
    assert_null(response_option(p, SB_EDNS_OPT_NSID, &len));
    ldns_pkt_free(p);
    cfg.nsid = NULL;
    cfg.nsid_len = 0;
}

static void client_subnet_echoed_with_scope_zero(void **state)
{
    (void)state;
    static const uint8_t ecs[] = {0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100};
    ldns_pkt *p = ask_with_options(ecs, sizeof(ecs));
    expect_header(p, LDNS_RCODE_NOERROR, true, 2, 0, 0);
    size_t len;
    const uint8_t *got = response_option(p, SB_EDNS_OPT_ECS, &len);
    assert_non_null(got);
    assert_int_equal(len, 7);
    assert_memory_equal(got, ecs + 4, 7);
    ldns_pkt_free(p);
    /* Malformed: FORMERR, with an OPT but without options. */
    static const uint8_t bad[][12] = {
        {0, 8, 0, 7, 0, 1, 24, 8, 198, 51, 100}, /* scope set in a query */
        {0, 8, 0, 7, 0, 1, 20, 0, 198, 51, 100}, /* bits beyond the prefix */
        {0, 8, 0, 6, 0, 1, 24, 0, 198, 51},      /* address too short */
        {0, 8, 0, 7, 0, 3, 24, 0, 198, 51, 100}, /* unknown family */
        {0, 8, 0, 7, 0, 1, 33, 0, 198, 51, 100}, /* prefix too long */
        {0, 8, 0, 3, 0, 1, 0},                   /* shorter than its header */
    };
    static const uint16_t bad_len[] = {11, 11, 10, 11, 11, 7};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = ask_with_options(bad[i], bad_len[i]);
        assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_FORMERR);
        assert_true(ldns_pkt_edns(p));
        assert_null(ldns_pkt_edns_data(p));
        ldns_pkt_free(p);
    }
    /* Two of them: FORMERR. */
    uint8_t two[22];
    memcpy(two, ecs, 11);
    memcpy(two + 11, ecs, 11);
    p = ask_with_options(two, sizeof(two));
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_FORMERR);
    ldns_pkt_free(p);
}

static void cookies(void **state)
{
    (void)state;
    assert_int_equal(sb_cookie_key_parse(&cfg.cookie_key, "000102030405060708090a0b0c0d0e0f"), 0);
    const sb_client_t *c = client_for(SB_TRANSPORT_UDP);
    uint8_t opt[4 + 40] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    ldns_pkt *p = ask_with_options(opt, 12);
    expect_header(p, LDNS_RCODE_NOERROR, true, 2, 0, 0);
    size_t len;
    const uint8_t *got = response_option(p, SB_EDNS_OPT_COOKIE, &len);
    assert_non_null(got);
    assert_int_equal(len, 24);
    assert_memory_equal(got, opt + 4, 8); /* the client cookie, echoed */
    uint8_t expected[16];
    sb_cookie_make(&cfg.cookie_key, opt + 4, c->addr, c->addr_len, c->now, expected);
    assert_memory_equal(got + 8, expected, 16);
    ldns_pkt_free(p);
    /* The server cookie sent back is fresh: echoed unchanged. */
    memcpy(opt + 12, expected, 16);
    opt[3] = 24;
    p = ask_with_options(opt, 28);
    got = response_option(p, SB_EDNS_OPT_COOKIE, &len);
    assert_memory_equal(got + 8, expected, 16);
    ldns_pkt_free(p);
    /* A bad one is treated as none: a fresh cookie, a normal answer. */
    opt[12 + 15] ^= 1;
    p = ask_with_options(opt, 28);
    expect_header(p, LDNS_RCODE_NOERROR, true, 2, 0, 0);
    got = response_option(p, SB_EDNS_OPT_COOKIE, &len);
    assert_memory_equal(got + 8, expected, 16);
    ldns_pkt_free(p);
    /* Lengths other than 8 and 16-40 are FORMERR. */
    static const uint8_t bad_len[] = {0, 7, 9, 15, 41};
    for (size_t i = 0; i < sizeof(bad_len); i++) {
        opt[3] = bad_len[i];
        p = ask_with_options(opt, (uint16_t)(4 + (bad_len[i] < 40 ? bad_len[i] : 40)));
        if (bad_len[i] > 40) {
            ldns_pkt_free(p);
            continue; /* cannot fit our buffer; covered by the parser's tests */
        }
        assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_FORMERR);
        assert_true(ldns_pkt_edns(p));
        assert_null(ldns_pkt_edns_data(p));
        ldns_pkt_free(p);
    }
}

static void options_absent_on_badvers(void **state)
{
    (void)state;
    cfg.nsid = (const uint8_t *)"ns-a";
    cfg.nsid_len = 4;
    static const uint8_t opts[] = {0, 3, 0, 0, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    query_opts_t o = {.edns = true, .edns_version = 1, .options = opts, .options_len = 16};
    ldns_pkt *p = ask_opts("www.example.com.", SB_TYPE_A, &o, SB_TRANSPORT_UDP);
    assert_int_equal(info.rcode, SB_RCODE_BADVERS);
    assert_null(ldns_pkt_edns_data(p));
    ldns_pkt_free(p);
    cfg.nsid = NULL;
    cfg.nsid_len = 0;
}

/* ---- CHAOS ------------------------------------------------------------------ */

static ldns_pkt *ask_chaos(const char *name, uint16_t qtype)
{
    uint8_t q[512];
    query_opts_t o = {0};
    size_t n = build_query(q, name, qtype, SB_CLASS_CH, &o);
    return ask_raw(q, n, SB_TRANSPORT_UDP);
}

static void chaos_strings(void **state)
{
    (void)state;
    ldns_pkt *p = ask_chaos("version.bind.", SB_TYPE_TXT);
    expect_header(p, LDNS_RCODE_REFUSED, false, 0, 0, 0); /* not configured */
    ldns_pkt_free(p);
    cfg.version_string = "Switchboard 1";
    cfg.identity = "ns1.example";
    p = ask_chaos("VERSION.bind.", SB_TYPE_TXT);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)), "VERSION.bind. 0 CH TXT \"Switchboard 1\"");
    ldns_pkt_free(p);
    p = ask_chaos("id.server.", SB_TYPE_ANY);
    assert_string_equal(section(ldns_pkt_answer(p)), "id.server. 0 CH TXT \"ns1.example\"");
    ldns_pkt_free(p);
    p = ask_chaos("hostname.bind.", SB_TYPE_A); /* only TXT */
    expect_header(p, LDNS_RCODE_REFUSED, false, 0, 0, 0);
    ldns_pkt_free(p);
    p = ask_chaos("authors.bind.", SB_TYPE_TXT);
    expect_header(p, LDNS_RCODE_REFUSED, false, 0, 0, 0);
    ldns_pkt_free(p);
    cfg.version_string = cfg.identity = NULL;
}

/* ---- DNAME (RFC 6672) ------------------------------------------------------- */

static void dname_synthesis(void **state)
{
    (void)state;
    ldns_pkt *p = ask("www.Dn.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 2, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "Dn.example.com. 3600 IN DNAME target.example.net.|"
                        "www.Dn.example.com. 3600 IN CNAME www.target.example.net.");
    ldns_pkt_free(p);
    /* The owner itself answers from its data. */
    p = ask("dn.example.com.", SB_TYPE_DNAME);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 0);
    ldns_pkt_free(p);
    p = ask("dn.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 0, 1, 0);
    ldns_pkt_free(p);
    /* Into the zone itself: followed, and the target's records answer. */
    p = ask("mail.self.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 3, 0, 0);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "self.example.com. 3600 IN DNAME example.com.|"
                        "mail.self.example.com. 3600 IN CNAME mail.example.com.|"
                        "mail.example.com. 3600 IN A 192.0.2.25");
    ldns_pkt_free(p);
    /* Redirected twice by the same DNAME, which is written once; then
     * NODATA at self.example.com. */
    p = ask("self.self.self.example.com.", SB_TYPE_A);
    expect_header(p, LDNS_RCODE_NOERROR, true, 3, 1, 0);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "self.example.com. 3600 IN DNAME example.com.|"
                        "self.self.self.example.com. 3600 IN CNAME self.self.example.com.|"
                        "self.self.example.com. 3600 IN CNAME self.example.com.");
    ldns_pkt_free(p);
    /* Too long once rewritten: YXDOMAIN with the DNAME. */
    char longname[300] = "";
    for (int i = 0; i < 3; i++)
        strcat(longname, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
    strcat(longname, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq.dn.example.com.");
    p = ask(longname, SB_TYPE_A);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_YXDOMAIN);
    assert_true(ldns_pkt_aa(p));
    assert_int_equal(ldns_pkt_ancount(p), 1);
    ldns_pkt_free(p);
}

/* ---- kinds of response, for rate limiting ------------------------------- */

static void expect_kind(const char *qname, uint16_t qtype, sb_response_kind_t kind,
                        const char *name)
{
    ldns_pkt *p = ask(qname, qtype);
    ldns_pkt_free(p);
    assert_int_equal(info.kind, kind);
    if (name == NULL) {
        assert_null(info.kind_name);
        return;
    }
    assert_non_null(info.kind_name);
    char text[SB_NAME_TEXT_MAX];
    sb_name_to_text(info.kind_name, text, sizeof(text));
    assert_string_equal(text, name);
}

static void response_kinds(void **state)
{
    (void)state;
    expect_kind("mail.example.com.", SB_TYPE_A, SB_RESPONSE_ANSWER, "mail.example.com.");
    expect_kind("CName1.example.com.", SB_TYPE_A, SB_RESPONSE_ANSWER, "CName1.example.com.");
    expect_kind("x.wild.example.com.", SB_TYPE_TXT, SB_RESPONSE_WILDCARD, "*.wild.example.com.");
    expect_kind("y.wild.example.com.", SB_TYPE_A, SB_RESPONSE_NODATA, "example.com.");
    expect_kind("mail.example.com.", SB_TYPE_TXT, SB_RESPONSE_NODATA, "example.com.");
    expect_kind("nothing.example.com.", SB_TYPE_A, SB_RESPONSE_NXDOMAIN, "example.com.");
    /* A chain is judged by where it ends (RFC 6604). */
    expect_kind("dangling.example.com.", SB_TYPE_A, SB_RESPONSE_NXDOMAIN, "example.com.");
    expect_kind("x.sub.example.com.", SB_TYPE_A, SB_RESPONSE_REFERRAL, "sub.example.com.");
    /* Below a DNAME any name answers: one key for them all. */
    expect_kind("Random.dn.example.com.", SB_TYPE_A, SB_RESPONSE_DNAME, "dn.example.com.");
    expect_kind("mail.self.example.com.", SB_TYPE_A, SB_RESPONSE_DNAME, "self.example.com.");
    /* Where it ends decides first: nothing there is NXDOMAIN, per zone. */
    expect_kind("a.b.self.example.com.", SB_TYPE_TXT, SB_RESPONSE_NXDOMAIN, "example.com.");
    expect_kind("www.example.org.", SB_TYPE_A, SB_RESPONSE_ERROR, NULL);
}

/* A slip: the response cut to header, question and OPT, with TC. */
static void slip_keeps_question_and_opt(void **state)
{
    (void)state;
    query_opts_t o = {.flags = SB_FLAG_RD, .edns = true, .udp_size = 1232};
    ldns_pkt *p = ask_opts("example.com.", SB_TYPE_MX, &o, SB_TRANSPORT_UDP);
    expect_header(p, LDNS_RCODE_NOERROR, true, 1, 0, 2); /* ldns does not count the OPT */
    ldns_pkt_free(p);
    size_t len = sb_answer_slip(resp, resp_len, &info);
    assert_int_equal(len, 12 + 17 + 11); /* header, example.com. MX IN, OPT */
    assert_true(info.truncated);
    assert_int_equal(ldns_wire2pkt(&p, resp, len), LDNS_STATUS_OK);
    expect_header(p, LDNS_RCODE_NOERROR, true, 0, 0, 0);
    assert_true(ldns_pkt_tc(p));
    assert_true(ldns_pkt_rd(p));
    assert_int_equal(ldns_pkt_qdcount(p), 1);
    assert_int_equal(ldns_pkt_edns_udp_size(p), 1232); /* the OPT, kept */
    ldns_pkt_free(p);
    /* Without EDNS: the header and the question. */
    p = ask("nothing.example.com.", SB_TYPE_A);
    ldns_pkt_free(p);
    assert_int_equal(sb_answer_slip(resp, resp_len, &info), 12 + 25);
    assert_int_equal(sb_get16(resp + SB_HDR_FLAGS) & SB_RCODE_MASK, SB_RCODE_NXDOMAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(profile_cname_with_target_address),
        cmocka_unit_test(profile_follows_published_choice),
        cmocka_unit_test(profile_with_no_choice_answers_nodata),
        cmocka_unit_test(profile_cname_other_types),
        cmocka_unit_test(answers_report_their_endpoints),
        cmocka_unit_test(fallback_answers_report_the_fallback),
        cmocka_unit_test(address_profile_and_static_data_at_apex),
        cmocka_unit_test(cname_chains),
        cmocka_unit_test(wildcards),
        cmocka_unit_test(any_is_one_rrset),
        cmocka_unit_test(nxdomain_and_nodata),
        cmocka_unit_test(refused),
        cmocka_unit_test(referral_with_glue),
        cmocka_unit_test(formerr_and_notimp),
        cmocka_unit_test(dropped),
        cmocka_unit_test(edns_echo_and_badvers),
        cmocka_unit_test(truncation),
        cmocka_unit_test(compression_is_used),
        cmocka_unit_test(ds_at_a_served_child_comes_from_the_parent),
        cmocka_unit_test(all_glue_or_tc),
        cmocka_unit_test(additional_data_is_authoritative_only),
        cmocka_unit_test(any_at_an_ipv6_only_profile),
        cmocka_unit_test(nsid_when_asked_and_configured),
        cmocka_unit_test(client_subnet_echoed_with_scope_zero),
        cmocka_unit_test(cookies),
        cmocka_unit_test(options_absent_on_badvers),
        cmocka_unit_test(chaos_strings),
        cmocka_unit_test(dname_synthesis),
        cmocka_unit_test(response_kinds),
        cmocka_unit_test(slip_keeps_question_and_opt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
