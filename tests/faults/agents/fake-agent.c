/* A lying or broken guest agent for the fault suite (tests/faults/). It
 * stands in for portcheck-agent (portcheck run --agent FILE), finds the same
 * virtio-serial port, and misbehaves in one way, MODE, fixed when it is
 * built (-DFAKE_MODE='"MODE"': harness/build/faults/fake-agent-MODE, see
 * tests/faults.mk), so that a run needs no kernel argument to choose it:
 *
 *   silent     never opens the port, never says anything: the boot must end
 *              in `error` after the boot deadline, with the console's tail
 *   overlong   hello, then an answer line of 70000 bytes  -> error (protocol)
 *   nul        hello, then facts holding a raw NUL byte    -> error (protocol)
 *   badutf8    hello, then facts holding invalid UTF-8     -> error (protocol)
 *   claimpass  hello, then facts that say "status":"pass" and claim that
 *              every port binds                            -> fail
 *   root       facts exactly right for the guest's sysctl, but the binds ran
 *              as uid 0 with every capability              -> fail
 *   capeff     the same, uid 65534 but CAP_NET_BIND_SERVICE effective -> fail
 *   capinh     the same, CAP_NET_BIND_SERVICE only in the inheritable set
 *              (what setuid() alone leaves behind)             -> fail
 *   noproof    the same, without the proof object          -> error (protocol)
 *   perfect    the same facts with a correct proof: the control that shows
 *              the facts above are wrong only where they mean to be
 *   escapes    every command fails (exit 1) with terminal control sequences
 *              in its output, which the host quotes in the reason: an OSC
 *              window title, clear screen, reset and a C1 CSI; facts are
 *              perfect                                      -> fail, and not
 *              one control byte on the host's stdout, stderr or reports
 *
 * Used outside a VM (the suite's host-side control), `fake-agent MODE` talks
 * on stdin/stdout instead and takes the sysctl value from $FAKE_SYSCTL.
 *
 * Plain C and no JSON library: it must be able to write bytes no encoder
 * would produce. Built static (tests/faults.mk) like the real agent. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define PORT_NAME "org.portcheck.agent"

#ifndef FAKE_MODE
#define FAKE_MODE "perfect"
#endif
static const char *mode = FAKE_MODE;
static int in_fd = 0, out_fd = 1;

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fake-agent[%s]: ", mode);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void write_all(const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(out_fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            say("write: %s", strerror(errno));
            exit(1);
        }
        buf += w;
        n -= (size_t)w;
    }
}

static void read_text(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    buf[strcspn(buf, " \n")] = '\0';
}

static void hang_forever(void)
{
    for (;;)
        pause();
}

/* /dev/vportNpM whose sysfs name is ours, waiting up to 30 s for it. */
static int open_port(void)
{
    for (int attempt = 0; attempt < 300; attempt++) {
        DIR *d = opendir("/sys/class/virtio-ports");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char path[512], name[128];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
            read_text(path, name, sizeof name);
            if (strcmp(name, PORT_NAME) != 0)
                continue;
            snprintf(path, sizeof path, "/dev/%s", e->d_name);
            int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
            if (fd >= 0) {
                closedir(d);
                return fd;
            }
        }
        if (d)
            closedir(d);
        usleep(100000);
    }
    say("no virtio port named %s", PORT_NAME);
    exit(1);
}

static double uptime(void)
{
    char buf[64];
    read_text("/proc/uptime", buf, sizeof buf);
    return buf[0] ? strtod(buf, NULL) : 1.0;
}

static char boot_id[64];

/* What the escapes mode sends, as JSON escapes: ESC ] 0 ; title BEL (set the
 * window title), ESC [ 2 J and ESC [ H (clear, home), ESC c (reset), and
 * U+009B (C1 CSI, which jansson hands on as the bytes C2 9B). */
#define EVIL_OUTPUT "\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[H\\u001bc\\u009b2Jdpkg: fake failure\\n"

static void hello(void)
{
    struct utsname u;
    char init[64], line[1024];
    uname(&u);
    read_text("/proc/1/comm", init, sizeof init);
    int n = snprintf(line, sizeof line,
                     "{\"msg\":\"hello\",\"agent\":1,\"boot_id\":\"%s\",\"kernel\":\"%s\",\"os\":\"fake agent (%s)\","
                     "\"init\":\"%s\",\"uptime\":%.2f}\n",
                     boot_id, u.release, mode, init[0] ? init : "init", uptime());
    write_all(line, (size_t)n);
}

static int guest_port_start(void)
{
    char buf[32];
    const char *env = getenv("FAKE_SYSCTL");
    if (env)
        return atoi(env);
    read_text("/proc/sys/net/ipv4/ip_unprivileged_port_start", buf, sizeof buf);
    return buf[0] ? atoi(buf) : 1024;
}

/* The 28 binds as the kernel would answer them for an unprivileged process
 * when the sysctl is port_start ("ok" for every port if all_ok). */
static size_t binds_json(char *out, size_t size, int port_start, int all_ok)
{
    static const char *const fams[] = {"tcp4", "tcp6", "udp4", "udp6"};
    static const int ports[] = {22, 25, 53, 79, 80, 443, 1023};
    size_t o = (size_t)snprintf(out, size, "{");
    for (int f = 0; f < 4; f++)
        for (int p = 0; p < 7; p++)
            o += (size_t)snprintf(out + o, size - o, "%s\"%s:%d\":\"%s\"", o > 1 ? "," : "", fams[f], ports[p],
                                  all_ok || ports[p] >= port_start ? "ok" : "EACCES");
    o += (size_t)snprintf(out + o, size - o, "}");
    return o;
}

