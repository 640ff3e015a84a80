/* The exposure report: bound sockets in a port range, and /etc/services
 * names there an unprivileged process may bind. */
#define _GNU_SOURCE
#include "exposure.h"

#include "binds.h"
#include "child.h"
#include "fdio.h"
#include "log.h"
#include "text.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Far more than a test VM binds; more are dropped (and said so). */
#define MAX_LISTENERS 128
#define MAX_SERVICES 512
#define EXPOSURE_TIMEOUT_MS 20000
/* The kernel's TCP states (include/net/tcp_states.h): a TCP server is in
 * LISTEN, a bound UDP socket that is not connected stays in CLOSE. */
#define TCP_LISTEN_STATE 0x0A
#define UDP_UNCONNECTED_STATE 0x07

struct listener {
    char proto[8];
    char addr[INET6_ADDRSTRLEN];
    int port;
    unsigned uid;
    unsigned long inode;
    int pid; /* who holds it (better_owner); 0 when no process does (a kernel socket) */
    char comm[32];
    char unit[128];
};

struct service {
    char name[64];
    const char *proto; /* "tcp" or "udp" */
    int port;
};

static struct listener listeners[MAX_LISTENERS];
static size_t nlisteners;
static bool listeners_dropped;
static struct service services[MAX_SERVICES];
static size_t nservices;

/* The hex address of /proc/net/{tcp,udp}[6]: 32-bit words as the kernel
 * prints them, in this machine's byte order. */
static bool format_addr(const char *hex, bool v6, char *out, size_t outlen)
{
    unsigned char raw[16];
    size_t words = v6 ? 4 : 1;

    if (strlen(hex) != words * 8)
        return false;
    for (size_t w = 0; w < words; w++) {
        char part[9];
        uint32_t v;

        memcpy(part, hex + 8 * w, 8);
        part[8] = '\0';
        v = (uint32_t)strtoul(part, NULL, 16);
        memcpy(raw + 4 * w, &v, 4);
    }
    return inet_ntop(v6 ? AF_INET6 : AF_INET, raw, out, (socklen_t)outlen) != NULL;
}

static void read_table(const char *proto, int lo, int hi)
{
    char path[64], line[512];
    bool v6 = proto[3] == '6', tcp = proto[0] == 't';
    FILE *f;

    snprintf(path, sizeof path, "/proc/net/%.4s", proto);
    f = fopen(path, "re");
    if (!f) {
        /* No IPv6 in this kernel: nothing bound there either. */
        if (errno != ENOENT)
            log_msg("reading %s: %s", path, strerror(errno));
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char local[40], remote[40];
        unsigned port, rport, state, uid;
        unsigned long inode;
        struct listener *l;

        if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%X %39[0-9A-Fa-f]:%X %X %*s %*s %*s %u %*d %lu", local, &port,
                   remote, &rport, &state, &uid, &inode) != 7)
            continue; /* the header */
        if ((int)port < lo || (int)port > hi || state != (tcp ? TCP_LISTEN_STATE : UDP_UNCONNECTED_STATE))
            continue;
        if (nlisteners == MAX_LISTENERS) {
            listeners_dropped = true;
            break;
        }
        l = &listeners[nlisteners];
        memset(l, 0, sizeof *l);
        snprintf(l->proto, sizeof l->proto, "%.3s%c", proto, v6 ? '6' : '4');
        if (!format_addr(local, v6, l->addr, sizeof l->addr))
            snprintf(l->addr, sizeof l->addr, "?");
        l->port = (int)port;
        l->uid = uid;
        l->inode = inode;
        nlisteners++;
    }
    fclose(f);
}

/* The systemd unit a process belongs to: the last part of its cgroup path
 * (cgroup v2's "0::" line, or v1's name=systemd hierarchy). */
static void unit_of(int pid, char *out, size_t outlen)
{
    char path[64], buf[4096];

    snprintf(out, outlen, "-");
    snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
    if (read_small_file(path, buf, sizeof buf) < 0)
        return;
    for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *cg = strncmp(line, "0::", 3) == 0 ? line + 3 : strstr(line, ":name=systemd:");
        char *base;

        if (!cg)
            continue;
        if (cg != line + 3)
            cg += strlen(":name=systemd:");
        base = strrchr(cg, '/');
        base = base ? base + 1 : cg;
        if (*base)
            snprintf(out, outlen, "%s", base);
        return;
    }
}

/* The lowest pid, but not PID 1 when another process holds the socket too:
 * a socket-activated service's socket is also in systemd's hands. */
static bool better_owner(int pid, int current)
{
    if (!current)
        return true;
    if (current == 1)
        return pid != 1;
    return pid != 1 && pid < current;
}

