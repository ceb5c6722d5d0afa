/*
 * The command line of `switchboard` itself (sb_cli.h).
 */
#include "sb_cli.h"

#include "sb_log.h"

#include "sb_error.h"
#include "sb_options_table.h"
#include "sb_suggest.h"
#include "sb_zonedir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *args;
    const char *summary;
    const char *help; /* printed by `switchboard help NAME`, before the options */
    bool options;     /* takes the server's options (listed after the help) */
} command_t;

static const command_t commands[] = {
    {"serve", "[OPTIONS]", "answer DNS queries for the zones (runs in the foreground)",
     "Answers DNS queries for every zone file in --zones DIR until SIGTERM or\n"
     "SIGINT; SIGHUP (or 'switchboard ctl reload') reads the zone files again.\n"
     "The configuration is checked first, as 'check' does: on any error\n"
     "nothing is served and the exit status is 1. Logs go to standard error.\n",
     true},
    {"check", "[OPTIONS] [FILE.zone...]",
     "validate the configuration: prints 'configuration OK' or every error",
     "Validates the configuration without serving it: prints 'configuration OK'\n"
     "and exits 0, or prints every error as file:line:col: message and exits 1.\n"
     "Warnings (file:line:col: warning: message) go to standard error and\n"
     "leave the exit status alone.\n"
     "\n"
     "Without FILEs it checks every zone file in --zones DIR. Given FILEs, it\n"
     "checks those zone files alone, each the zone its name names\n"
     "(example.com.zone holds example.com); names in zones not given count as\n"
     "outside the served zones.\n"
     "\n"
     "  --origin NAME                      the zone of the one FILE given, when its\n"
     "                                     name does not say (db.example, say)\n",
     true},
    {"ctl", "[--socket PATH] [--json] COMMAND [ARGS]",
     "control a running server (switchboard ctl help)", NULL, false},
    {"version", "", "print the version", "Prints the version.\n", false},
    {"help", "[COMMAND]", "list the commands, or say how one is used",
     "Without COMMAND, lists the commands and the options; with one, says how\n"
     "it is used (as 'switchboard COMMAND --help' does).\n",
     false},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const command_t *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

bool sb_cli_is_command(const char *name)
{
    return find_command(name) != NULL;
}

void sb_cli_usage(FILE *out)
{
    fprintf(out, "usage: switchboard COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'switchboard help COMMAND' (or 'switchboard COMMAND --help') says more.\n"
                 "\nOptions of serve and check:\n");
    sb_options_usage(out);
    fprintf(out, "\nThe zone file format is described in docs/zone-format.md.\n");
}

int sb_cli_help(const char *command)
{
    const command_t *c = find_command(command);
    if (c == NULL || c->help == NULL) /* ctl's help is its own */
        return sb_cli_unknown(command);
    printf("usage: switchboard %s%s%s\n\n%s", c->name, c->args[0] ? " " : "", c->args, c->help);
    if (c->options) {
        printf("\nOptions (on the command line, or as 'name value' lines in --config FILE):\n");
        sb_options_usage(stdout);
    }
    return 0;
}

bool sb_cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

int sb_cli_unknown(const char *command)
{
    sb_suggest_t s;
    char hint[256];
    sb_suggest_init(&s, command);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        sb_suggest_consider(&s, commands[i].name, strlen(commands[i].name), commands[i].name);
    fprintf(stderr, "switchboard: unknown command '%s'%s\n\n", command,
            sb_suggest_text(&s, "", hint, sizeof(hint)));
    sb_cli_usage(stderr);
    return 2;
}

/* ---- loading the configuration ------------------------------------------- */

/* Every error with their count, or the failure that is not a
 * configuration's. */
static void print_errors(sb_diag_t *diag, int rc)
{
    const char *prio = sb_log_journal_prefix(fileno(stderr), SB_LOG_ERROR);
    if (diag != NULL && sb_diag_count(diag) > 0) {
        sb_diag_print(diag, stderr);
        fprintf(stderr, "%s%zu error%s in the configuration\n", prio, sb_diag_count(diag),
                sb_diag_count(diag) == 1 ? "" : "s");
    } else if (rc < 0) {
        fprintf(stderr, "%sswitchboard: %s\n", prio, sb_strerror(rc));
    }
}

int sb_cli_load(int argc, char **argv, sb_options_t *o, sb_gen_t **gen, sb_diag_t **out)
{
    sb_diag_t *diag = *out = sb_diag_new();
    sb_options_init(o);
    if (diag == NULL)
        return -ENOMEM;
    int rc = sb_options_parse(o, argc, argv, diag);
    if (rc == 0)
        rc = sb_zonedir_load(gen, o->zones_dir, o->geo_database, diag);
    print_errors(diag, rc);
    return rc;
}

/* ---- check ---------------------------------------------------------------- */

/* check's arguments: the server's options (for sb_options_parse), and the
 * zone files and --origin that are check's own. */
typedef struct {
    char **opts;
    int opt_count;
    const char **files;
    size_t file_count;
    const char *origin;
    bool zones_given; /* --zones on the command line */
} check_args_t;

/* Whether `arg` is the --zones option (-z DIR, --zones DIR, --zones=DIR). */
static bool is_zones(const char *arg)
{
    return strcmp(arg, "-z") == 0 || strcmp(arg, "--zones") == 0 ||
           strncmp(arg, "--zones=", 8) == 0;
}

/* Whether the option `arg` takes the next argument as its value. */
static bool takes_next(const char *arg)
{
    if (arg[1] != '-')
        return arg[2] == '\0' && sb_options_table_find_short(arg[1]) != NULL;
    return strchr(arg, '=') == NULL && sb_options_table_find(arg + 2, strlen(arg + 2)) != NULL;
}

/* --origin NAME (or --origin=NAME) at argv[*i]; true when it was one. */
static bool origin_arg(int argc, char **argv, int *i, check_args_t *a, sb_diag_t *diag)
{
    const char *s = argv[*i], *value;
    sb_pos_t cl = {"command line", 0, 0};
    if (strncmp(s, "--origin", 8) != 0 || (s[8] != '\0' && s[8] != '='))
        return false;
    value = s[8] == '=' ? s + 9 : *i + 1 < argc ? argv[++*i] : NULL;
    if (value == NULL)
        sb_diag_error(diag, cl, "option '--origin' needs a value (NAME)");
    else if (a->origin != NULL)
        sb_diag_error(diag, cl, "option '--origin' is given twice");
    else
        a->origin = value;
    return true;
}

/* Split check's arguments; the options' own errors are sb_options_parse's
 * to report. Returns 0 or -ENOMEM. */
static int split_check_args(int argc, char **argv, check_args_t *a, sb_diag_t *diag)
{
    a->opts = calloc((size_t)argc + 1, sizeof(*a->opts));
    a->files = calloc((size_t)argc + 1, sizeof(*a->files));
    if (a->opts == NULL || a->files == NULL)
        return -ENOMEM;
    bool files_only = false;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!files_only && strcmp(s, "--") == 0)
            files_only = true;
        else if (files_only || s[0] != '-' || s[1] == '\0')
            a->files[a->file_count++] = s;
        else if (!origin_arg(argc, argv, &i, a, diag)) {
            a->zones_given |= is_zones(s);
            a->opts[a->opt_count++] = argv[i];
            if (takes_next(s) && i + 1 < argc)
                a->opts[a->opt_count++] = argv[++i];
        }
    }
    sb_pos_t cl = {"command line", 0, 0};
    if (a->origin != NULL && a->file_count != 1)
        sb_diag_error(diag, cl, "--origin names the zone of one FILE: give exactly one with it");
    if (a->zones_given && a->file_count > 0)
        sb_diag_error(diag, cl,
                      "give --zones DIR or zone files, not both (files are checked on their own)");
    return 0;
}

