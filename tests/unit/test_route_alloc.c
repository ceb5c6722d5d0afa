/* The query path allocates nothing, whatever the routing method: 100000
 * sb_answer() calls per profile (priority, weighted at random and sticky,
 * all rotating and shuffled, subnet, geo, closest; with and without EDNS
 * Client Subnet, from IPv4 and IPv6 clients, A and AAAA), in each state a
 * decision can be in (every endpoint usable, one down, failing open, a
 * switchover, fail-closed, a fallback, all drained), every allocation
 * counted.
 *
 * How, twice over:
 *   - this executable is linked with -Wl,--wrap for each allocating libc
 *     call (tests/unit/CMakeLists.txt), so that every call from
 *     switchboard_core lands in a __wrap_ function here, which counts it
 *     and calls the real one (in every build, sanitizers included);
 *   - without a sanitizer (which brings its own allocator), malloc,
 *     calloc, realloc and memalign are replaced here for the whole
 *     process, so that calls from shared libraries (libc itself,
 *     liburcu, libmaxminddb) are counted too.
 * geo and closest run with the test location database when there is one
 * (SB_TEST_GEO_DATABASE; make_route_geo_db.py), and are skipped
 * otherwise. */
#include "sb_test.h"
#include "sb_test_route.h"

#include "sb_answer.h"
#include "sb_dns.h"
#include "sb_route.h"

#include <stdlib.h>
#include <unistd.h>

/* ---- counting ------------------------------------------------------------ */

