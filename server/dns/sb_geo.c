#include "sb_geo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct sb_geo {
    MMDB_s db;
    uint64_t serial; /* unique per open: what a thread's cache is keyed by */
};

/* Each DNS worker remembers what it looked up last, per thread (nothing
 * shared is written on the query path), keyed by the database's serial:
 *   - by client address (cut to the routing prefix by the caller): the
 *     same resolvers and subnets ask again and again, and a hit skips the
 *     tree walk;
 *   - by the database record a place came from (far fewer records than
 *     networks: every network of a city shares one): a hit skips decoding.
 * Both are direct-mapped; a miss costs what a lookup without them costs. */
#define ADDR_CACHE  512
#define PLACE_CACHE 1024
typedef struct {
    uint64_t serial;
    uint8_t family;
    uint8_t fields;
    bool found;
    uint8_t addr[16];
    sb_geo_place_t place;
} cached_addr_t;

typedef struct {
    uint64_t serial;
    uint32_t offset;
    uint8_t fields;
    sb_geo_place_t place;
} cached_place_t;

static _Thread_local cached_addr_t addr_cache[ADDR_CACHE];
static _Thread_local cached_place_t place_cache[PLACE_CACHE];
static _Atomic uint64_t serials;

/* A private, sealed copy of the file in memory (a memfd), named by its
 * /proc path into `name`: libmaxminddb maps the file it opens, and a file
 * rewritten or truncated in place under a mapping changes answers or kills
 * the process (SIGBUS). With the copy, only a reload reads the file again.
 * Returns the memfd, or -1 (errno set) when there is no copy to be had;
 * *readable is false when the file itself could not be read. */
static int private_copy(const char *path, char *name, size_t cap, bool *readable)
{
    *readable = false;
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    *readable = true;
    int fd = memfd_create("switchboard-geo", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    char buf[65536];
    ssize_t n = 0;
    while (fd >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0, w; off < n; off += w) {
            if ((w = write(fd, buf + off, (size_t)(n - off))) < 0) {
                n = -1;
                break;
            }
        }
        if (n < 0)
            break;
    }
    int saved = errno;
    close(in);
    if (fd >= 0 && (n < 0 || fcntl(fd, F_ADD_SEALS,
                                   F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)) {
        saved = errno;
        close(fd);
        fd = -1;
    }
    errno = saved;
    if (fd >= 0)
        snprintf(name, cap, "/proc/self/fd/%d", fd);
    return fd;
}

/* Open `path` through a private copy when one can be made (no /proc, no
 * memfd: the file itself). */
static int open_db(const char *path, MMDB_s *db, int *sys_errno)
{
    char name[64];
    bool readable;
    int fd = private_copy(path, name, sizeof(name), &readable);
    *sys_errno = errno;
    if (!readable)
        return MMDB_FILE_OPEN_ERROR;
    int rc = fd >= 0 ? MMDB_open(name, MMDB_MODE_MMAP, db) : MMDB_FILE_OPEN_ERROR;
    if (fd >= 0)
        close(fd); /* the mapping keeps the copy */
    if (fd < 0 || rc == MMDB_FILE_OPEN_ERROR) {
        rc = MMDB_open(path, MMDB_MODE_MMAP, db);
        *sys_errno = errno;
    }
    return rc;
}

int sb_geo_open(const char *path, sb_geo_t **out, char *why)
{
    sb_geo_t *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        snprintf(why, 256, "out of memory");
        return -ENOMEM;
    }
    g->serial = atomic_fetch_add(&serials, 1) + 1;
    int sys_errno;
    int rc = open_db(path, &g->db, &sys_errno);
    if (rc != MMDB_SUCCESS) {
        /* Say why the file could not be read (missing, or not readable by
         * the user the server runs as). */
        bool sys = rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR;
        snprintf(why, 256, "cannot read the location database: %s%s%s", MMDB_strerror(rc),
                 sys ? ": " : "", sys ? strerror(sys_errno) : "");
        free(g);
        return -EINVAL;
    }
    /* libmaxminddb finds where IPv4 lives in an IPv6 tree on the first IPv4
     * lookup and stores it in the handle: do that here, once, before any
     * DNS worker looks up at the same time. */
    struct sockaddr_in any = {.sin_family = AF_INET};
    int error;
    MMDB_lookup_sockaddr(&g->db, (const struct sockaddr *)&any, &error);
    *out = g;
    return 0;
}

void sb_geo_close(sb_geo_t *geo)
{
    if (geo == NULL)
        return;
    MMDB_close(&geo->db);
    free(geo);
}

/* A two-letter code at `path`, or 0. */
static sb_geo_code_t code_at(MMDB_entry_s *entry, const char *const *path, sb_geo_kind_t kind,
                             sb_geo_code_t country)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return 0;
    if (kind != SB_GEO_SUBDIVISION)
        return sb_geo_code_make(kind, d.utf8_string, d.data_size, "", 0);
    if (country == 0)
        return 0;
    char cc[2] = {(char)(country >> 32 & 0xff), (char)(country >> 24 & 0xff)};
    return sb_geo_code_make(kind, cc, 2, d.utf8_string, d.data_size);
}

