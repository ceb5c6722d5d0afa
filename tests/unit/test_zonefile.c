/* Zone files: valid syntax in all its forms, and every error with its exact
 * text and position. */
#include "sb_test.h"

#include "sb_dns.h"
#include "sb_monitor.h"
#include "sb_zone.h"

#include <stdlib.h>
#include <unistd.h>

#define H SB_TEST_HEADER /* lines 1-7; a test's first line is line 8 */

static const sb_zone_t *only_zone(const sb_gen_t *gen)
{
    assert_int_equal(sb_gen_zone_count(gen), 1);
    return sb_gen_zone(gen, 0);
}

static const sb_node_t *node(const sb_zone_t *z, const char *text)
{
    uint8_t wire[SB_NAME_MAX];
    int n = sb_name_from_text(text, wire);
    assert_true(n > 0);
    return sb_zone_find(z, wire, (size_t)n);
}

static const sb_rrset_t *rrset(const sb_zone_t *z, const char *name, uint16_t type)
{
    const sb_node_t *n = node(z, name);
    assert_non_null(n);
    return sb_zone_node_rrset(n, type);
}

/* ---- valid files --------------------------------------------------------- */

static void shipped_style_profile(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(H "www profile priority ttl=30 {\n"
                                      "    monitor http port=8001 path=/health interval=2s "
                                      "timeout=1s\n"
                                      "            fall=3 rise=2 expect=200-299,301\n"
                                      "    endpoint west west.example.com. priority=2\n"
                                      "    endpoint east east priority=1\n"
                                      "}\n");
    assert_int_equal(sb_gen_profile_count(gen), 1);
    const sb_profile_t *p = sb_gen_profile(gen, 0);
    assert_string_equal(p->owner_text, "www.example.com.");
    assert_int_equal(p->ttl, 30);
    assert_false(p->addresses);
    assert_int_equal(p->count, 2);
    /* Sorted by priority, whatever the order written. */
    assert_string_equal(p->endpoints[0].name, "east");
    assert_string_equal(p->endpoints[0].target_text, "east.example.com.");
    assert_int_equal(p->endpoints[0].priority, 1);
    assert_int_equal(p->endpoints[0].index, 0);
    assert_string_equal(p->endpoints[1].name, "west");
    const sb_monitor_t *m = p->endpoints[0].monitor;
    assert_int_equal(m->proto, SB_MONITOR_HTTP);
    assert_int_equal(sb_monitor_port(m), 8001);
    assert_string_equal(m->path, "/health");
    assert_int_equal(m->interval_ms, 2000);
    assert_int_equal(m->timeout_ms, 1000);
    assert_int_equal(m->fall, 3);
    assert_int_equal(m->rise, 2);
    assert_int_equal(m->expect_count, 2);
    assert_int_equal(m->expect[1].lo, 301);
    /* In-zone targets carry their addresses for probing. */
    assert_int_equal(p->endpoints[0].zone_addr_count, 1);
    assert_int_equal(p->endpoints[0].zone_addrs[0].family, 4);
    assert_memory_equal(p->endpoints[0].zone_addrs[0].bytes, "\x7f\x00\x00\x0a", 4);
    sb_gen_free(gen);
}

static void monitor_defaults_and_overrides(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(H "www profile priority {\n"
                                      "  monitor http\n"
                                      "  endpoint east east priority=1\n"
                                      "  endpoint west west priority=2 port=8443 interval=2s\n"
                                      "      host=health.example.net path=\"/a\\098c\"\n"
                                      "}\n");
    const sb_profile_t *p = sb_gen_profile(gen, 0);
    assert_int_equal(p->ttl, 30); /* the default profile TTL */
    const sb_monitor_t *m = p->endpoints[0].monitor;
    assert_int_equal(sb_monitor_port(m), 80);
    assert_string_equal(m->path, "/");
    assert_null(m->host);
    assert_int_equal(m->interval_ms, 10000);
    assert_int_equal(m->timeout_ms, 5000);
    assert_int_equal(m->fall, 3);
    assert_int_equal(m->rise, 2);
    assert_int_equal(m->expect[0].lo, 200);
    assert_int_equal(m->expect[0].hi, 299);
    m = p->endpoints[1].monitor;
    assert_int_equal(sb_monitor_port(m), 8443);
    assert_int_equal(m->interval_ms, 2000);
    assert_int_equal(m->timeout_ms, 1000); /* half the overridden interval */
    assert_string_equal(m->host, "health.example.net");
    assert_string_equal(m->path, "/abc"); /* quoted, with a \DDD escape */
    sb_gen_free(gen);
}

/* monitor=PROTOCOL on an endpoint: none is always up; another protocol
 * starts from its own defaults, not the profile's settings. */
static void endpoint_protocols(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(H "www profile priority {\n"
                                      "  monitor http path=/health interval=2s\n"
                                      "  endpoint east east priority=1\n"
                                      "  endpoint west west priority=2 monitor=none\n"
                                      "  endpoint smtp east priority=3 monitor=tcp port=25\n"
                                      "  endpoint same west priority=4 monitor=http port=81\n"
                                      "}\n");
    const sb_profile_t *p = sb_gen_profile(gen, 0);
    assert_int_equal(p->endpoints[0].monitor->proto, SB_MONITOR_HTTP);
    assert_int_equal(p->endpoints[1].monitor->proto, SB_MONITOR_NONE);
    const sb_monitor_t *m = p->endpoints[2].monitor;
    assert_int_equal(m->proto, SB_MONITOR_TCP);
    assert_int_equal(sb_monitor_port(m), 25);
    assert_int_equal(m->interval_ms, 10000);
    m = p->endpoints[3].monitor; /* the profile's protocol: its settings hold */
    assert_string_equal(m->path, "/health");
    assert_int_equal(m->interval_ms, 2000);
    assert_int_equal(sb_monitor_port(m), 81);
    sb_gen_free(gen);
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east priority=1 monitor=gopher\n"
                            "  endpoint west west priority=2 monitor=none port=80\n}\n",
                          2,
                          "example.com.zone:10:41: unknown monitor protocol 'gopher' (supported: "
                          "http, https, tcp, none)",
                          "example.com.zone:11:46: endpoint 'west': 'port' does not apply to a "
                          "none monitor");
}