static bool counting;
static unsigned long allocations;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_reallocarray(void *p, size_t n, size_t size);
void *__real_aligned_alloc(size_t align, size_t size);
int __real_posix_memalign(void **out, size_t align, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_reallocarray(void *p, size_t n, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);
int __wrap_posix_memalign(void **out, size_t align, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif

#define COUNT() (allocations += counting)

/* Without a sanitizer the replacements below count every malloc, calloc
 * and realloc, from this executable too (__real_malloc is the
 * replacement): their wrappers then leave the count to them. Others are
 * counted by their wrappers (some twice: once is enough to fail). */
#ifdef SANITIZED
#define WRAP_COUNT() COUNT()
#else
#define WRAP_COUNT() ((void)0)
#endif

void *__wrap_malloc(size_t size)
{
    WRAP_COUNT();
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    WRAP_COUNT();
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    WRAP_COUNT();
    return __real_realloc(p, size);
}

void *__wrap_reallocarray(void *p, size_t n, size_t size)
{
    COUNT();
    return __real_reallocarray(p, n, size);
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
    COUNT();
    return __real_aligned_alloc(align, size);
}

int __wrap_posix_memalign(void **out, size_t align, size_t size)
{
    COUNT();
    return __real_posix_memalign(out, align, size);
}

char *__wrap_strdup(const char *s)
{
    COUNT();
    return __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    COUNT();
    return __real_strndup(s, n);
}

#ifndef SANITIZED
/* glibc's own allocator, under the names it exports for replacements. */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);

void *malloc(size_t size)
{
    COUNT();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    COUNT();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    COUNT();
    return __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size);
void *memalign(size_t align, size_t size)
{
    COUNT();
    return __libc_memalign(align, size);
}
#endif

/* ---- the zone ------------------------------------------------------------ */

static const char *ZONE =
    SB_TEST_HEADER "prio profile priority fallback=192.0.2.99 {\n"
                   "    monitor none\n"
                   "    endpoint p1 192.0.2.1 priority=1\n"
                   "    endpoint p2 192.0.2.2 priority=1\n"
                   "    endpoint p3 2001:db8::3 priority=2\n"
                   "}\n"
                   "names profile priority all-down=fail-closed {\n"
                   "    monitor none\n"
                   "    endpoint n1 east priority=1\n"
                   "    endpoint n2 west priority=2\n"
                   "}\n"
                   "random profile weighted {\n"
                   "    monitor none\n"
                   "    endpoint w1 192.0.2.1 weight=1\n"
                   "    endpoint w2 192.0.2.2 weight=3\n"
                   "    endpoint w0 192.0.2.3 weight=0\n"
                   "    endpoint w6 2001:db8::6 weight=6\n"
                   "}\n"
                   "sticky profile weighted sticky=yes sticky-prefix=20,40 {\n"
                   "    monitor none\n"
                   "    endpoint s1 east weight=2\n"
                   "    endpoint s2 west weight=5\n"
                   "    endpoint s3 ns1 weight=1\n"
                   "}\n"
                   "rotate profile all max-answers=3 {\n"
                   "    monitor none\n"
                   "    endpoint r1 192.0.2.1\n"
                   "    endpoint r2 192.0.2.2\n"
                   "    endpoint r3 192.0.2.3\n"
                   "    endpoint r4 192.0.2.4\n"
                   "    endpoint r6 2001:db8::6\n"
                   "}\n"
                   "shuffle profile all order=random {\n"
                   "    monitor none\n"
                   "    endpoint x1 192.0.2.1\n"
                   "    endpoint x2 192.0.2.2\n"
                   "    endpoint x3 192.0.2.3\n"
                   "    endpoint x6 2001:db8::6\n"
                   "    endpoint x7 2001:db8::7\n"
                   "}\n"
                   "net profile subnet {\n"
                   "    monitor none\n"
                   "    endpoint a 192.0.2.1 subnets=10.0.0.0/8,2001:db8::/32\n"
                   "    endpoint b 192.0.2.2 subnets=10.1.0.0/16\n"
                   "    endpoint c 192.0.2.3 subnets=default\n"
                   "    endpoint a6 2001:db8::1 subnets=10.0.0.0/8,::/0\n"
                   "    endpoint b6 2001:db8::2 subnets=0.0.0.0/0\n"
                   "}\n";

/* Geo and closest, with the database make_route_geo_db.py writes. */
static const char *GEO_ZONE =
    SB_TEST_HEADER "geo profile geo {\n"
                   "    monitor none\n"
                   "    endpoint bavaria 192.0.2.101 regions=DE-BY\n"
                   "    endpoint europe 192.0.2.103 regions=continent:EU\n"
                   "    endpoint rest 192.0.2.105 regions=default\n"
                   "    endpoint six 2001:db8::103 regions=FR,default\n"
                   "}\n"
                   "near profile closest {\n"
                   "    monitor none\n"
                   "    endpoint fra 192.0.2.201 location=50.11,8.68\n"
                   "    endpoint tokyo 203.0.113.50\n"
                   "    endpoint syd6 2001:db8::203 location=-33.87,151.21\n"
                   "    endpoint nyc6 2001:db8::204 location=40.71,-74.01\n"
                   "}\n";

/* ---- asking -------------------------------------------------------------- */

static sb_gen_t *gen;
static sb_answer_config_t cfg = {.udp_max = 1232};

/* A query for `name` of `qtype`; with `ecs` an ECS option for a subnet of
 * `family` (1 IPv4, 2 IPv6) drawn from `seed`. */
static size_t query(uint8_t *buf, const char *name, uint16_t qtype, bool ecs, uint16_t family,
                    unsigned seed)
{
    sb_prefix_t net = {.family = family == 1 ? 4 : 6, .len = family == 1 ? 24 : 56};
    const uint8_t v4[3] = {10, (uint8_t)(seed >> 3), (uint8_t)seed};
    const uint8_t v6[7] = {0x20, 0x01, 0x0d, 0xb8, (uint8_t)(seed >> 8), (uint8_t)seed, 0};
    memcpy(net.addr, family == 1 ? v4 : v6, family == 1 ? sizeof(v4) : sizeof(v6));
    return sb_test_query(buf, (uint16_t)seed, name, qtype, ecs ? &net : NULL);
}

/* `count` queries for `name`, each different (type, ECS or not, client
 * address and family, UDP or TCP); returns the allocations they made.
 * Every response must carry an answer, unless `empty` (fail-closed). */
static unsigned long ask_many(const char *name, unsigned count, bool empty)
{
    static uint8_t q[512], resp[SB_DNS_TCP_MAX];
    sb_client_t client = {.now = 1700000000u};
    allocations = 0;
    for (unsigned k = 0; k < count; k++) {
        uint16_t qtype = k & 1 ? SB_TYPE_AAAA : SB_TYPE_A;
        size_t qlen = query(q, name, qtype, k & 2, k & 4 ? 2 : 1, k);
        client.transport = k & 8 ? SB_TRANSPORT_TCP : SB_TRANSPORT_UDP;
        client.addr_len = k & 16 ? 16 : 4;
        const uint8_t v4[4] = {198, 51, (uint8_t)(k >> 8), (uint8_t)k};
        const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, (uint8_t)(k >> 8), (uint8_t)k};
        memcpy(client.addr, k & 16 ? v6 : v4, client.addr_len);
        sb_answer_info_t info;
        counting = true;
        size_t len = sb_answer(gen, &cfg, &client, q, qlen, resp, sizeof(resp), &info);
        counting = false;
        assert_true(len > 12);
        assert_int_equal(resp[3] & 0x0f, SB_RCODE_NOERROR);
        if (!empty)
            assert_int_not_equal(resp[6] | resp[7], 0); /* ANCOUNT */
    }
    return allocations;
}

