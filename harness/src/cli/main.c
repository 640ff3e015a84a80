/* portcheck: boots distribution VMs and proves what an unprivileged process
 * may bind once the unprivileged-ports package is installed. This file is
 * the command line: it validates everything before anything starts, builds
 * the images, runs one process per image or per share of one image's scenarios
 * (bounded by --jobs, see shards.h) and writes the
 * reports from the merged results. */
#define _GNU_SOURCE
#include "vm/accel.h"
#include "cli/host.h"
#include "cli/bench.h"
#include "run/images.h"
#include "run/package.h"
#include "base/progress.h"
#include "report/report.h"
#include "run/runner.h"
#include "run/shards.h"
#include "base/signals.h"
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PORTCHECK_VERSION
#define PORTCHECK_VERSION "0.1.0"
#endif

#define MAX_IMAGES 32

static const char usage_text[] =
    "Usage: portcheck run [OPTION]...       boot images, run scenarios, write reports\n"
    "       portcheck report FILE.json --format md|html|junit|tap|json [--output FILE]\n"
    "       portcheck list                  the images and scenarios there are\n"
    "       portcheck host [--root DIR] [--json]\n"
    "                                       why can (or can't) a user bind port 80 on this machine\n"
    "       portcheck bench [--image NAME] [--runs N] [--accel A] [--out DIR]\n"
    "                                       boot N times the harness's way and N times the\n"
    "                                       plain way, alternating, and compare\n"
    "       portcheck --help | --version\n"
    "\n"
    "Options of run:\n"
    "  --image NAME[,NAME]     images to run (vm-images/recipes/NAME.conf); default debian-bookworm\n"
    "  --scenario NAME[,NAME]  scenarios to run, or all (the default)\n"
    "  --package FILE          the package to test (.deb and/or .rpm; repeatable)\n"
    "  --old-package FILE      an older build, for the upgrade scenario (repeatable)\n"
    "  --out DIR               where reports and console logs go (default out)\n"
    "  --accel auto|kvm|tcg    auto tries a short KVM boot and falls back to TCG (default auto)\n"
    "  --jobs N                VMs run at once (default: the number of CPUs); above 1, each chain of\n"
    "                          scenarios sharing a VM is its own unit, heaviest first\n"
    "  --timeout-scale F       multiply every guest deadline by F (default 1)\n"
    "  --mem MB                guest memory (default 512; scenarios that need more ask for it)\n"
    "  --tap                   TAP on stdout as images finish\n"
    "  --images-dir DIR        where build-image and recipes are (default vm-images)\n"
    "  --agent FILE            the guest agent binary (default: portcheck-agent beside portcheck)\n"
    "  --kernel-arg ARG        one more kernel argument for every boot (debugging, fault tests)\n"
    "  --qemu FILE             the qemu binary (default qemu-system-x86_64 on PATH)\n"
    "\n"
    "Options of host (a read-only diagnosis):\n"
    "  --root DIR              read the sysctl.d files under DIR instead of / (the live value\n"
    "                          and the binds are still this machine's)\n"
    "  --json                  the diagnosis as JSON\n"
    "\n"
    "Exit status: 0 every scenario passed or skipped, 1 a scenario failed, 2 usage or\n"
    "infrastructure error (an error status, a bad argument), 130 interrupted by SIGINT.\n"
    "portcheck host exits 0 whatever it finds, 2 for bad usage.\n";

struct options {
    const char *images[MAX_IMAGES];
    size_t nimages;
    const char *out_dir;
    const char *accel;
    const char *images_dir;
    const char *agent;
    const char *kernel_arg;
    const char *qemu;
    const char *package_paths[4];
    size_t npackages;
    const char *old_package_paths[4];
    size_t nold_packages;
    int jobs;
    double timeout_scale;
    int mem_mb;
    bool mem_fixed;
    bool tap;
    bool all_scenarios;
    bool want[64];
};

static void add_list(const char *arg, void (*add)(struct options *, const char *), struct options *o)
{
    cleanup_free char *copy = xstrdup(arg);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        add(o, t);
}

static void add_image(struct options *o, const char *name)
{
    if (o->nimages == MAX_IMAGES)
        die_usage("more than %d images", MAX_IMAGES);
    for (size_t i = 0; i < o->nimages; i++)
        if (strcmp(o->images[i], name) == 0)
            return;
    o->images[o->nimages++] = xstrdup(name);
}

