/*
 * sb_options — the server's own settings (listen addresses, zones directory,
 * threads, limits), from command-line flags and an optional config file.
 *
 * One table defines every option, so a flag and a config-file line are the
 * same thing: `--threads 4` on the command line is `threads 4` in the file.
 * Precedence: defaults, then the file given with --config, then flags. A
 * --listen (or --probe-resolver) on the command line replaces the file's.
 *
 * Errors go to the diagnostics as `file:line:col: message` (or
 * `command line: message`), and parsing continues to report them all.
 * Unknown options and repeated single-valued options are errors.
 *
 * Secrets: `cookie-secret` is refused on the command line (every user sees
 * it in ps) and its value is never echoed in an error; `cookie-secret-file`
 * is read when parsing ends, and so, when neither is given, is the systemd
 * credential `cookie-secret` (sb_secret). A secret in a file that others
 * may read is a warning. `user` and `group` are resolved to ids when
 * parsing ends, so `check` reports a name the host does not know. Parsing
 * happens at start, as root when started so: secrets are read before the
 * server drops privileges (sb_privileges).
 *
 * Ownership: strings in sb_options_t are owned by it; free with
 * sb_options_free(). Thread: start-up only.
 */
#ifndef SB_OPTIONS_H
#define SB_OPTIONS_H

#include "sb_diag.h"
#include "sb_options_table.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

void sb_options_init(sb_options_t *o);
void sb_options_free(sb_options_t *o);

/* Parse the arguments after the command word. Returns 0, SB_ECONFIG when
 * errors were recorded, or -ENOMEM. */
int sb_options_parse(sb_options_t *o, int argc, char **argv, sb_diag_t *diag);

/* Print the option list for --help. */
void sb_options_usage(FILE *out);

#endif
