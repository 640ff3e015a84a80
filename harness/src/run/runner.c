/* The one engine that executes scenario steps, for every scenario. */
#define _GNU_SOURCE
#include "run/runner.h"

#include "report/report.h"
#include "run/checks.h"
#include "run/disks.h"
#include "common/constants.h"
#include "base/progress.h"
#include "vm/session.h"
#include "base/signals.h"
#include "base/spawn.h"
#include "base/util.h"
#include "report/upstream_patches.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Deadlines under TCG on 2 cores, where a boot takes 15-45 s; KVM divides
 * them by four. Each is multiplied by --timeout-scale. */
#define BOOT_TIMEOUT 240.0
#define COMMAND_TIMEOUT 300
#define FACTS_TIMEOUT 60.0
#define BYE_TIMEOUT 30.0
#define POWEROFF_TIMEOUT 120.0

/* Where the run of one scenario's VM is. Every progress line of an image
 * run comes from enter(), and an error's report entry names how the wait
 * ended, so the terminal and report.json tell the same story. */
enum run_state { RUN_IDLE, RUN_BOOTING, RUN_RUNNING, RUN_DONE, RUN_FAILED };

struct runner {
    const struct run_config *cfg;
    const struct image_info *img;
    const struct package_info *pkg, *old_pkg;
    char *work_dir, *log_dir, *overlay, *payload, *pkg_guest_path, *old_pkg_guest_path;
    struct boot_profile profile; /* how the current VM boots */
    int fwd_http, fwd_https;     /* its forwarded host ports, when it has a network */
    long peak_rss_kb;            /* the largest qemu of this image run */
    struct session s;
    bool alive;
    int vm_count;
    double boot_started;   /* when the current boot began (qemu start or reboot command) */
    bool boot_measured;    /* its seconds_to_verdict is recorded */
    char boot_id[40];
    json_t *boots;
    char reason[1024];     /* why the current step ended in error */
    enum run_state state;
    bool console_truncated; /* some VM of the current scenario flooded its console */
    enum wait_status ended_by; /* how the last failed wait ended, WAIT_MSG if none did */
    char *console_log;
    char *label; /* the image, and which of its VMs at once, for progress lines */
    json_t *observed; /* the current scenario's observations: "label:KEY" -> value */
    json_t *exposure; /* the current scenario's exposure table, or NULL */
};

/* build-image always records init; none recorded means the default, systemd. */
static bool image_runs_systemd(const struct image_info *img)
{
    return !img->init || !img->init[0] || strcmp(img->init, "systemd") == 0;
}