static void address_endpoints(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(H "@ profile priority ttl=1m {\n"
                                      "  monitor tcp port=443\n"
                                      "  endpoint a 192.0.2.1 priority=1\n"
                                      "  endpoint b 2001:db8::1 priority=2\n"
                                      "}\n");
    const sb_profile_t *p = sb_gen_profile(gen, 0);
    assert_true(p->addresses);
    assert_int_equal(p->ttl, 60);
    assert_int_equal(p->endpoints[0].kind, SB_TARGET_V4);
    assert_int_equal(p->endpoints[1].kind, SB_TARGET_V6);
    assert_string_equal(p->endpoints[1].target_text, "2001:db8::1");
    assert_int_equal(p->endpoints[0].monitor->timeout_ms, 5000);
    sb_gen_free(gen);
}

static void master_file_syntax(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok("$TTL 1h\n"
                                    "@ IN SOA ns1.example.com. hostmaster (\n"
                                    "        2026112101 ; serial\n"
                                    "        7200 900 1209600 60 )\n"
                                    "  NS ns1 ; blank owner: the apex again\n"
                                    "ns1 300 IN A 192.0.2.53\n"
                                    "txt IN 300 TXT \"hello world\" \"two\"\n"
                                    "$ORIGIN sub.example.com.\n"
                                    "x A 192.0.2.1\n"
                                    "unk TYPE666 \\# 2 abcd\n"
                                    "Mixed.CASE AAAA 2001:db8::53\n"
                                    "$ORIGIN example.com.\n"
                                    "* MX 10 mail\n"
                                    "esc\\.dot A 192.0.2.2\n");
    const sb_zone_t *z = only_zone(gen);
    const sb_rrset_t *soa = rrset(z, "example.com.", SB_TYPE_SOA);
    assert_non_null(soa);
    assert_int_equal(soa->ttl, 3600);
    assert_int_equal(sb_get32(soa->rdata[0].data + soa->rdata[0].len - 20), 2026112101);
    assert_int_equal(soa->rdata[0].name_count, 2);
    assert_non_null(rrset(z, "example.com.", SB_TYPE_NS));
    assert_int_equal(rrset(z, "ns1.example.com.", SB_TYPE_A)->ttl, 300);
    const sb_rrset_t *txt = rrset(z, "txt.example.com.", SB_TYPE_TXT);
    assert_int_equal(txt->count, 1);
    assert_int_equal(txt->rdata[0].len, 1 + 11 + 1 + 3);
    assert_int_equal(txt->ttl, 300);
    assert_non_null(rrset(z, "x.sub.example.com.", SB_TYPE_A));
    assert_int_equal(rrset(z, "unk.sub.example.com.", 666)->rdata[0].len, 2);
    assert_non_null(rrset(z, "mixed.case.sub.example.com.", SB_TYPE_AAAA));
    assert_non_null(rrset(z, "*.example.com.", SB_TYPE_MX));
    assert_non_null(rrset(z, "esc\\.dot.example.com.", SB_TYPE_A));
    /* Empty non-terminals exist (sub and case.sub). */
    const sb_node_t *ent = node(z, "sub.example.com.");
    assert_non_null(ent);
    assert_null(ent->rrsets);
    sb_gen_free(gen);
}

static void rfc1035_last_ttl_without_dollar_ttl(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok("@ 600 SOA ns1 hostmaster 1 2 3 4 5\n"
                                    "@ NS ns1\n"
                                    "ns1 A 192.0.2.53\n");
    assert_int_equal(rrset(only_zone(gen), "ns1.example.com.", SB_TYPE_A)->ttl, 600);
    sb_gen_free(gen);
}

static void duplicate_records_are_merged(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(H "x A 192.0.2.1\nx A 192.0.2.1\nx A 192.0.2.2\n");
    assert_int_equal(rrset(only_zone(gen), "x.example.com.", SB_TYPE_A)->count, 2);
    sb_gen_free(gen);
}

