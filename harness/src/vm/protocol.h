/* The guest channel protocol (docs/protocol.md): turning one line from the
 * guest into a checked message, and building the host's commands. Every
 * field is validated here, so nothing the guest sends reaches a report or a
 * decision unchecked. This is the parser the fuzzer drives. */
#ifndef PORTCHECK_PROTOCOL_H
#define PORTCHECK_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/constants.h"

#define PROTO_MAX_LINE PORTCHECK_LINE_MAX
#define PROTO_MAX_BINDS PORTCHECK_MAX_BINDS

enum msg_kind { MSG_HELLO = 1, MSG_FACTS, MSG_RAN, MSG_BYE, MSG_ERROR };

/* The bind checks the agent makes, in report order. */
extern const char *const proto_bind_families[PORTCHECK_N_BIND_FAMILIES];
extern const int proto_bind_ports[PORTCHECK_N_BIND_PORTS];

/* What the kernel said about the process that made the binds. Each cap_*
 * is one capability set of /proc/self/status as 16 lowercase hex digits:
 * permitted, inheritable, effective, ambient and bounding. */
struct proof {
    bool present;
    long uid, gid, groups;
    char cap_prm[17], cap_inh[17], cap_eff[17], cap_amb[17], cap_bnd[17];
    int no_new_privs;
};

struct bind_result {
    char what[16]; /* "tcp4:80" */
    char got[24];  /* "ok" or an errno name */
};

struct guest_msg {
    enum msg_kind kind;
    long id;
    /* hello, facts */
    char boot_id[40];
    double uptime;
    /* hello */
    char kernel[128], os[128], init[32];
    /* facts */
    char sysctl[24];
    struct proof proof;
    size_t nbinds;
    struct bind_result binds[PROTO_MAX_BINDS];
    /* ran */
    int exit_code, signal;
    bool timed_out;
    double seconds;
    char *output; /* owned; valid UTF-8 */
    /* bye */
    char action[16];
    /* error */
    char text[256];
};

/* Parse one line (without its newline). On failure returns false and
 * writes a one-line reason into err. */
bool proto_parse(const char *line, size_t len, struct guest_msg *msg, char *err, size_t errlen);
void guest_msg_free(struct guest_msg *msg);

/* Commands, as a malloc'd line ending in "\n". */
char *proto_cmd_simple(const char *cmd, long id);
char *proto_cmd_run(long id, const char *const *argv, int timeout_s, const char *user);

#endif
