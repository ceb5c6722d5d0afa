/*
 * Loading a zones directory: the zone files, then the checks that need
 * every zone (sb_zonedir.h).
 */
#include "sb_zonedir.h"

#include "sb_arena.h"
#include "sb_dns.h"
#include "sb_error.h"
#include "sb_monitor.h"
#include "sb_zonedir_route.h"
#include "sb_zonedir_targets.h"
#include "sb_zonefile.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char ZONE_SUFFIX[] = ".zone";

/* "example.com.zone" → the wire name of example.com. Returns 0 or -EINVAL. */
static int apex_from_file_name(const char *base, uint8_t apex[SB_NAME_MAX])
{
    size_t len = strlen(base), slen = sizeof(ZONE_SUFFIX) - 1;
    char text[SB_NAME_TEXT_MAX];
    if (len <= slen || len - slen >= sizeof(text) || strcmp(base + len - slen, ZONE_SUFFIX) != 0)
        return -EINVAL;
    memcpy(text, base, len - slen);
    text[len - slen] = '\0';
    int n = sb_name_from_text(text, apex);
    return n > 1 ? 0 : -EINVAL;
}

/* ---- endpoint targets inside served zones ------------------------------ */

static size_t collect_addresses(const sb_node_t *node, sb_addr_t *out, size_t max)
{
    size_t n = 0;
    for (const sb_rrset_t *s = node->rrsets; s != NULL; s = s->next) {
        if (s->type != SB_TYPE_A && s->type != SB_TYPE_AAAA)
            continue;
        for (uint16_t i = 0; i < s->count && n < max; i++) {
            out[n].family = s->type == SB_TYPE_A ? 4 : 6;
            memcpy(out[n].bytes, s->rdata[i].data, s->rdata[i].len);
            n++;
        }
    }
    return n;
}

static const char *why_unusable(const sb_match_t *m)
{
    if (m->kind == SB_MATCH_NXDOMAIN)
        return "does not exist there";
    if (m->node->profile != NULL)
        return "is a traffic-managed name (a wildcard profile); endpoints lead to a profile "
               "by its own name";
    if (m->node->flags & SB_NODE_CNAME)
        return "is a CNAME; point the endpoint at the CNAME's target instead";
    return "has no A or AAAA record to answer with and probe";
}

/* The addresses of `name` (an endpoint's target or probe target) from the
 * served zones, into *addrs. Nothing when the name is not served here (DNS
 * resolves it); an error when it is served but cannot be probed. */
static int addresses_in_zone(sb_gen_t *gen, const sb_endpoint_t *ep, const uint8_t *name,
                             const char *what, const sb_addr_t **addrs, uint8_t *count,
                             sb_diag_t *diag)
{
    sb_lname_t target;
    sb_name_to_lname(&target, name);
    const sb_zone_t *z = sb_gen_find_zone(gen, &target);
    if (z == NULL)
        return 0; /* outside every served zone: resolved through DNS */
    sb_match_t m;
    sb_zone_lookup(z, &target, SB_TYPE_A, &m);
    if (m.kind == SB_MATCH_REFERRAL || m.kind == SB_MATCH_DNAME)
        return 0; /* delegated or redirected away: resolved through DNS */
    if (m.kind == SB_MATCH_EXACT && m.node->profile != NULL && addrs == &ep->zone_addrs &&
        sb_zonedir_route_nest(gen, (sb_endpoint_t *)ep, m.node->profile, diag))
        return 0; /* the target is a profile: a nested endpoint */
    sb_addr_t found[16];
    size_t n = 0;
    if ((m.kind == SB_MATCH_EXACT || m.kind == SB_MATCH_WILDCARD) && m.node->profile == NULL)
        n = collect_addresses(m.node, found, 16);
    if (n == 0) {
        char text[SB_NAME_TEXT_MAX];
        sb_name_to_text(name, text, sizeof(text));
        sb_diag_error(diag, ep->pos, "endpoint '%s': %s %s is in the served zone %s but %s",
                      ep->name, what, text, sb_zone_apex_text(z), why_unusable(&m));
        return 0;
    }
    *addrs = sb_arena_memdup(sb_gen_arena(gen), found, n * sizeof(sb_addr_t));
    if (*addrs == NULL)
        return -ENOMEM;
    *count = (uint8_t)n;
    return 0;
}

