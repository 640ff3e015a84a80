/* portcheck host: why can (or can't) an unprivileged server bind port 80
 * on this machine, and the one thing to do about it. It gathers the live
 * facts (host_probe.c) and the boot-time configuration (sysctl_d.c),
 * decides, and prints text or JSON. It changes nothing: no sysctl is
 * written and every probe socket is closed at once. */
#define _GNU_SOURCE
#include "cli/host.h"

#include "cli/options.h"

#include "probe/host_probe.h"
#include "probe/nfs_trust.h"
#include "probe/sysctl_d.h"
#include "base/util.h"
#include "common/constants.h"

#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY "net.ipv4.ip_unprivileged_port_start"
#define PACKAGE_FILE PORTCHECK_VENDOR_NAME
#define WANT 80

static const int probe_ports[] = {80, 443};
#define NPORTS (sizeof probe_ports / sizeof *probe_ports)

struct diagnosis {
    const char *root;
    long value;
    int value_error;
    struct sysctl_scan scan;
    struct host_netns ns;
    struct host_container ct;
    uid_t euid;
    int bind_cap;
    const char *self_bind[NPORTS];
    bool nobody_tested;
    uid_t nobody_uid;
    gid_t nobody_gid;
    char nobody_bind[NPORTS][32];
    char nobody_error[256];
    int unprivileged_80; /* an unprivileged process can bind 80: 1, 0, -1 unknown */
    char *advice;
    struct nfs_trust_scan nfs; /* NFS trusting a reserved source port */
    bool opened;               /* ports below 1024 are (or will be at boot) open to users */
};

static bool allowed(const char *result)
{
    /* The kernel checks the privilege before whether the port is free. */
    return strcmp(result, "ok") == 0 || strcmp(result, "EADDRINUSE") == 0;
}

/* The name an export may use for this machine: ROOT/etc/hostname, or the
 * running one's. NULL when neither says. */
static char *machine_name(const char *root)
{
    cleanup_free char *path = xasprintf("%s/etc/hostname", strcmp(root, "/") == 0 ? "" : root);
    char *name = read_file_text(path, 256);
    if (name) {
        name[strcspn(name, " \t\n")] = '\0';
        if (name[0])
            return name;
        free(name);
    }
    char buf[256];
    if (strcmp(root, "/") == 0 && gethostname(buf, sizeof buf) == 0 && buf[0]) {
        buf[sizeof buf - 1] = '\0';
        return xstrdup(buf);
    }
    return NULL;
}

static void gather(struct diagnosis *d)
{
    errno = 0;
    d->value = host_read_value();
    d->value_error = d->value < 0 ? errno : 0;
    cleanup_free char *sd = strcmp(d->root, "/") == 0 ? xstrdup("/run/systemd/system")
                                                     : xasprintf("%s/run/systemd/system", d->root);
    struct stat st;
    /* The boot-time tool: systemd-sysctl when systemd is init (the test
     * sd_booted() makes), procps `sysctl --system` otherwise. */
    sysctl_d_scan(d->root, KEY, stat(sd, &st) == 0 && S_ISDIR(st.st_mode), &d->scan);
    host_netns(&d->ns);
    host_container(d->root, &d->ct);
    d->euid = geteuid();
    d->bind_cap = host_has_bind_cap();
    for (size_t i = 0; i < NPORTS; i++)
        d->self_bind[i] = host_try_bind(probe_ports[i]);
    /* Root's binds prove nothing about users: test as nobody too. */
    if (d->euid == 0) {
        struct passwd *pw = getpwnam("nobody");
        d->nobody_uid = pw ? pw->pw_uid : 65534;
        d->nobody_gid = pw ? pw->pw_gid : 65534;
        d->nobody_tested = host_try_bind_as(d->nobody_uid, d->nobody_gid, probe_ports, NPORTS, d->nobody_bind,
                                            d->nobody_error, sizeof d->nobody_error);
    }
    cleanup_free char *hostname = machine_name(d->root);
    nfs_trust_scan(d->root, hostname, &d->nfs);
    if (d->bind_cap != 1)
        d->unprivileged_80 = allowed(d->self_bind[0]);
    else if (d->nobody_tested)
        d->unprivileged_80 = allowed(d->nobody_bind[0]);
    else
        d->unprivileged_80 = -1;
}

static const struct sysctl_setting *winner(const struct diagnosis *d)
{
    return d->scan.winner >= 0 ? &d->scan.settings[d->scan.winner] : NULL;
}

