/* The objections and what the scenarios measured about each. The words are
 * neutral: each side says what was seen, nothing more. */
#define _GNU_SOURCE
#include "run/objections.h"

#include "base/util.h"

#include <stdio.h>
#include <string.h>

#define MAX_SHOWN 3

/* caption and where its value is: "LABEL:KEY" in the scenario's observed
 * values, or "check:NAME" for what a check got. */
struct shown {
    const char *caption, *key;
};

struct objection {
    const char *objection, *scenario, *mitigation, *known;
    const char *without_note; /* said for "without" when the scenario measures only with the package */
    struct shown without[MAX_SHOWN], with[MAX_SHOWN];
};

static const struct objection objections[] = {
    {
        .objection = "A local user can take a free port in 80-1023 before the service meant for it starts.",
        .scenario = "squat-before-service",
        .without_note = "not run without the package; there the user's bind of 80 gets EACCES "
                        "(scenario user-service-http)",
        .with = {{"system nginx after the user's took 80", "system-nginx:said"},
                 {"user's nginx with PID 1's .socket on 80, reboot 1", "held-1:said"},
                 {"reboot 3", "held-3:said"}},
        .mitigation = "Let PID 1 hold the port: a systemd .socket unit (ListenStream=) binds at sockets.target, "
                      "before any user session; or opt out (/etc/sysctl.d/30-unprivileged-ports.conf -> /dev/null).",
    },
    {
        .objection = "Multi-user hosts: every free port in 80-1023 is open to every local user.",
        .scenario = "exposure",
        .without_note = "not run without the package; there every unprivileged bind below 1024 gets EACCES "
                        "(scenario baseline)",
        .mitigation = "Opt out on hosts whose users must not run services there (the opt-out file); services "
                      "that need their port held can use a .socket unit.",
    },
    {
        .objection = "A local user can join or steal a port a root service already holds (SO_REUSEPORT).",
        .scenario = "reuseport-hijack",
        .mitigation = "None needed: the kernel shares a port with SO_REUSEPORT only within one uid.",
        .without = {{"user's tcp bind to 80", "reuseport-without:user-tcp"},
                    {"udp", "reuseport-without:user-udp"}},
        .with = {{"user's tcp bind to 80", "reuseport-with:user-tcp"}, {"udp", "reuseport-with:user-udp"}},
    },
    {
        .objection = "Trust in a source port below 1024 (NFS `secure`, rsh): a local user can now send requests "
                     "from such a port with forged AUTH_SYS ids.",
        .scenario = "nfs-secure-export",
        .mitigation = "On NFS servers and clients with local users keep 1024 (the opt-out file), or use sec=krb5.",
        .without = {{"nfs-cat", "nfs-cat-without:said"}, {"rpc.mountd", "mountd-without:log"}},
        .with = {{"nfs-cat", "nfs-cat-with:said"}, {"rpc.mountd", "mountd-with:log"}},
    },
    {
        .objection = "Containers and Kubernetes: opening ports on the host opens them in containers too.",
        .scenario = "podman-private-netns",
        .mitigation = "None needed for a private netns: the value is per network namespace and starts at "
                      "1024 there unless the runtime sets it.",
        .with = {{"netns value", "check:private-netns:sysctl"},
                 {"non-root tcp4:80", "check:private-netns:tcp4:80"},
                 {"netns root tcp4:80", "check:private-netns-root:tcp4:80"}},
    },
    {
        .objection = "Docker and Kubernetes: containers already open every port, or would inherit the host's.",
        .scenario = "docker-netns",
        .known = "Kubernetes, containerd and CRI-O, not measured here (no cluster): containerd's CRI option "
                 "enable_unprivileged_ports sets 0 in each pod's netns and is on by default since containerd 2.0; "
                 "CRI-O made it opt-in after it broke a conformance test (cri-o#10060); Kubernetes lists the "
                 "sysctl as safe per pod (kubernetes#103298). Each value lives in the pod's own netns, apart "
                 "from the host's.",
        .mitigation = "None needed from the package: a container's own netns gets its runtime's value (Docker: 0); "
                      "host-network containers follow the host, so they get 80 with the package.",
        .without = {{"bridge container", "check:docker-bridge-without:sysctl"},
                    {"--network host", "check:docker-host-without:sysctl"}},
        .with = {{"bridge container", "check:docker-bridge-with:sysctl"},
                 {"--network host", "check:docker-host-with:sysctl"},
                 {"Docker", "docker-start:version"}},
    },
    {
        .objection = "SELinux: confined services lose the port protection.",
        .known = "Not measured here (the Fedora images need a mirror). Linux's selinux_socket_bind() "
                 "(security/selinux/hooks.c) still checks name_bind for any port outside "
                 "ip_local_port_range, whatever ip_unprivileged_port_start is, so a confined domain still "
                 "needs the port's type (e.g. http_port_t).",
        .mitigation = "Confined domains keep their port types; unconfined users are not confined either way.",
    },
};