/* A probe-target that is a name (not an address literal), in wire form. */
static bool probe_name(const sb_endpoint_t *ep, uint8_t *wire)
{
    const char *host = ep->monitor->probe_host;
    sb_addr_t literal;
    if (host == NULL || sb_addr_parse(host, &literal) == 0)
        return false;
    char text[SB_NAME_TEXT_MAX + 2];
    snprintf(text, sizeof(text), "%s%s", host, host[strlen(host) - 1] == '.' ? "" : ".");
    return sb_name_from_text(text, wire) > 0;
}

static int resolve_in_zone(sb_gen_t *gen, sb_endpoint_t *ep, sb_diag_t *diag)
{
    uint8_t wire[SB_NAME_MAX];
    if (probe_name(ep, wire)) {
        int rc = addresses_in_zone(gen, ep, wire, "probe target", &ep->probe_zone_addrs,
                                   &ep->probe_zone_addr_count, diag);
        if (rc < 0)
            return rc;
    }
    if (ep->kind != SB_TARGET_NAME || sb_name_equal(ep->target, ep->profile->owner))
        return 0; /* the zone file parser reports an endpoint aimed at itself */
    return addresses_in_zone(gen, ep, ep->target, "target", &ep->zone_addrs, &ep->zone_addr_count,
                             diag);
}