__attribute__((format(printf, 3, 4))) static void enter(struct runner *r, enum run_state state, const char *fmt,
                                                       ...)
{
    r->state = state;
    char line[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    progress_note(r->label, "%s", line);
}

/* Record why the step cannot go on; returns false for `return fail(...)`. */
__attribute__((format(printf, 2, 3))) static bool fail(struct runner *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    return false;
}

double runner_deadline(const struct run_config *cfg, double seconds)
{
    double s = seconds * cfg->timeout_scale;
    return cfg->accel && strcmp(cfg->accel, "kvm") == 0 ? s / 4 : s;
}

static double scaled(const struct runner *r, double seconds)
{
    return runner_deadline(r->cfg, seconds);
}

/* Every wait one step may make, at its longest. */
static double step_worst_case(const struct step *st)
{
    switch (st->kind) {
    case STEP_REBOOT:
    case STEP_COLDBOOT:
        return BYE_TIMEOUT + POWEROFF_TIMEOUT + BOOT_TIMEOUT;
    case STEP_FACTS:
        return BYE_TIMEOUT + FACTS_TIMEOUT;
    case STEP_FETCH:
        return 60 + 10;
    default:
        return BYE_TIMEOUT + COMMAND_TIMEOUT + 30;
    }
}

double runner_worst_case_seconds(const struct run_config *cfg, const struct scenario *sc)
{
    double total = 0;
    size_t depth = 0;
    for (const struct scenario *p = sc; p && depth++ <= SCENARIOS_MAX; p = p->after ? scenario_find(p->after) : NULL) {
        total += BOOT_TIMEOUT;
        for (size_t k = 0; k < scenario_nsteps(p); k++)
            total += step_worst_case(&p->steps[k]);
    }
    return runner_deadline(cfg, total);
}

static bool run_helper(struct runner *r, char *const argv[], double timeout)
{
    return spawn_check(argv, timeout, r->reason, sizeof r->reason);
}

/* Copy a package into the payload tree; returns its path in the guest. */
static char *copy_package(struct runner *r, const struct package_info *pkg, const char *dir, const char *sub)
{
    const char *base = strrchr(pkg->path, '/');
    base = base ? base + 1 : pkg->path;
    cleanup_free char *dst = xasprintf("%s/%s", dir, base);
    char *cp_pkg[] = {"cp", pkg->path, dst, NULL};
    if (!run_helper(r, cp_pkg, 30))
        return NULL;
    return xasprintf("/run/portcheck/packages/%s%s", sub, base);
}

/* The payload disk: the agent and the package, read-only in the guest at
 * /run/portcheck. A disk, not a host mount: the guest sees no host path. */
static bool make_payload(struct runner *r)
{
    cleanup_free char *dir = xasprintf("%s/payload", r->work_dir);
    cleanup_free char *pkgdir = xasprintf("%s/packages", dir);
    if (!mkdir_p(pkgdir, 0755))
        return fail(r, "cannot create %s: %s", pkgdir, strerror(errno));
    cleanup_free char *agent = xasprintf("%s/agent", dir);
    char *cp_agent[] = {"cp", (char *)r->cfg->agent_path, agent, NULL};
    if (!run_helper(r, cp_agent, 30))
        return false;
    if (r->pkg && !(r->pkg_guest_path = copy_package(r, r->pkg, pkgdir, "")))
        return false;
    if (r->old_pkg) {
        cleanup_free char *olddir = xasprintf("%s/old", pkgdir);
        if (!mkdir_p(olddir, 0755) || !(r->old_pkg_guest_path = copy_package(r, r->old_pkg, olddir, "old/")))
            return false;
    }
    /* distro-default applies the systemd patch to the image's own file. */
    cleanup_free char *patch = xasprintf("%s/" PAYLOAD_SYSTEMD_PATCH, dir);
    if (!write_file_atomic(patch, upstream_systemd_patch, strlen(upstream_systemd_patch)))
        return fail(r, "cannot write %s: %s", patch, strerror(errno));
    r->payload = xasprintf("%s/payload.img", r->work_dir);
    return disk_payload(dir, r->payload, r->reason, sizeof r->reason);
}

static bool make_overlay(struct runner *r)
{
    free(r->overlay);
    r->overlay = xasprintf("%s/disk.qcow2", r->work_dir);
    return disk_overlay(r->img->dir, r->overlay, r->reason, sizeof r->reason);
}

/* A free port on 127.0.0.1 for a forward; qemu binds it a moment later. */
static int free_local_port(void)
{
    cleanup_fd int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die_errno("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die_errno("finding a free port on 127.0.0.1");
    return ntohs(a.sin_port);
}

static void record_boot(struct runner *r, const char *how, const struct guest_msg *hello)
{
    /* Which boot path: the fast one, a full multi-user boot (user services,
     * podman) or the plain reference. Their times are not comparable. */
    const char *path = r->profile.reference ? "reference" : r->profile.target ? r->profile.target : "portcheck.target";
    json_array_append_new(r->boots, json_pack("{s:s, s:s, s:s, s:f, s:f}", "how", how, "boot", path, "boot_id",
                                              hello->boot_id, "seconds_to_hello", now_monotonic() - r->boot_started,
                                              "guest_uptime_at_hello", hello->uptime));
    snprintf(r->boot_id, sizeof r->boot_id, "%s", hello->boot_id);
    r->boot_measured = false;
}

/* Wait for one message of the wanted kind (and id, when id > 0). */
static bool wait_for(struct runner *r, enum msg_kind kind, long id, double timeout, struct guest_msg *msg)
{
    double deadline = now_monotonic() + timeout;
    for (;;) {
        char why[512];
        enum wait_status w = r->alive ? session_wait(&r->s, deadline - now_monotonic(), msg, why, sizeof why)
                                      : WAIT_EXITED;
        if (w != WAIT_MSG) {
            cleanup_free char *tail = session_console_tail(&r->s, 8);
            r->ended_by = w;
            r->alive = false;
            /* The whole deadline, not what was left of it at the last call. */
            if (w == WAIT_TIMEOUT)
                return fail(r, "no answer from the guest after %.0f s; console: %s", timeout, tail);
            return fail(r, "%s; console: %s", why, tail);
        }
        if (msg->kind == kind && (id <= 0 || msg->id == id))
            return true;
        if (msg->kind == MSG_ERROR) {
            fail(r, "agent error: %s", msg->text);
            guest_msg_free(msg);
            return false;
        }
        if (msg->kind == MSG_HELLO && kind != MSG_HELLO) {
            fail(r, "the guest rebooted on its own (new boot %s)", msg->boot_id);
            guest_msg_free(msg);
            return false;
        }
        guest_msg_free(msg); /* a stale answer: keep waiting */
    }
}

/* Send one command line, then wait for its answer of the wanted kind. */
static bool request(struct runner *r, const char *cmd, enum msg_kind kind, long id, double timeout,
                    struct guest_msg *answer)
{
    if (!session_send(&r->s, cmd, scaled(r, BYE_TIMEOUT)))
        return fail(r, "cannot send to the guest: %s", errno == ETIMEDOUT ? "it reads nothing" : strerror(errno));
    return wait_for(r, kind, id, timeout, answer);
}

static void stop_vm(struct runner *r)
{
    r->console_truncated = r->console_truncated || r->s.console_truncated;
    if (r->s.console_log) {
        session_end(&r->s);
        if (r->s.vm.peak_rss_kb > r->peak_rss_kb)
            r->peak_rss_kb = r->s.vm.peak_rss_kb;
    }
    r->alive = false;
}

static bool start_vm(struct runner *r, const char *how)
{
    struct vm_spec spec = {
        .qemu = r->cfg->qemu,
        .accel = r->cfg->accel,
        .bios = vm_qboot_path(),
        .kernel = NULL,
        .mem_mb = r->cfg->mem_mb,
        .smp = 1,
        .disk = r->overlay,
        .payload = r->payload,
    };
    if (r->profile.network) {
        r->fwd_http = free_local_port();
        r->fwd_https = free_local_port();
        spec.fwd_http = r->fwd_http;
        spec.fwd_https = r->fwd_https;
    }
    if (r->profile.mem_mb > spec.mem_mb && !r->cfg->mem_fixed)
        spec.mem_mb = r->profile.mem_mb;
    /* The fast path enters the same kernel uncompressed (PVH): under TCG its
     * own xz decompressor costs about 2.5 s per boot. The reference boot
     * stays the plain way. */
    cleanup_free char *kernel =
        xasprintf("%s/%s", r->img->dir, r->img->pvh_kernel && !r->profile.reference ? "vmlinux" : "vmlinuz");
    cleanup_free char *initrd =
        xasprintf("%s/%s", r->img->dir, r->profile.reference ? "initrd.img" : "fastboot.cpio.gz");
    /* systemd.unit only where systemd is init: other inits boot their own way. */
    /* A VM without a NIC never comes online: whatever wants
     * network-online.target (nginx.service, nfs-server.service) would wait
     * out systemd-networkd-wait-online's 120 s for a link that cannot
     * appear. That wait is this VM's, not the scenario's: masked for the
     * boot (systemd-debug-generator), the units start as they would on a
     * host that is online. */
    const char *offline = r->profile.network ? "" : " systemd.mask=" NETWORK_WAIT_ONLINE_UNIT;
    cleanup_free char *unit = r->profile.reference || !image_runs_systemd(r->img)
                                  ? xstrdup("")
                                  /* TERM=dumb (init's environment): systemd 262 (sid) asks the
                                   * console for its size and waits for an answer a serial
                                   * console never gives; measured on sid, 3 alternating pairs:
                                   * boot 11.1 -> 9.9 s (median). Nothing here reads the console
                                   * as a terminal. */
                                  : xasprintf("systemd.unit=%s systemd.show_status=0 TERM=dumb%s",
                                              r->profile.target ? r->profile.target : "portcheck.target", offline);
    cleanup_free char *append =
        xasprintf(BOOT_ARGS_ROOT " %s " BOOT_ARGS_QUIET "%s %s %s %s %s", r->profile.reference ? "ro" : "rw",
                  r->profile.reference ? "" : " " BOOT_ARGS_FAST, unit,
                  r->img->cmdline ? r->img->cmdline : "", r->profile.extra_cmdline ? r->profile.extra_cmdline : "",
                  r->cfg->kernel_arg ? r->cfg->kernel_arg : "");
    spec.kernel = kernel;
    spec.initrd = initrd;
    spec.append = append;
    r->boot_started = now_monotonic();
    if (!session_start(&r->s, &spec, r->console_log, r->reason, sizeof r->reason)) {
        session_end(&r->s);
        return false;
    }
    r->alive = true;
    r->vm_count++;
    r->state = RUN_BOOTING;
    struct guest_msg hello;
    if (!wait_for(r, MSG_HELLO, 0, scaled(r, BOOT_TIMEOUT), &hello))
        return false;
    record_boot(r, how, &hello);
    enter(r, RUN_RUNNING, "booted in %.1f s (guest uptime %.1f s, %s)", now_monotonic() - r->boot_started,
          hello.uptime, hello.init);
    guest_msg_free(&hello);
    return true;
}

static bool fresh_vm(struct runner *r, const struct scenario *sc)
{
    const char *scenario = sc->name;
    stop_vm(r);
    r->profile = sc->boot;
    r->profile.reference = r->profile.reference || r->cfg->reference_boot;
    free(r->console_log);
    /* Several VMs of one image at once each number their own boots. */
    if (r->cfg->nshards > 1)
        r->console_log = xasprintf("%s/vm%d-%02d-%s.console.log", r->log_dir, r->cfg->shard + 1, r->vm_count + 1,
                                   scenario);
    else
        r->console_log = xasprintf("%s/%02d-%s.console.log", r->log_dir, r->vm_count + 1, scenario);
    if (!make_overlay(r))
        return false;
    enter(r, RUN_BOOTING, "%s: booting a fresh VM (%s)", scenario, r->cfg->accel);
    return start_vm(r, "start");
}

/* Run argv in the guest as user (NULL: root). expect_exit >= 0 is the exit
 * status wanted; EXPECT_NONZERO wants a failure. The answer is left in *ran
 * for callers that read the output (free it), or freed when ran is NULL. */
enum { EXPECT_NONZERO = -1 };
static bool guest_run_as(struct runner *r, const char *label, const char *user, const char *const *argv,
                         int expect_exit, struct checks *checks, struct guest_msg *ran_out)
{
    long id = r->s.next_id++;
    cleanup_free char *cmd = proto_cmd_run(id, argv, (int)scaled(r, COMMAND_TIMEOUT), user ? user : "root");
    struct guest_msg ran;
    if (!request(r, cmd, MSG_RAN, id, scaled(r, COMMAND_TIMEOUT) + 30, &ran))
        return false;
    char want[16], got[64];
    bool ok;
    if (ran.timed_out)
        snprintf(got, sizeof got, "timed out");
    else if (ran.signal)
        snprintf(got, sizeof got, "signal %d", ran.signal);
    else
        snprintf(got, sizeof got, "exit %d", ran.exit_code);
    if (expect_exit == EXPECT_NONZERO) {
        snprintf(want, sizeof want, "exit != 0");
        ok = !ran.timed_out && !ran.signal && ran.exit_code > 0;
    } else {
        snprintf(want, sizeof want, "exit %d", expect_exit);
        ok = strcmp(want, got) == 0;
    }
    cleanup_free char *what = xasprintf("run:%s", label);
    checks_add_verdict(checks, what, want, got, ok);
    if (!ok) {
        /* The command's own words explain a failure best. */
        size_t n = strlen(ran.output);
        const char *tail = n > 300 ? ran.output + n - 300 : ran.output;
        fail(r, "%s: %s", label, tail);
    }
    if (ran_out)
        *ran_out = ran;
    else
        guest_msg_free(&ran);
    return true;
}

static bool guest_run(struct runner *r, const char *label, const char *const *argv, int expect_exit,
                      struct checks *checks)
{
    return guest_run_as(r, label, NULL, argv, expect_exit, checks, NULL);
}

/* The value of the last "KEY=..." line of output, or NULL (free it). */
static char *line_value(const char *output, const char *key)
{
    size_t klen = strlen(key);
    char *found = NULL;
    for (const char *line = output; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, klen) != 0 || line[klen] != '=')
            continue;
        const char *v = line + klen + 1;
        free(found);
        found = xasprintf("%.*s", (int)strcspn(v, "\r\n"), v);
    }
    return found;
}