static void include_directive(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-test-include-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/example.com.zone", dir);
    FILE *f = fopen(path, "w");
    fputs(H "$INCLUDE part.inc sub.example.com.\nafter A 192.0.2.9\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/part.inc", dir);
    f = fopen(path, "w");
    fputs("inner A 192.0.2.8\nbad AAA 1\n", f);
    fclose(f);
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen = NULL;
    assert_int_equal(sb_zonedir_load(&gen, dir, NULL, diag), SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 1);
    char expect[512];
    snprintf(expect, sizeof(expect), "%s/part.inc:2:5: unknown record type 'AAA'", dir);
    assert_string_equal(sb_diag_message(diag, 0), expect);
    sb_diag_free(diag);
    /* Fixed, it loads: the include's origin applied inside, and the outer
     * origin restored after it. */
    f = fopen(path, "w");
    fputs("inner A 192.0.2.8\n", f);
    fclose(f);
    diag = sb_diag_new();
    assert_int_equal(sb_zonedir_load(&gen, dir, NULL, diag), 0);
    const sb_zone_t *z = only_zone(gen);
    assert_non_null(rrset(z, "inner.sub.example.com.", SB_TYPE_A));
    assert_non_null(rrset(z, "after.example.com.", SB_TYPE_A));
    sb_gen_free(gen);
    sb_diag_free(diag);
    unlink(path);
    snprintf(path, sizeof(path), "%s/example.com.zone", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- record errors --------------------------------------------------------- */

static void record_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(H "x AAA 1.2.3.4\n", 1,
                          "example.com.zone:8:3: unknown record type 'AAA'");
    sb_test_expect_errors(H "x A 127.0.0.300\n", 1,
                          "example.com.zone:8:5: bad A data '127.0.0.300': expected an IPv4 "
                          "address");
    sb_test_expect_errors(H "x MX 70000 mail\n", 1,
                          "example.com.zone:8:6: bad MX data '70000': expected a number from 0 "
                          "to 65535");
    sb_test_expect_errors(H "x A 1.2.3.4 5\n", 1,
                          "example.com.zone:8:13: unexpected '5' after the A record's data");
    sb_test_expect_errors(H "x MX 10\n", 1,
                          "example.com.zone:8:8: MX record is missing data after '10'");
    sb_test_expect_errors(H "x A\n", 1, "example.com.zone:8:4: A record has no data");
    sb_test_expect_errors(H "x CH A 1.2.3.4\n", 1,
                          "example.com.zone:8:3: class CH is not served; records must be class "
                          "IN");
    sb_test_expect_errors(H "x TYPE70000 \\# 0\n", 1,
                          "example.com.zone:8:3: unknown record type 'TYPE70000'");
    /* ldns took this for an SOA with two of its fields missing. */
    sb_test_expect_errors(H "x SOA \\# hostmaster 1 7200 900 12 0690060\n", 1,
                          "example.com.zone:8:3: SOA record has 5 of the 7 fields it needs");
    sb_test_expect_errors(H "x OPT \\# 0\n", 1,
                          "example.com.zone:8:3: OPT is a query or meta type and cannot be "
                          "stored in a zone");
    sb_test_expect_errors(H "x 99999999999 A 1.2.3.4\n", 1,
                          "example.com.zone:8:3: bad TTL '99999999999' (seconds up to "
                          "2147483647, or units as in 1h30m)");
}

static void name_and_ttl_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(H "www.example.org. A 1.2.3.4\n", 1,
                          "example.com.zone:8:1: owner name www.example.org. is outside the "
                          "zone example.com.");
    sb_test_expect_errors(H "a..b A 1.2.3.4\n", 1,
                          "example.com.zone:8:1: owner name 'a..b' is not a valid domain name");
    sb_test_expect_errors(H "x CNAME "
                            "a123456789012345678901234567890123456789012345678901234567890123\n",
                          1,
                          "example.com.zone:8:9: bad CNAME data "
                          "'a123456789012345678901234567890123456789012345678901234567890123': "
                          "expected a domain name");
    sb_test_expect_errors("@ SOA ns1 hostmaster 1 2 3 4 5\n@ 60 NS ns1\n", 2,
                          "example.com.zone: zone example.com. has no SOA record at its apex",
                          "example.com.zone:1:3: record has no TTL and none is in effect; add "
                          "'$TTL 3600' (or similar) at the top of the file");
    sb_test_expect_errors("$TTL 60\n  A 1.2.3.4\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n", 1,
                          "example.com.zone:2:3: record has no owner name (the line starts with "
                          "white space and no earlier record names one)");
}

static void lexical_and_directive_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(H "x TXT \"unterminated\n", 1,
                          "example.com.zone:8:7: unterminated quoted string");
    sb_test_expect_errors(H "x SOA ( a b 1 2 3 4\n", 1,
                          "example.com.zone:8:7: parenthesis is never closed");
    sb_test_expect_errors(H "x A 1.2.3.4 )\n", 1,
                          "example.com.zone:8:13: ')' without a matching '('");
    sb_test_expect_errors(H "$GENERATE 1-2 x A 1.2.3.4\n", 1,
                          "example.com.zone:8:1: unknown directive '$GENERATE' (supported: "
                          "$ORIGIN, $TTL, $INCLUDE)");
    sb_test_expect_errors(H "$TTL\n", 1, "example.com.zone:8:1: $TTL takes exactly one TTL");
}

