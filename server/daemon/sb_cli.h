/*
 * sb_cli — the command line of `switchboard` itself (`ctl` has its own,
 * sb_ctl): what each command is for and how it is called
 * (`switchboard help [COMMAND]`, `switchboard COMMAND --help`), an unknown
 * command's "did you mean", `check`, and loading the configuration as
 * `serve` and `check` both do.
 *
 *   switchboard check [OPTIONS]                   every zone file in --zones DIR
 *   switchboard check [OPTIONS] FILE.zone...      those zone files alone
 *   switchboard check [OPTIONS] --origin NAME FILE
 *
 * Files are checked on their own: --zones on the command line with them
 * is an error (one in a config file is left unused).
 * Everything is printed here: help on standard output, errors (and a
 * configuration's errors and warnings, as file:line:col: message) on
 * standard error. Exit statuses: 0 done, 1 a configuration error, 2 a
 * usage error (an unknown command).
 *
 * Thread: start-up only.
 */
#ifndef SB_CLI_H
#define SB_CLI_H

#include "sb_diag.h"
#include "sb_gen.h"
#include "sb_options.h"

#include <stdbool.h>
#include <stdio.h>

/* The list of commands and every option: `switchboard --help`. */
void sb_cli_usage(FILE *out);

/* Whether `name` is one of switchboard's commands (ctl included). */
bool sb_cli_is_command(const char *name);

/* `switchboard help COMMAND` and `switchboard COMMAND --help` (not for
 * ctl, whose help is sb_ctl's): its usage on standard output; returns the
 * exit status, 0, or 2 for an unknown command (said on standard error). */
int sb_cli_help(const char *command);

/* Whether the arguments after the command word ask for its help: --help or
 * -h among them. */
bool sb_cli_wants_help(int argc, char **argv);

/* An unknown command word: say so, with a "did you mean" when one is
 * close, and the list of commands; returns the exit status, 2. */
int sb_cli_unknown(const char *command);

/* Parse `serve`'s options and load every zone in the zones directory;
 * print every error (and their count) on standard error. The caller gets
 * the diagnostics, to report the warnings its own way, and frees them
 * (NULL when out of memory); and frees `o`. Returns 0, SB_ECONFIG or a
 * negative errno. */
int sb_cli_load(int argc, char **argv, sb_options_t *o, sb_gen_t **gen, sb_diag_t **out);

/* `switchboard check`: returns the exit status (0, or 1 on any error). */
int sb_cli_check(int argc, char **argv);

#endif
