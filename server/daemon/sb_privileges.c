#include "sb_privileges.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SB_LEAK_CHECKED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_LEAK_CHECKED 1
#endif
#endif

bool sb_privileges_changes_user(const sb_privileges_t *p)
{
    return geteuid() == 0 && p->user != NULL;
}

int sb_privileges_check(const sb_privileges_t *p, char *why, size_t whylen)
{
    if (geteuid() == 0 && p->user == NULL) {
        snprintf(why, whylen,
                 "started as root without --user: give --user NAME to run as NAME once the "
                 "sockets are open (--user root keeps root, which is not advised)");
        return -EPERM;
    }
    if (geteuid() != 0 && p->user != NULL && p->uid != geteuid()) {
        snprintf(why, whylen, "--user %s: only root can become another user (running as uid %u)",
                 p->user, (unsigned)geteuid());
        return -EPERM;
    }
    if (geteuid() != 0 && p->group_set && p->gid != getegid()) {
        snprintf(why, whylen, "--group: only root can change group (running as gid %u)",
                 (unsigned)getegid());
        return -EPERM;
    }
    return 0;
}

/* Threads of this process, from /proc. */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int fail(int err, char *why, size_t whylen, const char *what)
{
    snprintf(why, whylen, "%s: %s", what, strerror(err));
    return -err;
}

/* Empty the bounding set while CAP_SETPCAP allows it (as root). Without it
 * (started as another user) the set stays, but with nothing permitted and
 * no_new_privs set there is no way to use it. */
static int drop_bounding(char *why, size_t whylen)
{
    cap_t now = cap_get_proc();
    cap_flag_value_t may = CAP_CLEAR;
    if (now == NULL || cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &may) != 0)
        may = CAP_CLEAR;
    cap_free(now);
    if (may != CAP_SET)
        return 0;
    for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
        if (cap_drop_bound(c) != 0)
            return fail(errno, why, whylen, "cannot empty the capability bounding set");
    }
    return 0;
}

/* The user and group for good: real, effective and saved ids, and no
 * supplementary groups (root's would otherwise stay). */
static int change_ids(const sb_privileges_t *p, char *why, size_t whylen)
{
    if (setgroups(0, NULL) != 0)
        return fail(errno, why, whylen, "cannot drop supplementary groups");
    if (setresgid(p->gid, p->gid, p->gid) != 0)
        return fail(errno, why, whylen, "cannot change group");
    if (setresuid(p->uid, p->uid, p->uid) != 0)
        return fail(errno, why, whylen, "cannot change user");
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 || r != p->uid || e != p->uid ||
        s != p->uid || rg != p->gid || eg != p->gid || sg != p->gid)
        return fail(EPERM, why, whylen, "the user and group did not change");
    if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        return fail(EPERM, why, whylen, "root could be regained after changing user");
    return 0;
}

/* No capability in the effective, permitted, inheritable or ambient set. */
static int clear_capabilities(char *why, size_t whylen)
{
    cap_t none = cap_init();
    int rc = none != NULL ? cap_set_proc(none) : -1;
    int err = errno;
    cap_free(none);
    if (rc != 0)
        return fail(err, why, whylen, "cannot clear capabilities");
    if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0)
        return fail(errno, why, whylen, "cannot clear ambient capabilities");
    return 0;
}

int sb_privileges_drop(const sb_privileges_t *p, char *why, size_t whylen)
{
    int threads = thread_count();
    if (threads != 1) {
        snprintf(why, whylen, "%s",
                 threads < 0 ? "cannot count this process's threads in /proc/self/task"
                             : "threads are running already: capabilities are per thread");
        return -EBUSY;
    }
    int rc = drop_bounding(why, whylen);
    if (rc == 0 && sb_privileges_changes_user(p))
        rc = change_ids(p, why, whylen);
    if (rc == 0)
        rc = clear_capabilities(why, whylen);
    if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        rc = fail(errno, why, whylen, "cannot set no_new_privs");
#ifdef SB_LEAK_CHECKED
    /* Changing user made the process undumpable, and LeakSanitizer checks
     * it at exit from a helper that must attach to it. Sanitizer builds are
     * test builds; a release build stays undumpable. */
    if (rc == 0)
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
    return rc;
}