/* Every endpoint's targets that are served here: their addresses. */
static int resolve_endpoints(sb_gen_t *gen, sb_diag_t *diag)
{
    for (size_t i = 0; i < sb_gen_profile_count(gen); i++) {
        sb_profile_t *p = sb_gen_profile(gen, i);
        for (uint16_t k = 0; k < p->count; k++) {
            int rc = resolve_in_zone(gen, &p->endpoints[k], diag);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Run the cross-zone pass after loading (rc: the loading's status) and hand
 * the generation over, or free it when anything failed. */
static int conclude(sb_gen_t *gen, int rc, const char *geo_database, sb_diag_t *diag,
                    size_t errors_before, sb_gen_t **out)
{
    if (rc == 0)
        rc = sb_gen_seal(gen, diag);
    if (rc == 0)
        rc = resolve_endpoints(gen, diag);
    if (rc == 0)
        sb_zonedir_targets_check(gen, diag);
    if (rc == 0)
        rc = sb_zonedir_route_finish(gen, geo_database, diag);
    if (rc == 0 && sb_diag_count(diag) > errors_before)
        rc = SB_ECONFIG;
    if (rc != 0) {
        sb_gen_free(gen);
        return rc;
    }
    *out = gen;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The zone file names in `dir`, sorted so that loading is deterministic. */
static int list_zone_files(const char *dir, char ***out, size_t *count, sb_diag_t *diag)
{
    sb_pos_t at = {dir, 0, 0};
    DIR *d = opendir(dir);
    if (d == NULL) {
        sb_diag_error(diag, at, "cannot open the zones directory: %s", strerror(errno));
        return SB_ECONFIG;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name), slen = sizeof(ZONE_SUFFIX) - 1;
        if (de->d_name[0] == '.' || len <= slen || strcmp(de->d_name + len - slen, ZONE_SUFFIX))
            continue;
        char **grown = realloc(names, (n + 1) * sizeof(*names));
        char *copy = strdup(de->d_name);
        if (grown == NULL || copy == NULL) {
            free(copy);
            names = grown != NULL ? grown : names;
            rc = -ENOMEM;
            break;
        }
        names = grown;
        names[n++] = copy;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    *out = names;
    *count = n;
    if (rc == 0 && n == 0) {
        sb_diag_error(diag, at, "no zone files (NAME.zone) in the zones directory");
        rc = SB_ECONFIG;
    }
    return rc;
}

/* The zone file at `path` as the zone `apex`, into `gen`. */
static int load_zone(sb_gen_t *gen, const char *path, const uint8_t *apex, sb_diag_t *diag)
{
    sb_zone_t *zone;
    int rc = sb_zonefile_load(path, apex, sb_gen_arena(gen), diag, &zone);
    if (rc == -ENOMEM)
        return rc;
    return zone != NULL ? sb_gen_add_zone(gen, zone) : 0;
}

/* The zone file at `path`, the zone its base name names (`for_check`: a
 * file given on its own, which --origin may name instead). */
static int load_named(sb_gen_t *gen, const char *path, const char *base, bool for_check,
                      sb_diag_t *diag)
{
    uint8_t apex[SB_NAME_MAX];
    if (apex_from_file_name(base, apex) < 0) {
        sb_pos_t at = {path, 0, 0};
        sb_diag_error(diag, at,
                      "file name does not name a zone (expected NAME.zone, as in "
                      "example.com.zone%s)",
                      for_check ? "; or give --origin NAME" : "");
        return 0;
    }
    return load_zone(gen, path, apex, diag);
}

static int load_one(sb_gen_t *gen, const char *dir, const char *base, sb_diag_t *diag)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, base);
    return load_named(gen, path, base, false, diag);
}

/* One file given on its own: the zone `origin` names, else its name's. */
static int load_file(sb_gen_t *gen, const char *path, const char *origin, sb_diag_t *diag)
{
    const char *slash = strrchr(path, '/');
    uint8_t apex[SB_NAME_MAX];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        sb_pos_t at = {path, 0, 0};
        sb_diag_error(diag, at, "is a directory; check a zones directory with --zones DIR");
        return 0;
    }
    if (origin == NULL)
        return load_named(gen, path, slash != NULL ? slash + 1 : path, true, diag);
    if (sb_name_from_text(origin, apex) <= 1) {
        sb_pos_t at = {"command line", 0, 0};
        sb_diag_error(diag, at, "--origin '%s' is not a zone's name (as in example.com)", origin);
        return 0;
    }
    return load_zone(gen, path, apex, diag);
}

int sb_zonedir_load_files(sb_gen_t **out, const char *const *paths, size_t count,
                          const char *origin, const char *geo_database, sb_diag_t *diag)
{
    *out = NULL;
    size_t errors_before = sb_diag_count(diag);
    sb_gen_t *gen = sb_gen_new();
    if (gen == NULL)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = load_file(gen, paths[i], origin, diag);
    return conclude(gen, rc, geo_database, diag, errors_before, out);
}

int sb_zonedir_load(sb_gen_t **out, const char *zones_dir, const char *geo_database,
                    sb_diag_t *diag)
{
    *out = NULL;
    size_t errors_before = sb_diag_count(diag);
    sb_gen_t *gen = sb_gen_new();
    if (gen == NULL)
        return -ENOMEM;
    char **names = NULL;
    size_t count = 0;
    int rc = list_zone_files(zones_dir, &names, &count, diag);
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = load_one(gen, zones_dir, names[i], diag);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return conclude(gen, rc, geo_database, diag, errors_before, out);
}

int sb_zonedir_load_texts(sb_gen_t **out, const char *const *files, size_t count, sb_diag_t *diag)
{
    return sb_zonedir_load_texts_with(out, files, count, NULL, diag);
}

int sb_zonedir_load_texts_with(sb_gen_t **out, const char *const *files, size_t count,
                               const char *geo_database, sb_diag_t *diag)
{
    *out = NULL;
    size_t errors_before = sb_diag_count(diag);
    sb_gen_t *gen = sb_gen_new();
    if (gen == NULL)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        uint8_t apex[SB_NAME_MAX];
        sb_zone_t *zone;
        if (apex_from_file_name(files[2 * i], apex) < 0) {
            rc = -EINVAL;
            break;
        }
        rc = sb_zonefile_load_text(files[2 * i], files[2 * i + 1], apex, sb_gen_arena(gen), diag,
                                   &zone);
        if (rc != -ENOMEM)
            rc = zone != NULL ? sb_gen_add_zone(gen, zone) : 0;
    }
    return conclude(gen, rc, geo_database, diag, errors_before, out);
}
