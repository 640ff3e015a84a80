/* hello and facts: boot id, kernel, os, init, uptime, the sysctl, binds. */
#define _GNU_SOURCE
#include "facts.h"

#include "binds.h"
#include "fdio.h"
#include "log.h"
#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define SYSCTL_PATH "/proc/sys/net/ipv4/ip_unprivileged_port_start"

/* A one-line file's trimmed text, or the errno name when it is unreadable
 * (the protocol's convention for `sysctl`, used for every text fact). */
static json_t *file_fact(const char *path)
{
    char buf[512];

    if (read_small_file(path, buf, sizeof buf) < 0) {
        log_msg("reading %s: %s", path, strerror(errno));
        return json_string(errno_name(errno));
    }
    return json_text(trim(buf));
}

static json_t *uptime_fact(void)
{
    char buf[128], *end;
    double up;

    if (read_small_file("/proc/uptime", buf, sizeof buf) < 0) {
        log_msg("reading /proc/uptime: %s", strerror(errno));
        return json_null();
    }
    /* The agent never calls setlocale(), so strtod() expects a '.'. */
    up = strtod(buf, &end);
    if (end == buf) {
        log_msg("cannot parse /proc/uptime");
        return json_null();
    }
    return json_real(up);
}

static json_t *kernel_fact(void)
{
    struct utsname u;

    if (uname(&u) < 0) {
        log_msg("uname: %s", strerror(errno));
        return json_string(errno_name(errno));
    }
    return json_text(u.release);
}

/* Unquotes an os-release value in place, the shell-like way the format
 * allows: "…" with backslash escapes, '…' verbatim, or bare. */
static char *os_release_value(char *v)
{
    char quote = v[0], *out = v, *in = v + 1;

    if (quote != '"' && quote != '\'')
        return trim(v);
    while (*in && *in != quote) {
        if (quote == '"' && in[0] == '\\' && in[1] && strchr("\"\\`$", in[1]))
            in++;
        *out++ = *in++;
    }
    *out = '\0';
    return v;
}

static json_t *os_fact(void)
{
    static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
    char buf[8192];
    int err = ENOENT;

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *save = NULL;

        if (read_small_file(paths[i], buf, sizeof buf) < 0) {
            err = errno;
            continue;
        }
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            if (strncmp(line, "PRETTY_NAME=", 12) == 0)
                return json_text(os_release_value(line + 12));
        /* os-release(5): PRETTY_NAME defaults to "Linux". */
        return json_string("Linux");
    }
    log_msg("reading /etc/os-release and /usr/lib/os-release: %s", strerror(err));
    return json_string(errno_name(err));
}

/* json_pack's "o" steals every reference even when it fails (jansson
 * >= 2.11), so a failed pack leaks nothing. */
json_t *facts_hello(void)
{
    return json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o}",
                     "msg", "hello", "agent", AGENT_PROTOCOL_VERSION,
                     "boot_id", file_fact("/proc/sys/kernel/random/boot_id"),
                     "kernel", kernel_fact(), "os", os_fact(),
                     "init", file_fact("/proc/1/comm"), "uptime", uptime_fact());
}

json_t *facts_collect(json_int_t id, char *err, size_t errlen)
{
    json_t *proof, *binds, *m;

    if (binds_check(&proof, &binds, err, errlen) < 0)
        return NULL;
    m = json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "msg", "facts", "id", id,
                  "boot_id", file_fact("/proc/sys/kernel/random/boot_id"),
                  "uptime", uptime_fact(), "sysctl", file_fact(SYSCTL_PATH),
                  "proof", proof, "binds", binds);
    if (!m)
        snprintf(err, errlen, "out of memory");
    return m;
}
