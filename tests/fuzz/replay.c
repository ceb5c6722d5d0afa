/*
 * Runs a fuzz harness over files instead of under libFuzzer: every file
 * named, and every regular file in every directory named, is one input.
 * Built with any compiler, so that the normal, sanitizer and ThreadSanitizer
 * builds replay the seed corpora (and any crash input checked in beside
 * them) on every test run.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static size_t inputs;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    uint8_t *data = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            data = realloc(data, cap);
            CHECK(data != NULL);
        }
        n = fread(data + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    /* An exact copy, as libFuzzer gives: a read past the end is caught. */
    uint8_t *exact = malloc(len ? len : 1);
    CHECK(exact != NULL);
    memcpy(exact, data, len);
    free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    inputs++;
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    CHECK(d != NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        run_file(child);
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    /* Absolute paths first: a harness may change directory when it
     * initialises (fuzz_zonefile does, for $INCLUDE). */
    char **paths = calloc((size_t)argc, sizeof(*paths));
    CHECK(paths != NULL);
    for (int i = 1; i < argc; i++) {
        if ((paths[i] = realpath(argv[i], NULL)) == NULL) {
            perror(argv[i]);
            return 2;
        }
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        run_path(paths[i]);
        free(paths[i]);
    }
    free(paths);
    printf("%zu inputs replayed\n", inputs);
    return inputs > 0 ? 0 : 1;
}
