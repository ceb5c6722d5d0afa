/*
 * sb_ctl — `switchboard ctl`: the client of the control socket.
 *
 *   switchboard ctl [--socket PATH] [--json] COMMAND [ARGS]
 *   switchboard ctl help [COMMAND]        (or COMMAND --help)
 *
 * The commands, their arguments and their help are sb_request's table.
 * status takes any number of profiles (only those are shown); every other
 * command its fixed words. Names may be typed short (the server resolves
 * them: sb_probe_state_resolve_profile); an override's output names what
 * it applied to when they were. A reload prints what it changed (answers
 * moved, endpoints down, profiles added, removed or still waiting for a
 * first result).
 *
 * Prints the reply as text (or the server's JSON with --json) and exits 0 on
 * success, 1 when the server refused, 2 for a usage error or when the
 * server could not be reached, 3 when an override is in force but the
 * state file could not be written, 4 when a reload given --fail-if-moved
 * moved an answer (the new configuration answers all the same). Help goes
 * to standard output with status 0.
 *
 * Thread: a process of its own; blocking I/O.
 */
#ifndef SB_CTL_H
#define SB_CTL_H

int sb_ctl_main(int argc, char **argv);

/* `switchboard ctl help [COMMAND]`: the commands and options (COMMAND
 * NULL) or how COMMAND is used, on standard output. Returns the exit
 * status: 0, or 2 for an unknown command (said on standard error, with a
 * "did you mean"). */
int sb_ctl_help(const char *command);

#endif