/* Which process holds each socket: the socket:[INODE] links in /proc/PID/fd. */
static void find_owners(void)
{
    DIR *proc = opendir("/proc");
    struct dirent *p;

    if (!proc) {
        log_msg("opendir /proc: %s", strerror(errno));
        return;
    }
    while ((p = readdir(proc))) {
        char fddir[64];
        int pid = atoi(p->d_name);
        DIR *fds;
        struct dirent *f;

        if (pid <= 0)
            continue;
        snprintf(fddir, sizeof fddir, "/proc/%d/fd", pid);
        fds = opendir(fddir);
        if (!fds)
            continue; /* it exited meanwhile */
        while ((f = readdir(fds))) {
            char link[PATH_MAX], target[64];
            unsigned long inode;
            ssize_t n;

            if (f->d_name[0] == '.')
                continue;
            snprintf(link, sizeof link, "%s/%s", fddir, f->d_name);
            n = readlink(link, target, sizeof target - 1);
            if (n < 0)
                continue;
            target[n] = '\0';
            if (sscanf(target, "socket:[%lu]", &inode) != 1)
                continue;
            for (size_t i = 0; i < nlisteners; i++)
                if (listeners[i].inode == inode && better_owner(pid, listeners[i].pid))
                    listeners[i].pid = pid;
        }
        closedir(fds);
    }
    closedir(proc);
    for (size_t i = 0; i < nlisteners; i++) {
        struct listener *l = &listeners[i];
        char path[64];

        snprintf(l->comm, sizeof l->comm, "-");
        snprintf(l->unit, sizeof l->unit, "-");
        if (!l->pid)
            continue;
        snprintf(path, sizeof path, "/proc/%d/comm", l->pid);
        if (read_small_file(path, l->comm, sizeof l->comm) >= 0)
            trim(l->comm);
        unit_of(l->pid, l->unit, sizeof l->unit);
    }
}

/* /etc/services entries in lo..hi: "name port/proto aliases # comment". */
static void read_services(int lo, int hi)
{
    char line[1024];
    FILE *f = fopen("/etc/services", "re");

    if (!f) {
        log_msg("reading /etc/services: %s", strerror(errno));
        return;
    }
    while (fgets(line, sizeof line, f) && nservices < MAX_SERVICES) {
        char name[64], proto[8];
        int port;
        bool seen = false;

        line[strcspn(line, "#")] = '\0';
        if (sscanf(line, "%63s %d/%7s", name, &port, proto) != 3 || port < lo || port > hi)
            continue;
        if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
            continue;
        for (size_t i = 0; i < nservices; i++)
            seen = seen || (services[i].port == port && strcmp(services[i].proto, proto) == 0);
        if (seen)
            continue;
        snprintf(services[nservices].name, sizeof services[nservices].name, "%s", name);
        services[nservices].proto = proto[0] == 't' ? "tcp" : "udp";
        services[nservices].port = port;
        nservices++;
    }
    fclose(f);
}

static json_t *listeners_json(void)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < nlisteners; i++) {
        const struct listener *l = &listeners[i];

        json_array_append_new(a, json_pack("[s, s, i, I, i, o, o]", l->proto, l->addr, l->port,
                                           (json_int_t)l->uid, l->pid, json_text(l->comm), json_text(l->unit)));
    }
    return a;
}

/* {"ok": "http/80/tcp ...", "EADDRINUSE": "..."}: one space-separated
 * string per result keeps a hundred names within the output `run` keeps. */
static json_t *services_json(void)
{
    json_t *by = json_object();

    for (size_t i = 0; by && i < nservices; i++) {
        const struct service *s = &services[i];
        const char *r = binds_try(AF_INET, s->proto[0] == 't' ? SOCK_STREAM : SOCK_DGRAM, s->port);
        const char *had = json_string_value(json_object_get(by, r));
        char *joined;

        if (asprintf(&joined, "%s%s%s/%d/%s", had ? had : "", had ? " " : "", s->name, s->port, s->proto) < 0)
            break;
        json_object_set_new(by, r, json_text(joined));
        free(joined);
    }
    return by;
}

/* The child: the bind attempts without privilege, then the line. */
static void __attribute__((noreturn)) report(int lo, int hi)
{
    char err[512];
    json_t *proof, *m;
    char *text;

    if (binds_drop_privilege(err, sizeof err) < 0 || !(proof = binds_read_proof(err, sizeof err))) {
        log_msg("exposure: %s", err);
        _exit(1);
    }
    m = json_pack("{s:[i, i], s:o, s:b, s:o, s:o}", "range", lo, hi, "listen", listeners_json(), "listen_cut",
                  listeners_dropped, "services", services_json(), "proof", proof);
    text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    if (!text || write_all(STDOUT_FILENO, text, strlen(text)) < 0 || write_all(STDOUT_FILENO, "\n", 1) < 0)
        _exit(1);
    _exit(0);
}

int exposure_report(int lo, int hi)
{
    static const char *const tables[] = {"tcp", "tcp6", "udp", "udp6"};
    struct child_result res;
    pid_t pid;

    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        read_table(tables[t], lo, hi);
    find_owners();
    read_services(lo, hi);
    pid = fork();
    if (pid < 0) {
        log_msg("fork: %s", strerror(errno));
        return 1;
    }
    if (pid == 0)
        report(lo, hi);
    child_collect(pid, -1, EXPOSURE_TIMEOUT_MS, false, NULL, NULL, &res);
    return res.reaped && !res.timed_out && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0 ? 0 : 1;
}