static void zone_shape_errors(void **state)
{
    (void)state;
    sb_test_expect_errors("$TTL 60\nx A 1.2.3.4\n", 2,
                          "example.com.zone: zone example.com. has no SOA record at its apex",
                          "example.com.zone: zone example.com. has no NS records at its apex");
    sb_test_expect_errors(H "x CNAME y\nx TXT \"hi\"\n", 1,
                          "example.com.zone:9:1: TXT record at x.example.com., which has a "
                          "CNAME; a CNAME cannot have other data");
    sb_test_expect_errors(H "x CNAME y\nx CNAME z\n", 1,
                          "example.com.zone:8:1: x.example.com. has 2 CNAME records; a name has "
                          "at most one");
    sb_test_expect_errors(H "@ CNAME y\n", 1,
                          "example.com.zone:8:1: CNAME at the zone apex example.com. is not "
                          "allowed (the apex has SOA and NS)");
    sb_test_expect_errors(H "x 300 A 1.2.3.4\nx 600 A 1.2.3.5\n", 1,
                          "example.com.zone:9:1: A record has TTL 600 but the other A records "
                          "of this name have TTL 300; all records of one type and name must "
                          "share one TTL");
    sb_test_expect_errors(H "sub NS ns.sub\nns.sub A 1.2.3.4\ntxt.sub TXT \"hidden\"\n"
                            "sub TXT \"at the cut\"\n",
                          2,
                          "example.com.zone:10:1: TXT record at txt.sub.example.com. is below "
                          "the delegation to sub.example.com. and would never be served; only "
                          "glue A and AAAA records belong there",
                          "example.com.zone:11:1: TXT record at the delegation point "
                          "sub.example.com. would never be served; only NS, DS and glue records "
                          "belong there");
    sb_test_expect_errors(H "*.w NS ns1\n", 1,
                          "example.com.zone:8:1: NS records at the wildcard *.w.example.com. are "
                          "not supported: a delegation needs a real name (RFC 4592 section 4.2)");
    sb_test_expect_errors(H "x SOA a b 1 2 3 4 5\n", 1,
                          "example.com.zone:8:1: SOA record below the zone apex example.com.; a "
                          "zone has one SOA, at its apex");
    sb_test_expect_errors(H "d DNAME a.example.net.\nd DNAME b.example.net.\n", 1,
                          "example.com.zone:8:1: d.example.com. has 2 DNAME records; a name has "
                          "at most one (RFC 6672 section 2.4)");
    sb_test_expect_errors(H "d DNAME a.example.net.\nx.d A 192.0.2.1\n"
                            "p.d profile priority {\n  monitor none\n"
                            "  endpoint a 192.0.2.1 priority=1\n}\n",
                          2,
                          "example.com.zone:9:1: A record at x.d.example.com. is below the DNAME "
                          "at d.example.com. and would never be served (RFC 6672 section 2.3)",
                          "example.com.zone:10:1: profile p.d.example.com. is below a DNAME and "
                          "would never be served");
    sb_test_expect_errors(H "sub NS ns1\nsub DNAME a.example.net.\n", 1,
                          "example.com.zone:9:1: DNAME record at the delegation point "
                          "sub.example.com. would never be served; only NS, DS and glue records "
                          "belong there");
    /* Types by their names (RRSIG, not TYPE46), RFC 3597 form for the rest. */
    sb_test_expect_errors(H "sub NS ns1\nsub NSEC d A\nsub TYPE666 \\# 0\n"
                            "x.sub RRSIG A 8 3 3600 20300101000000 20200101000000 1 "
                            "example.com. AAAA\n",
                          3,
                          "example.com.zone:9:1: NSEC record at the delegation point "
                          "sub.example.com. would never be served; only NS, DS and glue records "
                          "belong there",
                          "example.com.zone:10:1: TYPE666 record at the delegation point "
                          "sub.example.com. would never be served; only NS, DS and glue records "
                          "belong there",
                          "example.com.zone:11:1: RRSIG record at x.sub.example.com. is below "
                          "the delegation to sub.example.com. and would never be served; only "
                          "glue A and AAAA records belong there");
}

/* ---- profile errors -------------------------------------------------------- */

static void profile_structure_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(H "www profile priority {\n  endpoint east east priority=1\n}\n", 1,
                          "example.com.zone:8:1: profile www.example.com. has no monitor; add "
                          "'monitor http', 'monitor tcp port=N' or 'monitor none'");
    sb_test_expect_errors(H "www profile priority {\n  monitor none\n}\n", 1,
                          "example.com.zone:8:1: profile www.example.com. has no endpoints; add "
                          "'endpoint NAME TARGET priority=N'");
    sb_test_expect_errors(H "www profile roundrobin {\n  monitor none\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:8:13: unknown routing method 'roundrobin' "
                          "(supported: priority, weighted, all, subnet, geo, closest)");
    sb_test_expect_errors(H "www profile {\n  monitor none\n  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:8:12: profile needs a routing method, as in 'www "
                          "profile priority {'");
    sb_test_expect_errors(H "www profile priority\n", 1,
                          "example.com.zone:8:21: expected '{' at the end of the profile line");
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east priority=1\n",
                          1,
                          "example.com.zone:8:1: profile www.example.com. is never closed "
                          "(missing '}')");
    sb_test_expect_errors(H "www 60 profile priority {\n  monitor none\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:8:5: a profile's TTL is set with ttl=N after the "
                          "routing method");
    sb_test_expect_errors(H "www profile priority {\n  port=80\n  monitor none\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:9:3: setting 'port=80' must follow a monitor or "
                          "endpoint statement");
    sb_test_expect_errors(H "www profile priority {\n  monitor none\n  monitor http\n"
                            "  port=80\n  endpoint east east priority=1\n  frobnicate\n}\n",
                          2, "example.com.zone:10:3: the profile already has a monitor (line 9)",
                          "example.com.zone:13:3: expected 'monitor', 'endpoint' or '}' but "
                          "found 'frobnicate'");
    sb_test_expect_errors(H "www profile priority {\n  $TTL 5\n  monitor none\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:9:3: directive '$TTL' is not allowed inside a "
                          "profile block");
}