/* Options, then the zone files given (or the zones directory). */
static int check_load(int argc, char **argv, sb_options_t *o, sb_gen_t **gen, sb_diag_t *diag)
{
    check_args_t a = {0};
    int rc = split_check_args(argc, argv, &a, diag);
    size_t errors_before = sb_diag_count(diag);
    if (rc == 0)
        rc = sb_options_parse(o, a.opt_count, a.opts, diag);
    if (rc == 0 && errors_before > 0)
        rc = SB_ECONFIG;
    if (rc == 0 && a.file_count > 0)
        rc = sb_zonedir_load_files(gen, a.files, a.file_count, a.origin, o->geo_database, diag);
    else if (rc == 0)
        rc = sb_zonedir_load(gen, o->zones_dir, o->geo_database, diag);
    free(a.opts);
    free(a.files);
    return rc;
}

int sb_cli_check(int argc, char **argv)
{
    sb_options_t o;
    sb_gen_t *gen = NULL;
    sb_diag_t *diag = sb_diag_new();
    sb_options_init(&o);
    int rc = diag != NULL ? check_load(argc, argv, &o, &gen, diag) : -ENOMEM;
    print_errors(diag, rc);
    if (diag != NULL)
        sb_diag_print_warnings(diag, stderr);
    sb_diag_free(diag);
    if (rc == 0) {
        printf("configuration OK\n");
        printf("zones: %zu, profiles: %zu, endpoints: %zu\n", sb_gen_zone_count(gen),
               sb_gen_profile_count(gen), sb_gen_endpoint_count(gen));
    }
    sb_gen_free(gen);
    sb_options_free(&o);
    return rc == 0 ? 0 : 1;
}