static const char *check_got(json_t *sc, const char *name)
{
    size_t i;
    json_t *ck;
    json_array_foreach(json_object_get(sc, "checks"), i, ck) {
        json_t *what = json_object_get(ck, "what");
        if (json_is_string(what) && strcmp(json_string_value(what), name) == 0)
            return json_string_value(json_object_get(ck, "got"));
    }
    return NULL;
}

/* "caption: value; caption: value", or "" when nothing was seen. */
static char *render(json_t *sc, const struct shown *shown)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < MAX_SHOWN && shown[i].caption; i++) {
        const char *v = strncmp(shown[i].key, "check:", 6) == 0
                            ? check_got(sc, shown[i].key + 6)
                            : json_string_value(json_object_get(json_object_get(sc, "observed"), shown[i].key));
        if (!v)
            continue;
        char *next = xasprintf("%s%s%s: %s", out, out[0] ? "; " : "", shown[i].caption, v[0] ? v : "(nothing)");
        free(out);
        out = next;
    }
    return out;
}

/* The exposure table in one sentence. */
static char *exposure_sentence(json_t *table)
{
    json_t *services = json_object_get(table, "services"), *listen = json_object_get(table, "listen"), *l;
    size_t total = 0, i;
    const char *result;
    json_t *names;
    json_object_foreach(services, result, names)
        total += json_array_size(names);
    char *bound = xstrdup("");
    json_array_foreach(listen, i, l) {
        char *next = xasprintf("%s%s%s:%lld uid %lld %s", bound, bound[0] ? ", " : "",
                               json_string_value(json_object_get(l, "proto")),
                               (long long)json_integer_value(json_object_get(l, "port")),
                               (long long)json_integer_value(json_object_get(l, "uid")),
                               json_string_value(json_object_get(l, "unit")));
        free(bound);
        bound = next;
    }
    char *s = xasprintf("%zu of %zu /etc/services names in 80-1023 bindable by any user, %zu held by a running "
                        "service (EADDRINUSE); bound there: %s",
                        json_array_size(json_object_get(services, "ok")), total,
                        json_array_size(json_object_get(services, "EADDRINUSE")), bound[0] ? bound : "nothing");
    free(bound);
    return s;
}

static json_t *scenario_in(json_t *run, const char *name)
{
    size_t i;
    json_t *sc;
    json_array_foreach(json_object_get(run, "scenarios"), i, sc)
        if (strcmp(json_string_value(json_object_get(sc, "name")), name) == 0)
            return sc;
    return NULL;
}

json_t *objections_json(json_t *runs)
{
    json_t *rows = json_array();
    for (size_t k = 0; k < sizeof objections / sizeof *objections; k++) {
        const struct objection *o = &objections[k];
        json_t *measured = json_array();
        size_t i;
        json_t *run;
        json_array_foreach(runs, i, run) {
            json_t *sc = o->scenario ? scenario_in(run, o->scenario) : NULL;
            if (!sc)
                continue;
            const char *status = json_string_value(json_object_get(sc, "status"));
            json_t *table = json_object_get(sc, "exposure");
            /* The exposure table stands for "with" where the row names nothing else. */
            char *without = o->without_note ? xstrdup(o->without_note) : render(sc, o->without);
            char *with = table && !o->with[0].caption ? exposure_sentence(table) : render(sc, o->with);
            json_array_append_new(measured, json_pack("{s:s, s:s, s:s, s:s}", "image",
                                                      json_string_value(json_object_get(run, "image")), "status",
                                                      status ? status : "", "without", without, "with", with));
            free(without);
            free(with);
        }
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:o}", "objection", o->objection, "scenario",
                                              o->scenario ? o->scenario : "", "mitigation", o->mitigation, "known",
                                              o->known ? o->known : "", "measured", measured));
    }
    return rows;
}