static void monitor_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(
        H "www profile priority ttl=30 foo=1 {\n"
          "  monitor http port=8001 intervall=2s\n"
          "  endpoint east east priority=1\n}\n",
        2,
        "example.com.zone:8:29: unknown profile setting 'foo' (supported: ttl, all-down, "
        "fallback, max-answers, order, sticky, sticky-prefix)",
        "example.com.zone:9:26: unknown monitor setting 'intervall' (known: "
        "port, path, host, interval, timeout, fall, rise, expect, method, "
        "header, body, body-kib, keep-alive, tls-verify, ca-file, client-cert, client-key, "
        "send, receive, family, probe-target, flap-limit, flap-window, "
        "hold-down, fleet, source)");
    sb_test_expect_errors(H "www profile priority {\n"
                            "  monitor tcp port=25 probe-target=10.0.0.1\n"
                            "  endpoint east east priority=1 probe-target=health.east.internal\n"
                            "  endpoint west west priority=2 send=\"EHLO\" body=x\n}\n",
                          2,
                          "example.com.zone:9:23: probe-target belongs on an endpoint line: "
                          "each endpoint has its own",
                          "example.com.zone:11:45: endpoint 'west': 'body' does not apply to a tcp "
                          "monitor");
    sb_test_expect_errors(H "www profile priority {\n  monitor http interval=2\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:9:25: bad interval '2': interval needs a unit: ms, "
                          "s, m or h (as in 2s)");
    sb_test_expect_errors(H "www profile priority {\n  monitor http interval=2s timeout=3s\n"
                            "  endpoint east east priority=1\n}\n",
                          1, "example.com.zone:9:28: timeout=3s must be less than interval=2s");
    sb_test_expect_errors(H "www profile priority {\n  monitor http interval=50ms fall=11\n"
                            "  endpoint east east priority=1\n}\n",
                          2,
                          "example.com.zone:9:25: bad interval '50ms': interval must be from "
                          "100ms to 1h",
                          "example.com.zone:9:35: bad fall '11': fall must be from 1 to 10");
    sb_test_expect_errors(H "www profile priority {\n  monitor http interval=61m rise=0\n"
                            "  endpoint east east priority=1 rise=11 fall=0\n}\n",
                          4,
                          "example.com.zone:9:25: bad interval '61m': interval must be from "
                          "100ms to 1h",
                          "example.com.zone:9:34: bad rise '0': rise must be from 1 to 10",
                          "example.com.zone:10:38: bad rise '11': rise must be from 1 to 10",
                          "example.com.zone:10:46: bad fall '0': fall must be from 1 to 10");
    sb_test_expect_errors(H "www profile priority {\n  monitor http expect=200-199 port=0\n"
                            "  endpoint east east priority=1\n}\n",
                          2,
                          "example.com.zone:9:23: bad expect '200-199': expect has a range "
                          "whose end 199 is below its start 200",
                          "example.com.zone:9:36: bad port '0': port must be from 1 to 65535");
    sb_test_expect_errors(
        H "www profile priority {\n  monitor http keep-alive=on\n"
          "  endpoint east east priority=1\n"
          "  endpoint west west priority=2 monitor=tcp port=25 keep-alive=yes\n}\n",
        2, "example.com.zone:9:27: bad keep-alive 'on': keep-alive must be yes or no",
        "example.com.zone:11:53: endpoint 'west': 'keep-alive' does not apply "
        "to a tcp monitor");
    sb_test_expect_errors(H "www profile priority {\n  monitor gopher\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:9:11: unknown monitor protocol 'gopher' (supported: "
                          "http, https, tcp, none)");
    sb_test_expect_errors(H "www profile priority {\n  monitor tcp path=/x port=1\n"
                            "  endpoint east east priority=1\n}\n",
                          1, "example.com.zone:9:15: 'path' does not apply to a tcp monitor");
    sb_test_expect_errors(H "www profile priority {\n  monitor tcp\n"
                            "  endpoint east east priority=1\n}\n",
                          1, "example.com.zone:9:11: a tcp monitor needs a port (add port=N)");
    sb_test_expect_errors(H "www profile priority {\n  monitor http path=health\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:9:21: bad path 'health': path must start with '/' "
                          "and contain no spaces or control bytes");
}

static void endpoint_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east priority=1\n"
                            "  endpoint west west priority=1\n"
                            "  endpoint east west priority=3\n"
                            "  endpoint north east\n}\n",
                          3,
                          "example.com.zone:11:22: priority 1 of endpoint 'west' is already "
                          "used by endpoint 'east'; endpoints that are names each need their "
                          "own priority (a name answers with one CNAME)",
                          "example.com.zone:12:3: endpoint 'east' is already defined in this "
                          "profile (line 10)",
                          "example.com.zone:13:3: endpoint 'north' needs a priority (add "
                          "priority=N; 1 is the first)");
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east priority=1\n"
                            "  endpoint v4 192.0.2.1 priority=2\n}\n",
                          1,
                          "example.com.zone:11:3: endpoint 'v4' is an address but endpoint "
                          "'east' is a name; a profile's endpoints are all names (answered with "
                          "CNAME) or all addresses (answered with A/AAAA)");
    sb_test_expect_errors(H "www profile priority {\n  monitor none\n"
                            "  endpoint -bad east priority=1\n  endpoint ok\n"
                            "  endpoint six 2001:db8::zz priority=3\n}\n",
                          3,
                          "example.com.zone:10:12: endpoint name '-bad' must be 1-63 letters, "
                          "digits, '-' or '_', starting with a letter or digit",
                          "example.com.zone:11:3: endpoint needs a name and a target, as in "
                          "'endpoint east east.example.com. priority=1'",
                          "example.com.zone:12:16: endpoint target '2001:db8::zz' is not a valid "
                          "IPv6 address");
    sb_test_expect_errors(H "www profile priority {\n  monitor http interval=10s\n"
                            "  endpoint east east priority=1 interval=1s\n"
                            "  endpoint west west priority=2 timeout=20s\n"
                            "  endpoint south west priority=3 priority=x color=red\n}\n",
                          3,
                          "example.com.zone:11:33: endpoint 'west': timeout=20s must be less "
                          "than interval=10s",
                          "example.com.zone:12:43: bad priority 'x': priority must be a whole "
                          "number from 1 to 65535",
                          "example.com.zone:12:45: unknown endpoint setting 'color' (an "
                          "endpoint takes priority=N, monitor=PROTOCOL, its routing method's "
                          "settings and any monitor setting)");
    sb_test_expect_errors(H "www profile priority {\n  monitor none\n"
                            "  endpoint self www priority=1\n}\n",
                          1,
                          "example.com.zone:10:3: endpoint 'self' points at the profile's own "
                          "name www.example.com.");
}

