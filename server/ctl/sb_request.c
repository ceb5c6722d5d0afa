#include "sb_request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* How ctl takes names; each command's help ends with it. */
#define NAMES                                                                                      \
    "\n"                                                                                           \
    "PROFILE is the profile's name (www.example.com), or the start of it\n"                        \
    "(www) when only one profile starts so; ENDPOINT is the endpoint's name\n"                     \
    "(east), or a whole word of it (east for us-east) when only one endpoint\n"                    \
    "has it. A name that matches nothing gets a suggestion.\n"

/* What a fleet does with an override; each override's help ends with it. */
#define FLEET                                                                                      \
    "\n"                                                                                           \
    "In a fleet, it is stored in the fleet and every nameserver applies it;\n"                     \
    "--local applies it to this nameserver only, while the fleet cannot be\n"                      \
    "reached.\n"

static const sb_request_command_t commands[] = {
    {"status", SB_REQUEST_STATUS, 0, 0, true, "[PROFILE...]",
     "every profile and endpoint, and who answers (or only PROFILEs)",
     "Every zone, profile and endpoint: each endpoint's state, the reason, since\n"
     "when, the last probe's latency, its overrides (who set each, and when one\n"
     "given --for ends), and which endpoints answer now; the probes in flight,\n"
     "and in a fleet the fleet's link and nodes. Given PROFILEs, only those\n"
     "profiles and their zones. --down shows only the profiles in trouble: an\n"
     "endpoint down, not yet probed or held down, or no usable endpoint to\n"
     "answer with (failing open or closed, a fallback). --limit N shows at most\n"
     "N of the profiles matching, --offset N skips the first N: a page, for\n"
     "thousands of profiles. --json prints the server's JSON; its \"page\" says\n"
     "how many matched.\n" NAMES},
    {"drain", SB_REQUEST_OVERRIDE, SB_OVERRIDE_DRAIN, 2, false, "PROFILE ENDPOINT",
     "never answer ENDPOINT (it is still probed)",
     "ENDPOINT is taken out of PROFILE's answers, even when every other endpoint\n"
     "is down; it is still probed and shown. Draining the last endpoint of a\n"
     "profile (or of an address family) is refused. Undo it with undrain.\n" FLEET NAMES},
    {"undrain", SB_REQUEST_OVERRIDE, SB_OVERRIDE_UNDRAIN, 2, false, "PROFILE ENDPOINT",
     "undo drain", "ENDPOINT may answer again, as its probes say.\n" FLEET NAMES},
    {"force", SB_REQUEST_OVERRIDE, SB_OVERRIDE_FORCE, 3, false,
     "PROFILE ENDPOINT up|down [--for DURATION]",
     "treat ENDPOINT as up or down, whatever its probes",
     "The probes keep running and status shows their verdict beside the forced\n"
     "one. With --for (30m, 2h; from 1s to 8760h) it ends by itself, as\n"
     "unforce would. Undo it with unforce.\n" FLEET NAMES},
    {"unforce", SB_REQUEST_OVERRIDE, SB_OVERRIDE_UNFORCE, 2, false, "PROFILE ENDPOINT",
     "undo force", "ENDPOINT is judged by its probes again.\n" FLEET NAMES},
    {"switchover", SB_REQUEST_OVERRIDE, SB_OVERRIDE_SWITCHOVER, 2, false,
     "PROFILE ENDPOINT [--for DURATION]",
     "answer ENDPOINT first, even while the primary is healthy",
     "Every client of PROFILE is sent to ENDPOINT while it is usable, whatever\n"
     "the routing method would choose: a DR drill or a planned move. With --for\n"
     "(30m, 2h; from 1s to 8760h) it fails back by itself. Undo it with\n"
     "failback.\n" FLEET NAMES},
    {"failback", SB_REQUEST_OVERRIDE, SB_OVERRIDE_FAILBACK, 1, false, "PROFILE",
     "undo a switchover", "The routing method chooses PROFILE's answers again.\n" FLEET NAMES},
    {"reload", SB_REQUEST_RELOAD, 0, 0, false, "[--fail-if-moved]",
     "re-read the zone files (as SIGHUP) and say what changed",
     "Reads every zone file again; on any error the old configuration stays\n"
     "and the errors are printed (exit 1). Otherwise the new configuration\n"
     "answers, and once its first probes are in (or their time is up) the\n"
     "reply lists what changed: profiles whose answer moved, endpoints that\n"
     "went down, profiles added and removed, and profiles still waiting for\n"
     "their first probe. With --fail-if-moved, ctl exits 4 when an answer\n"
     "moved (the new configuration answers all the same).\n"},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

const sb_request_command_t *sb_request_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    }
    return NULL;
}