static bool number_at(MMDB_entry_s *entry, const char *const *path, float *out)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data)
        return false;
    if (d.type == MMDB_DATA_TYPE_DOUBLE)
        *out = (float)d.double_value;
    else if (d.type == MMDB_DATA_TYPE_FLOAT)
        *out = d.float_value;
    else
        return false;
    return true;
}

static void read_place(MMDB_entry_s *entry, sb_geo_fields_t fields, sb_geo_place_t *out)
{
    static const char *const continent[] = {"continent", "code", NULL};
    static const char *const country[] = {"country", "iso_code", NULL};
    static const char *const registered[] = {"registered_country", "iso_code", NULL};
    static const char *const subdivision[] = {"subdivisions", "0", "iso_code", NULL};
    static const char *const lat[] = {"location", "latitude", NULL};
    static const char *const lon[] = {"location", "longitude", NULL};
    memset(out, 0, sizeof(*out));
    if (fields & SB_GEO_CODES) {
        out->continent = code_at(entry, continent, SB_GEO_CONTINENT, 0);
        out->country = code_at(entry, country, SB_GEO_COUNTRY, 0);
        if (out->country == 0)
            out->country = code_at(entry, registered, SB_GEO_COUNTRY, 0);
        out->subdivision = code_at(entry, subdivision, SB_GEO_SUBDIVISION, out->country);
    }
    if (fields & SB_GEO_LOCATION)
        out->has_location = number_at(entry, lat, &out->lat) && number_at(entry, lon, &out->lon);
}

static bool lookup_db(const sb_geo_t *geo, uint8_t family, const uint8_t *addr,
                      sb_geo_fields_t fields, sb_geo_place_t *out)
{
    struct sockaddr_in in4 = {.sin_family = AF_INET};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    const struct sockaddr *sa = (const struct sockaddr *)&in6;
    if (family == 4) {
        memcpy(&in4.sin_addr, addr, 4);
        sa = (const struct sockaddr *)&in4;
    } else {
        memcpy(&in6.sin6_addr, addr, 16);
    }
    int error = MMDB_SUCCESS;
    /* Lookups only read the mapped file: libmaxminddb takes the handle
     * non-const, but is documented as safe from many threads at once. */
    MMDB_s *db = (MMDB_s *)&geo->db;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db, sa, &error);
    if (error != MMDB_SUCCESS) {
        memset(out, 0, sizeof(*out));
        return false;
    }
    /* An IPv4 address in an IPv6 database: the network's length counts the
     * 96 bits of the ::/96 it lives under. */
    unsigned v4_base = family == 4 ? geo->db.ipv4_start_node.netmask : 0;
    uint8_t prefix = (uint8_t)(r.netmask >= v4_base ? r.netmask - v4_base : 0);
    if (!r.found_entry) {
        memset(out, 0, sizeof(*out));
        out->prefix = prefix;
        return false;
    }
    cached_place_t *c = &place_cache[(r.entry.offset ^ fields) % PLACE_CACHE];
    if (c->serial != geo->serial || c->offset != r.entry.offset || c->fields != fields) {
        read_place(&r.entry, fields, &c->place);
        c->serial = geo->serial;
        c->offset = r.entry.offset;
        c->fields = (uint8_t)fields;
    }
    *out = c->place;
    out->prefix = prefix;
    return true;
}

static cached_addr_t *addr_slot(uint8_t family, const uint8_t *addr)
{
    uint64_t w0, w1 = 0;
    memcpy(&w0, addr, 8);
    if (family == 6)
        memcpy(&w1, addr + 8, 8);
    uint64_t h = (w0 * 0x9e3779b97f4a7c15ull) ^ (w1 * 0xc2b2ae3d27d4eb4full) ^ family;
    return &addr_cache[(h >> 40) % ADDR_CACHE];
}

bool sb_geo_lookup(const sb_geo_t *geo, uint8_t family, const uint8_t *addr, sb_geo_fields_t fields,
                   sb_geo_place_t *out)
{
    uint8_t key[16] = {0};
    memcpy(key, addr, family == 4 ? 4 : 16);
    cached_addr_t *c = addr_slot(family, key);
    if (c->serial == geo->serial && c->family == family && c->fields == fields &&
        memcmp(c->addr, key, 16) == 0) {
        *out = c->place;
        return c->found;
    }
    bool found = lookup_db(geo, family, key, fields, out);
    c->serial = geo->serial;
    c->family = family;
    c->fields = (uint8_t)fields;
    c->found = found;
    memcpy(c->addr, key, 16);
    c->place = *out;
    return found;
}

const char *sb_geo_describe(const sb_geo_t *geo, char *buf, size_t cap)
{
    char when[32] = "?";
    time_t built = (time_t)geo->db.metadata.build_epoch;
    struct tm tm;
    if (gmtime_r(&built, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%d", &tm);
    snprintf(buf, cap, "%s, built %s", geo->db.metadata.database_type, when);
    return buf;
}