static void add_scenario(struct options *o, const char *name)
{
    if (strcmp(name, "all") == 0) {
        o->all_scenarios = true;
        return;
    }
    const struct scenario *sc = scenario_find(name);
    if (!sc) {
        char known[512] = "";
        for (size_t i = 0; i < scenario_count; i++) {
            strncat(known, " ", sizeof known - strlen(known) - 1);
            strncat(known, scenarios[i].name, sizeof known - strlen(known) - 1);
        }
        die_usage("unknown scenario '%s'; known:%s", name, known);
    }
    o->want[scenario_index(sc)] = true;
}

static double parse_double(const char *s, const char *what, double min, double max)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d >= min && d <= max))
        die_usage("%s '%s' is not a number from %g to %g", what, s, min, max);
    return d;
}

static void parse_run_options(int argc, char **argv, struct options *o)
{
    enum { OPT_IMAGE = 256, OPT_SCENARIO, OPT_PACKAGE, OPT_OLD_PACKAGE, OPT_KERNEL_ARG, OPT_QEMU, OPT_OUT, OPT_ACCEL, OPT_JOBS, OPT_SCALE, OPT_MEM, OPT_TAP,
           OPT_IMAGES_DIR, OPT_AGENT };
    static const struct option longopts[] = {
        {"image", required_argument, NULL, OPT_IMAGE},     {"scenario", required_argument, NULL, OPT_SCENARIO},
        {"package", required_argument, NULL, OPT_PACKAGE}, {"out", required_argument, NULL, OPT_OUT},
        {"old-package", required_argument, NULL, OPT_OLD_PACKAGE},
        {"kernel-arg", required_argument, NULL, OPT_KERNEL_ARG}, {"qemu", required_argument, NULL, OPT_QEMU},
        {"accel", required_argument, NULL, OPT_ACCEL},     {"jobs", required_argument, NULL, OPT_JOBS},
        {"timeout-scale", required_argument, NULL, OPT_SCALE}, {"mem", required_argument, NULL, OPT_MEM},
        {"tap", no_argument, NULL, OPT_TAP},               {"images-dir", required_argument, NULL, OPT_IMAGES_DIR},
        {"agent", required_argument, NULL, OPT_AGENT},     {NULL, 0, NULL, 0},
    };
    o->out_dir = "out";
    o->accel = "auto";
    o->images_dir = "vm-images";
    o->timeout_scale = 1;
    o->mem_mb = 512;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cpus > 0 ? (int)cpus : 1;
    int c;
    opterr = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_IMAGE:
            if (!optarg[strspn(optarg, ", ")])
                die_usage("--image needs a name, e.g. --image debian-bookworm");
            add_list(optarg, add_image, o);
            break;
        case OPT_SCENARIO:
            if (!optarg[strspn(optarg, ", ")])
                die_usage("--scenario needs a name, e.g. --scenario baseline, or all");
            add_list(optarg, add_scenario, o);
            break;
        case OPT_PACKAGE:
            if (o->npackages == 4)
                die_usage("at most 4 --package options");
            o->package_paths[o->npackages++] = optarg;
            break;
        case OPT_OLD_PACKAGE:
            if (o->nold_packages == 4)
                die_usage("at most 4 --old-package options");
            o->old_package_paths[o->nold_packages++] = optarg;
            break;
        case OPT_OUT: o->out_dir = optarg; break;
        case OPT_KERNEL_ARG:
            /* One kernel argument: no spaces, so it cannot smuggle in others. */
            if (!optarg[0] || strpbrk(optarg, " \t\n\"'"))
                die_usage("--kernel-arg '%s' must be one argument without spaces or quotes", optarg);
            o->kernel_arg = optarg;
            break;
        case OPT_QEMU: o->qemu = optarg; break;
        case OPT_ACCEL:
            if (strcmp(optarg, "auto") && strcmp(optarg, "kvm") && strcmp(optarg, "tcg"))
                die_usage("--accel '%s' is not auto, kvm or tcg", optarg);
            o->accel = optarg;
            break;
        case OPT_JOBS: o->jobs = (int)parse_double(optarg, "--jobs", 1, 64); break;
        case OPT_SCALE: o->timeout_scale = parse_double(optarg, "--timeout-scale", 0.01, 100); break;
        case OPT_MEM:
            o->mem_mb = (int)parse_double(optarg, "--mem", 128, 16384);
            o->mem_fixed = true;
            break;
        case OPT_TAP: o->tap = true; break;
        case OPT_IMAGES_DIR: o->images_dir = optarg; break;
        case OPT_AGENT: o->agent = optarg; break;
        default:
            die_usage("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        die_usage("unexpected argument '%s'", argv[optind]);
    if (o->nimages == 0)
        add_image(o, "debian-bookworm");
}

static void inspect_packages(const char *const *paths, size_t n, struct package_info *pkgs,
                             const struct package_info **out, size_t *nout, const char *option)
{
    for (size_t i = 0; i < n; i++) {
        char err[512];
        if (!package_inspect(paths[i], &pkgs[i], err, sizeof err)) {
            fprintf(stderr, "portcheck: %s\n", err);
            exit(EXIT_USAGE);
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(pkgs[k].format, pkgs[i].format) == 0)
                die_usage("two %s packages given to %s; pass one per format", pkgs[i].format, option);
        out[(*nout)++] = &pkgs[i];
    }
}

/* Everything that can be checked before a VM starts is checked here. */
static void validate(struct options *o, struct run_config *cfg, struct package_info *pkgs)
{
    for (size_t i = 0; i < o->nimages; i++) {
        char err[512];
        if (!image_check(o->images_dir, o->images[i], err, sizeof err)) {
            fprintf(stderr, "portcheck: %s\n", err);
            exit(EXIT_USAGE);
        }
    }
    bool any = false;
    for (size_t i = 0; i < scenario_count; i++) {
        if (o->all_scenarios || o->want[i] || (!any && i == scenario_count)) {
            cfg->wanted[cfg->nwanted++] = &scenarios[i];
        }
        any = any || o->want[i];
    }
    if (!o->all_scenarios && !any)
        for (size_t i = 0; i < scenario_count; i++)
            cfg->wanted[cfg->nwanted++] = &scenarios[i];
    inspect_packages(o->package_paths, o->npackages, pkgs, cfg->packages, &cfg->npackages, "--package");
    inspect_packages(o->old_package_paths, o->nold_packages, pkgs + 4, cfg->old_packages, &cfg->nold_packages,
                     "--old-package");
    if (!o->agent) {
        cleanup_free char *dir = exe_dir();
        o->agent = xasprintf("%s/portcheck-agent", dir);
    }
    if (access(o->agent, X_OK) != 0)
        die_usage("guest agent %s is missing or not executable: build it with make portcheck, or pass --agent",
                    o->agent);
    const char *qemu = o->qemu ? o->qemu : "qemu-system-x86_64";
    if (!program_on_path(qemu))
        die_usage("qemu binary %s not found: apt-get install qemu-system-x86, or pass --qemu", qemu);
    cleanup_free char *work = xasprintf("%s/work", o->out_dir);
    if (!mkdir_p(work, 0755) || access(o->out_dir, W_OK) != 0) {
        fprintf(stderr, "portcheck: output directory %s is not writable (%s): pass --out with a writable directory\n",
                o->out_dir, strerror(errno));
        exit(EXIT_USAGE);
    }
    cfg->out_dir = o->out_dir;
    cfg->agent_path = o->agent;
    cfg->timeout_scale = o->timeout_scale;
    cfg->mem_mb = o->mem_mb;
    cfg->mem_fixed = o->mem_fixed;
    cfg->kernel_arg = o->kernel_arg;
    cfg->qemu = o->qemu;
}

static json_t *load_result(const char *path)
{
    json_error_t err;
    json_t *o = json_load_file(path, 0, &err);
    return json_is_object(o) ? o : NULL;
}

/* One unit of work: a process running one image, or one shard of an
 * image's scenarios when there are fewer images than VMs allowed at once. */
struct unit {
    size_t image;
    int shard, nshards;
    struct shard part;
    bool started;
    pid_t pid;
    json_t *result;
};

static char *unit_result_path(const struct run_config *cfg, const struct image_info *img, const struct unit *u)
{
    return xasprintf("%s/work/%s.vm%d.result.json", cfg->out_dir, img->name, u->shard + 1);
}

/* With more than one VM at a time, every chain of scenarios that share a
 * VM is a unit of its own (a chain starts from a fresh VM anyway, so this
 * costs no boot), and the queue runs the heaviest first: whatever the mix
 * of images, the last VMs to finish are short ones. With --jobs 1 an image
 * is one unit, its scenarios in order. */
static size_t plan_units(const struct run_config *cfg, const struct image_info *imgs, size_t n, int jobs,
                         struct unit *units)
{
    size_t nunits = 0;
    for (size_t i = 0; i < n; i++) {
        if (imgs[i].skip_reason || imgs[i].error) {
            units[nunits++] = (struct unit){.image = i, .shard = 0, .nshards = 1};
            continue;
        }
        size_t want = jobs > 1 ? SHARDS_MAX : 1;
        /* Balance what will run; what will skip costs nothing and goes to
         * the first VM (the merge restores the order). */
        const struct scenario *runnable[SHARD_SCENARIOS_MAX], *skipped[SHARD_SCENARIOS_MAX];
        size_t nrun = 0, nskip = 0;
        for (size_t w = 0; w < cfg->nwanted && w < SHARD_SCENARIOS_MAX; w++) {
            char *why = runner_skip_reason(cfg, &imgs[i], cfg->wanted[w]);
            if (why)
                skipped[nskip++] = cfg->wanted[w];
            else
                runnable[nrun++] = cfg->wanted[w];
            free(why);
        }
        struct shard parts[SHARDS_MAX];
        size_t k = shards_plan(runnable, nrun, want, parts);
        if (k == 0)
            k = 1, parts[0].nwanted = 0;
        for (size_t w = 0; w < nskip; w++)
            parts[0].wanted[parts[0].nwanted++] = skipped[w];
        for (size_t s = 0; s < k; s++)
            units[nunits++] = (struct unit){.image = i, .shard = (int)s, .nshards = (int)k, .part = parts[s]};
    }
    return nunits;
}

static void start_unit(const struct run_config *cfg, const struct image_info *img, struct unit *u, pid_t parent)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die_errno("fork");
    if (pid == 0) {
        /* Killed outright, portcheck cannot forward SIGTERM: the kernel does. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
            raise(SIGTERM);
        struct run_config mine = *cfg;
        mine.shard = u->shard;
        mine.nshards = u->nshards;
        if (u->nshards > 1) {
            memcpy(mine.wanted, u->part.wanted, u->part.nwanted * sizeof *mine.wanted);
            mine.nwanted = u->part.nwanted;
        }
        json_t *res = runner_run_image(&mine, img);
        cleanup_free char *path = unit_result_path(cfg, img, u);
        int rc = report_write_json(res, path) ? 0 : EXIT_USAGE;
        json_decref(res);
        _exit(rc);
    }
    u->pid = pid;
}

/* The image's result once all its units have theirs. */
static json_t *image_result(const struct run_config *cfg, const struct image_info *img, struct unit *units,
                            size_t first, size_t count)
{
    if (img->skip_reason || img->error)
        return runner_image_unavailable(cfg, img, img->skip_reason ? "skip" : "error",
                                        img->skip_reason ? img->skip_reason : img->error);
    if (count == 1 && units[first].result)
        return json_incref(units[first].result);
    json_t *parts[SHARDS_MAX] = {NULL};
    for (size_t k = 0; k < count; k++)
        parts[k] = units[first + k].result;
    json_t *merged = shards_merge(parts, count, cfg->wanted, cfg->nwanted,
                                  signals_pending() ? "interrupted before it started"
                                                    : "the VM running it died without a result");
    return merged ? merged : runner_image_unavailable(cfg, img, "error", "the image's run process died without a result");
}

/* Processes per image (or per shard of one): each child runs its part and
 * leaves its result as JSON; one image failing never stops the others. */
static void run_images(struct run_config *cfg, struct image_info *imgs, size_t n, int jobs, json_t **results,
                       bool tap, int *tap_counter)
{
    pid_t parent = getpid();
    struct unit *units = xcalloc(n * SHARDS_MAX, sizeof *units);
    size_t nunits = plan_units(cfg, imgs, n, jobs, units);
    /* The start order: heaviest first (units stay grouped by image for the merge). */
    size_t *order = xcalloc(nunits ? nunits : 1, sizeof *order);
    for (size_t k = 0; k < nunits; k++) {
        size_t at = k;
        while (at > 0 && units[order[at - 1]].part.cost < units[k].part.cost) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = k;
    }
    size_t nrunning = 0, next = 0, done = 0;
    bool forwarded = false;
    if (nunits > n)
        progress_note("-", "%zu VMs share the scenarios of %zu image(s), %d at once", nunits, n, jobs);
    while (done < nunits) {
        while (nrunning < (size_t)jobs && next < nunits && !signals_pending()) {
            struct unit *u = &units[order[next++]];
            const struct image_info *img = &imgs[u->image];
            u->started = true;
            if (img->skip_reason || img->error) {
                done++;
                continue;
            }
            start_unit(cfg, img, u, parent);
            nrunning++;
        }
        if (nrunning == 0) {
            /* Interrupted before the rest started. */
            done = nunits;
            break;
        }
        if (signals_pending() && !forwarded) {
            for (size_t k = 0; k < nunits; k++)
                if (units[k].pid > 0)
                    kill(units[k].pid, SIGTERM);
            forwarded = true;
        }
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            signals_sleep(0.2);
            continue;
        }
        for (size_t k = 0; k < nunits; k++) {
            struct unit *u = &units[k];
            if (u->pid != pid)
                continue;
            u->pid = 0;
            nrunning--;
            done++;
            cleanup_free char *path = unit_result_path(cfg, &imgs[u->image], u);
            u->result = load_result(path);
            unlink(path);
            break;
        }
    }
    free(order);
    /* Results in image order, each when all of its units are in. */
    for (size_t k = 0; k < nunits;) {
        size_t i = units[k].image, count = 0;
        while (k + count < nunits && units[k + count].image == i)
            count++;
        bool started = false;
        for (size_t c = 0; c < count; c++)
            started = started || units[k + c].started;
        if (!started && !(imgs[i].skip_reason || imgs[i].error))
            results[i] = runner_image_unavailable(cfg, &imgs[i], "error", "interrupted before it started");
        else
            results[i] = image_result(cfg, &imgs[i], units, k, count);
        for (size_t c = 0; c < count; c++)
            json_decref(units[k + c].result);
        if (tap)
            report_tap_run(results[i], stdout, tap_counter);
        k += count;
    }
    free(units);
}

static char *iso_now(void)
{
    time_t t = time(NULL);
    struct tm tm;
    char buf[64];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

static char *command_line(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = xcalloc(len, 1);
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, i == 0 ? "portcheck" : argv[i]);
    }
    return s;
}

