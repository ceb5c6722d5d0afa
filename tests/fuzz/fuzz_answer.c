/*
 * libFuzzer harness for the query path: every input is one DNS query, given
 * to sb_answer() over a generation that has one of everything the answer
 * code handles (static RRsets large and small, CNAME chains and loops,
 * wildcards, empty non-terminals, a delegation with glue, DNAMEs including
 * one that points at its own zone, traffic-managed names of both kinds
 * with every routing method, nested and sibling zones).
 *
 * The first input byte (the high byte of the query ID) also picks the
 * transport, the configured UDP limit and which endpoints count as usable;
 * the second (the ID's low byte) the client's address (bits 0-1: the
 * seeds' 192.0.2.99, 10.1.2.3, an IPv6 address, none) and an override
 * (bits 2-3: a switchover or a drain), so that one input always meets the
 * same state (the methods that draw at random still draw). Every routing method that needs no
 * location database has a profile here, routing on that address or on the query's EDNS Client
 * Subnet.
 *
 * Checked after every call, aborting on a violation:
 *   - the response fits the buffer it was given;
 *   - over UDP, it fits what the client may receive (512 bytes without
 *     EDNS, the advertised size clamped to 512..udp_max with it);
 *   - a response parses with ldns, carries the query's ID and has QR set.
 * ASan (the response buffer is allocated at exactly its capacity) and UBSan
 * catch the rest.
 *
 * Build and run: see docs/development.md, "Fuzzing".
 */
#include "fuzz.h"

