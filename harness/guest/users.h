/* Looks users up in /etc/passwd and /etc/group directly: NSS (getpwnam,
 * initgroups) is unreliable in a static glibc binary. */
#ifndef PORTCHECK_USERS_H
#define PORTCHECK_USERS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* More supplementary groups than this are ignored (and logged). */
#define USER_MAX_GROUPS 64

struct user_info {
    uid_t uid;
    gid_t gid;
    char home[PATH_MAX];
    size_t ngroups;
    gid_t groups[USER_MAX_GROUPS]; /* the primary group first */
};

/* Fills *u for name: uid, gid and home from /etc/passwd, and the groups
 * initgroups() would set (the primary group plus every /etc/group entry
 * that lists the user). 0, or -1 with a reason in err. */
int user_lookup(const char *name, struct user_info *u, char *err, size_t errlen);

#endif