static void profile_placement_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(H "www TXT \"x\"\nwww profile priority {\n  monitor none\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:9:1: www.example.com. has both a profile and TXT "
                          "records; a profile of name endpoints answers with a CNAME, which "
                          "cannot have other data");
    sb_test_expect_errors(H "east profile priority {\n  monitor none\n"
                            "  endpoint a 192.0.2.1 priority=1\n}\n",
                          1,
                          "example.com.zone:8:1: east.example.com. has both a profile and A "
                          "records; a profile of address endpoints may share its name only with "
                          "records other than A, AAAA and CNAME");
    sb_test_expect_errors(H "@ profile priority {\n  monitor none\n"
                            "  endpoint east east priority=1\n}\n",
                          1,
                          "example.com.zone:8:1: a profile of name endpoints answers with a "
                          "CNAME, which cannot be at the zone apex example.com.; use address "
                          "endpoints there");
    sb_test_expect_errors(H "sub NS ns.other.\nx.sub profile priority {\n  monitor none\n"
                            "  endpoint a 192.0.2.1 priority=1\n}\n",
                          1,
                          "example.com.zone:9:1: profile x.sub.example.com. is at or below a "
                          "delegation and would never be served");
    sb_test_expect_errors(
        H "www profile priority {\n  monitor none\n  endpoint a 192.0.2.1 "
          "priority=1\n}\nwww profile priority {\n  monitor none\n"
          "  endpoint b 192.0.2.2 priority=1\n}\n",
        1, "example.com.zone:12:1: www.example.com. already has a profile (at line 8)");
}

static void endpoint_target_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(H "alias CNAME east\nwww profile priority {\n  monitor none\n"
                            "  endpoint a nowhere priority=1\n  endpoint b alias priority=2\n"
                            "  endpoint c www2 priority=3\n}\n"
                            "www2 profile priority {\n  monitor none\n"
                            "  endpoint x 192.0.2.1 priority=1\n}\n",
                          2,
                          "example.com.zone:11:3: endpoint 'a': target nowhere.example.com. is "
                          "in the served zone example.com. but does not exist there",
                          "example.com.zone:12:3: endpoint 'b': target alias.example.com. is in "
                          "the served zone example.com. but is a CNAME; point the endpoint at "
                          "the CNAME's target instead");
}

/* An endpoint whose target is a profile is nested: not probed, no loops,
 * no deeper than 8, min-usable within the child's endpoints and only on
 * nested endpoints. */
static void nested_profile_errors(void **state)
{
    (void)state;
    sb_test_expect_errors(H "a profile priority {\n  monitor none\n"
                            "  endpoint b b priority=1\n"
                            "  endpoint c c priority=2 min-usable=3\n"
                            "  endpoint d 192.0.2.1 priority=3\n}\n"
                            "b profile priority {\n  monitor http\n"
                            "  endpoint a a priority=1 port=81\n}\n"
                            "c profile priority {\n  monitor none\n"
                            "  endpoint x 192.0.2.1 priority=1 min-usable=1\n}\n",
                          5,
                          "example.com.zone:11:27: endpoint 'c' needs min-usable=3 of the "
                          "profile c.example.com., which has 1 endpoints",
                          "example.com.zone:12:3: endpoint 'd' is an address but endpoint 'b' is "
                          "a name; a profile's endpoints are all names (answered with CNAME) or "
                          "all addresses (answered with A/AAAA)",
                          "example.com.zone:16:3: endpoint 'a' leads to the profile a.example.com. "
                          "and is not probed: its health is that profile's (set min-usable=N); "
                          "remove its monitor settings",
                          "example.com.zone:16:3: endpoint 'a' leads back to the profile "
                          "a.example.com. through nested profiles: a loop",
                          "example.com.zone:20:35: endpoint 'x': min-usable= is for endpoints "
                          "that lead to another profile");
}