static void answer_facts(long id)
{
    char binds[2048], line[4096];
    int start = guest_port_start();
    /* The proofs in the agent's key order: cap_prm, cap_inh, cap_eff, cap_amb, cap_bnd. */
#define NO_CAPS "0000000000000000"
#define NET_BIND_SERVICE "0000000000000400" /* bit 10, the one capability that binds low ports */
#define ALL_CAPS "000001ffffffffff"
#define PROOF(ids, prm, inh, eff, amb, bnd, nnp)                                                                 \
    "\"proof\":{" ids ",\"groups\":0,\"cap_prm\":\"" prm "\",\"cap_inh\":\"" inh "\",\"cap_eff\":\"" eff "\","       \
    "\"cap_amb\":\"" amb "\",\"cap_bnd\":\"" bnd "\",\"no_new_privs\":" nnp "},"
#define NOBODY "\"uid\":65534,\"gid\":65534"
    const char *proof = PROOF(NOBODY, NO_CAPS, NO_CAPS, NO_CAPS, NO_CAPS, NO_CAPS, "1");
    const char *extra = "";
    char sysctl[16];
    snprintf(sysctl, sizeof sysctl, "%d", start);
    binds_json(binds, sizeof binds, start, 0);

    if (strcmp(mode, "overlong") == 0) {
        /* A syntactically fine JSON line, just far too long. */
        static char big[70000];
        const char *head = "{\"msg\":\"facts\",\"pad\":\"";
        memset(big, 'A', sizeof big);
        memcpy(big, head, strlen(head));
        memcpy(big + sizeof big - 3, "\"}\n", 3);
        write_all(big, sizeof big);
        say("sent a %zu-byte line", sizeof big);
        return;
    }
    if (strcmp(mode, "nul") == 0) {
        char nul_line[256];
        int n = snprintf(nul_line, sizeof nul_line,
                         "{\"msg\":\"facts\",\"id\":%ld,\"boot_id\":\"%s\",\"sysctl\":\"80\",\"x\":\"", id, boot_id);
        nul_line[n++] = '\0';
        n += snprintf(nul_line + n, sizeof nul_line - (size_t)n, "\"}\n");
        write_all(nul_line, (size_t)n);
        say("sent a line with a NUL byte");
        return;
    }
    if (strcmp(mode, "badutf8") == 0) {
        snprintf(sysctl, sizeof sysctl, "8\xff\xfe" "0");
    } else if (strcmp(mode, "claimpass") == 0) {
        extra = "\"status\":\"pass\",\"verdict\":\"pass\",\"pass\":true,";
        snprintf(sysctl, sizeof sysctl, "80");
        binds_json(binds, sizeof binds, start, 1);
    } else if (strcmp(mode, "root") == 0) {
        proof = PROOF("\"uid\":0,\"gid\":0", ALL_CAPS, NO_CAPS, ALL_CAPS, NO_CAPS, ALL_CAPS, "0");
    } else if (strcmp(mode, "capeff") == 0) {
        proof = PROOF(NOBODY, NO_CAPS, NO_CAPS, NET_BIND_SERVICE, NO_CAPS, NO_CAPS, "1");
    } else if (strcmp(mode, "capinh") == 0) {
        proof = PROOF(NOBODY, NO_CAPS, NET_BIND_SERVICE, NO_CAPS, NO_CAPS, NO_CAPS, "1");
    } else if (strcmp(mode, "noproof") == 0) {
        proof = "";
    }
    int n = snprintf(line, sizeof line, "{\"msg\":\"facts\",\"id\":%ld,%s\"boot_id\":\"%s\",\"uptime\":%.2f,"
                                        "\"sysctl\":\"%s\",%s\"binds\":%s}\n",
                     id, extra, boot_id, uptime(), sysctl, proof, binds);
    write_all(line, (size_t)n);
    say("sent facts");
}

static long field_id(const char *line)
{
    const char *p = strstr(line, "\"id\":");
    return p ? strtol(p + 5, NULL, 10) : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        mode = argv[1]; /* on the host: stdin/stdout */
    read_text("/proc/sys/kernel/random/boot_id", boot_id, sizeof boot_id);
    say("started");
    if (strcmp(mode, "silent") == 0) {
        say("never opening the port");
        hang_forever();
    }
    if (argc <= 1)
        in_fd = out_fd = open_port();
    hello();

    /* Answer commands line by line. */
    static char buf[70000];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(in_fd, buf + len, sizeof buf - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (argc > 1)
                return 0;
            hang_forever(); /* the host closed the port: wait to be killed */
        }
        len += (size_t)r;
        buf[len] = '\0';
        char *nl;
        while ((nl = memchr(buf, '\n', len))) {
            *nl = '\0';
            long id = field_id(buf);
            if (strstr(buf, "\"cmd\":\"facts\""))
                answer_facts(id);
            else if (strstr(buf, "\"cmd\":\"run\"")) {
                char line[512];
                bool evil = strcmp(mode, "escapes") == 0;
                int n = snprintf(line, sizeof line,
                                 "{\"msg\":\"ran\",\"id\":%ld,\"exit\":%d,\"signal\":0,\"timed_out\":false,"
                                 "\"seconds\":0.1,\"output\":\"%s\"}\n", id, evil ? 1 : 0, evil ? EVIL_OUTPUT : "fake");
                write_all(line, (size_t)n);
            } else {
                char line[256];
                int n = snprintf(line, sizeof line, "{\"msg\":\"error\",\"id\":%ld,\"text\":\"fake agent\"}\n", id);
                write_all(line, (size_t)n);
            }
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, buf + used, len - used);
            len -= used;
        }
        if (len == sizeof buf - 1)
            len = 0;
    }
}
