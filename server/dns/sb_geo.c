#include "sb_geo.h"

#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sb_geo {
    MMDB_s db;
};

int sb_geo_open(const char *path, sb_geo_t **out, char *why)
{
    sb_geo_t *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        snprintf(why, 256, "out of memory");
        return -ENOMEM;
    }
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
    if (rc != MMDB_SUCCESS) {
        snprintf(why, 256, "cannot read the location database %s: %s%s%s", path, MMDB_strerror(rc),
                 rc == MMDB_IO_ERROR ? ": " : "", rc == MMDB_IO_ERROR ? strerror(errno) : "");
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

static void read_place(MMDB_entry_s *entry, sb_geo_place_t *out)
{
    static const char *const continent[] = {"continent", "code", NULL};
    static const char *const country[] = {"country", "iso_code", NULL};
    static const char *const registered[] = {"registered_country", "iso_code", NULL};
    static const char *const subdivision[] = {"subdivisions", "0", "iso_code", NULL};
    static const char *const lat[] = {"location", "latitude", NULL};
    static const char *const lon[] = {"location", "longitude", NULL};
    out->continent = code_at(entry, continent, SB_GEO_CONTINENT, 0);
    out->country = code_at(entry, country, SB_GEO_COUNTRY, 0);
    if (out->country == 0)
        out->country = code_at(entry, registered, SB_GEO_COUNTRY, 0);
    out->subdivision = code_at(entry, subdivision, SB_GEO_SUBDIVISION, out->country);
    out->has_location = number_at(entry, lat, &out->lat) && number_at(entry, lon, &out->lon);
}

bool sb_geo_lookup(const sb_geo_t *geo, uint8_t family, const uint8_t *addr, sb_geo_place_t *out)
{
    memset(out, 0, sizeof(*out));
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
    if (error != MMDB_SUCCESS)
        return false;
    /* An IPv4 address in an IPv6 database: the network's length counts the
     * 96 bits of the ::/96 it lives under. */
    unsigned v4_base = family == 4 ? geo->db.ipv4_start_node.netmask : 0;
    out->prefix = (uint8_t)(r.netmask >= v4_base ? r.netmask - v4_base : 0);
    if (!r.found_entry)
        return false;
    read_place(&r.entry, out);
    return true;
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