static int cmd_run(int argc, char **argv)
{
    struct options o = {0};
    struct run_config cfg = {0};
    struct package_info pkgs[8] = {0};
    parse_run_options(argc, argv, &o);
    validate(&o, &cfg, pkgs);
    signals_init();
    progress_init();

    cleanup_free char *started = iso_now();
    struct image_info imgs[MAX_IMAGES];
    size_t n = o.nimages;
    if (o.tap)
        printf("TAP version 13\n1..%zu\n", n * cfg.nwanted);
    for (size_t i = 0; i < n; i++) {
        if (signals_pending()) {
            memset(&imgs[i], 0, sizeof imgs[i]);
            imgs[i].name = xstrdup(o.images[i]);
            imgs[i].error = xstrdup("interrupted before the image was ready");
            continue;
        }
        image_prepare(o.images_dir, o.images[i], &imgs[i]);
    }

    const char *why = "no image was ready";
    cfg.accel = "tcg";
    for (size_t i = 0; i < n; i++) {
        if (imgs[i].dir) {
            cleanup_free char *kernel = xasprintf("%s/vmlinuz", imgs[i].dir);
            cleanup_free char *initrd = xasprintf("%s/fastboot.cpio.gz", imgs[i].dir);
            cfg.accel = accel_choose(o.accel, o.qemu, kernel, initrd, &why);
            break;
        }
    }
    progress_note("-", "accelerator %s (%s)", cfg.accel, why);

    json_t **results = xcalloc(n, sizeof *results);
    int tap_counter = 0;
    run_images(&cfg, imgs, n, o.jobs, results, o.tap, &tap_counter);

    cleanup_free char *cmd = command_line(argc, argv);
    json_t *report = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:b}", "schema", 1, "tool", "portcheck", "version",
                               PORTCHECK_VERSION, "started", started, "command", cmd, "accel_reason", why,
                               "complete", !signals_pending());
    json_t *runs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(runs, results[i] ? results[i] : json_object());
    json_object_set_new(report, "runs", runs);

    cleanup_free char *jpath = xasprintf("%s/report.json", o.out_dir);
    cleanup_free char *mpath = xasprintf("%s/report.md", o.out_dir);
    cleanup_free char *xpath = xasprintf("%s/junit.xml", o.out_dir);
    cleanup_free char *hpath = xasprintf("%s/report.html", o.out_dir);
    if (!report_write_json(report, jpath) || !report_write_md(report, mpath) || !report_write_junit(report, xpath) ||
        !report_write_html(report, hpath)) {
        fprintf(stderr, "portcheck: cannot write the reports in %s: %s\n", o.out_dir, strerror(errno));
        return EXIT_USAGE;
    }
    report_print_matrix(report, o.tap ? stderr : stdout);
    fprintf(o.tap ? stderr : stdout, "reports: %s %s %s %s\n", jpath, mpath, xpath, hpath);
    struct report_counts c = report_count(report);
    json_decref(report);
    for (size_t i = 0; i < n; i++)
        image_info_free(&imgs[i]);
    for (size_t i = 0; i < 8; i++)
        package_info_free(&pkgs[i]);
    free(results);
    int sig = signals_pending();
    if (sig)
        return sig == SIGINT ? 130 : EXIT_USAGE;
    if (c.error)
        return EXIT_USAGE;
    return c.fail ? EXIT_SOME_FAILED : EXIT_ALL_PASSED;
}