#include "sb_answer.h"
#include "sb_dns.h"
#include "sb_gen.h"
#include "sb_route.h"
#include "sb_zonedir.h"
#include "sb_profile.h"
#include "sb_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char COM_ZONE[] =
    "$ORIGIN example.com.\n"
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 7200 900 1209600 60\n"
    "@ NS ns1\n"
    "@ NS ns2.example.net.\n"
    "ns1 A 192.0.2.53\n"
    "ns1 AAAA 2001:db8::53\n"
    "east A 192.0.2.10\n"
    "east AAAA 2001:db8::10\n"
    "west A 192.0.2.11\n"
    "@ MX 10 mail\n"
    "@ MX 20 mail2.example.net.\n"
    "@ TXT \"v=spf1 mx -all\"\n"
    "@ CAA 0 issue \"ca.example.org\"\n"
    "mail A 192.0.2.25\n"
    "mail AAAA 2001:db8::25\n"
    "_sip._tcp SRV 10 5 5060 mail\n"
    "_sip._tcp SRV 20 5 5060 api\n"
    "txt TXT \"one\" \"two\"\n"
    "txt TXT \"\"\n"
    "ptr PTR www.example.org.\n"
    "mxprof MX 10 api\n"
    "mxprof MX 20 v6only\n"
    /* An empty non-terminal (ent) and a deeper one (b.c.ent2). */
    "deep.ent A 192.0.2.3\n"
    "a.b.c.ent2 AAAA 2001:db8::3\n"
    /* Wildcards (RFC 4592), one with an exact name beside it. */
    "*.wild TXT \"wild\"\n"
    "*.wild MX 10 mail\n"
    "exact.wild TXT \"exact\"\n"
    "*.wc CNAME east\n"
    "*.wcloop CNAME x.wcloop\n"
    /* CNAMEs: a chain, one longer than the answer follows, loops, a dangling
     * one, and ones that leave the zone. */
    "cname1 CNAME cname2\n"
    "cname2 CNAME cname3\n"
    "cname3 CNAME east\n"
    "c1 CNAME c2\n"
    "c2 CNAME c3\n"
    "c3 CNAME c4\n"
    "c4 CNAME c5\n"
    "c5 CNAME c6\n"
    "c6 CNAME c7\n"
    "c7 CNAME c8\n"
    "c8 CNAME c9\n"
    "c9 CNAME c10\n"
    "c10 CNAME east\n"
    "loop1 CNAME loop2\n"
    "loop2 CNAME loop1\n"
    "selfloop CNAME selfloop\n"
    "dangling CNAME nothing\n"
    "tonet CNAME www.example.net.\n"
    "toprof CNAME www\n"
    "todname CNAME x.dn\n"
    "toself CNAME a.b.self\n"
    "tosub CNAME host.sub\n"
    "away CNAME www.example.org.\n"
    /* A delegation with glue inside it and a name server outside. */
    "sub NS ns.sub\n"
    "sub NS ns2.sub\n"
    "sub NS ns.elsewhere.org.\n"
    "sub DS 12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE16B2C5C1E3A5F7E3E5D9F0B2\n"
    "ns.sub A 192.0.2.54\n"
    "ns.sub AAAA 2001:db8::54\n"
    "ns2.sub A 192.0.2.55\n"
    /* A nested zone, delegated from here (child.example.com.zone). */
    "child NS ns1.child\n"
    "child DS 54321 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE16B2C5C1E3A5F7E3E5D9F0B2\n"
    "ns1.child A 192.0.2.56\n"
    /* DNAMEs (RFC 6672): out of every served zone, onto its own zone, to
     * another served zone, and into a delegation. */
    "dn DNAME target.example.org.\n"
    "self DNAME example.com.\n"
    "tonetd DNAME example.net.\n"
    "dnsub DNAME sub.example.com.\n"
    /* Traffic-managed names: name endpoints, address endpoints (both
     * families), one family only, a wildcard profile, and the apex. */
    "www profile priority ttl=30 {\n"
    "    monitor none\n"
    "    endpoint east east priority=1\n"
    "    endpoint west west priority=2\n"
    "    endpoint far www.example.org. priority=3\n"
    "    endpoint net host.example.net. priority=4\n"
    "}\n"
    "api profile priority ttl=20 {\n"
    "    monitor tcp port=443\n"
    "    endpoint a4 192.0.2.1 priority=1\n"
    "    endpoint b4 192.0.2.2 priority=2\n"
    "    endpoint a6 2001:db8::1 priority=3\n"
    "    endpoint b6 2001:db8::2 priority=4\n"
    "}\n"
    "api TXT \"beside a profile\"\n"
    "v6only profile priority {\n"
    "    monitor none\n"
    "    endpoint only6 2001:db8::6 priority=1\n"
    "}\n"
    "*.app profile priority ttl=5 {\n"
    "    monitor none\n"
    "    endpoint x 192.0.2.7 priority=1\n"
    "}\n"
    "@ profile priority ttl=20 {\n"
    "    monitor none\n"
    "    endpoint v4 192.0.2.80 priority=1\n"
    "}\n"
    /* Every routing method that needs no location database: weighted at
     * random (a weight of 0 among them) and sticky, all rotating and
     * shuffled (more endpoints than an answer takes), subnet for both
     * families of client and answer, names and addresses; nested profiles
     * (an endpoint leading to another profile, two levels deep); and the
     * all-down policies, fail-closed and fallback. */
    "wtd profile weighted ttl=10 {\n"
    "    monitor none\n"
    "    endpoint w1 192.0.2.21 weight=1\n"
    "    endpoint w3 192.0.2.23 weight=3\n"
    "    endpoint w0 192.0.2.20 weight=0\n"
    "    endpoint w6 2001:db8::26 weight=6\n"
    "}\n"
    "sticky profile weighted sticky=yes sticky-prefix=20,40 {\n"
    "    monitor none\n"
    "    endpoint s1 east weight=2\n"
    "    endpoint s2 west weight=5\n"
    "    endpoint s3 www.example.org. weight=1\n"
    "    endpoint s0 mail weight=0\n"
    "}\n"
    "pool profile all max-answers=3 {\n"
    "    monitor none\n"
    "    endpoint p1 192.0.2.31\n"
    "    endpoint p2 192.0.2.32\n"
    "    endpoint p3 192.0.2.33\n"
    "    endpoint p4 192.0.2.34\n"
    "    endpoint p5 192.0.2.35\n"
    "    endpoint p6 2001:db8::36\n"
    "    endpoint p7 2001:db8::37\n"
    "}\n"
    "net profile subnet {\n"
    "    monitor none\n"
    "    endpoint n1 192.0.2.41 subnets=10.0.0.0/8,2001:db8::/32\n"
    "    endpoint n2 192.0.2.42 subnets=10.1.0.0/16,192.0.2.0/24\n"
    "    endpoint n3 192.0.2.43 subnets=default\n"
    "    endpoint n6 2001:db8::41 subnets=::/0,10.0.0.0/8\n"
    "    endpoint n7 2001:db8::42 subnets=0.0.0.0/0,2001:db8:1::/48\n"
    "}\n"
    "netnames profile subnet {\n"
    "    monitor none\n"
    "    endpoint a east subnets=192.0.2.0/25,2001:db8::/33\n"
    "    endpoint b west subnets=default,2001:db8:1::/48\n"
    "}\n"
    "nest profile priority {\n"
    "    monitor none\n"
    "    endpoint inner sticky priority=1 min-usable=2\n"
    "    endpoint addrs wtd priority=2\n"
    "    endpoint last west priority=3\n"
    "}\n"
    "nest2 profile weighted sticky=yes {\n"
    "    monitor none\n"
    "    endpoint deep nest weight=1\n"
    "    endpoint bysubnet netnames.example.com. weight=1\n"
    "}\n"
    "closed profile priority all-down=fail-closed {\n"
    "    monitor none\n"
    "    endpoint c1 192.0.2.51 priority=1\n"
    "    endpoint c6 2001:db8::51 priority=2\n"
    "}\n"
    "fb profile weighted fallback=host.example.net. {\n"
    "    monitor none\n"
    "    endpoint f1 east\n"
    "    endpoint f2 west\n"
    "}\n"
    "fbaddr profile all fallback=192.0.2.99,2001:db8::99 {\n"
    "    monitor none\n"
    "    endpoint a1 192.0.2.61\n"
    "    endpoint a6 2001:db8::61\n"
    "}\n"
    /* Routed profiles as additional-section targets. */
    "mxroute MX 10 pool\n"
    "mxroute MX 20 net\n"
    "mxroute MX 30 sticky\n";

