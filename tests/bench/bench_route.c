/*
 * The cost of each routing method on the answer path, without sockets:
 * sb_answer() for one profile per method, asked for A by clients whose
 * EDNS Client Subnet rotates through 256 networks (the same queries for
 * every method, so the difference is the method's). Prints nanoseconds per
 * query (noisy) and is meant to be run under callgrind for a repeatable
 * count of instructions per query, and under memcheck to show that the
 * query path allocates nothing (the heap totals of 0 rounds and of N
 * rounds are the same):
 *
 *   build/tests/bench/bench_route GEO_DB METHOD ROUNDS [NETWORKS]
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
 *       build/tests/bench/bench_route build/demo-geo.mmdb weighted 1000
 *   (the "refs" total, less that of 0 rounds, divided by 256,000 queries)
 *
 * NETWORKS (default 256, at most 65536) is how many client networks the
 * queries rotate through: geo and closest keep a per-thread cache of
 * lookups, which 256 fit and 65536 do not. Past 256 they are the /24s of
 * 10.0.0.0/8 that tests/bench/make_geo_db.py places (65,536 networks, 5,000
 * distinct places): give that database as GEO_DB.
 *   valgrind build/tests/bench/bench_route build/demo-geo.mmdb geo 1000
 *   ("total heap usage" the same as with 0 rounds)
 *
 * METHOD: priority, equal (priority, two equal primaries), weighted, sticky
 * (weighted, sticky=yes), all, subnet, geo, closest, nested (a priority
 * profile leading to the weighted one), chain (what nested is to be
 * compared with: a priority profile answering a CNAME to an A record).
 */
#include "sb_answer.h"
#include "sb_dns.h"
#include "sb_gen.h"
#include "sb_zonedir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char ZONE[] =
    "$ORIGIN example.com.\n$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 7200 900 1209600 60\n@ NS ns1\nns1 A 192.0.2.53\n"
    "priority profile priority {\n monitor none\n"
    " endpoint a 192.0.2.1 priority=1\n endpoint b 192.0.2.2 priority=2\n"
    " endpoint c 192.0.2.3 priority=3\n endpoint d 192.0.2.4 priority=4\n}\n"
    "equal profile priority {\n monitor none\n"
    " endpoint a 192.0.2.1 priority=1\n endpoint b 192.0.2.2 priority=1\n"
    " endpoint c 192.0.2.3 priority=2\n endpoint d 192.0.2.4 priority=3\n}\n"
    "weighted profile weighted {\n monitor none\n"
    " endpoint a 192.0.2.1 weight=10\n endpoint b 192.0.2.2 weight=20\n"
    " endpoint c 192.0.2.3 weight=30\n endpoint d 192.0.2.4 weight=40\n}\n"
    "sticky profile weighted sticky=yes {\n monitor none\n"
    " endpoint a 192.0.2.1 weight=10\n endpoint b 192.0.2.2 weight=20\n"
    " endpoint c 192.0.2.3 weight=30\n endpoint d 192.0.2.4 weight=40\n}\n"
    "all profile all max-answers=4 {\n monitor none\n"
    " endpoint a 192.0.2.1\n endpoint b 192.0.2.2\n"
    " endpoint c 192.0.2.3\n endpoint d 192.0.2.4\n}\n"
    "subnet profile subnet {\n monitor none\n"
    " endpoint a 192.0.2.1 subnets=10.0.0.0/8\n endpoint b 192.0.2.2 subnets=10.1.0.0/16\n"
    " endpoint c 192.0.2.3 subnets=198.51.100.0/24,2001:db8::/32\n"
    " endpoint d 192.0.2.4 subnets=default\n}\n"
    "geo profile geo {\n monitor none\n"
    " endpoint a 192.0.2.1 regions=continent:EU\n endpoint b 192.0.2.2 regions=DE\n"
    " endpoint c 192.0.2.3 regions=US-CA,JP\n endpoint d 192.0.2.4 regions=default\n}\n"
    "closest profile closest {\n monitor none\n"
    " endpoint a 192.0.2.1 location=50.11,8.68\n endpoint b 192.0.2.2 location=38.95,-77.45\n"
    " endpoint c 192.0.2.3 location=35.68,139.69\n endpoint d 192.0.2.4 location=-33.87,151.21\n"
    "}\n"
    "nested profile priority {\n monitor none\n"
    " endpoint pool weighted priority=1\n endpoint last last priority=2\n}\n"
    "last A 192.0.2.9\n"
    "chain profile priority {\n monitor none\n endpoint a last priority=1\n}\n";