/* ---- the states a decision can be in ----------------------------------- */

static sb_profile_t *profile_named(const char *owner)
{
    return sb_test_profile(gen, owner);
}

typedef enum { ALL_UP, FIRST_DOWN, ALL_DOWN, SWITCHOVER, ALL_DRAINED, STATES } state_t;

static void publish(sb_profile_t *p, state_t state)
{
    bool usable[16], eligible[16];
    for (uint16_t i = 0; i < p->count; i++) {
        usable[i] = !(state == ALL_DOWN || (state == FIRST_DOWN && i == 0));
        eligible[i] = state != ALL_DRAINED;
    }
    uint16_t preferred = state == SWITCHOVER ? (uint16_t)(p->count - 1) : SB_PICK_NONE;
    sb_route_input_t in = {.usable = usable, .eligible = eligible, .preferred = preferred};
    sb_route_release(p); /* no reader: freed at once */
    sb_route_publish(p, sb_route_decide(p, &in));
}

#define QUERIES 100000

/* Every state of `owner`'s decision, QUERIES queries in all: none of them
 * allocates. */
static void never_allocates(const char *owner)
{
    sb_profile_t *p = profile_named(owner);
    unsigned long total = 0;
    for (state_t st = ALL_UP; st < STATES; st++) {
        publish(p, st);
        bool empty = st == ALL_DRAINED || (st == ALL_DOWN && p->all_down == SB_ALL_DOWN_CLOSED);
        total += ask_many(owner, QUERIES / STATES, empty);
    }
    printf("%-22s %d answers, %lu allocations\n", owner, QUERIES, total);
    assert_int_equal(total, 0);
}

static void priority_never_allocates(void **state)
{
    (void)state;
    never_allocates("prio.example.com.");
    never_allocates("names.example.com.");
}

static void weighted_never_allocates(void **state)
{
    (void)state;
    never_allocates("random.example.com.");
    never_allocates("sticky.example.com.");
}

static void all_never_allocates(void **state)
{
    (void)state;
    never_allocates("rotate.example.com.");
    never_allocates("shuffle.example.com.");
}

static void subnet_never_allocates(void **state)
{
    (void)state;
    never_allocates("net.example.com.");
}

/* Geo and closest look the client up in the database (and in per-thread
 * caches): nothing allocated either, hits and misses alike. */
static void geo_and_closest_never_allocate(void **state)
{
    (void)state;
    const char *db = getenv("SB_TEST_GEO_DATABASE");
    if (db == NULL || access(db, R_OK) != 0) {
        fprintf(stderr, "no SB_TEST_GEO_DATABASE: skipped\n");
        skip();
    }
    sb_gen_t *was = gen;
    const char *files[2] = {"example.com.zone", GEO_ZONE};
    sb_diag_t *diag = sb_diag_new();
    int rc = sb_zonedir_load_texts_with(&gen, files, 1, db, diag);
    if (rc != 0)
        sb_diag_print(diag, stderr);
    sb_diag_free(diag);
    assert_int_equal(rc, 0);
    never_allocates("geo.example.com.");
    never_allocates("near.example.com.");
    sb_gen_free(gen);
    gen = was;
}

/* The counting works: loading a zone allocates, and so does deciding. */
static void the_count_sees_allocations(void **state)
{
    (void)state;
    allocations = 0;
    counting = true;
    sb_gen_free(sb_test_load_ok(ZONE));
    counting = false;
    assert_true(allocations > 0);
    /* A decision is one malloc, in switchboard_core. */
    allocations = 0;
    counting = true;
    sb_route_decision_t *d = sb_route_decide(profile_named("net.example.com."), NULL);
    counting = false;
    assert_int_equal(allocations, 1);
    sb_route_discard(d);
#ifndef SANITIZED
    /* And inside libc, through the replacements (nothing wrapped here). */
    char *text = NULL;
    size_t len = 0;
    allocations = 0;
    counting = true;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "%d", 42);
    fclose(f);
    counting = false;
    assert_true(allocations >= 1);
    free(text);
#endif
}

static int setup(void **state)
{
    (void)state;
    gen = sb_test_load_ok(ZONE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_gen_free(gen);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_count_sees_allocations),
        cmocka_unit_test(priority_never_allocates),
        cmocka_unit_test(weighted_never_allocates),
        cmocka_unit_test(all_never_allocates),
        cmocka_unit_test(subnet_never_allocates),
        cmocka_unit_test(geo_and_closest_never_allocate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
