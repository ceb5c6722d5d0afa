/*
 * The cost of answering, without sockets: sb_answer() over the shipped zone
 * for a mix of queries, N rounds, and with `rrl`, each response judged by
 * response rate limiting as a UDP worker does (the default rates, one
 * client: most are over the rate). Prints nanoseconds per query (noisy on
 * a shared machine) and is meant to be run under callgrind for a
 * repeatable count of instructions per query:
 *
 * The shipped zone routes app.example.com by location: the demo database
 * the build writes is read from SB_GEO_DATABASE, else build/demo-geo.mmdb
 * (the kinds' zone needs none).
 *
 *   build/tests/bench/bench_answer zones 100000 [rrl]
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
 *       build/tests/bench/bench_answer zones 20000 [rrl]
 *   (the "refs" total, less that of 0 rounds, divided by queries answered)
 *
 * With a KIND instead of `rrl`, one query of that kind of answer, over and
 * over, against the fixed zone in tests/bench/kinds (README.md, "Answers
 * per kind"):
 *
 *   build/tests/bench/bench_answer tests/bench/kinds 20000 nxdomain
 */
#include "sb_answer.h"
#include "sb_dns.h"
#include "sb_gen.h"
#include "sb_zonedir.h"
#include "sb_rrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *name;
    uint16_t type;
} queries[] = {
    {"www.example.com.", SB_TYPE_A},    {"WwW.ExAmPlE.CoM.", SB_TYPE_A},
    {"www.example.com.", SB_TYPE_AAAA}, {"api.example.com.", SB_TYPE_A},
    {"example.com.", SB_TYPE_MX},       {"example.com.", SB_TYPE_SOA},
    {"mail.example.com.", SB_TYPE_A},   {"nope.example.com.", SB_TYPE_A},
    {"east.example.com.", SB_TYPE_TXT}, {"www.example.org.", SB_TYPE_A},
};
#define NQ (sizeof(queries) / sizeof(queries[0]))

/* One question per kind of answer, in tests/bench/kinds/kinds.test.zone. */
static const struct {
    const char *kind;
    const char *name;
    uint16_t type;
} kinds[] = {
    {"static", "www.kinds.test.", SB_TYPE_A},    {"dynamic", "dyn.kinds.test.", SB_TYPE_A},
    {"cname", "alias.kinds.test.", SB_TYPE_A},   {"nxdomain", "nope.kinds.test.", SB_TYPE_A},
    {"nodata", "www.kinds.test.", SB_TYPE_AAAA}, {"referral", "host.sub.kinds.test.", SB_TYPE_A},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The index of `word` among the kinds, or -1. */
static int kind_of(const char *word)
{
    for (size_t i = 0; i < NKINDS; i++) {
        if (strcmp(word, kinds[i].kind) == 0)
            return (int)i;
    }
    return -1;
}

static size_t build(uint8_t *buf, const char *name, uint16_t type)
{
    memset(buf, 0, 12);
    sb_put16(buf, 0x4242);
    sb_put16(buf + 4, 1);
    sb_put16(buf + 10, 1);
    size_t n = 12 + (size_t)sb_name_from_text(name, buf + 12);
    sb_put16(buf + n, type);
    sb_put16(buf + n + 2, SB_CLASS_IN);
    n += 4;
    static const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    memcpy(buf + n, opt, sizeof(opt));
    return n + sizeof(opt);
}

int main(int argc, char **argv)
{
    int kind = argc == 4 ? kind_of(argv[3]) : -1;
    if (argc != 3 && !(argc == 4 && (strcmp(argv[3], "rrl") == 0 || kind >= 0))) {
        fprintf(stderr, "usage: bench_answer ZONES_DIR ROUNDS [rrl | static | dynamic | cname | "
                        "nxdomain | nodata | referral]\n");
        return 2;
    }
    sb_rrl_config_t rrl_cfg = {200, 200, 200, 2, 24, 56, NULL, 0};
    sb_rrl_t *rrl = NULL;
    sb_rrl_worker_t rrl_worker = {0};
    if (argc == 4 && kind < 0 && sb_rrl_new(&rrl, &rrl_cfg) < 0)
        return 1;
    sb_diag_t *diag = sb_diag_new();
    sb_gen_t *gen;
    const char *geo = getenv("SB_GEO_DATABASE");
    if (geo == NULL) /* the kinds' zone routes by nothing: it needs no database */
        geo = kind >= 0 ? NULL : "build/demo-geo.mmdb";
    if (sb_zonedir_load(&gen, argv[1], geo, diag) != 0) {
        sb_diag_print(diag, stderr);
        return 1;
    }
    long rounds = atol(argv[2]);
    uint8_t q[NQ][300], resp[1232];
    size_t qlen[NQ];
    size_t nq = kind >= 0 ? 1 : NQ;
    for (size_t i = 0; i < nq; i++)
        qlen[i] = kind >= 0 ? build(q[i], kinds[kind].name, kinds[kind].type)
                            : build(q[i], queries[i].name, queries[i].type);
    sb_answer_config_t cfg = {.udp_max = 1232};
    sb_client_t client = {.transport = SB_TRANSPORT_UDP,
                          .addr_len = 4,
                          .addr = {127, 0, 0, 1},
                          .now = (uint32_t)time(NULL)};
    size_t sent = 0;
    sb_answer_info_t info;
    size_t bytes = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long r = 0; r < rounds; r++) {
        for (size_t i = 0; i < nq; i++) {
            size_t n = sb_answer(gen, &cfg, &client, q[i], qlen[i], resp, sizeof(resp), &info);
            if (rrl != NULL && sb_rrl_judge(rrl, &rrl_worker, &client, &info) == SB_RRL_DROP)
                n = 0;
            bytes += n;
            sent += n > 0;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    long total = rounds * (long)nq;
    printf("queries: %ld, responses sent: %zu, response bytes: %zu, %.1f ns/query\n", total, sent,
           bytes, ns / (double)total);
    sb_rrl_free(rrl);
    sb_gen_free(gen);
    sb_diag_free(diag);
    return 0;
}