static const struct sysctl_file *masked_package_file(const struct diagnosis *d)
{
    for (size_t i = 0; i < d->scan.nfiles; i++) {
        const struct sysctl_file *f = &d->scan.files[i];
        const char *base = strrchr(f->path, '/');
        if (f->state == SYSCTL_FILE_MASKED && base && strcmp(base + 1, PACKAGE_FILE) == 0)
            return f;
    }
    return NULL;
}

static long number(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || end == s || *end ? -1 : v;
}

/* A file the boot-time tool reads but this user cannot: the diagnosis of
 * the configuration is incomplete without it. */
static const struct sysctl_file *unreadable_file(const struct diagnosis *d)
{
    for (size_t i = 0; i < d->scan.nfiles; i++) {
        const struct sysctl_file *f = &d->scan.files[i];
        bool applies = f->state == SYSCTL_FILE_READ || (f->state == SYSCTL_FILE_PROCPS && !d->scan.systemd);
        if (applies && f->error)
            return f;
    }
    return NULL;
}

/* The host's own configuration, when the value here is not 80 or lower. */
static char *advice_host(const struct diagnosis *d)
{
    const struct sysctl_file *hidden = unreadable_file(d);
    if (hidden)
        return xasprintf("run portcheck host as root: %s is read at boot but cannot be read here (%s), and it may "
                         "set %s",
                         hidden->path, strerror(hidden->error), KEY);
    const struct sysctl_setting *w = winner(d);
    const struct sysctl_file *mask = masked_package_file(d);
    const char *apply = d->scan.systemd ? "/usr/lib/systemd/systemd-sysctl --prefix=" KEY : "sysctl --system";
    if (!w && mask)
        return xasprintf("remove the mask %s (it hides the package's file, so nothing sets %s): rm %s, then run %s",
                         mask->path, KEY, mask->path, apply);
    if (!w)
        return xasprintf("install unprivileged-ports (apt install unprivileged-ports, or dnf install "
                         "unprivileged-ports): nothing in sysctl.d sets %s, so the kernel default (1024) holds",
                         KEY);
    long cfg = number(w->value);
    if (cfg < 0 || cfg > WANT)
        return xasprintf("change or remove %s:%u, which sets %s = %s and is applied last (sysctl.d files are "
                         "read in file-name order, a later one wins), then run %s",
                         w->path, w->line, KEY, w->value, apply);
    return xasprintf("apply the configuration now: %s:%u sets %s, but the running value is %ld (it was never "
                     "applied, or something reset it after boot); run %s or reboot",
                     w->path, w->line, w->value, d->value, apply);
}

static char *advise(const struct diagnosis *d)
{
    if (d->value < 0) {
        if (d->value_error == ENOENT)
            return xasprintf("this kernel has no %s (Linux 4.11 or later has it): give the server "
                             "CAP_NET_BIND_SERVICE instead (systemd AmbientCapabilities=CAP_NET_BIND_SERVICE)",
                             KEY);
        return xasprintf("cannot read %s (%s): run portcheck host where /proc is mounted", HOST_VALUE_PATH,
                         strerror(d->value_error));
    }
    bool host_ns = !d->ct.kind[0] && (d->ns.same != 0 || d->ns.initial);
    if (d->value <= WANT) {
        if (d->unprivileged_80 == 0)
            return xasprintf("find what refuses the bind: the setting allows it (%ld) but an unprivileged bind of "
                             "port 80 still fails, so a security module (SELinux, AppArmor) or a seccomp filter "
                             "refuses it; look in the audit log (ausearch -m avc, journalctl -k)",
                             d->value);
        const struct sysctl_setting *w = winner(d);
        long cfg = w ? number(w->value) : -1;
        if (host_ns && (cfg < 0 || cfg > WANT))
            return xasprintf("make it last: %ld holds now, but %s, so the next boot brings back %s; install "
                             "unprivileged-ports",
                             d->value, w ? "a sysctl.d file sets another value" : "nothing in sysctl.d sets it",
                             w ? w->value : "1024");
        return xstrdup("nothing: an unprivileged process can bind 80 and 443 here");
    }
    if (d->ct.kind[0] && (d->ct.host_network || d->ns.initial)) {
        /* "the toolbox", "the docker container". */
        const char *what = d->ct.host_network ? "" : " container";
        return xasprintf("install unprivileged-ports on the HOST, not inside the %s%s: the sysctl is per network "
                         "namespace, this %s%s uses the host's, and only the host's boot applies the host's "
                         "sysctl.d files",
                         d->ct.kind, what, d->ct.kind, what);
    }
    if (d->ct.kind[0])
        return xasprintf("start the container with --sysctl %s=80 (podman run, docker run): a container with its own "
                         "network namespace starts at 1024 whatever the host sets (with --network=host, install "
                         "unprivileged-ports on the host instead)",
                         KEY);
    if (!host_ns)
        return xasprintf("set it in this network namespace, which is not the host's (PID 1 is in %s): the host's "
                         "setting does not reach it; as root inside it run sysctl -w %s=80, or run the server in "
                         "the host's namespace",
                         d->ns.pid1[0] ? d->ns.pid1 : "another one", KEY);
    return advice_host(d);
}

