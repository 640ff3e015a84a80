/* Live facts for `portcheck host`; see host_probe.h. */
#define _GNU_SOURCE
#include "probe/host_probe.h"

#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_NET_BIND_SERVICE_BIT 10
/* The initial network namespace's fixed inode number (PROC_NET_INIT_INO,
 * Linux 6.18 and later); older kernels number it like any other. */
#define NET_INIT_INO 0xEFFFFFF9UL

static const char *err_name(int err)
{
    const char *name = strerrorname_np(err);
    return name ? name : "EUNKNOWN";
}

long host_read_value(void)
{
    cleanup_free char *text = read_file_text(HOST_VALUE_PATH, 64);
    if (!text)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || (*end && *end != '\n')) {
        errno = EINVAL;
        return -1;
    }
    return v;
}

const char *host_try_bind(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_name(errno);
    int one = 1;
    /* REUSEADDR: a port in TIME_WAIT says nothing about permission. */
    const char *result = "ok";
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0)
        result = err_name(errno);
    if (close(fd) < 0 && result[0] == 'o')
        result = err_name(errno);
    return result;
}

/* In the child: become UID/GID with nothing else, or return why not. */
static const char *drop_to(uid_t uid, gid_t gid)
{
    if (setgroups(0, NULL) < 0)
        return "setgroups";
    if (setresgid(gid, gid, gid) < 0)
        return "setresgid";
    if (setresuid(uid, uid, uid) < 0)
        return "setresuid";
    /* From uid 0 to another uid the kernel clears every capability set;
     * no_new_privs keeps a setuid helper from bringing any back. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return "prctl(PR_SET_NO_NEW_PRIVS)";
    if (host_has_bind_cap() != 0)
        return "still has CAP_NET_BIND_SERVICE after dropping";
    return NULL;
}

static bool write_all(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        s += n;
        len -= (size_t)n;
    }
    return true;
}

/* close() of a pipe end: its failure is worth saying, never worth dying. */
static bool close_ok(int fd, const char *what, char *err, size_t errlen)
{
    if (close(fd) == 0)
        return true;
    snprintf(err, errlen, "close %s: %s", what, strerror(errno));
    return false;
}

bool host_try_bind_as(uid_t uid, gid_t gid, const int *ports, size_t n, char (*results)[32], char *err,
                      size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return false;
    }
    /* Nothing buffered may be written twice, by parent and child. */
    if (fflush(NULL) != 0) {
        int saved = errno;
        bool closed = close(p[0]) == 0;
        closed = close(p[1]) == 0 && closed;
        snprintf(err, errlen, "cannot start the probe process: %s%s", strerror(saved),
                 closed ? "" : " (and closing its pipe failed)");
        return false;
    }
    pid_t pid = spawn_fork(SIGKILL, 0);
    if (pid == 0) {
        /* One line per port, "PORT RESULT", or "! WHY" if the drop failed. */
        char line[128];
        if (close(p[0]) < 0)
            _exit(4);
        const char *why = drop_to(uid, gid);
        if (why) {
            int len = snprintf(line, sizeof line, "! %s: %s\n", why, strerror(errno));
            _exit(write_all(p[1], line, (size_t)len) ? 3 : 4);
        }
        for (size_t i = 0; i < n; i++) {
            int len = snprintf(line, sizeof line, "%d %s\n", ports[i], host_try_bind(ports[i]));
            if (!write_all(p[1], line, (size_t)len))
                _exit(4);
        }
        _exit(0);
    }
    bool closed = close_ok(p[1], "the pipe's write end", err, errlen);
    char buf[4096];
    size_t len = 0;
    int read_error = 0;
    while (len < sizeof buf - 1) {
        ssize_t r = read(p[0], buf + len, sizeof buf - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            read_error = errno;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    closed = close_ok(p[0], "the pipe's read end", err, errlen) && closed;
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid: %s", strerror(errno));
            return false;
        }
    }
    if (!closed)
        return false;
    if (read_error) {
        snprintf(err, errlen, "reading the probe's answer: %s", strerror(read_error));
        return false;
    }
    if (buf[0] == '!') {
        snprintf(err, errlen, "%.*s", (int)strcspn(buf + 2, "\n"), buf + 2);
        return false;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "the probe process failed (status %d)", status);
        return false;
    }
    char *save = NULL;
    size_t got = 0;
    for (char *l = strtok_r(buf, "\n", &save); l && got < n; l = strtok_r(NULL, "\n", &save)) {
        int port;
        char res[32];
        if (sscanf(l, "%d %31s", &port, res) == 2 && port == ports[got])
            snprintf(results[got++], 32, "%s", res);
    }
    if (got != n) {
        snprintf(err, errlen, "the probe process answered %zu of %zu ports", got, n);
        return false;
    }
    return true;
}

