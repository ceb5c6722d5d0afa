/*
 * libFuzzer harness for the zone-file and profile parser: every input is the
 * text of example.com.zone, loaded with a fixed example.net.zone beside it
 * (so that the checks across zones run too) through sb_zonedir_load_texts(), the
 * path a reload takes.
 *
 * Checked after every load, aborting on a violation:
 *   - success and failure agree with the diagnostics: a generation and no
 *     error, or errors and no generation;
 *   - every diagnostic has a position: it names a file, never
 *     SB_DIAG_NO_POSITION, and has the shape "file:line:col: message" or
 *     "file: message";
 *   - a generation that loaded answers a set of queries (every profile's
 *     decision published with its endpoints down, then up, then switched
 *     over; from IPv4 and IPv6 clients, for the methods that route on
 *     them), each response parsing with ldns.
 * ASan, UBSan and LeakSanitizer catch the rest (a leak on an error path
 * too). $INCLUDE works: the harness runs in a directory of its own that
 * holds one small file, inc.zone.
 *
 * Build and run: see docs/development.md, "Fuzzing".
 */
#include "fuzz.h"

#include "sb_answer.h"
#include "sb_dns.h"
#include "sb_error.h"
#include "sb_gen.h"
#include "sb_route.h"
#include "sb_zonedir.h"
#include "sb_profile.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static const char NET_ZONE[] = "$ORIGIN example.net.\n"
                               "$TTL 300\n"
                               "@ SOA ns1 hostmaster 1 7200 900 1209600 30\n"
                               "@ NS ns1\n"
                               "ns1 A 198.51.100.53\n"
                               "host A 198.51.100.80\n"
                               "host AAAA 2001:db8:1::80\n";

static const char INC_ZONE[] = "inc TXT \"included\"\n"
                               "inc2 A 192.0.2.200\n";

/* Names worth asking for in whatever zone the input makes. */
static const char *const QNAMES[] = {
    "example.com.",       "www.example.com.",     "api.example.com.", "ns1.example.com.",
    "x.www.example.com.", "nowhere.example.com.", "a.b.example.com.", "*.example.com.",
    "host.example.net.",  "pool.example.com.",    "net.example.com.", "eu.example.com.",
};
static const uint16_t QTYPES[] = {SB_TYPE_A,  SB_TYPE_AAAA, SB_TYPE_CNAME, SB_TYPE_SOA,
                                  SB_TYPE_NS, SB_TYPE_MX,   SB_TYPE_TXT,   SB_TYPE_ANY};

#define NQ (sizeof(QNAMES) / sizeof(QNAMES[0]) * sizeof(QTYPES) / sizeof(QTYPES[0]))

static uint8_t queries[NQ][SB_DNS_HEADER_LEN + SB_NAME_MAX + 4];
static size_t query_len[NQ];

static size_t make_query(uint8_t *out, uint16_t id, const char *name, uint16_t type)
{
    memset(out, 0, SB_DNS_HEADER_LEN);
    sb_put16(out, id);
    sb_put16(out + 4, 1); /* QDCOUNT */
    int n = sb_name_from_text(name, out + SB_DNS_HEADER_LEN);
    CHECK(n > 0);
    uint8_t *p = out + SB_DNS_HEADER_LEN + n;
    sb_put16(p, type);
    sb_put16(p + 2, SB_CLASS_IN);
    return SB_DNS_HEADER_LEN + (size_t)n + 4;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/sb-fuzz-zonefile-XXXXXX";
    CHECK(mkdtemp(dir) != NULL && chdir(dir) == 0);
    FILE *f = fopen("inc.zone", "w");
    CHECK(f != NULL);
    fputs(INC_ZONE, f);
    fclose(f);
    size_t k = 0;
    for (size_t i = 0; i < sizeof(QNAMES) / sizeof(QNAMES[0]); i++) {
        for (size_t j = 0; j < sizeof(QTYPES) / sizeof(QTYPES[0]); j++, k++)
            query_len[k] = make_query(queries[k], (uint16_t)k, QNAMES[i], QTYPES[j]);
    }
    return 0;
}

/* "file:line:col: message" or "file: message", with a file. */
static void check_message(const char *msg)
{
    CHECK(strncmp(msg, SB_DIAG_NO_POSITION, strlen(SB_DIAG_NO_POSITION)) != 0);
    const char *colon = strstr(msg, ": ");
    CHECK(colon != NULL && colon > msg);
}

/* Round 0: every endpoint down; 1: every one up; 2: up, and a switchover
 * to each profile's last endpoint. */
static void publish_all(const sb_gen_t *gen, int round)
{
    bool usable[1000];
    for (size_t p = 0; p < sb_gen_profile_count(gen); p++) {
        sb_profile_t *profile = sb_gen_profile(gen, p);
        CHECK(profile->count > 0 && profile->count <= 1000);
        for (uint16_t i = 0; i < profile->count; i++)
            usable[i] = round > 0;
        uint16_t last = (uint16_t)(profile->count - 1);
        sb_route_input_t in = {.usable = usable, .preferred = round == 2 ? last : SB_PICK_NONE};
        sb_route_release(profile); /* no reader: freed at once, not through call_rcu */
        sb_route_publish(profile, sb_route_decide(profile, &in));
    }
}

/* The client of query k: IPv4 inside and outside the networks seeds list,
 * and IPv6 (routing methods that look at the client see each). */
static void pick_client(size_t k, sb_client_t *client)
{
    static const uint8_t addrs[3][16] = {
        {192, 0, 2, 1}, {10, 1, 2, 3}, {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5}};
    size_t which = k / 2 % 3;
    client->addr_len = which == 2 ? 16 : 4;
    memcpy(client->addr, addrs[which], 16);
}

static void answer_all(const sb_gen_t *gen)
{
    static uint8_t resp[SB_DNS_TCP_MAX];
    sb_answer_config_t cfg = {.udp_max = 1232};
    sb_client_t client = {.transport = SB_TRANSPORT_UDP};
    for (int round = 0; round < 3; round++) {
        publish_all(gen, round);
        for (size_t k = 0; k < NQ; k++) {
            client.transport = k & 1 ? SB_TRANSPORT_TCP : SB_TRANSPORT_UDP;
            pick_client(k, &client);
            size_t cap = client.transport == SB_TRANSPORT_TCP ? sizeof(resp) : cfg.udp_max;
            sb_answer_info_t info;
            size_t len = sb_answer(gen, &cfg, &client, queries[k], query_len[k], resp, cap, &info);
            CHECK(len > 0 && len <= cap);
            fuzz_check_response(queries[k], query_len[k], resp, len);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *files[4] = {"example.com.zone", text, "example.net.zone", NET_ZONE};
    sb_diag_t *diag = sb_diag_new();
    CHECK(diag != NULL);
    sb_gen_t *gen = NULL;
    int rc = sb_zonedir_load_texts(&gen, files, 2, diag);
    CHECK(rc == 0 || rc == SB_ECONFIG || rc == -ENOMEM || rc == -EINVAL);
    CHECK((rc == 0) == (gen != NULL));
    if (rc == 0)
        CHECK(sb_diag_count(diag) == 0);
    if (rc == SB_ECONFIG)
        CHECK(sb_diag_count(diag) > 0);
    const char *msg;
    for (size_t i = 0; (msg = sb_diag_message(diag, i)) != NULL; i++)
        check_message(msg);
    if (gen != NULL)
        answer_all(gen);
    sb_gen_free(gen);
    sb_diag_free(diag);
    free(text);
    return 0;
}