static void one_mistake_one_error(void **state)
{
    (void)state;
    /* A profile line without '{': one error, and the block is still read
     * as a block (no "unknown record type 'monitor'" cascade). */
    sb_test_expect_errors(H "www profile priority ttl=30\n  monitor http\n"
                            "  endpoint east east priority=1\n}\nx A 1.2.3.4\n",
                          1, "example.com.zone:8:28: expected '{' at the end of the profile line");
    sb_test_expect_errors(H "www profile priority\nx A 1.2.3.4\n", 1,
                          "example.com.zone:8:21: expected '{' at the end of the profile line");
    /* A bad priority is not also a missing one. */
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east priority=x\n}\n",
                          1,
                          "example.com.zone:10:31: bad priority 'x': priority must be a whole "
                          "number from 1 to 65535");
    /* Two bad priorities, or two missing ones, are not one priority used
     * twice (this once crashed: the duplicate check named a position that
     * was never set). */
    sb_test_expect_errors(H "www profile priority {\n  monitor tcp port=80\n"
                            "  endpoint a 192.0.2.10 priority=0\n"
                            "  endpoint b 192.0.2.11 priority=0\n}\n",
                          2,
                          "example.com.zone:10:34: bad priority '0': priority must be from 1 to "
                          "65535",
                          "example.com.zone:11:34: bad priority '0': priority must be from 1 to "
                          "65535");
    sb_test_expect_errors(H "www profile priority {\n  monitor tcp port=80\n"
                            "  endpoint a 192.0.2.10\n"
                            "  endpoint b 192.0.2.11\n}\n",
                          2,
                          "example.com.zone:10:3: endpoint 'a' needs a priority (add "
                          "priority=N; 1 is the first)",
                          "example.com.zone:11:3: endpoint 'b' needs a priority (add "
                          "priority=N; 1 is the first)");
    /* Lines that repeat an out-of-zone owner are not served under it. */
    sb_test_expect_errors(H ". A 1.2.3.4\n  TXT \"x\"\ncom. A 1.2.3.4\n  TXT \"y\"\n", 2,
                          "example.com.zone:8:1: owner name . is outside the zone example.com.",
                          "example.com.zone:10:1: owner name com. is outside the zone "
                          "example.com.");
    /* An unterminated quote inside parentheses drops the whole record. */
    sb_test_expect_errors(H "x SOA ( a b 1 2 3 4 \"open\n   5 6 )\ny A 1.2.3.4\n", 1,
                          "example.com.zone:8:21: unterminated quoted string");
    /* An override's error is reported on the endpoint's own line. */
    sb_test_expect_errors(H "www profile priority {\n  monitor http timeout=5s\n"
                            "  endpoint east east priority=1 interval=2s\n"
                            "  endpoint west west priority=2 interval=1s timeout=2s\n}\n",
                          2,
                          "example.com.zone:10:3: endpoint 'east': timeout=5s must be less than "
                          "interval=2s",
                          "example.com.zone:11:45: endpoint 'west': timeout=2s must be less than "
                          "interval=1s");
}

/* A profile whose '}' is missing: the first line that cannot belong to a
 * block (a record, another profile) is one error naming the profile and
 * the line the '}' should have come before, and is read as the zone's;
 * what follows loads as if the '}' had been there. */
static void missing_close_brace_is_one_error(void **state)
{
    (void)state;
    /* Followed by another profile: the cascade this replaces was "expected
     * 'monitor', 'endpoint' or '}' but found 'api'", "the profile already
     * has a monitor", "endpoint 'east' is already defined", ... */
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east priority=1\n"
                            "  endpoint west west priority=2\n\n"
                            "api profile priority {\n  monitor http\n"
                            "  endpoint east east priority=1\n}\n"
                            "x A 192.0.2.5\n",
                          1,
                          "example.com.zone:8:1: profile www.example.com. is never closed "
                          "(missing '}' before line 13)");
    /* Followed by records: each is read (a bad one is its own error). */
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east priority=1\n"
                            "mail A 192.0.2.25\n"
                            "@ MX 10 mail\n"
                            "bad A 300.1.1.1\n",
                          2,
                          "example.com.zone:8:1: profile www.example.com. is never closed "
                          "(missing '}' before line 11)",
                          "example.com.zone:13:7: bad A data '300.1.1.1': expected an IPv4 "
                          "address");
    /* The block's own statements are still checked as written. */
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east\n"
                            "x 60 IN A 192.0.2.5\n",
                          2,
                          "example.com.zone:8:1: profile www.example.com. is never closed "
                          "(missing '}' before line 11)",
                          "example.com.zone:10:3: endpoint 'east' needs a priority (add "
                          "priority=N; 1 is the first)");
    /* A record written into the middle of a block: the rest of the block,
     * up to its '}', is skipped rather than read as records. */
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpoint east east priority=1\n"
                            "x A 192.0.2.5\n"
                            "  endpoint west west priority=2\n"
                            "    port=8080\n"
                            "}\n"
                            "y A 192.0.2.6\n"
                            "y A 300.1.1.1\n",
                          2,
                          "example.com.zone:8:1: profile www.example.com. is never closed "
                          "(missing '}' before line 11)",
                          "example.com.zone:16:5: bad A data '300.1.1.1': expected an IPv4 "
                          "address");
    /* A misspelt statement is not a zone's line: the block goes on. */
    sb_test_expect_errors(H "www profile priority {\n  monitor http\n"
                            "  endpont east east priority=1\n"
                            "  endpoint west west priority=2\n}\n",
                          1,
                          "example.com.zone:10:3: expected 'monitor', 'endpoint' or '}' but "
                          "found 'endpont'");
}

/* The zone after a missing '}' is whole: records and the next profile. */
static void missing_close_brace_keeps_what_follows(void **state)
{
    (void)state;
    sb_gen_t *gen;
    sb_diag_t *diag;
    assert_int_equal(sb_test_load(H "www profile priority {\n  monitor none\n"
                                    "  endpoint east east priority=1\n"
                                    "api profile priority {\n  monitor none\n"
                                    "  endpoint a 192.0.2.1 priority=1\n}\n",
                                  &gen, &diag),
                     SB_ECONFIG);
    assert_int_equal(sb_diag_count(diag), 1);
    sb_diag_free(diag);
    /* With the '}' put back, the same zone loads: both profiles. */
    gen = sb_test_load_ok(H "www profile priority {\n  monitor none\n"
                            "  endpoint east east priority=1\n}\n"
                            "api profile priority {\n  monitor none\n"
                            "  endpoint a 192.0.2.1 priority=1\n}\n");
    assert_int_equal(sb_gen_profile_count(gen), 2);
    sb_gen_free(gen);
}

static void brace_on_the_next_line(void **state)
{
    (void)state;
    sb_gen_t *gen = sb_test_load_ok(H "www profile priority ttl=30\n{\n  monitor none\n"
                                      "  endpoint east east priority=1\n}\n");
    assert_int_equal(sb_gen_profile_count(gen), 1);
    sb_gen_free(gen);
}

