#include "sb_zonefile.h"

#include "sb_dns.h"
#include "sb_error.h"
#include "sb_lexer.h"
#include "sb_monitor_pool.h"
#include "sb_zonefile_profile.h"
#include "sb_zonefile_rdata.h"
#include "sb_zonefile_rr.h"
#include "sb_zparse.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_INCLUDES 256 /* files included, in all, by one zone */

static int parse_lexer(sb_zparse_t *zp, sb_lexer_t *lx);

/* ---- directives --------------------------------------------------------- */

static void directive_origin(sb_zparse_t *zp, const sb_entry_t *e)
{
    if (e->count != 2) {
        sb_zparse_error(zp, e->tokens[0].pos, "$ORIGIN takes exactly one domain name");
        return;
    }
    uint8_t name[SB_NAME_MAX];
    if (sb_zparse_name(zp, &e->tokens[1], "origin", name) == 0)
        return;
    if (sb_zparse_set_origin(zp, name) < 0)
        zp->oom = 1;
}

static void directive_ttl(sb_zparse_t *zp, const sb_entry_t *e)
{
    if (e->count != 2) {
        sb_zparse_error(zp, e->tokens[0].pos, "$TTL takes exactly one TTL");
        return;
    }
    if (!sb_zparse_ttl(e->tokens[1].text, &zp->default_ttl)) {
        sb_zparse_error(zp, e->tokens[1].pos,
                        "bad TTL '%s' (seconds up to 2147483647, or units as in 1h30m)",
                        e->tokens[1].text);
        return;
    }
    zp->have_default_ttl = true;
}

static char *include_path(sb_zparse_t *zp, const char *including, const char *path)
{
    if (path[0] == '/')
        return sb_arena_strdup(zp->arena, path);
    const char *slash = strrchr(including, '/');
    size_t dir = slash == NULL ? 0 : (size_t)(slash - including + 1);
    char *full = sb_arena_alloc(zp->arena, dir + strlen(path) + 1);
    if (full == NULL)
        return NULL;
    memcpy(full, including, dir);
    strcpy(full + dir, path);
    return full;
}

/* Refuse an include that is already being read (a cycle), and more than
 * MAX_INCLUDES in all (a file that includes another twice, nested, grows
 * exponentially). Records the file as open when it may be read. */
static bool include_allowed(sb_zparse_t *zp, const sb_token_t *at, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        for (int i = 0; i <= zp->depth; i++) {
            if (zp->open_files[i].dev == st.st_dev && zp->open_files[i].ino == st.st_ino) {
                sb_zparse_error(zp, at->pos,
                                "$INCLUDE of '%s' includes a file that is already being "
                                "read (a cycle)",
                                path);
                return false;
            }
        }
        zp->open_files[zp->depth + 1].dev = st.st_dev;
        zp->open_files[zp->depth + 1].ino = st.st_ino;
    }
    if (++zp->include_count > MAX_INCLUDES) {
        sb_zparse_error(zp, at->pos, "more than %d $INCLUDE files in one zone", MAX_INCLUDES);
        return false;
    }
    return true;
}

static void directive_include(sb_zparse_t *zp, const sb_entry_t *e, const char *including)
{
    if (e->count < 2 || e->count > 3) {
        sb_zparse_error(zp, e->tokens[0].pos,
                        "$INCLUDE takes a file name and optionally an origin");
        return;
    }
    if (zp->depth >= SB_ZPARSE_MAX_INCLUDE_DEPTH) {
        sb_zparse_error(zp, e->tokens[0].pos, "$INCLUDE nested more than %d deep",
                        SB_ZPARSE_MAX_INCLUDE_DEPTH);
        return;
    }
    uint8_t saved[SB_NAME_MAX];
    memcpy(saved, zp->origin, sb_name_len(zp->origin));
    uint8_t origin[SB_NAME_MAX];
    if (e->count == 3 && sb_zparse_name(zp, &e->tokens[2], "origin", origin) == 0)
        return;
    char *path = include_path(zp, including, e->tokens[1].text);
    if (path == NULL || (e->count == 3 && sb_zparse_set_origin(zp, origin) < 0)) {
        zp->oom = 1;
        return;
    }
    sb_lexer_t *lx = NULL;
    if (include_allowed(zp, &e->tokens[1], path)) {
        int rc = sb_lexer_open(&lx, path, e->tokens[1].pos, zp->diag);
        if (rc == -ENOMEM)
            zp->oom = 1;
        if (rc == 0) {
            zp->depth++;
            if (parse_lexer(zp, lx) < 0)
                zp->oom = 1;
            zp->depth--;
            sb_lexer_close(lx);
        }
    }
    if (sb_zparse_set_origin(zp, saved) < 0)
        zp->oom = 1;
}