static int cmd_report(int argc, char **argv)
{
    const char *format = NULL, *output = NULL, *input = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
            output = argv[++i];
        else if (argv[i][0] != '-' && !input)
            input = argv[i];
        else
            die_usage("unexpected argument '%s' to report", argv[i]);
    }
    if (!input || !format)
        die_usage("report needs FILE.json and --format md|html|junit|tap|json");
    json_error_t err;
    json_t *report = json_load_file(input, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(report) || !json_is_array(json_object_get(report, "runs"))) {
        fprintf(stderr, "portcheck: %s is not a portcheck report (%s): pass the report.json of a run\n", input,
                report ? "no runs" : err.text);
        return EXIT_USAGE;
    }
    bool ok = true;
    if (strcmp(format, "tap") == 0) {
        FILE *out = output ? fopen(output, "we") : stdout;
        if (!out)
            die_errno("cannot write %s", output);
        int counter = 0;
        size_t total = 0, i;
        json_t *run;
        json_array_foreach(json_object_get(report, "runs"), i, run)
            total += json_array_size(json_object_get(run, "scenarios"));
        fprintf(out, "TAP version 13\n1..%zu\n", total);
        json_array_foreach(json_object_get(report, "runs"), i, run)
            report_tap_run(run, out, &counter);
        ok = (output ? fclose(out) : fflush(out)) == 0;
    } else {
        void (*render)(json_t *, FILE *) = NULL;
        if (strcmp(format, "md") == 0)
            render = report_render_md;
        else if (strcmp(format, "html") == 0)
            render = report_render_html;
        else if (strcmp(format, "junit") == 0)
            render = report_render_junit;
        else if (strcmp(format, "json") == 0)
            render = report_render_json;
        else
            die_usage("--format '%s' is not md, html, junit, tap or json", format);
        if (output)
            ok = report_write_stream(output, render, report);
        else {
            render(report, stdout);
            ok = fflush(stdout) == 0;
        }
    }
    json_decref(report);
    if (!ok) {
        fprintf(stderr, "portcheck: cannot write %s: %s\n", output ? output : "stdout", strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

static int cmd_list(void)
{
    puts("scenarios:");
    for (size_t i = 0; i < scenario_count; i++)
        printf("  %-20s %s\n", scenarios[i].name, scenarios[i].summary);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die_usage("a command is needed: run, report, list or host");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("portcheck %s\n", PORTCHECK_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc, argv);
    if (strcmp(argv[1], "report") == 0)
        return cmd_report(argc, argv);
    if (strcmp(argv[1], "list") == 0)
        return cmd_list();
    if (strcmp(argv[1], "host") == 0)
        return cmd_host(argc, argv);
    if (strcmp(argv[1], "bench") == 0)
        return cmd_bench(argc, argv);
    die_usage("unknown command '%s'", argv[1]);
}