/* A command whose output is judged line by line: each expected KEY=VALUE is
 * a check, each observed KEY is recorded for the report as printed. */
static bool step_run(struct runner *r, const struct step *st, struct checks *checks)
{
    struct guest_msg ran;
    int expect = st->expect_failure ? EXPECT_NONZERO : st->expect_exit;
    if (!st->expect_lines[0] && !st->observe[0])
        return guest_run_as(r, st->label, st->user, st->argv, expect, checks, NULL);
    if (!guest_run_as(r, st->label, st->user, st->argv, expect, checks, &ran))
        return false;
    for (size_t i = 0; i < STEP_MAX_EXPECT && st->expect_lines[i]; i++) {
        const char *eq = strchr(st->expect_lines[i], '=');
        if (!eq) { /* tests/unit/test_scenarios.c rules this out for the table */
            guest_msg_free(&ran);
            return fail(r, "expect line \"%s\" is not KEY=VALUE", st->expect_lines[i]);
        }
        cleanup_free char *key = xasprintf("%.*s", (int)(eq - st->expect_lines[i]), st->expect_lines[i]);
        cleanup_free char *got = line_value(ran.output, key);
        cleanup_free char *what = xasprintf("%s:%s", st->label, key);
        checks_add(checks, what, eq + 1, got ? got : "missing");
    }
    for (size_t i = 0; i < STEP_MAX_OBSERVE && st->observe[i]; i++) {
        cleanup_free char *got = line_value(ran.output, st->observe[i]);
        cleanup_free char *what = xasprintf("%s:%s", st->label, st->observe[i]);
        json_object_set_new(r->observed, what, json_string(got ? got : "(not printed)"));
    }
    guest_msg_free(&ran);
    return true;
}

