/*
 * The configuration's digest (sb_digest.h).
 */
#include "sb_digest.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_zone_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".zone") == 0;
}

/* Add one file: its name, its length, its bytes. A file outside `dir`
 * (NULL) counts under a name of its own, not its path, which may differ
 * from node to node. */
static int add_file(crypto_generichash_state *h, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s%s%s", dir != NULL ? dir : "", dir != NULL ? "/" : "", name);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -errno;
    const char *as = dir != NULL ? name : "(geo-database)";
    crypto_generichash_update(h, (const unsigned char *)as, strlen(as) + 1);
    unsigned char buf[65536];
    uint64_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        crypto_generichash_update(h, buf, n);
        total += n;
    }
    int rc = ferror(f) ? -EIO : 0;
    fclose(f);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(total >> (8 * i));
    crypto_generichash_update(h, len, sizeof(len));
    return rc;
}

int sb_digest_zones(const char *dir, const char *geo_database, char hex[SB_DIGEST_HEX], char *why,
                    size_t why_len)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, is_zone_file, alphasort);
    if (n < 0) {
        snprintf(why, why_len, "%s: %s", dir, strerror(errno));
        return -errno;
    }
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && (rc = add_file(&h, dir, list[i]->d_name)) < 0)
            snprintf(why, why_len, "%s/%s: %s", dir, list[i]->d_name, strerror(-rc));
        free(list[i]);
    }
    free(list);
    if (rc == 0 && geo_database != NULL && (rc = add_file(&h, NULL, geo_database)) < 0)
        snprintf(why, why_len, "%s: %s", geo_database, strerror(-rc));
    unsigned char out[32];
    crypto_generichash_final(&h, out, sizeof(out));
    sodium_bin2hex(hex, SB_DIGEST_HEX, out, sizeof(out));
    return rc;
}