static void directive(sb_zparse_t *zp, const sb_entry_t *e, const char *file)
{
    const char *d = e->tokens[0].text;
    if (strcasecmp(d, "$ORIGIN") == 0)
        directive_origin(zp, e);
    else if (strcasecmp(d, "$TTL") == 0)
        directive_ttl(zp, e);
    else if (strcasecmp(d, "$INCLUDE") == 0)
        directive_include(zp, e, file);
    else
        sb_zparse_error(zp, e->tokens[0].pos,
                        "unknown directive '%s' (supported: $ORIGIN, $TTL, $INCLUDE)", d);
}
/* ---- driver ------------------------------------------------------------- */

static void entry(sb_zparse_t *zp, const sb_entry_t *e, const char *file)
{
    if (zp->profile != NULL ? sb_zonefile_profile_line(zp, e) : sb_zonefile_profile_stray(zp, e))
        return;
    if (e->tokens[0].text[0] == '$' && !e->tokens[0].quoted) {
        directive(zp, e, file);
        return;
    }
    sb_zparse_head_t h;
    if (!sb_zparse_head(zp, e, &h))
        return;
    if (strcasecmp(e->tokens[h.type_index].text, "profile") == 0)
        sb_zonefile_profile_open(zp, e, &h);
    else
        sb_zonefile_rr_parse(zp, e, &h);
}

static int parse_lexer(sb_zparse_t *zp, sb_lexer_t *lx)
{
    struct sb_profile_draft *open_before = zp->profile;
    sb_entry_t e;
    int rc;
    while ((rc = sb_lexer_next(lx, &e)) == 1) {
        entry(zp, &e, sb_lexer_file(lx));
        if (zp->oom)
            return -ENOMEM;
    }
    if (zp->profile != NULL && zp->profile != open_before)
        sb_zonefile_profile_unclosed(zp);
    return rc < 0 ? rc : 0;
}

/* Takes `lx` and closes it once read, so that the file's text is no longer
 * resident while the zone is put together (the peak of a load). */
static int load(sb_lexer_t *lx, const char *file, const uint8_t *apex, sb_arena_t *arena,
                sb_diag_t *diag, sb_zone_t **out)
{
    sb_zparse_t zp = {.arena = arena, .diag = diag, .apex = apex};
    zp.rdata = malloc(sizeof(*zp.rdata));
    if (zp.rdata == NULL || sb_monitor_pool_new(&zp.monitors) < 0) {
        free(zp.rdata);
        sb_lexer_close(lx);
        return -ENOMEM;
    }
    struct stat st;
    if (stat(file, &st) == 0) {
        zp.open_files[0].dev = st.st_dev;
        zp.open_files[0].ino = st.st_ino;
    }
    size_t errors_before = sb_diag_count(diag);
    int rc = sb_zone_new(&zp.zone, arena, apex, file);
    if (rc == 0)
        rc = sb_zparse_set_origin(&zp, apex);
    if (rc == 0)
        rc = parse_lexer(&zp, lx);
    sb_lexer_close(lx);
    if (zp.zone != NULL) {
        int frc = sb_zone_finish(zp.zone, diag);
        if (rc == 0 && frc == -ENOMEM)
            rc = frc;
    }
    if (zp.profile != NULL) /* left open when running out of memory */
        sb_zonefile_profile_discard(&zp);
    if (zp.origin_rdf != NULL)
        ldns_rdf_deep_free(zp.origin_rdf);
    free(zp.rdata);
    sb_monitor_pool_free(zp.monitors);
    if (rc == 0 && sb_diag_count(diag) > errors_before)
        rc = SB_ECONFIG;
    *out = rc == 0 || rc == SB_ECONFIG ? zp.zone : NULL;
    return rc;
}

int sb_zonefile_load(const char *path, const uint8_t *apex, sb_arena_t *arena, sb_diag_t *diag,
                     sb_zone_t **out)
{
    *out = NULL;
    const char *file = sb_arena_strdup(arena, path);
    if (file == NULL)
        return -ENOMEM;
    sb_lexer_t *lx;
    sb_pos_t whole = {file, 0, 0};
    int rc = sb_lexer_open(&lx, file, whole, diag);
    if (rc < 0)
        return rc == -ENOMEM ? rc : SB_ECONFIG;
    return load(lx, file, apex, arena, diag, out);
}

int sb_zonefile_load_text(const char *name, const char *text, const uint8_t *apex,
                          sb_arena_t *arena, sb_diag_t *diag, sb_zone_t **out)
{
    *out = NULL;
    const char *file = sb_arena_strdup(arena, name);
    if (file == NULL)
        return -ENOMEM;
    sb_lexer_t *lx;
    int rc = sb_lexer_open_text(&lx, file, text, strlen(text), diag);
    if (rc < 0)
        return rc;
    return load(lx, file, apex, arena, diag, out);
}