/* A guest's string, no longer than max bytes (the agent sent valid UTF-8;
 * a cut inside a character is caught by jansson, which then gives ""). */
static json_t *clipped(json_t *v, size_t max)
{
    size_t n = json_string_length(v);
    json_t *s = json_stringn(json_string_value(v), n < max ? n : max);
    return s ? s : json_string("");
}

/* The agent's exposure line, checked field by field (it comes from the
 * guest) into the report's form: {"range", "listen": [{proto, addr, port,
 * uid, pid, comm, unit}], "services": {RESULT: ["name/port/proto", ...]}}. */
static json_t *exposure_from(json_t *in)
{
    json_t *listen = json_array(), *services = json_object(), *l, *range = json_object_get(in, "range");
    size_t i;
    json_array_foreach(json_object_get(in, "listen"), i, l) {
        json_t *v[7];
        for (size_t k = 0; k < 7; k++)
            v[k] = json_array_get(l, k);
        if (json_array_size(l) != 7 || !json_is_string(v[0]) || !json_is_string(v[1]) || !json_is_integer(v[2]) ||
            !json_is_integer(v[3]) || !json_is_integer(v[4]) || !json_is_string(v[5]) || !json_is_string(v[6]))
            continue;
        json_array_append_new(listen, json_pack("{s:o, s:o, s:I, s:I, s:I, s:o, s:o}", "proto", clipped(v[0], 8),
                                                "addr", clipped(v[1], 64), "port", json_integer_value(v[2]), "uid",
                                                json_integer_value(v[3]), "pid", json_integer_value(v[4]), "comm",
                                                clipped(v[5], 32), "unit", clipped(v[6], 128)));
    }
    const char *result;
    json_t *names;
    json_object_foreach(json_object_get(in, "services"), result, names) {
        if (!json_is_string(names) || strlen(result) > 24)
            continue;
        json_t *list = json_array();
        cleanup_free char *copy = xstrdup(json_string_value(names));
        for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
            json_array_append_new(list, json_string(w));
        json_object_set_new(services, result, list);
    }
    return json_pack("{s:[I, I], s:o, s:b, s:o}", "range", json_integer_value(json_array_get(range, 0)),
                     json_integer_value(json_array_get(range, 1)), "listen", listen, "listen_cut",
                     json_is_true(json_object_get(in, "listen_cut")), "services", services);
}

/* What one expect line of STEP_EXPOSURE finds in the table: "UID UNIT" of
 * the first socket on PROTO:PORT, or the bind result of a service name. */
static char *exposure_lookup(json_t *table, const char *key)
{
    size_t i;
    json_t *l;
    if (strncmp(key, "service:", 8) == 0) {
        const char *result;
        json_t *names, *n;
        json_object_foreach(json_object_get(table, "services"), result, names)
            json_array_foreach(names, i, n)
                if (strcmp(json_string_value(n), key + 8) == 0)
                    return xstrdup(result);
        return NULL;
    }
    json_array_foreach(json_object_get(table, "listen"), i, l) {
        cleanup_free char *at = xasprintf("%s:%lld", json_string_value(json_object_get(l, "proto")),
                                          (long long)json_integer_value(json_object_get(l, "port")));
        if (strcmp(at, key) == 0)
            return xasprintf("%lld %s", (long long)json_integer_value(json_object_get(l, "uid")),
                             json_string_value(json_object_get(l, "unit")));
    }
    return NULL;
}

