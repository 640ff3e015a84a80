/* The live facts `portcheck host` reports about the machine it runs on:
 * the setting in this network namespace, whether binds work now, which
 * network namespace this is and whether this is a container. Changes
 * nothing: every probe socket is closed at once. */
#ifndef PORTCHECK_HOST_PROBE_H
#define PORTCHECK_HOST_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HOST_VALUE_PATH "/proc/sys/net/ipv4/ip_unprivileged_port_start"

/* The setting in this network namespace: its value, or -1 with errno. */
long host_read_value(void);

/* bind() TCP 0.0.0.0:PORT with this process's credentials and close it:
 * "ok", or the errno name. EADDRINUSE means the port is taken but the
 * bind was allowed (the kernel checks privilege first). */
const char *host_try_bind(int port);

/* The same binds in a child that became UID/GID with no supplementary
 * groups, no capabilities and no_new_privs, as the guest agent does.
 * results[i] gets "ok" or an errno name; false with ERR on failure. */
bool host_try_bind_as(uid_t uid, gid_t gid, const int *ports, size_t n, char (*results)[32], char *err,
                      size_t errlen);

/* 1 if CAP_NET_BIND_SERVICE is in this process's effective set, 0 if
 * not, -1 if /proc/self/status could not tell. */
int host_has_bind_cap(void);

struct host_netns {
    char self[64];  /* "net:[4026531840]" or "" */
    char pid1[64];  /* the same for PID 1, or "" */
    int pid1_error; /* errno when PID 1's could not be read (not root) */
    int same;       /* 1 the same as PID 1's, 0 not, -1 unknown */
    bool initial;   /* certainly the initial (host) one: Linux 6.18+ numbers it 0xEFFFFFF9 */
};
void host_netns(struct host_netns *ns);

struct host_container {
    char kind[64];       /* "toolbox", "podman", "docker", the $container value, or "" */
    char evidence[512];  /* what showed it, e.g. "/run/.toolboxenv, container=oci" */
    bool host_network;   /* a kind that always shares the host's network (toolbox, distrobox) */
};
/* Markers under ROOT (a --root tree, or "/") and the environment. */
void host_container(const char *root, struct host_container *c);

#endif