static const char NET_ZONE[] = "$ORIGIN example.net.\n"
                               "$TTL 300\n"
                               "@ SOA ns1.example.com. hostmaster.example.com. 2 7200 900 "
                               "1209600 30\n"
                               "@ NS ns1.example.com.\n"
                               "@ NS ns2\n"
                               "ns2 A 198.51.100.53\n"
                               "mail2 A 198.51.100.25\n"
                               "host A 198.51.100.80\n"
                               "host AAAA 2001:db8:1::80\n"
                               "www CNAME host\n"
                               "back CNAME cname1.example.com.\n"
                               "loopx CNAME loop1.example.com.\n"
                               "dnback DNAME self.example.com.\n"
                               "lb profile priority {\n"
                               "    monitor none\n"
                               "    endpoint h host priority=1\n"
                               "    endpoint e east.example.com. priority=2\n"
                               "}\n";

static const char CHILD_ZONE[] =
    "$ORIGIN child.example.com.\n"
    "$TTL 600\n"
    "@ SOA ns1 hostmaster 3 7200 900 1209600 120\n"
    "@ NS ns1\n"
    "@ DS 1 8 2 "
    "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE16B2C5C1E3A5F7E3E5D9F0B2\n"
    "ns1 A 192.0.2.56\n"
    "www A 192.0.2.57\n";

static sb_gen_t *gen;
static sb_answer_config_t cfg;
static const uint16_t udp_max_choices[8] = {512, 600, 1024, 1232, 1280, 1452, 4096, 65535};

/* Append printf output to a growing text. */
static void append(char **text, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *text = realloc(*text, *cap);
        CHECK(*text != NULL);
    }
    memcpy(*text + *len, s, n + 1);
    *len += n;
}

/* The example.com text with two large TXT RRsets: `big` (about 2 kB: more
 * than UDP takes, less than TCP) and `huge` (about 75 kB: more than any
 * message can hold). */
static char *com_zone_text(void)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    append(&text, &len, &cap, COM_ZONE);
    char line[400];
    for (int i = 0; i < 10; i++) {
        snprintf(line, sizeof(line), "big TXT \"%03d%0197d\"\n", i, 0);
        append(&text, &len, &cap, line);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(line, sizeof(line), "huge TXT \"%03d%0247d\"\n", i, 0);
        append(&text, &len, &cap, line);
    }
    /* An MX RRset naming more hosts than the additional section takes. */
    for (int i = 0; i < 24; i++) {
        snprintf(line, sizeof(line), "many MX %d m%d\nm%d A 192.0.2.%d\n", i, i, i, 100 + i);
        append(&text, &len, &cap, line);
    }
    /* An `all` profile shuffling more endpoints than an answer holds. */
    append(&text, &len, &cap,
           "wide-all profile all order=random max-answers=16 {\n"
           "    monitor none\n");
    for (int i = 0; i < 20; i++) {
        snprintf(line, sizeof(line), "    endpoint e%d 192.0.2.%d\n", i, 150 + i);
        append(&text, &len, &cap, line);
    }
    append(&text, &len, &cap, "}\n");
    /* A delegation with more glue than a small UDP response holds. */
    for (int i = 0; i < 24; i++) {
        snprintf(line, sizeof(line),
                 "wide NS ns%d.wide\nns%d.wide A 192.0.2.%d\nns%d.wide AAAA 2001:db8::%x\n", i, i,
                 200 + i, i, 0x200 + i);
        append(&text, &len, &cap, line);
    }
    return text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char *com = com_zone_text();
    const char *files[] = {
        "example.com.zone", com, "example.net.zone", NET_ZONE, "child.example.com.zone", CHILD_ZONE,
    };
    sb_diag_t *diag = sb_diag_new();
    CHECK(diag != NULL);
    if (sb_zonedir_load_texts(&gen, files, 3, diag) != 0) {
        sb_diag_print(diag, stderr);
        abort();
    }
    sb_diag_free(diag);
    free(com);

    static const uint8_t nsid[] = "fuzz-ns1";
    cfg.nsid = nsid;
    cfg.nsid_len = (uint8_t)(sizeof(nsid) - 1);
    cfg.version_string = "switchboard fuzz";
    cfg.identity = "fuzz.example";
    for (int i = 0; i < SB_COOKIE_SECRET_LEN; i++)
        cfg.cookie_key.secret[i] = (uint8_t)(0xa0 + i);
    return 0;
}

