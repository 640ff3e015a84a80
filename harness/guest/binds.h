/* The bind check: in a child that has dropped every privilege, bind()
 * tcp4/tcp6/udp4/udp6 on the probe ports, and prove from /proc/self/status
 * what that child could do. */
#ifndef PORTCHECK_BINDS_H
#define PORTCHECK_BINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The uid and gid the child drops to (nobody/nogroup). */
#define BINDS_UID 65534
#define BINDS_GID 65534
#define BINDS_TIMEOUT_MS 10000

/* On success sets *proof and *binds (new references) as described for the
 * `facts` message and returns 0; else -1 with a reason in err. */
int binds_check(json_t **proof, json_t **binds, char *err, size_t errlen);

/* One bind of the wildcard address to port ("ok" or the errno name of
 * the step that failed), as the bind check makes it: v6 sockets V6ONLY,
 * TCP with SO_REUSEADDR. */
const char *binds_try(int family, int type, int port);
/* Become BINDS_UID/BINDS_GID for good: no groups, no saved root id,
 * no_new_privs. 0, or -1 with a reason in err. */
int binds_drop_privilege(char *err, size_t errlen);
/* What /proc/self/status says this process may do, as the `proof` object
 * of docs/protocol.md; NULL with a reason in err. */
json_t *binds_read_proof(char *err, size_t errlen);

/* --as-is: bind with whatever privilege the agent has (its proof then shows
 * it). Only for showing what a namespace's own root may do, e.g. root in a
 * rootless container binding 80 in its own netns; the host never counts
 * such binds as an unprivileged user's. */
extern bool binds_keep_privilege;

#endif
