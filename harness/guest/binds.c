/* The unprivileged bind check, run in a forked child. */
#define _GNU_SOURCE
#include "binds.h"

#include "child.h"
#include "fdio.h"
#include "log.h"
#include "text.h"
#include "common/constants.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's report is small (28 binds); anything bigger is garbage. */
#define REPORT_MAX 65536

static const struct {
    const char *name;
    int family, type;
} protos[PORTCHECK_N_BIND_FAMILIES] = {
    { "tcp4", AF_INET, SOCK_STREAM },
    { "tcp6", AF_INET6, SOCK_STREAM },
    { "udp4", AF_INET, SOCK_DGRAM },
    { "udp6", AF_INET6, SOCK_DGRAM },
};
static const int ports[PORTCHECK_N_BIND_PORTS] = PORTCHECK_BIND_PORTS;

const char *binds_try(int family, int type, int port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_ANY) };
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
                                 .sin6_addr = IN6ADDR_ANY_INIT };
    const char *result = "ok";
    int one = 1;
    int fd = socket(family, type | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return errno_name(errno);
    /* V6ONLY: the v6 result must not depend on the v4 port being free.
     * REUSEADDR: a TCP port in TIME_WAIT from an earlier run would say
     * EADDRINUSE where the question is only whether we may bind. */
    if ((family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
        (type == SOCK_STREAM &&
         setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0))
        result = errno_name(errno);
    else if (family == AF_INET6 ? bind(fd, (struct sockaddr *)&sin6, sizeof sin6) < 0
                                : bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
        result = errno_name(errno);
    close_fd(fd, "probe socket");
    return result;
}

/* The highest capability this kernel knows, from /proc/sys/kernel/cap_last_cap
 * (a kernel newer than our headers may know more than CAP_LAST_CAP). */
static int cap_last_cap(char *err, size_t errlen)
{
    char text[32], *end;
    long last;

    if (read_small_file("/proc/sys/kernel/cap_last_cap", text, sizeof text) < 0) {
        snprintf(err, errlen, "reading /proc/sys/kernel/cap_last_cap: %s", strerror(errno));
        return -1;
    }
    errno = 0;
    last = strtol(text, &end, 10);
    if (errno || end == text || (*end && *end != '\n') || last < 0 || last > 63) {
        snprintf(err, errlen, "/proc/sys/kernel/cap_last_cap holds '%.16s', not a capability number", text);
        return -1;
    }
    return (int)last;
}

/* While still root: empty the bounding set, so that nothing this process
 * execs can gain a capability back, and the ambient set, which setuid()
 * would clear anyway but only as a side effect we do not want to rely on. */
static int drop_bounding_and_ambient(char *err, size_t errlen)
{
    int last = cap_last_cap(err, errlen);

    if (last < 0)
        return -1;
    for (int cap = 0; cap <= last; cap++)
        if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0) {
            snprintf(err, errlen, "prctl(PR_CAPBSET_DROP, %d): %s", cap, strerror(errno));
            return -1;
        }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
        snprintf(err, errlen, "prctl(PR_CAP_AMBIENT_CLEAR_ALL): %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* setuid() away from root empties the permitted and effective sets but
 * keeps the inheritable one: empty all three. capset(2) directly, so the
 * static agent needs no libcap. */
static int clear_capability_sets(char *err, size_t errlen)
{
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) < 0) {
        snprintf(err, errlen, "capset(all sets empty): %s", strerror(errno));
        return -1;
    }
    return 0;
}

int binds_drop_privilege(char *err, size_t errlen)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    if (setgroups(0, NULL) < 0) {
        snprintf(err, errlen, "setgroups(0): %s", strerror(errno));
        return -1;
    }
    if (drop_bounding_and_ambient(err, errlen) < 0)
        return -1;
    if (setgid(BINDS_GID) < 0) {
        snprintf(err, errlen, "setgid(%d): %s", BINDS_GID, strerror(errno));
        return -1;
    }
    if (setuid(BINDS_UID) < 0) {
        snprintf(err, errlen, "setuid(%d): %s", BINDS_UID, strerror(errno));
        return -1;
    }
    /* setuid() by a non-root caller changes only the effective id: make
     * sure no saved root id is left to return to. */
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
        snprintf(err, errlen, "getresuid/getresgid: %s", strerror(errno));
        return -1;
    }
    if (ru != BINDS_UID || eu != BINDS_UID || su != BINDS_UID ||
        rg != BINDS_GID || eg != BINDS_GID || sg != BINDS_GID) {
        snprintf(err, errlen, "after setuid/setgid the ids are uid %u/%u/%u gid %u/%u/%u",
                 (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg, (unsigned)sg);
        return -1;
    }
    if (clear_capability_sets(err, errlen) < 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The value after "Key:" on its line of status, or NULL. */
static char *status_field(char *status, const char *key)
{
    size_t klen = strlen(key);

    for (char *line = status; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            return line + klen + 1;
    return NULL;
}

/* The five capability sets of /proc/self/status, each reported as the
 * kernel prints it: 16 hex digits. */
static const struct {
    const char *status_key, *proof_key;
} cap_sets[] = {
    { "CapPrm", "cap_prm" }, { "CapInh", "cap_inh" }, { "CapEff", "cap_eff" },
    { "CapAmb", "cap_amb" }, { "CapBnd", "cap_bnd" },
};
#define N_CAP_SETS (sizeof cap_sets / sizeof cap_sets[0])

/* What the kernel says about this process, not what we think we did. */
json_t *binds_read_proof(char *err, size_t errlen)
{
    char status[16384];
    char *uid, *gid, *groups, *nnp, *end;
    long long ruid, euid, rgid, egid, no_new_privs;
    long long ngroups = 0;
    char caps[N_CAP_SETS][17];
    json_t *proof;

    if (read_small_file("/proc/self/status", status, sizeof status) < 0) {
        snprintf(err, errlen, "reading /proc/self/status: %s", strerror(errno));
        return NULL;
    }
    for (size_t i = 0; i < N_CAP_SETS; i++) {
        char *cap = status_field(status, cap_sets[i].status_key);

        if (!cap || sscanf(cap, " %16[0-9a-fA-F]", caps[i]) != 1) {
            snprintf(err, errlen, "/proc/self/status lacks a readable %s", cap_sets[i].status_key);
            return NULL;
        }
    }
    uid = status_field(status, "Uid");
    gid = status_field(status, "Gid");
    groups = status_field(status, "Groups");
    nnp = status_field(status, "NoNewPrivs");
    if (!uid || !gid || !groups || !nnp) {
        snprintf(err, errlen, "/proc/self/status lacks one of Uid, Gid, Groups, NoNewPrivs");
        return NULL;
    }
    if (sscanf(uid, "%lld %lld", &ruid, &euid) != 2 || sscanf(gid, "%lld %lld", &rgid, &egid) != 2 ||
        sscanf(nnp, "%lld", &no_new_privs) != 1) {
        snprintf(err, errlen, "cannot parse /proc/self/status");
        return NULL;
    }
    end = strchr(groups, '\n');
    if (end)
        *end = '\0';
    for (char *save = NULL, *g = strtok_r(groups, " \t", &save); g; g = strtok_r(NULL, " \t", &save))
        ngroups++;
    /* Real and effective must agree for the id to mean anything. */
    proof = json_pack("{s:I, s:I, s:I}",
                      "uid", ruid == euid ? ruid : -1LL,
                      "gid", rgid == egid ? rgid : -1LL,
                      "groups", ngroups);
    for (size_t i = 0; proof && i < N_CAP_SETS; i++)
        if (json_object_set_new(proof, cap_sets[i].proof_key, json_string(caps[i])) < 0) {
            json_decref(proof);
            proof = NULL;
        }
    if (proof && json_object_set_new(proof, "no_new_privs", json_integer(no_new_privs)) < 0) {
        json_decref(proof);
        proof = NULL;
    }
    if (!proof)
        snprintf(err, errlen, "out of memory");
    return proof;
}

static json_t *do_binds(void)
{
    json_t *binds = json_object();

    for (size_t p = 0; binds && p < sizeof protos / sizeof protos[0]; p++)
        for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
            char key[16];

            snprintf(key, sizeof key, "%s:%d", protos[p].name, ports[i]);
            if (json_object_set_new(binds, key,
                                    json_string(binds_try(protos[p].family, protos[p].type, ports[i]))) < 0) {
                json_decref(binds);
                return NULL;
            }
        }
    return binds;
}

bool binds_keep_privilege;

/* The child: report {"proof":…,"binds":…} or {"error":…} on fd. */
static void __attribute__((noreturn)) child_main(int fd)
{
    char err[512] = "";
    json_t *report = NULL, *proof = NULL, *binds = NULL;
    char *text;

    if ((binds_keep_privilege || binds_drop_privilege(err, sizeof err) == 0) &&
        (proof = binds_read_proof(err, sizeof err)) != NULL) {
        binds = do_binds();
        if (binds)
            report = json_pack("{s:o, s:o}", "proof", proof, "binds", binds);
        else
            json_decref(proof);
    }
    if (!report)
        report = json_pack("{s:s}", "error", err[0] ? err : "out of memory");
    text = report ? json_dumps(report, JSON_COMPACT) : NULL;
    if (!text || write_all(fd, text, strlen(text)) < 0)
        _exit(1);
    _exit(0);
}

struct report_buf {
    char data[REPORT_MAX];
    size_t len;
    bool overflow;
};

static void report_sink(void *ctx, const char *data, size_t len)
{
    struct report_buf *b = ctx;

    if (len > sizeof b->data - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

int binds_check(json_t **proof, json_t **binds, char *err, size_t errlen)
{
    static struct report_buf buf; /* 64 KiB: not on the stack */
    struct child_result res;
    json_error_t jerr;
    json_t *report, *e;
    int fds[2];
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe2: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close_fd(fds[0], "pipe");
        close_fd(fds[1], "pipe");
        return -1;
    }
    if (pid == 0) {
        close_fd(fds[0], "pipe");
        child_main(fds[1]);
    }
    close_fd(fds[1], "pipe");
    buf.len = 0;
    buf.overflow = false;
    child_collect(pid, fds[0], BINDS_TIMEOUT_MS, false, report_sink, &buf, &res);
    close_fd(fds[0], "pipe");

    if (res.timed_out) {
        snprintf(err, errlen, "the bind check child did not finish within %d s", BINDS_TIMEOUT_MS / 1000);
        return -1;
    }
    if (!res.reaped || !WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0) {
        snprintf(err, errlen, "the bind check child failed (%s %d)",
                 res.reaped && WIFSIGNALED(res.status) ? "signal" : "status",
                 res.reaped && WIFSIGNALED(res.status) ? WTERMSIG(res.status)
                                                        : res.reaped ? WEXITSTATUS(res.status) : -1);
        return -1;
    }
    if (buf.overflow) {
        snprintf(err, errlen, "the bind check child wrote more than %d bytes", REPORT_MAX);
        return -1;
    }
    report = json_loadb(buf.data, buf.len, 0, &jerr);
    if (!report) {
        snprintf(err, errlen, "the bind check child's report is not JSON: %s", jerr.text);
        return -1;
    }
    if ((e = json_object_get(report, "error")) != NULL) {
        snprintf(err, errlen, "bind check: %s", json_is_string(e) ? json_string_value(e) : "?");
        json_decref(report);
        return -1;
    }
    *proof = json_object_get(report, "proof");
    *binds = json_object_get(report, "binds");
    if (!json_is_object(*proof) || !json_is_object(*binds)) {
        snprintf(err, errlen, "the bind check child's report lacks proof or binds");
        json_decref(report);
        return -1;
    }
    json_incref(*proof);
    json_incref(*binds);
    json_decref(report);
    return 0;
}
