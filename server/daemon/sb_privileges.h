/*
 * sb_privileges — giving up, once the server has started, what only
 * starting needs: root, and every capability.
 *
 * Started as root, the server binds its sockets (DNS, metrics, control),
 * reads its configuration and secrets and the state file, and then
 * sb_privileges_drop() switches for good to the configured user and group
 * (no supplementary groups), before it answers anything. Started as
 * another user with capabilities — systemd's
 * AmbientCapabilities=CAP_NET_BIND_SERVICE — it keeps its user and gives up
 * the capabilities once the ports are bound. Either way the server ends
 * with no capability in any set (effective, permitted, inheritable,
 * ambient; and, while it still may, the bounding set) and with
 * no_new_privs, so that nothing it could ever execute gains any back.
 *
 * Running on as root must be asked for: started as root, the server needs
 * --user, and `--user root` keeps uid 0 (still without capabilities).
 *
 * Capabilities are per thread, so the drop must come before the server
 * starts any thread; sb_privileges_drop() refuses otherwise.
 *
 * libcap does the capability sets: it follows the kernel's capability
 * numbering and capset ABI versions, which a hand-written capset would have
 * to track.
 *
 * Thread: start-up, on the only thread.
 */
#ifndef SB_PRIVILEGES_H
#define SB_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    const char *user; /* the name asked for (--user); NULL: stay as started */
    uid_t uid;        /* its ids, when `user` is set */
    gid_t gid;        /* the group to run with, when `user` or a group is set */
    bool group_set;   /* --group given */
} sb_privileges_t;

/* Whether the server may start as it is: root needs a user to become, and
 * only root can become another user. Returns 0, or -EPERM with words. */
int sb_privileges_check(const sb_privileges_t *p, char *why, size_t whylen);

/* Whether the server will change user (it is root and a user is named). */
bool sb_privileges_changes_user(const sb_privileges_t *p);

/* Drop for good: user and group (when changing user), every capability,
 * and no_new_privs. Returns 0, or a negative errno with words in `why`
 * (-EBUSY: a thread is already running). */
int sb_privileges_drop(const sb_privileges_t *p, char *why, size_t whylen);

#endif