const sb_request_command_t *sb_request_commands(size_t *count)
{
    *count = COMMAND_COUNT;
    return commands;
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* A force's state into `o`. */
static int read_force(const char *state, sb_override_t *o, char *err, size_t errlen)
{
    if (state == NULL || (strcmp(state, "up") != 0 && strcmp(state, "down") != 0))
        return fail(err, errlen, "force needs a state: up or down");
    o->force_up = strcmp(state, "up") == 0;
    return 0;
}

/* The optional for_seconds into o->until_ms: only an override that may end
 * by itself (sb_override_timed) takes one. */
static int read_end(json_t *doc, const sb_request_command_t *cmd, json_int_t for_seconds,
                    int64_t now_ms, sb_override_t *o, char *err, size_t errlen)
{
    if (json_object_get(doc, "for_seconds") == NULL)
        return 0;
    if (!sb_override_timed(cmd->op))
        return fail(err, errlen,
                    "%s takes no for_seconds (only force and switchover end by "
                    "themselves)",
                    cmd->name);
    /* Present, it must be a real duration: 0 would mean "forever". */
    if (for_seconds < 1 || for_seconds > SB_REQUEST_FOR_MAX_SECONDS)
        return fail(err, errlen,
                    "for_seconds must be from 1 to %d (leave it out for a %s without end)",
                    SB_REQUEST_FOR_MAX_SECONDS, cmd->name);
    o->until_ms = now_ms + for_seconds * 1000;
    return 0;
}

/* The override an override command asks for, its strings borrowed from
 * `doc`. */
static int read_override(json_t *doc, const sb_request_command_t *cmd, int64_t now_ms,
                         sb_override_t *o, char *err, size_t errlen)
{
    const char *state = NULL;
    json_int_t for_seconds = 0;
    json_error_t jerr;
    int local = 0;
    o->op = cmd->op;
    if (json_unpack_ex(doc, &jerr, 0, "{s:s, s?s, s?s, s?I, s?b}", "profile", &o->profile,
                       "endpoint", &o->endpoint, "state", &state, "for_seconds", &for_seconds,
                       "local", &local) != 0)
        return fail(err, errlen, "bad request: %s", jerr.text);
    if (cmd->op != SB_OVERRIDE_FAILBACK && o->endpoint == NULL)
        return fail(err, errlen, "%s needs an endpoint", cmd->name);
    o->local = local != 0;
    if (cmd->op == SB_OVERRIDE_FORCE && read_force(state, o, err, errlen) < 0)
        return -EINVAL;
    return read_end(doc, cmd, for_seconds, now_ms, o, err, errlen);
}

/* A status's optional list of profile names. */
static int read_profiles(json_t *doc, const json_t **out, char *err, size_t errlen)
{
    const json_t *list = json_object_get(doc, "profiles"), *name;
    size_t i;
    *out = NULL;
    if (list == NULL)
        return 0;
    if (!json_is_array(list))
        return fail(err, errlen, "bad request: \"profiles\" is not a list");
    if (json_array_size(list) > SB_REQUEST_MAX_PROFILES)
        return fail(err, errlen, "status takes at most %d profiles", SB_REQUEST_MAX_PROFILES);
    json_array_foreach(list, i, name)
    {
        if (!json_is_string(name) || json_string_length(name) == 0)
            return fail(err, errlen, "bad request: \"profiles\" holds something not a name");
    }
    *out = list;
    return 0;
}

/* A status's filter and page: "down", "offset" and "limit", each optional. */
static int read_status(json_t *doc, sb_request_t *out, char *err, size_t errlen)
{
    json_t *down = json_object_get(doc, "down");
    if (down != NULL && !json_is_boolean(down))
        return fail(err, errlen, "bad request: \"down\" is not true or false");
    out->down = json_is_true(down);
    static const char *const keys[] = {"offset", "limit"};
    size_t *values[] = {&out->offset, &out->limit};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(doc, keys[i]);
        if (v == NULL)
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return fail(err, errlen, "bad request: \"%s\" is not a whole number", keys[i]);
        *values[i] = (size_t)json_integer_value(v);
    }
    return read_profiles(doc, &out->profiles, err, errlen);
}

static int parse_doc(json_t *doc, int64_t now_ms, sb_request_t *out, char *err, size_t errlen)
{
    if (!json_is_object(doc))
        return fail(err, errlen, "bad request: not an object");
    json_t *command = json_object_get(doc, "command");
    if (command == NULL)
        return fail(err, errlen, "bad request: no \"command\"");
    if (!json_is_string(command))
        return fail(err, errlen, "bad request: \"command\" is not a string");
    out->command = sb_request_command(json_string_value(command));
    if (out->command == NULL)
        return fail(err, errlen, "unknown command '%s'", json_string_value(command));
    if (out->command->kind == SB_REQUEST_STATUS)
        return read_status(doc, out, err, errlen);
    if (out->command->kind != SB_REQUEST_OVERRIDE)
        return 0;
    return read_override(doc, out->command, now_ms, &out->override, err, errlen);
}

int sb_request_parse(const char *text, size_t len, int64_t now_ms, sb_request_t *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof(*out));
    json_error_t jerr;
    /* One line: whatever follows the first complete value is not read. */
    json_t *doc = json_loadb(text, len, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return fail(err, errlen, "bad request: %s", jerr.text);
    int rc = parse_doc(doc, now_ms, out, err, errlen);
    if (rc < 0) {
        json_decref(doc);
        memset(out, 0, sizeof(*out));
        return rc;
    }
    out->doc = doc;
    return 0;
}

void sb_request_free(sb_request_t *r)
{
    json_decref(r->doc);
    r->doc = NULL;
}