static const char *state_name(enum sysctl_file_state s)
{
    switch (s) {
    case SYSCTL_FILE_READ: return "read";
    case SYSCTL_FILE_MASKED: return "masked";
    case SYSCTL_FILE_SHADOWED: return "shadowed";
    case SYSCTL_FILE_BROKEN: return "broken";
    case SYSCTL_FILE_PROCPS: return "procps-only";
    }
    return "?";
}

static void print_file(const struct diagnosis *d, const struct sysctl_file *f, FILE *out)
{
    fprintf(out, "  %s", f->path);
    if (f->link)
        fprintf(out, " -> %s", f->link);
    switch (f->state) {
    case SYSCTL_FILE_READ:
        if (f->error)
            fprintf(out, "   read at boot, but unreadable here (%s): run portcheck host as root\n",
                    strerror(f->error));
        else
            fputs("   read\n", out);
        break;
    case SYSCTL_FILE_MASKED: fputs("   MASK: hides files of the same name, sets nothing\n", out); break;
    case SYSCTL_FILE_SHADOWED: fprintf(out, "   not read: hidden by %s\n", f->shadowed_by); break;
    case SYSCTL_FILE_BROKEN: fprintf(out, "   skipped: %s\n", strerror(f->error)); break;
    case SYSCTL_FILE_PROCPS:
        fputs(d->scan.systemd ? "   not read by systemd-sysctl (only by procps sysctl --system)"
                              : "   read last (procps sysctl --system)",
              out);
        if (f->error)
            fprintf(out, ", but unreadable here (%s)", strerror(f->error));
        fputc('\n', out);
        break;
    }
}

/* The warning for one NFS finding, with its mitigation; NULL when ports
 * below 1024 stay privileged here (then the trust still holds). */
static char *nfs_warning(const struct diagnosis *d, const struct nfs_trust *t)
{
    if (!d->opened)
        return NULL;
    if (t->kind == NFS_TRUST_EXPORT)
        return xasprintf("%s exports `%s` with sec=sys and secure to a client that includes this machine: with ports below 1024 "
                         "open, any local user can send requests from such a port claiming any uid and read what "
                         "that uid may (measured: scenario nfs-secure-export). Mitigation: sec=krb5 on the "
                         "export, or keep 1024 here (ln -s /dev/null /etc/sysctl.d/" PACKAGE_FILE ")",
                         t->where, t->what);
    return xasprintf("%s mounts %s with sec=sys: its server trusts a source port below 1024, and with those "
                     "ports open any local user here can send it requests claiming any uid. Mitigation: sec=krb5, "
                     "or keep 1024 on this multi-user NFS client (ln -s /dev/null /etc/sysctl.d/" PACKAGE_FILE ")",
                     t->where, t->what);
}