/* A query for `name` A with an ECS option for the /24 `net` (IPv4), in at
 * most 64 bytes. */
static size_t build(uint8_t *buf, const char *name, const uint8_t net[3])
{
    memset(buf, 0, 12);
    sb_put16(buf, 0x4242);
    sb_put16(buf + 4, 1);
    sb_put16(buf + 10, 1);
    size_t n = 12 + (size_t)sb_name_from_text(name, buf + 12);
    sb_put16(buf + n, SB_TYPE_A);
    sb_put16(buf + n + 2, SB_CLASS_IN);
    n += 4;
    static const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 4 + 4 + 3};
    memcpy(buf + n, opt, sizeof(opt));
    n += sizeof(opt);
    const uint8_t ecs[8] = {0, SB_EDNS_OPT_ECS, 0, 4 + 3, 0, 1, 24, 0};
    memcpy(buf + n, ecs, sizeof(ecs));
    memcpy(buf + n + sizeof(ecs), net, 3);
    return n + sizeof(ecs) + 3;
}

/* Client network `i` of `nets`: with up to 256, documentation and private
 * space, some in the demo database, some not; with more, 10.0.0.0/8 /24 by
 * /24, as make_geo_db.py places them. */
static void network(unsigned i, unsigned nets, uint8_t net[3])
{
    static const uint8_t firsts[4][2] = {{192, 0}, {198, 51}, {10, 1}, {127, 0}};
    if (nets > 256) {
        net[0] = 10;
        net[1] = (uint8_t)(i >> 8);
        net[2] = (uint8_t)i;
        return;
    }
    net[0] = firsts[i % 4][0];
    net[1] = firsts[i % 4][1];
    net[2] = (uint8_t)(i / 4 % 3 == 0 ? (i % 4 == 0 ? 2 : 100) : i);
}

int main(int argc, char **argv)
{
    unsigned nets = argc == 5 ? (unsigned)atoi(argv[4]) : 256;
    if ((argc != 4 && argc != 5) || nets < 1 || nets > 65536) {
        fprintf(stderr, "usage: bench_route GEO_DB METHOD ROUNDS [NETWORKS]\n");
        return 2;
    }
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    const char *files[2] = {"example.com.zone", ZONE};
    if (sb_zonedir_load_texts_with(&gen, files, 1, argv[1], diag) != 0) {
        sb_diag_print(diag, stderr);
        return 1;
    }
    char name[64];
    snprintf(name, sizeof(name), "%s.example.com.", argv[2]);
    uint8_t(*q)[64] = calloc(nets, 64);
    size_t *qlen = calloc(nets, sizeof(size_t));
    if (q == NULL || qlen == NULL)
        return 1;
    for (unsigned i = 0; i < nets; i++) {
        uint8_t net[3];
        network(i, nets, net);
        qlen[i] = build(q[i], name, net);
    }
    long rounds = atol(argv[3]);
    sb_answer_config_t cfg = {.udp_max = 1232};
    sb_client_t client = {.transport = SB_TRANSPORT_UDP, .addr_len = 4, .addr = {127, 0, 0, 1}};
    uint8_t resp[1232];
    sb_answer_info_t info;
    size_t answered = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < nets; i++) {
            sb_answer(gen, &cfg, &client, q[i], qlen[i], resp, sizeof(resp), &info);
            answered += info.endpoint_count > 0;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    long total = rounds * (long)nets;
    printf("%s: queries %ld, answered from the profile %zu, %.1f ns/query\n", argv[2], total,
           answered, total > 0 ? ns / (double)total : 0.0);
    free(q);
    free(qlen);
    sb_gen_free(gen);
    sb_diag_free(diag);
    return answered == (size_t)total ? 0 : 1;
}
