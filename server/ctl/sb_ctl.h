/*
 * sb_ctl — `switchboard ctl`: the client of the control socket.
 *
 *   switchboard ctl [--socket PATH] [--json] COMMAND [ARGS]
 *     status                         every profile and endpoint
 *     drain PROFILE ENDPOINT         never answer ENDPOINT (still probed)
 *     undrain PROFILE ENDPOINT
 *     force PROFILE ENDPOINT up|down [--for DURATION]
 *     unforce PROFILE ENDPOINT
 *     switchover PROFILE ENDPOINT [--for DURATION]
 *                                    answer ENDPOINT first, as if it had the top priority
 *     failback PROFILE               undo a switchover
 *     reload                         re-read the configuration, as SIGHUP does
 *
 * With --for, a force or a switchover ends by itself (the server undoes it).
 *
 * Prints the reply as text (or the server's JSON with --json) and exits 0 on
 * success, 1 when the server refused, 2 for a usage error or when the
 * server could not be reached, 3 when an override is in force but the
 * state file could not be written.
 *
 * Thread: a process of its own; blocking I/O.
 */
#ifndef SB_CTL_H
#define SB_CTL_H

int sb_ctl_main(int argc, char **argv);

#endif