static bool step_exposure(struct runner *r, const struct step *st, struct checks *checks)
{
    const char *argv[] = {"/run/portcheck/agent", "--exposure", "80-1023", NULL};
    struct guest_msg ran;
    if (!guest_run_as(r, "exposure", NULL, argv, 0, checks, &ran))
        return false;
    /* stdout and stderr come together: the table is the last line that is
     * a JSON object, whatever the agent logged before it. */
    char *out = ran.output;
    for (char *line = ran.output; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (*line == '{')
            out = line;
    out[strcspn(out, "\n")] = '\0';
    json_error_t jerr;
    json_t *in = json_loads(out, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(in)) {
        checks_add(checks, "exposure:table", "a JSON line", "none");
        fail(r, "the agent's exposure output is not JSON (%s): %.200s", jerr.text, out);
        json_decref(in);
        guest_msg_free(&ran);
        return true;
    }
    json_decref(r->exposure);
    r->exposure = exposure_from(in);
    json_decref(in);
    guest_msg_free(&ran);
    for (size_t i = 0; i < STEP_MAX_EXPECT && st->expect_lines[i]; i++) {
        const char *eq = strchr(st->expect_lines[i], '=');
        if (!eq) /* tests/unit/test_scenarios.c rules this out for the table */
            return fail(r, "expect line \"%s\" is not KEY=VALUE", st->expect_lines[i]);
        cleanup_free char *key = xasprintf("%.*s", (int)(eq - st->expect_lines[i]), st->expect_lines[i]);
        cleanup_free char *got = exposure_lookup(r->exposure, key);
        cleanup_free char *what = xasprintf("exposure:%s", key);
        checks_add(checks, what, eq + 1, got ? got : "missing");
    }
    return true;
}

/* Facts from an agent run somewhere else in the guest (a container, a user
 * namespace): its --facts line is the last line of the command's output,
 * read by the same parser and judged by the same checks as the agent's own. */
static bool step_agent_facts(struct runner *r, const struct step *st, struct checks *checks)
{
    struct guest_msg ran;
    if (!guest_run_as(r, st->label, st->user, st->argv, 0, checks, &ran))
        return false;
    char *out = ran.output;
    size_t len = strlen(out);
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
        out[--len] = '\0';
    char *line = strrchr(out, '\n');
    line = line ? line + 1 : out;
    struct guest_msg facts;
    char err[200];
    if (!proto_parse(line, strlen(line), &facts, err, sizeof err) || facts.kind != MSG_FACTS) {
        cleanup_free char *what = xasprintf("%s:facts", st->label);
        checks_add(checks, what, "a facts line", facts.kind == MSG_FACTS ? "other message" : "none");
        fail(r, "%s printed no facts (%s): %.300s", st->label, err, out);
        guest_msg_free(&facts);
        guest_msg_free(&ran);
        return true;
    }
    if (st->as_root)
        checks_expect_root_binds(checks, st->label, &facts);
    else
        checks_expect_ports_in(checks, st->label, &facts, st->port_start);
    guest_msg_free(&facts);
    guest_msg_free(&ran);
    return true;
}

static bool step_facts(struct runner *r, const struct step *st, struct checks *checks)
{
    long id = r->s.next_id++;
    cleanup_free char *cmd = proto_cmd_simple("facts", id);
    struct guest_msg facts;
    if (!request(r, cmd, MSG_FACTS, id, scaled(r, FACTS_TIMEOUT), &facts))
        return false;
    if (!r->boot_measured) {
        json_t *last = json_array_get(r->boots, json_array_size(r->boots) - 1);
        json_object_set_new(last, "seconds_to_verdict", json_real(now_monotonic() - r->boot_started));
        json_object_set_new(last, "guest_uptime_at_verdict", json_real(facts.uptime));
        r->boot_measured = true;
    }
    checks_add(checks, "same_boot", r->boot_id, facts.boot_id);
    checks_expect_ports(checks, &facts, st->port_start);
    guest_msg_free(&facts);
    return true;
}

static bool step_power(struct runner *r, const char *action)
{
    long id = r->s.next_id++;
    cleanup_free char *cmd = proto_cmd_simple(action, id);
    struct guest_msg bye;
    if (!request(r, cmd, MSG_BYE, id, scaled(r, BYE_TIMEOUT), &bye))
        return false;
    guest_msg_free(&bye);
    return true;
}

static bool step_reboot(struct runner *r, struct checks *checks)
{
    char before[40];
    snprintf(before, sizeof before, "%s", r->boot_id);
    r->boot_started = now_monotonic();
    if (!step_power(r, "reboot"))
        return false;
    r->state = RUN_BOOTING;
    struct guest_msg hello;
    if (!wait_for(r, MSG_HELLO, 0, scaled(r, BOOT_TIMEOUT), &hello))
        return false;
    record_boot(r, "reboot", &hello);
    enter(r, RUN_RUNNING, "rebooted in %.1f s", now_monotonic() - r->boot_started);
    /* A reboot that did not happen cannot pass: the kernel's boot_id must change. */
    checks_add_verdict(checks, "boot_id", "changed", strcmp(before, hello.boot_id) ? "changed" : "same",
                       strcmp(before, hello.boot_id) != 0);
    guest_msg_free(&hello);
    return true;
}

static bool step_coldboot(struct runner *r, struct checks *checks)
{
    char before[40];
    snprintf(before, sizeof before, "%s", r->boot_id);
    if (!step_power(r, "poweroff"))
        return false;
    if (!vm_wait_exit(&r->s.vm, scaled(r, POWEROFF_TIMEOUT)))
        return fail(r, "qemu did not exit within %.0f s of poweroff", scaled(r, POWEROFF_TIMEOUT));
    stop_vm(r);
    if (!start_vm(r, "coldboot"))
        return false;
    checks_add_verdict(checks, "boot_id", "changed", strcmp(before, r->boot_id) ? "changed" : "same",
                       strcmp(before, r->boot_id) != 0);
    return true;
}

static bool step_install(struct runner *r, const char *path, const char *label, struct checks *checks)
{
    if (!path)
        return fail(r, "no package to %s", label);
    /* Debian's rpm has an empty database: nothing would satisfy the
     * scriptlets' /bin/sh requirement, so dependencies are not checked. */
    const char *deb[] = {"dpkg", "-i", path, NULL};
    const char *rpm[] = {"rpm", "-U", "--nodeps", path, NULL};
    const char *dnf[] = {"dnf", "-y", "--disablerepo=*", "install", path, NULL};
    const char *const *argv = strcmp(r->pkg->format, "deb") == 0         ? deb
                              : strcmp(r->img->distro, "fedora") == 0 ? dnf
                                                                       : rpm;
    return guest_run(r, label, argv, 0, checks);
}

static bool step_remove(struct runner *r, bool purge, struct checks *checks)
{
    const char *name = r->pkg->name;
    bool deb = strcmp(r->pkg->format, "deb") == 0;
    const char *dpkg[] = {"dpkg", purge ? "--purge" : "--remove", name, NULL};
    const char *rpm[] = {"rpm", "-e", name, NULL};
    if (!guest_run(r, purge ? "purge" : "remove", deb ? dpkg : rpm, 0, checks))
        return false;
    if (!purge)
        return true;
    /* Nothing of the package may be left: neither its file nor its record.
     * The names are arguments to a fixed script, never part of it. */
    const char *gone[] = {"sh", "-c",
                          deb ? "test ! -e \"$1\" && ! dpkg-query -W \"$2\" >/dev/null 2>&1"
                              : "test ! -e \"$1\" && ! rpm -q \"$2\" >/dev/null 2>&1",
                          "sh", PORTCHECK_VENDOR_FILE, name, NULL};
    return guest_run(r, "nothing-left", gone, 0, checks);
}

/* Fetch a page through qemu's forward with a real HTTP client. A page that
 * must be served may take a moment after boot (the user manager starts it):
 * retry until the deadline; a page that must not be served gets one try. */
static bool step_fetch(struct runner *r, const struct step *st, struct checks *checks)
{
    const char *body = st->body ? st->body : "portcheck user-service ok";
    bool https = st->fetch == FETCH_HTTPS;
    int port = https ? r->fwd_https : r->fwd_http;
    if (!port)
        return fail(r, "scenario fetches a page but its VM has no network");
    cleanup_free char *url = xasprintf("%s://127.0.0.1:%d/", https ? "https" : "http", port);
    char *argv[] = {"curl", "--silent", "--show-error", "--max-time", "5", "--insecure", url, NULL};
    double deadline = now_monotonic() + (st->expect_served ? scaled(r, 60) : 0);
    char got[64];
    bool served;
    for (;;) {
        struct spawn_result res;
        spawn_run(argv, 10, false, &res);
        res.out[strcspn(res.out, "\r\n")] = '\0';
        served = res.exit_code == 0 && strcmp(res.out, body) == 0;
        if (served)
            snprintf(got, sizeof got, "%s", body);
        else if (res.exit_code == 0)
            snprintf(got, sizeof got, "other page: %.40s", res.out);
        else
            snprintf(got, sizeof got, "no page (curl exit %d)", res.exit_code);
        spawn_result_free(&res);
        if (served || now_monotonic() >= deadline || signals_pending())
            break;
        signals_sleep(1.0);
    }
    cleanup_free char *what = xasprintf("%s:%d", https ? "https" : "http", https ? 443 : 80);
    const char *expect = st->expect_served ? body : "no page";
    checks_add_verdict(checks, what, expect, got, served == st->expect_served);
    return true;
}

static bool run_step(struct runner *r, const struct step *st, struct checks *checks)
{
    switch (st->kind) {
    case STEP_FACTS:
        return step_facts(r, st, checks);
    case STEP_INSTALL:
    case STEP_INSTALL_OLD:
        return step_install(r, st->kind == STEP_INSTALL ? r->pkg_guest_path : r->old_pkg_guest_path,
                            st->kind == STEP_INSTALL ? "install" : "install-old", checks);
    case STEP_REMOVE:
    case STEP_PURGE:
        return step_remove(r, st->kind == STEP_PURGE, checks);
    case STEP_FETCH:
        return step_fetch(r, st, checks);
    case STEP_RUN:
        return step_run(r, st, checks);
    case STEP_EXPOSURE:
        return step_exposure(r, st, checks);
    case STEP_AGENT_FACTS:
        return step_agent_facts(r, st, checks);
    case STEP_REBOOT:
        return step_reboot(r, checks);
    case STEP_COLDBOOT:
        return step_coldboot(r, checks);
    case STEP_END:
        break;
    }
    return false;
}

static json_t *checks_json(const struct checks *c)
{
    json_t *a = json_array();
    for (size_t i = 0; i < c->n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b}", "what", c->v[i].what, "expect", c->v[i].expect,
                                           "got", c->v[i].got, "ok", c->v[i].ok));
    return a;
}

