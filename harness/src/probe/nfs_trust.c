/* NFS exports and mounts that trust a reserved source port (sec=sys). */
#define _GNU_SOURCE
#include "probe/nfs_trust.h"

#include "base/util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(struct nfs_trust_scan *out, enum nfs_trust_kind kind, const char *file, unsigned line,
                const char *what)
{
    if (out->n == NFS_TRUST_MAX)
        return;
    struct nfs_trust *t = &out->v[out->n++];
    t->kind = kind;
    snprintf(t->where, sizeof t->where, "%s:%u", file, line);
    snprintf(t->what, sizeof t->what, "%s", what);
}

/* Whether an option list ("ro,sec=krb5:sys,secure") names opt, and the
 * value of sec= (NULL when absent). */
static bool has_option(const char *opts, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = opts; p && *p; p = strchr(p, ','), p = p ? p + 1 : NULL)
        if (strncmp(p, opt, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == ')'))
            return true;
    return false;
}

/* sec= absent means sys, for exports (exports(5)) and mounts (nfs(5)) alike. */
static bool allows_sys(const char *opts)
{
    const char *sec = NULL;
    for (const char *p = opts; p && *p; p = strchr(p, ','), p = p ? p + 1 : NULL)
        if (strncmp(p, "sec=", 4) == 0)
            sec = p + 4;
    if (!sec)
        return true;
    size_t len = strcspn(sec, ",)");
    for (const char *f = sec; f < sec + len; f += strcspn(f, ":,)"), f += *f == ':') {
        size_t flen = strcspn(f, ":,)");
        if (flen == 3 && strncmp(f, "sys", 3) == 0)
            return true;
        if (flen == 0)
            break;
    }
    return false;
}

/* An IPv4 address of one of this machine's interfaces inside client
 * ("10.0.0.5" or "10.0.0.0/24"); only asked for the running machine. */
static bool own_interface_in(const char *client)
{
    char net[64];
    int bits = 32;
    struct in_addr want;
    const char *slash = strchr(client, '/');
    snprintf(net, sizeof net, "%.*s", (int)(slash ? (size_t)(slash - client) : strlen(client)), client);
    if (slash)
        bits = atoi(slash + 1);
    if (bits < 0 || bits > 32 || inet_pton(AF_INET, net, &want) != 1)
        return false;
    uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;
    struct ifaddrs *ifs, *i;
    bool found = false;
    if (getifaddrs(&ifs) != 0)
        return false;
    for (i = ifs; i && !found; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
            found = ((((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr ^ want.s_addr) & mask) == 0;
    freeifaddrs(ifs);
    return found;
}

/* Whether an export's client reaches this machine itself. */
static bool reaches_self(const char *client, const char *hostname, bool live)
{
    static const char *const self[] = {"*", "", "localhost", "localhost.localdomain", "::1", "[::1]"};
    for (size_t i = 0; i < sizeof self / sizeof *self; i++)
        if (strcmp(client, self[i]) == 0)
            return true;
    if (strncmp(client, "127.", 4) == 0 || (hostname && *hostname && strcmp(client, hostname) == 0))
        return true;
    return live && own_interface_in(client);
}

/* Calls each(FILE, LINE, text) for every line of ROOT/path (when it exists),
 * the comment after # cut off. */
struct line_ctx {
    const char *hostname;
    bool live; /* ROOT is the running machine */
    struct nfs_trust_scan *out;
};
typedef void (*line_fn)(const char *file, unsigned n, char *line, const struct line_ctx *ctx);

static void each_line(const char *root, const char *path, line_fn each, const struct line_ctx *ctx)
{
    cleanup_free char *file = xasprintf("%s%s", ctx->live ? "" : root, path);
    cleanup_file FILE *f = fopen(file, "re");
    char line[4096];
    unsigned n = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "#\n")] = '\0';
        each(file, ++n, line, ctx);
    }
}

/* exports(5): "DIR [-DEFAULTS] CLIENT[(OPTIONS)] ..." */
static void export_line(const char *file, unsigned n, char *line, const struct line_ctx *ctx)
{
    char *save = NULL, *dir = strtok_r(line, " \t", &save);
    if (!dir)
        return;
    char defaults[1024] = "";
    for (char *spec = strtok_r(NULL, " \t", &save); spec; spec = strtok_r(NULL, " \t", &save)) {
        if (spec[0] == '-') { /* "-ro,sec=sys": the line's defaults */
            snprintf(defaults, sizeof defaults, "%s", spec + 1);
            continue;
        }
        char *paren = strchr(spec, '(');
        cleanup_free char *client = xasprintf("%.*s", (int)(paren ? (size_t)(paren - spec) : strlen(spec)), spec);
        cleanup_free char *opts = xasprintf("%s,%s", defaults, paren ? paren + 1 : "");
        if (allows_sys(opts) && !has_option(opts, "insecure") && reaches_self(client, ctx->hostname, ctx->live)) {
            cleanup_free char *what = xasprintf("%s %s", dir, spec);
            add(ctx->out, NFS_TRUST_EXPORT, file, n, what);
        }
    }
}

/* fstab(5) and /proc/mounts: "SPEC DIR TYPE OPTIONS ..." */
static void mount_line(const char *file, unsigned n, char *line, const struct line_ctx *ctx)
{
    char spec[1024], dir[1024], type[32], opts[2048] = "";
    if (sscanf(line, "%1023s %1023s %31s %2047s", spec, dir, type, opts) < 3)
        return;
    if ((strcmp(type, "nfs") != 0 && strcmp(type, "nfs4") != 0) || !allows_sys(opts))
        return;
    cleanup_free char *what = xasprintf("%s on %s (%s, %s)", spec, dir, type, opts[0] ? opts : "defaults");
    add(ctx->out, NFS_TRUST_MOUNT, file, n, what);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void nfs_trust_scan(const char *root, const char *hostname, struct nfs_trust_scan *out)
{
    const struct line_ctx ctx = {.hostname = hostname, .live = strcmp(root, "/") == 0, .out = out};
    out->n = 0;
    each_line(root, "/etc/exports", export_line, &ctx);
    cleanup_free char *dir = xasprintf("%s/etc/exports.d", ctx.live ? "" : root);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char *names[64];
        size_t nn = 0;
        while ((e = readdir(d)) && nn < 64) {
            size_t len = strlen(e->d_name);
            if (len > 8 && strcmp(e->d_name + len - 8, ".exports") == 0)
                names[nn++] = xasprintf("/etc/exports.d/%s", e->d_name);
        }
        closedir(d);
        qsort(names, nn, sizeof *names, compare_names);
        for (size_t i = 0; i < nn; i++) {
            each_line(root, names[i], export_line, &ctx);
            free(names[i]);
        }
    }
    each_line(root, "/etc/fstab", mount_line, &ctx);
    each_line(root, "/proc/mounts", mount_line, &ctx);
}