static void print_text(const struct diagnosis *d, FILE *out)
{
    fputs("portcheck host: can an unprivileged process bind port 80 here?\n\n", out);
    if (d->value >= 0)
        fprintf(out, "setting     %s = %ld in this network namespace\n", KEY, d->value);
    else
        fprintf(out, "setting     %s: cannot read (%s)\n", HOST_VALUE_PATH, strerror(d->value_error));
    fprintf(out, "namespace   %s, ", d->ns.self[0] ? d->ns.self : "?");
    if (d->ns.same == 1)
        fputs("the same as PID 1's", out);
    else if (d->ns.same == 0)
        fprintf(out, "not PID 1's (%s)", d->ns.pid1);
    else
        fprintf(out, "PID 1's unknown (%s)", strerror(d->ns.pid1_error));
    fputs(d->ns.initial ? ": the host's (initial) network namespace\n" : "\n", out);
    if (d->ct.kind[0])
        fprintf(out, "container   %s (%s)%s\n", d->ct.kind, d->ct.evidence,
                d->ct.host_network ? ": shares the host's network namespace" : "");
    else
        fputs("container   none detected\n", out);
    fprintf(out, "boot tool   %s reads sysctl.d under %s\n", d->scan.systemd ? "systemd-sysctl" : "procps sysctl --system",
            d->root);
    if (d->scan.nfiles) {
        fputs("files       in the order they are applied:\n", out);
        for (size_t i = 0; i < d->scan.nfiles; i++)
            print_file(d, &d->scan.files[i], out);
    } else {
        fprintf(out, "files       no sysctl.d file mentions %s\n", KEY);
    }
    if (d->scan.nsettings) {
        fputs("assignments (a later one wins):\n", out);
        for (size_t i = 0; i < d->scan.nsettings; i++) {
            const struct sysctl_setting *s = &d->scan.settings[i];
            fprintf(out, "  %s:%u  %s = %s%s   %s\n", s->path, s->line, s->key, s->value, s->glob ? " (glob)" : "",
                    s->wins ? "<- applied last: this is the configured value" : s->applies ? "overridden later"
                                                                                           : "not applied");
        }
    }
    fprintf(out, "binds       as uid %u: tcp 0.0.0.0:80 %s, 0.0.0.0:443 %s", (unsigned)d->euid, d->self_bind[0],
            d->self_bind[1]);
    if (d->bind_cap == 1)
        fputs(" (CAP_NET_BIND_SERVICE: this process may bind any port whatever the setting)", out);
    fputc('\n', out);
    if (d->euid == 0) {
        if (d->nobody_tested)
            fprintf(out, "            as nobody (uid %u, no capabilities): tcp 0.0.0.0:80 %s, 0.0.0.0:443 %s\n",
                    (unsigned)d->nobody_uid, d->nobody_bind[0], d->nobody_bind[1]);
        else
            fprintf(out, "            as nobody: could not test (%s)\n", d->nobody_error);
    }
    fprintf(out, "verdict     %s\n\nWhat to do: %s\n",
            d->unprivileged_80 == 1   ? "an unprivileged process can bind 80 here"
            : d->unprivileged_80 == 0 ? "an unprivileged process cannot bind 80 here"
                                      : "unknown whether an unprivileged process can bind 80 here",
            d->advice);
    for (size_t i = 0; i < d->nfs.n; i++) {
        cleanup_free char *w = nfs_warning(d, &d->nfs.v[i]);
        if (w)
            fprintf(out, "\nWarning: %s\n", w);
    }
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *err_or_null(int err)
{
    const char *name = err ? strerrorname_np(err) : NULL;
    return name ? json_string(name) : json_null();
}

static json_t *to_json(const struct diagnosis *d)
{
    json_t *files = json_array(), *settings = json_array(), *binds = json_array(), *evidence = json_array();
    for (size_t i = 0; i < d->scan.nfiles; i++) {
        const struct sysctl_file *f = &d->scan.files[i];
        json_array_append_new(files, json_pack("{s:s, s:o, s:s, s:o, s:o, s:b}", "path", f->path, "link",
                                               str_or_null(f->link), "state", state_name(f->state), "shadowed_by",
                                               str_or_null(f->shadowed_by), "error", err_or_null(f->error),
                                               "sets_key", f->sets_key));
    }
    for (size_t i = 0; i < d->scan.nsettings; i++) {
        const struct sysctl_setting *s = &d->scan.settings[i];
        json_array_append_new(settings, json_pack("{s:s, s:i, s:s, s:s, s:b, s:b, s:b}", "path", s->path, "line",
                                                  (int)s->line, "key", s->key, "value", s->value, "glob", s->glob,
                                                  "applies", s->applies, "wins", s->wins));
    }
    for (size_t i = 0; i < NPORTS; i++)
        json_array_append_new(binds, json_pack("{s:s, s:i, s:i, s:s}", "as", "self", "uid", (int)d->euid, "port",
                                               probe_ports[i], "result", d->self_bind[i]));
    if (d->nobody_tested)
        for (size_t i = 0; i < NPORTS; i++)
            json_array_append_new(binds, json_pack("{s:s, s:i, s:i, s:s}", "as", "nobody", "uid",
                                                   (int)d->nobody_uid, "port", probe_ports[i], "result",
                                                   d->nobody_bind[i]));
    cleanup_free char *ev = xstrdup(d->ct.evidence);
    char *save = NULL;
    for (char *t = strtok_r(ev, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(evidence, json_string(t + strspn(t, " ")));
    const struct sysctl_setting *w = winner(d);
    json_t *configured = w ? json_pack("{s:s, s:s, s:i}", "value", w->value, "path", w->path, "line", (int)w->line)
                           : json_null();
    json_t *unpriv = d->unprivileged_80 < 0 ? json_null() : json_boolean(d->unprivileged_80);
    json_t *netns_same = d->ns.same < 0 ? json_null() : json_boolean(d->ns.same);
    json_t *warnings = json_array();
    for (size_t i = 0; i < d->nfs.n; i++) {
        cleanup_free char *text = nfs_warning(d, &d->nfs.v[i]);
        if (text)
            json_array_append_new(warnings, json_pack("{s:s, s:s, s:s, s:s}", "kind",
                                                      d->nfs.v[i].kind == NFS_TRUST_EXPORT ? "nfs-export"
                                                                                            : "nfs-mount",
                                                      "where", d->nfs.v[i].where, "what", d->nfs.v[i].what,
                                                      "text", text));
    }
    json_t *j = json_pack(
        "{s:i, s:s, s:s, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:b}, s:{s:o, s:o, s:b}, s:s, s:o, s:o, s:o, "
        "s:{s:i, s:o}, s:o, s:o, s:o, s:s}",
        "schema", 1, "key", KEY, "root", d->root, "value", d->value >= 0 ? json_integer(d->value) : json_null(),
        "value_error", err_or_null(d->value_error), "netns", "self", str_or_null(d->ns.self), "pid1",
        str_or_null(d->ns.pid1), "pid1_error", err_or_null(d->ns.pid1_error), "same_as_pid1", netns_same, "initial",
        d->ns.initial, "container", "kind", str_or_null(d->ct.kind), "evidence", evidence, "host_network",
        d->ct.host_network, "boot_tool", d->scan.systemd ? "systemd-sysctl" : "procps", "files", files,
        "assignments", settings, "configured", configured, "user", "uid", (int)d->euid, "cap_net_bind_service",
        d->bind_cap < 0 ? json_null() : json_boolean(d->bind_cap), "binds", binds, "nobody_error",
        d->euid == 0 && !d->nobody_tested ? json_string(d->nobody_error) : json_null(), "unprivileged_can_bind_80",
        unpriv, "advice", d->advice);
    if (j)
        json_object_set_new(j, "warnings", warnings);
    else
        json_decref(warnings);
    return j;
}

enum { HOST_ROOT = 1, HOST_JSON };

struct host_args {
    const char *root;
    bool json;
};

static void take_host_option(void *ctx, int id, const char *v)
{
    struct host_args *a = ctx;
    if (id == HOST_ROOT)
        a->root = v;
    else if (id == HOST_JSON)
        a->json = true;
}

int cmd_host(int argc, char **argv)
{
    static const struct cli_option opts[] = {
        {"root", true, HOST_ROOT, "/"},
        {"json", false, HOST_JSON, NULL},
        {NULL, false, 0, NULL},
    };
    struct host_args a = {.root = "/"};
    cli_parse("host", argc, argv, opts, take_host_option, NULL, &a);
    struct diagnosis d = {.root = a.root};
    bool json = a.json;
    struct stat st;
    if (d.root[0] != '/' || stat(d.root, &st) < 0 || !S_ISDIR(st.st_mode))
        die_usage("host: --root '%s' is not an absolute path to a directory", d.root);

    gather(&d);
    const struct sysctl_setting *w = winner(&d);
    long configured = w ? number(w->value) : -1;
    d.opened = (d.value >= 0 && d.value < 1024) || (configured >= 0 && configured < 1024);
    d.advice = advise(&d);
    int rc = 0;
    if (json) {
        json_t *j = to_json(&d);
        if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
            rc = EXIT_NO_VERDICT;
        fputc('\n', stdout);
        json_decref(j);
    } else {
        print_text(&d, stdout);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "portcheck: host: cannot write the diagnosis: %s\n", strerror(errno));
        rc = EXIT_NO_VERDICT;
    }
    free(d.advice);
    sysctl_d_free(&d.scan);
    return rc;
}