/* How a failed wait ended, for report.json: a reviewer tells a hang from a
 * crash without reading the reason's prose. */
static const char *wait_status_name(enum wait_status w)
{
    switch (w) {
    case WAIT_MSG: return NULL;
    case WAIT_TIMEOUT: return "timeout";
    case WAIT_EXITED: return "qemu-exited";
    case WAIT_FATAL: return "guest-fatal";
    case WAIT_PROTOCOL: return "protocol";
    case WAIT_INTERRUPTED: return "interrupted";
    }
    return NULL;
}

static json_t *scenario_json(const struct scenario *sc, enum report_status status, double seconds, const char *reason,
                             const struct checks *checks, const char *console_log)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:s, s:b}", "name", sc->name, "summary", sc->summary, "status",
                          report_status_name(status), "seconds", seconds, "reason", reason ? reason : "", "container", sc->container);
    json_object_set_new(o, "checks", checks ? checks_json(checks) : json_array());
    if (console_log)
        json_object_set_new(o, "console_log", json_string(console_log));
    return o;
}

static json_t *image_json(const struct run_config *cfg, const struct image_info *img,
                          const struct package_info *pkg)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "image", img->name, "distro",
                          img->distro ? img->distro : "", "suite", img->suite ? img->suite : "", "kernel",
                          img->kernel ? img->kernel : "", "init", img->init ? img->init : "", "os",
                          img->os ? img->os : "", "accel", cfg->accel, "recipe_hash",
                          img->recipe_hash ? img->recipe_hash : "");
    json_object_set_new(o, "image_build_seconds", json_real(img->build_seconds));
    json_object_set_new(o, "kernel_entry", json_string(img->pvh_kernel ? "pvh" : "bzimage"));
    if (pkg)
        json_object_set_new(o, "package",
                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", pkg->name, "version", pkg->version,
                                      "format", pkg->format, "file", pkg->path, "sha256", pkg->sha256));
    else
        json_object_set_new(o, "package", json_null());
    json_object_set_new(o, "boots", json_array());
    json_object_set_new(o, "scenarios", json_array());
    return o;
}