/* Publish a decision per profile: endpoint i is usable when bit i % 4 of
 * `mask` is set (0: every endpoint down, so the answers fail open, fail
 * closed or fall back); `override` 2 switches over to the last endpoint,
 * 3 drains the first (0 and 1: neither). */
static void publish_choices(unsigned mask, unsigned override)
{
    bool usable[32], eligible[32];
    for (size_t p = 0; p < sb_gen_profile_count(gen); p++) {
        sb_profile_t *profile = sb_gen_profile(gen, p);
        CHECK(profile->count <= 32);
        for (uint16_t i = 0; i < profile->count; i++) {
            usable[i] = (mask >> (i % 4) & 1) != 0;
            eligible[i] = !(override == 3 && i == 0);
        }
        uint16_t last = (uint16_t)(profile->count - 1);
        sb_route_input_t in = {.usable = usable,
                               .eligible = eligible,
                               .preferred = override == 2 ? last : SB_PICK_NONE};
        sb_route_release(profile); /* no reader: freed at once, not through call_rcu */
        sb_route_publish(profile, sb_route_decide(profile, &in));
    }
}

/* Who asks, by `pick`: the address the seeds' cookies were made for, one
 * inside the subnet profiles' networks, an IPv6 one, or none known. */
static void pick_client(unsigned pick, sb_client_t *client)
{
    static const uint8_t v4[4] = {10, 1, 2, 3};
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5};
    client->addr_len = pick == 2 ? 16 : pick == 3 ? 0 : 4;
    if (pick == 1)
        memcpy(client->addr, v4, 4);
    else if (pick == 2)
        memcpy(client->addr, v6, 16);
}

/* The most a UDP client may receive for this query (RFC 1035 §4.2.1,
 * RFC 6891 §6.2.5), before the buffer's capacity. */
static size_t udp_client_limit(const uint8_t *data, size_t size, uint16_t udp_max)
{
    sb_query_t q;
    sb_query_parse(data, size, &q);
    if (!q.edns)
        return SB_DNS_UDP_LEGACY_MAX;
    size_t limit =
        q.edns_udp_size < SB_DNS_UDP_LEGACY_MAX ? SB_DNS_UDP_LEGACY_MAX : q.edns_udp_size;
    return limit < udp_max ? limit : udp_max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t sel = size > 0 ? data[0] : 0;
    sb_transport_t transport = (sel & 1) ? SB_TRANSPORT_TCP : SB_TRANSPORT_UDP;
    cfg.udp_max = udp_max_choices[sel >> 1 & 7];
    uint8_t sel2 = size > 1 ? data[1] : 0;
    publish_choices(sel >> 4, sel2 >> 2 & 3);
    size_t cap = transport == SB_TRANSPORT_TCP ? SB_DNS_TCP_MAX : cfg.udp_max;
    sb_client_t client = {
        .transport = transport, .addr_len = 4, .addr = {192, 0, 2, 99}, .now = 1700000000u};
    pick_client(sel2 & 3, &client);

    /* Exactly `cap` bytes, so that ASan sees a write past the end. */
    uint8_t *resp = malloc(cap);
    CHECK(resp != NULL);
    sb_answer_info_t info;
    size_t len = sb_answer(gen, &cfg, &client, data, size, resp, cap, &info);

    CHECK(len <= cap);
    if (transport == SB_TRANSPORT_UDP)
        CHECK(len <= udp_client_limit(data, size, cfg.udp_max));
    fuzz_check_response(data, size, resp, len);
    free(resp);
    return 0;
}
