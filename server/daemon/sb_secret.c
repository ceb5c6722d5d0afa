#include "sb_secret.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The file's bytes into `buf` (NUL-terminated). A FIFO or device is refused
 * rather than read: it could block start-up. */
static int read_small(const char *path, char *buf, size_t cap, struct stat *st, char *why,
                      size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 || fstat(fd, st) != 0) {
        int rc = -errno;
        snprintf(why, whylen, "cannot read %s: %s", path, strerror(-rc));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    const char *bad = !S_ISREG(st->st_mode)        ? "not a regular file"
                      : (size_t)st->st_size >= cap ? "too large for a secret"
                                                   : NULL;
    ssize_t n = bad == NULL ? read(fd, buf, cap - 1) : 0;
    int err = errno;
    close(fd);
    if (bad != NULL || n < 0) {
        if (bad != NULL)
            snprintf(why, whylen, "%s is %s", path, bad);
        else
            snprintf(why, whylen, "cannot read %s: %s", path, strerror(err));
        return bad != NULL ? -EINVAL : -err;
    }
    buf[n] = '\0';
    return 0;
}

/* The file's text without the white space around it, in `text`. */
static int read_trimmed(const char *path, char *text, size_t cap, struct stat *st, char *why,
                        size_t whylen, char **start)
{
    int rc = read_small(path, text, cap, st, why, whylen);
    if (rc < 0)
        return rc;
    *start = text;
    while (isspace((unsigned char)**start))
        (*start)++;
    size_t n = strlen(*start);
    while (n > 0 && isspace((unsigned char)(*start)[n - 1]))
        (*start)[--n] = '\0';
    return 0;
}

int sb_secret_read_cookie(const char *path, sb_cookie_key_t *key, struct stat *st, char *why,
                          size_t whylen)
{
    char text[SB_SECRET_MAX_BYTES], *start;
    int rc = read_trimmed(path, text, sizeof(text), st, why, whylen, &start);
    if (rc < 0)
        return rc;
    rc = sb_cookie_key_parse(key, start);
    explicit_bzero(text, sizeof(text));
    if (rc < 0) {
        snprintf(why, whylen, "%s must hold exactly 32 hex digits (16 bytes)", path);
        return -EINVAL;
    }
    return 0;
}

int sb_secret_read_text(const char *path, char **out, struct stat *st, char *why, size_t whylen)
{
    char text[SB_SECRET_MAX_BYTES], *start;
    int rc = read_trimmed(path, text, sizeof(text), st, why, whylen, &start);
    if (rc < 0)
        return rc;
    bool printable = start[0] != '\0';
    for (const char *p = start; *p != '\0' && printable; p++)
        printable = *p >= 0x20 && *p < 0x7f;
    if (!printable) {
        explicit_bzero(text, sizeof(text));
        snprintf(why, whylen, "%s must hold one line of printable text", path);
        return -EINVAL;
    }
    *out = strdup(start);
    explicit_bzero(text, sizeof(text));
    return *out != NULL ? 0 : -ENOMEM;
}

int sb_secret_read_pem(const char *path, char **out, struct stat *st, char *why, size_t whylen)
{
    char *text = malloc(SB_SECRET_PEM_MAX_BYTES);
    if (text == NULL)
        return -ENOMEM;
    int rc = read_small(path, text, SB_SECRET_PEM_MAX_BYTES, st, why, whylen);
    if (rc == 0 && strstr(text, "-----BEGIN ") == NULL) {
        snprintf(why, whylen, "%s is not in PEM format (no -----BEGIN line)", path);
        rc = -EINVAL;
    }
    if (rc == 0 && (*out = strdup(text)) == NULL)
        rc = -ENOMEM;
    explicit_bzero(text, SB_SECRET_PEM_MAX_BYTES);
    free(text);
    return rc;
}

const char *sb_secret_exposure(const struct stat *st, gid_t server_gid, char *buf, size_t cap)
{
    unsigned mode = st->st_mode & 07777;
    if (mode & S_IROTH)
        snprintf(buf, cap, "is readable by every user (mode %04o)", mode);
    else if ((mode & S_IRGRP) && st->st_gid != server_gid)
        snprintf(buf, cap, "is readable by group %u, which the server does not run as (mode %04o)",
                 (unsigned)st->st_gid, mode);
    else if (mode & (S_IWGRP | S_IWOTH))
        snprintf(buf, cap, "can be changed by others (mode %04o)", mode);
    else
        return NULL;
    return buf;
}

const char *sb_secret_credential(const char *name, char *buf, size_t cap)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    if (dir == NULL || dir[0] != '/' || snprintf(buf, cap, "%s/%s", dir, name) >= (int)cap)
        return NULL;
    char text[SB_SECRET_MAX_BYTES], why[64];
    struct stat st;
    int rc = read_small(buf, text, sizeof(text), &st, why, sizeof(why));
    if (rc == -ENOENT)
        return NULL; /* the service has credentials, but not this one */
    if (rc < 0)
        return buf; /* there, but unreadable: the caller reports it */
    bool blank = text[strspn(text, " \t\r\n")] == '\0';
    explicit_bzero(text, sizeof(text));
    return blank ? NULL : buf;
}