static const struct package_info *package_for(const struct package_info *const *pkgs, size_t n,
                                              const struct image_info *img)
{
    for (size_t i = 0; i < n; i++)
        if (img->package_format && strcmp(pkgs[i]->format, img->package_format) == 0)
            return pkgs[i];
    return NULL;
}

json_t *runner_image_unavailable(const struct run_config *cfg, const struct image_info *img, enum report_status status,
                                 const char *reason)
{
    json_t *o = image_json(cfg, img, package_for(cfg->packages, cfg->npackages, img));
    json_t *list = json_object_get(o, "scenarios");
    for (size_t i = 0; i < cfg->nwanted; i++)
        json_array_append_new(list, scenario_json(cfg->wanted[i], status, 0, reason, NULL, NULL));
    return o;
}

char *runner_skip_reason(const struct run_config *cfg, const struct image_info *img, const struct scenario *sc)
{
    /* A baked-in package is there from the first boot: no other scenario's
     * start (no package, or installing it) holds on such an image. */
    if (img->preinstalled_name && !sc->preinstalled)
        return xstrdup("the package is baked into this image: only the preinstalled scenario runs here");
    if (!img->preinstalled_name && sc->preinstalled)
        return xstrdup("needs an image with the package preinstalled: debian-bookworm-preinstalled or "
                       "debian-trixie-preinstalled");
    /* User services, containers and systemd units need systemd in the guest. */
    if ((sc->container || sc->boot.target || sc->needs_systemd) && !image_runs_systemd(img))
        return xstrdup("needs systemd in the image (this one has another init)");
    if (sc->container && !img->container_tree)
        return xstrdup("this image has no container tree: set container_tree = yes in its recipe");
    if (sc->needs_old_package && !package_for(cfg->old_packages, cfg->nold_packages, img))
        return xasprintf("no older %s package given: pass --old-package (make deb PKG_VERSION=0.0.1 builds one)",
                         img->package_format);
    if (sc->needs_image_file && !image_has_file(img, sc->needs_image_file))
        return xasprintf("this image has no %s: add linux-sysctl-defaults to vm-images/recipes/%s.conf "
                         "(packages from trixie on, backports on bookworm)",
                         sc->needs_image_file, img->name);
    for (const char *p = sc->image_packages; p && *p; p += strcspn(p, " "), p += strspn(p, " ")) {
        cleanup_free char *word = xasprintf(" %.*s ", (int)strcspn(p, " "), p);
        if (!img->packages || !strstr(img->packages, word))
            return xasprintf("the image lacks %.*s: add it to packages in vm-images/recipes/%s.conf",
                             (int)strcspn(p, " "), p, img->name);
    }
    if (sc->needs_package && !package_for(cfg->packages, cfg->npackages, img))
        return xasprintf("no %s package given: pass --package with a .%s", img->package_format,
                         img->package_format);
    return NULL;
}

/* Run the scenario's predecessors (unreported) when it is asked for alone. */
static bool run_prerequisites(struct runner *r, const struct scenario *sc)
{
    const struct scenario *chain[SCENARIOS_MAX];
    size_t n = 0;
    for (const struct scenario *p = sc->after ? scenario_find(sc->after) : NULL; p;
         p = p->after ? scenario_find(p->after) : NULL) {
        /* tests/unit/test_scenarios.c proves every chain ends; this guards a table edited since. */
        if (n == SCENARIOS_MAX)
            die("scenario %s: its chain of predecessors does not end (a cycle in `after`)", sc->name);
        chain[n++] = p;
    }
    if (!fresh_vm(r, sc))
        return false;
    for (size_t i = n; i-- > 0;) {
        struct checks scratch = {0};
        for (size_t k = 0; k < scenario_nsteps(chain[i]); k++)
            if (!run_step(r, &chain[i]->steps[k], &scratch))
                return false;
    }
    return true;
}

/* What the image build itself shows of a baked-in package: the run's own
 * .deb is the one in the image, and the build (in the host's netns) left
 * the host's value as it found it, so the postinst did nothing to a running
 * kernel. */
static void preinstall_checks(struct runner *r, struct checks *checks)
{
    const struct image_info *img = r->img;
    checks_add(checks, "preinstalled_sha256", r->pkg ? r->pkg->sha256 : "(no package)", img->preinstalled_sha256);
    char before[16], after[16];
    snprintf(before, sizeof before, "%d", img->preinstall_host_before);
    snprintf(after, sizeof after, "%d", img->preinstall_host_after);
    checks_add_verdict(checks, "build_host_port_start", before, after,
                       img->preinstall_host_before >= 0 && img->preinstall_host_before == img->preinstall_host_after);
}

/* One scenario that can run: continue the previous VM or start its own,
 * run its steps, and decide from the checks. Returns its report entry. */