static void hostile_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-test-hostile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], inc[256];
    snprintf(path, sizeof(path), "%s/example.com.zone", dir);
    snprintf(inc, sizeof(inc), "%s/loop.inc", dir);
    /* A file that includes itself, twice: one error per cycle, no blow-up. */
    FILE *f = fopen(inc, "w");
    fputs("$INCLUDE loop.inc\n$INCLUDE loop.inc\n", f);
    fclose(f);
    f = fopen(path, "w");
    fputs(H "$INCLUDE loop.inc\n$INCLUDE /dev/zero\nt TXT \"a", f);
    fputc('\0', f);
    fputs("b\"\n", f);
    fclose(f);
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen = NULL;
    assert_int_equal(sb_zonedir_load(&gen, dir, NULL, diag), SB_ECONFIG);
    char expect[3][1024];
    snprintf(expect[0], sizeof(expect[0]), "%s:10:9: NUL byte in zone file (is it a text file?)",
             path);
    assert_int_equal(sb_diag_count(diag), 1);
    assert_string_equal(sb_diag_message(diag, 0), expect[0]);
    sb_diag_free(diag);
    /* Without the NUL: the cycle and the device are reported where named. */
    f = fopen(path, "w");
    fputs(H "$INCLUDE loop.inc\n$INCLUDE /dev/zero\n", f);
    fclose(f);
    diag = sb_diag_new();
    assert_int_equal(sb_zonedir_load(&gen, dir, NULL, diag), SB_ECONFIG);
    snprintf(expect[0], sizeof(expect[0]), "%s:9:10: cannot read '/dev/zero': not a regular file",
             path);
    snprintf(expect[1], sizeof(expect[1]),
             "%s:1:10: $INCLUDE of '%s' includes a file that is already being read (a cycle)", inc,
             inc);
    snprintf(expect[2], sizeof(expect[2]),
             "%s:2:10: $INCLUDE of '%s' includes a file that is already being read (a cycle)", inc,
             inc);
    assert_int_equal(sb_diag_count(diag), 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(sb_diag_message(diag, (size_t)i), expect[i]);
    sb_diag_free(diag);
    unlink(inc);
    unlink(path);
    rmdir(dir);
}

/* A profile TTL long enough to defeat failover loads, with a warning at the
 * ttl= value; 300 s is the most that gets none. */
static void long_profile_ttl_is_a_warning(void **state)
{
    (void)state;
    sb_gen_t *gen;
    sb_diag_t *diag;
    assert_int_equal(sb_test_load(H "www profile priority ttl=301 {\n  monitor none\n"
                                    "  endpoint a 192.0.2.1 priority=1\n}\n"
                                    "api profile priority ttl=5m {\n  monitor none\n"
                                    "  endpoint a 192.0.2.1 priority=1\n}\n",
                                  &gen, &diag),
                     0);
    assert_non_null(gen);
    assert_int_equal(sb_diag_count(diag), 0);
    assert_int_equal(sb_diag_warning_count(diag), 1);
    assert_string_equal(sb_diag_warning_message(diag, 0),
                        "example.com.zone:8:26: warning: profile www.example.com. has ttl=301: "
                        "resolvers may send clients to a failed endpoint for up to 301 s after "
                        "failover; keep it at 300 or less (the default is 30)");
    assert_null(sb_diag_warning_message(diag, 1));
    sb_gen_free(gen);
    sb_diag_free(diag);
}

static void errors_are_all_reported(void **state)
{
    (void)state;
    /* One run reports every problem, in file order. */
    sb_test_expect_errors(H "a AAA 1\nb A 300.1.1.1\nwww profile priority {\n  monitor http "
                            "timeout=20s\n  endpoint e east\n}\nc MX 1\n",
                          5, "example.com.zone:8:3: unknown record type 'AAA'",
                          "example.com.zone:9:5: bad A data '300.1.1.1': expected an IPv4 "
                          "address",
                          "example.com.zone:11:16: timeout=20s must be less than interval=10s",
                          "example.com.zone:12:3: endpoint 'e' needs a priority (add "
                          "priority=N; 1 is the first)",
                          "example.com.zone:14:7: MX record is missing data after '1'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_style_profile),
        cmocka_unit_test(monitor_defaults_and_overrides),
        cmocka_unit_test(endpoint_protocols),
        cmocka_unit_test(address_endpoints),
        cmocka_unit_test(master_file_syntax),
        cmocka_unit_test(rfc1035_last_ttl_without_dollar_ttl),
        cmocka_unit_test(duplicate_records_are_merged),
        cmocka_unit_test(include_directive),
        cmocka_unit_test(record_errors),
        cmocka_unit_test(name_and_ttl_errors),
        cmocka_unit_test(lexical_and_directive_errors),
        cmocka_unit_test(zone_shape_errors),
        cmocka_unit_test(profile_structure_errors),
        cmocka_unit_test(monitor_errors),
        cmocka_unit_test(endpoint_errors),
        cmocka_unit_test(profile_placement_errors),
        cmocka_unit_test(endpoint_target_errors),
        cmocka_unit_test(nested_profile_errors),
        cmocka_unit_test(one_mistake_one_error),
        cmocka_unit_test(missing_close_brace_is_one_error),
        cmocka_unit_test(missing_close_brace_keeps_what_follows),
        cmocka_unit_test(brace_on_the_next_line),
        cmocka_unit_test(hostile_files),
        cmocka_unit_test(errors_are_all_reported),
        cmocka_unit_test(long_profile_ttl_is_a_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