int host_has_bind_cap(void)
{
    cleanup_free char *status = read_file_text("/proc/self/status", 65536);
    if (!status)
        return -1;
    const char *cap = strstr(status, "\nCapEff:");
    if (!cap)
        return -1;
    unsigned long long mask = strtoull(cap + 8, NULL, 16);
    return (mask >> CAP_NET_BIND_SERVICE_BIT) & 1;
}

static int ns_link(const char *path, char *out, size_t len)
{
    ssize_t n = readlink(path, out, len - 1);
    if (n < 0) {
        out[0] = '\0';
        return errno;
    }
    out[n] = '\0';
    return 0;
}

void host_netns(struct host_netns *ns)
{
    memset(ns, 0, sizeof *ns);
    ns->same = -1;
    int self_err = ns_link("/proc/self/ns/net", ns->self, sizeof ns->self);
    ns->pid1_error = ns_link("/proc/1/ns/net", ns->pid1, sizeof ns->pid1);
    if (!self_err && !ns->pid1_error)
        ns->same = strcmp(ns->self, ns->pid1) == 0;
    struct stat st;
    if (stat("/proc/self/ns/net", &st) == 0)
        ns->initial = (unsigned long)st.st_ino == NET_INIT_INO;
}

static void note(struct host_container *c, const char *what)
{
    size_t len = strlen(c->evidence);
    snprintf(c->evidence + len, sizeof c->evidence - len, "%s%s", len ? ", " : "", what);
}

static bool marker(const char *root, const char *path)
{
    cleanup_free char *full = strcmp(root, "/") == 0 ? xstrdup(path) : xasprintf("%s%s", root, path);
    return access(full, F_OK) == 0;
}

/* The first kind found names the container; the later markers are evidence. */
static void kind(struct host_container *c, const char *k)
{
    if (!c->kind[0])
        snprintf(c->kind, sizeof c->kind, "%s", k);
}

void host_container(const char *root, struct host_container *c)
{
    memset(c, 0, sizeof *c);
    /* Most specific first: a toolbox is a podman container too. Toolbox
     * and distrobox always run with the host's network and PID namespaces. */
    if (marker(root, "/run/.toolboxenv")) {
        note(c, "/run/.toolboxenv");
        kind(c, "toolbox");
        c->host_network = true;
    }
    const char *distrobox = getenv("DISTROBOX_ENTER_PATH");
    if (distrobox && *distrobox) {
        note(c, "DISTROBOX_ENTER_PATH");
        kind(c, "distrobox");
        c->host_network = true;
    }
    if (marker(root, "/run/.containerenv")) {
        note(c, "/run/.containerenv");
        kind(c, "podman");
    }
    if (marker(root, "/.dockerenv")) {
        note(c, "/.dockerenv");
        kind(c, "docker");
    }
    /* systemd-nspawn, LXC and podman set $container for the container's
     * processes; systemd copies it to /run/systemd/container. */
    const char *env = getenv("container");
    if (env && *env) {
        char what[96];
        snprintf(what, sizeof what, "container=%.80s", env);
        note(c, what);
        kind(c, env);
    }
    cleanup_free char *path = strcmp(root, "/") == 0 ? xstrdup("/run/systemd/container")
                                                     : xasprintf("%s/run/systemd/container", root);
    cleanup_free char *text = read_file_text(path, 256);
    if (text && text[0] && text[0] != '\n') {
        text[strcspn(text, "\n")] = '\0';
        note(c, "/run/systemd/container");
        kind(c, text);
    }
}