static json_t *run_scenario(struct runner *r, const struct scenario *sc, const struct scenario *previous)
{
    double t0 = now_monotonic();
    struct checks checks = {0};
    enum report_status status;
    bool continues = sc->after && previous && r->alive && strcmp(sc->after, previous->name) == 0;
    if (sc->preinstalled)
        preinstall_checks(r, &checks);
    bool ok = continues ? true : sc->after ? run_prerequisites(r, sc) : fresh_vm(r, sc);
    /* What the predecessors observed is not this scenario's. */
    json_object_clear(r->observed);
    json_decref(r->exposure);
    r->exposure = NULL;
    for (size_t k = 0; ok && k < scenario_nsteps(sc); k++)
        ok = run_step(r, &sc->steps[k], &checks);
    if (!ok) {
        status = REPORT_ERROR;
        /* A step that failed half-way leaves the VM in an unknown state:
         * the next scenario starts from a fresh one. */
        stop_vm(r);
        r->state = RUN_FAILED;
    } else {
        status = checks_all_ok(&checks) ? REPORT_PASS : REPORT_FAIL;
        if (!checks_all_ok(&checks) && !r->reason[0]) {
            cleanup_free char *first = checks_first_failure(&checks);
            snprintf(r->reason, sizeof r->reason, "%s", first);
        }
    }
    if (r->console_truncated || r->s.console_truncated) {
        /* First: the reason's tail may be the flood itself. */
        char rest[sizeof r->reason];
        snprintf(rest, sizeof rest, "%s", r->reason);
        snprintf(r->reason, sizeof r->reason, "console log cut at %u MiB (the guest flooded it)%s%.900s",
                 CONSOLE_LOG_MAX >> 20, rest[0] ? "; " : "", rest);
    }
    double secs = now_monotonic() - t0;
    const char *rel = r->console_log ? r->console_log + strlen(r->cfg->out_dir) + 1 : NULL;
    json_t *entry = scenario_json(sc, status, secs, r->reason, &checks, rel);
    if (json_object_size(r->observed))
        json_object_set_new(entry, "observed", json_deep_copy(r->observed));
    if (r->exposure)
        json_object_set(entry, "exposure", r->exposure);
    if (r->state == RUN_FAILED && wait_status_name(r->ended_by))
        json_object_set_new(entry, "ended_by", json_string(wait_status_name(r->ended_by)));
    enter(r, r->state == RUN_FAILED ? RUN_FAILED : RUN_DONE, "%s: %s in %.1f s%s%s", sc->name, report_status_name(status), secs,
          r->reason[0] ? " - " : "", r->reason);
    return entry;
}

json_t *runner_run_image(const struct run_config *cfg, const struct image_info *img)
{
    struct runner r = {.cfg = cfg, .img = img};
    r.pkg = package_for(cfg->packages, cfg->npackages, img);
    r.old_pkg = package_for(cfg->old_packages, cfg->nold_packages, img);
    json_t *out = image_json(cfg, img, r.pkg);
    json_t *list = json_object_get(out, "scenarios");
    r.boots = json_object_get(out, "boots");
    r.observed = json_object();
    if (cfg->nshards > 1) {
        r.work_dir = xasprintf("%s/work/%s.vm%d", cfg->out_dir, img->name, cfg->shard + 1);
        r.label = xasprintf("%s/vm%d", img->name, cfg->shard + 1);
    } else {
        r.work_dir = xasprintf("%s/work/%s", cfg->out_dir, img->name);
        r.label = xstrdup(img->name);
    }
    r.log_dir = xasprintf("%s/logs/%s", cfg->out_dir, img->name);
    remove_tree(r.work_dir);
    if (!mkdir_p(r.work_dir, 0755) || !mkdir_p(r.log_dir, 0755)) {
        cleanup_free char *why = xasprintf("cannot create %s: %s", r.work_dir, strerror(errno));
        json_decref(out);
        free(r.work_dir);
        free(r.log_dir);
        free(r.label);
        return runner_image_unavailable(cfg, img, REPORT_ERROR, why);
    }
    bool payload_ok = make_payload(&r);
    cleanup_free char *payload_error = payload_ok ? NULL : xstrdup(r.reason);

    const struct scenario *previous = NULL;
    for (size_t i = 0; i < cfg->nwanted; i++) {
        const struct scenario *sc = cfg->wanted[i];
        r.reason[0] = '\0';
        r.ended_by = WAIT_MSG;
        r.console_truncated = false;
        if (signals_pending()) {
            json_array_append_new(list, scenario_json(sc, REPORT_ERROR, 0, "interrupted before it started", NULL, NULL));
            continue;
        }
        if (!payload_ok) {
            enter(&r, RUN_FAILED, "%s: error - %s", sc->name, payload_error);
            json_array_append_new(list, scenario_json(sc, REPORT_ERROR, 0, payload_error, NULL, NULL));
            continue;
        }
        char *why = runner_skip_reason(cfg, img, sc);
        if (why) {
            json_array_append_new(list, scenario_json(sc, REPORT_SKIP, 0, why, NULL, NULL));
            free(why);
            continue;
        }
        enter(&r, r.alive ? RUN_RUNNING : RUN_IDLE, "%s: start", sc->name);
        json_array_append_new(list, run_scenario(&r, sc, previous));
        previous = sc;
    }
    stop_vm(&r);
    json_object_set_new(out, "qemu_peak_rss_mib", json_real((double)r.peak_rss_kb / 1024.0));
    remove_tree(r.work_dir);
    free(r.work_dir);
    free(r.log_dir);
    free(r.overlay);
    free(r.payload);
    free(r.pkg_guest_path);
    free(r.old_pkg_guest_path);
    free(r.console_log);
    free(r.label);
    json_decref(r.observed);
    json_decref(r.exposure);
    return out;
}
