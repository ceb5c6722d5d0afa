/*
 * sb_kvfile — a configuration file of `name value` lines, read line by
 * line: blank lines and everything from a `#` on are skipped, blanks (and
 * a CR) around a line are dropped, the name ends at the first blank and
 * the value starts after the blanks that follow it. A line stops at a NUL
 * byte.
 *
 * Thread: any; nothing shared.
 */
#ifndef SB_KVFILE_H
#define SB_KVFILE_H

#include "sb_diag.h"

#include <stddef.h>

/* One line: the name (`name_len` bytes, not terminated), the value (""
 * when there is none) and where each starts. Returns 0 to read on, or a
 * negative errno to stop. */
typedef int (*sb_kvfile_fn)(void *arg, const char *name, size_t name_len, const char *value,
                            sb_pos_t name_pos, sb_pos_t value_pos);

/* Read `path`, calling `fn` for every line with a name. A file that cannot
 * be read (or is not a regular file) is an error in `diag`, positioned at
 * the file. Returns 0, or the first negative value `fn` returned. */
int sb_kvfile_read(const char *path, sb_kvfile_fn fn, void *arg, sb_diag_t *diag);

#endif
