/* portcheck's command line: every subcommand's options, validated before
 * anything starts; the work itself is in the layers below (run/units.h
 * runs the images, report/ writes what they found). */
#define _GNU_SOURCE
#include "base/progress.h"
#include "base/signals.h"
#include "base/spawn.h"
#include "base/util.h"
#include "cli/bench.h"
#include "cli/host.h"
#include "cli/options.h"
#include "report/report.h"
#include "run/images.h"
#include "run/objections.h"
#include "run/outdir.h"
#include "run/package.h"
#include "run/runner.h"
#include "run/units.h"
#include "vm/accel.h"
#include "vm/qemu.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PORTCHECK_VERSION
#define PORTCHECK_VERSION "0.1.0"
#endif

#define MAX_IMAGES 32

static const char usage_text[] =
    "Usage: portcheck run [OPTION]...       boot images, run scenarios, write reports\n"
    "       portcheck report FILE.json --format md|html|junit|tap|json|fedora-change|debian-bug\n"
    "                                       [--output FILE]\n"
    "       portcheck list [--images-dir DIR]  the images and scenarios there are\n"
    "       portcheck host [--root DIR] [--json]\n"
    "                                       why can (or can't) a user bind port 80 on this machine\n"
    "       portcheck bench [--image NAME] [--runs N] [--accel A] [--out DIR]\n"
    "                                       boot N times each the harness's way, the plain\n"
    "                                       way and the floor (busybox as init), alternating,\n"
    "                                       and compare\n"
    "       portcheck --help | --version\n"
    "\n"
    "Options of run:\n"
    "  --image NAME[,NAME]     images to run (vm-images/recipes/NAME.conf); default " DEFAULT_IMAGE "\n"
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
    "  --kernel-arg ARG        one more kernel argument for every boot (debugging, fault\n"
    "                          tests); repeat it for more than one\n"
    "  --qemu FILE             the qemu binary (default " QEMU_DEFAULT_BINARY " on PATH)\n"
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
    char *kernel_arg; /* every --kernel-arg, in order, joined by spaces */
    const char *qemu;
    const char *package_paths[RUN_PACKAGES_MAX];
    size_t npackages;
    const char *old_package_paths[RUN_PACKAGES_MAX];
    size_t nold_packages;
    int jobs;
    double timeout_scale;
    int mem_mb;
    bool mem_fixed;
    bool tap;
    bool all_scenarios;
    bool want[SCENARIOS_MAX];
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
        die_usage("more than %d images; run them in two runs", MAX_IMAGES);
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
        char known[1024] = "";
        for (size_t i = 0; i < scenario_count; i++) {
            strncat(known, " ", sizeof known - strlen(known) - 1);
            strncat(known, scenarios[i].name, sizeof known - strlen(known) - 1);
        }
        die_usage("unknown scenario '%s'; known:%s", name, known);
    }
    o->want[scenario_index(sc)] = true;
}

static void add_path(const char **paths, size_t *n, const char *path, const char *option)
{
    if (*n == RUN_PACKAGES_MAX)
        die_usage("at most %d %s options (one per format)", RUN_PACKAGES_MAX, option);
    paths[(*n)++] = path;
}

enum { OPT_IMAGE = 256, OPT_SCENARIO, OPT_PACKAGE, OPT_OLD_PACKAGE, OPT_KERNEL_ARG, OPT_QEMU, OPT_OUT, OPT_ACCEL,
       OPT_JOBS, OPT_SCALE, OPT_MEM, OPT_TAP, OPT_IMAGES_DIR, OPT_AGENT, OPT_FORMAT, OPT_OUTPUT, OPT_RUNS };

static void take_run_option(void *ctx, int id, const char *v)
{
    struct options *o = ctx;
    switch (id) {
    case OPT_IMAGE:
        if (!v[strspn(v, ", ")])
            die_usage("--image needs a name, e.g. --image " DEFAULT_IMAGE);
        add_list(v, add_image, o);
        break;
    case OPT_SCENARIO:
        if (!v[strspn(v, ", ")])
            die_usage("--scenario needs a name, e.g. --scenario baseline, or all");
        add_list(v, add_scenario, o);
        break;
    case OPT_PACKAGE: add_path(o->package_paths, &o->npackages, v, "--package"); break;
    case OPT_OLD_PACKAGE: add_path(o->old_package_paths, &o->nold_packages, v, "--old-package"); break;
    case OPT_OUT: o->out_dir = v; break;
    case OPT_KERNEL_ARG:
        /* One kernel argument: no spaces, so it cannot smuggle in others. */
        if (!v[0] || strpbrk(v, " \t\n\"'"))
            die_usage("--kernel-arg '%s' must be one argument without spaces or quotes", v);
        {
            char *joined = o->kernel_arg ? xasprintf("%s %s", o->kernel_arg, v) : xstrdup(v);
            free(o->kernel_arg);
            o->kernel_arg = joined;
        }
        break;
    case OPT_QEMU: o->qemu = v; break;
    case OPT_ACCEL: o->accel = cli_accel(v); break;
    case OPT_JOBS: o->jobs = (int)cli_number(v, "--jobs", 1, 64); break;
    case OPT_SCALE: o->timeout_scale = cli_number(v, "--timeout-scale", 0.01, 100); break;
    case OPT_MEM:
        o->mem_mb = (int)cli_number(v, "--mem", 128, 16384);
        o->mem_fixed = true;
        break;
    case OPT_TAP: o->tap = true; break;
    case OPT_IMAGES_DIR: o->images_dir = v; break;
    case OPT_AGENT: o->agent = v; break;
    }
}

static void parse_run_options(int argc, char **argv, struct options *o)
{
    static const struct cli_option opts[] = {
        {"image", true, OPT_IMAGE, DEFAULT_IMAGE},
        {"scenario", true, OPT_SCENARIO, "baseline"},
        {"package", true, OPT_PACKAGE, "out/unprivileged-ports_0.1.0_all.deb"},
        {"old-package", true, OPT_OLD_PACKAGE, "out/unprivileged-ports_0.0.1_all.deb"},
        {"out", true, OPT_OUT, "out"},
        {"kernel-arg", true, OPT_KERNEL_ARG, "loglevel=7"},
        {"qemu", true, OPT_QEMU, QEMU_DEFAULT_BINARY},
        {"accel", true, OPT_ACCEL, "tcg"},
        {"jobs", true, OPT_JOBS, "2"},
        {"timeout-scale", true, OPT_SCALE, "2"},
        {"mem", true, OPT_MEM, "1024"},
        {"tap", false, OPT_TAP, NULL},
        {"images-dir", true, OPT_IMAGES_DIR, "vm-images"},
        {"agent", true, OPT_AGENT, "harness/build/portcheck-agent"},
        {NULL, false, 0, NULL},
    };
    o->out_dir = "out";
    o->accel = "auto";
    o->images_dir = "vm-images";
    o->timeout_scale = 1;
    o->mem_mb = 512;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cpus > 0 ? (int)cpus : 1;
    cli_parse("run", argc, argv, opts, take_run_option, NULL, o);
    if (o->nimages == 0)
        add_image(o, DEFAULT_IMAGE);
}

static void inspect_packages(const char *const *paths, size_t n, struct package_info *pkgs,
                             const struct package_info **out, size_t *nout, const char *option)
{
    for (size_t i = 0; i < n; i++) {
        char err[512];
        if (!package_inspect(paths[i], &pkgs[i], err, sizeof err)) {
            fprintf(stderr, "portcheck: %s\n", err);
            exit(EXIT_NO_VERDICT);
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(pkgs[k].format, pkgs[i].format) == 0)
                die_usage("two %s packages given to %s; pass one per format", pkgs[i].format, option);
        out[(*nout)++] = &pkgs[i];
    }
}

static void die_infra(const char *err)
{
    fprintf(stderr, "portcheck: %s\n", err);
    exit(EXIT_NO_VERDICT);
}

/* Everything that can be checked before a VM starts is checked here, and
 * the out dir is claimed last, so a refused run leaves nothing behind. */
static void validate(struct options *o, struct run_config *cfg, struct package_info *pkgs, struct package_info *old)
{
    char err[1024];
    if (access(o->images_dir, R_OK | X_OK) != 0) {
        snprintf(err, sizeof err, "--images-dir %s: %s: pass the vm-images directory of this tree", o->images_dir,
                 strerror(errno));
        die_infra(err);
    }
    bool any = false;
    for (size_t i = 0; i < scenario_count; i++)
        any = any || o->want[i];
    /* Nothing named means every scenario, as --scenario all does. */
    for (size_t i = 0; i < scenario_count; i++)
        if (o->all_scenarios || !any || o->want[i])
            cfg->wanted[cfg->nwanted++] = &scenarios[i];
    inspect_packages(o->package_paths, o->npackages, pkgs, cfg->packages, &cfg->npackages, "--package");
    inspect_packages(o->old_package_paths, o->nold_packages, old, cfg->old_packages, &cfg->nold_packages,
                     "--old-package");
    /* A recipe that bakes the package in takes the run's .deb. */
    const char *deb = NULL;
    for (size_t i = 0; i < cfg->npackages; i++)
        if (strcmp(cfg->packages[i]->format, "deb") == 0)
            deb = cfg->packages[i]->path;
    image_offer_deb(deb);
    for (size_t i = 0; i < o->nimages; i++)
        if (!image_check(o->images_dir, o->images[i], err, sizeof err))
            die_infra(err);
    if (!o->agent) {
        cleanup_free char *dir = exe_dir();
        o->agent = xasprintf("%s/portcheck-agent", dir);
    }
    if (access(o->agent, X_OK) != 0)
        die_usage("guest agent %s is missing or not executable: build it with make portcheck, or pass --agent",
                  o->agent);
    const char *qemu = o->qemu ? o->qemu : QEMU_DEFAULT_BINARY;
    if (!program_on_path(qemu))
        die_usage("qemu binary %s not found: apt-get install qemu-system-x86, or pass --qemu", qemu);
    if (!outdir_claim(o->out_dir, err, sizeof err))
        die_infra(err);
    cfg->out_dir = o->out_dir;
    cfg->agent_path = o->agent;
    cfg->timeout_scale = o->timeout_scale;
    cfg->mem_mb = o->mem_mb;
    cfg->mem_fixed = o->mem_fixed;
    cfg->kernel_arg = o->kernel_arg;
    cfg->qemu = o->qemu;
}

static char *iso_now(void)
{
    char buf[ISO_UTC_LEN];
    return xstrdup(iso_utc(time(NULL), buf, sizeof buf));
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
    struct package_info pkgs[RUN_PACKAGES_MAX] = {0}, old[RUN_PACKAGES_MAX] = {0};
    parse_run_options(argc, argv, &o);
    validate(&o, &cfg, pkgs, old);
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
    units_run(&cfg, imgs, n, o.jobs, results, o.tap, &tap_counter);

    cleanup_free char *cmd = command_line(argc, argv);
    json_t *report = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:b}", "schema", 1, "tool", "portcheck", "version",
                               PORTCHECK_VERSION, "started", started, "command", cmd, "accel_reason", why,
                               "complete", !signals_pending());
    json_t *runs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(runs, results[i] ? results[i] : json_object());
    json_object_set_new(report, "runs", runs);
    json_object_set_new(report, "objections", objections_json(runs));

    cleanup_free char *jpath = xasprintf("%s/report.json", o.out_dir);
    cleanup_free char *mpath = xasprintf("%s/report.md", o.out_dir);
    cleanup_free char *xpath = xasprintf("%s/junit.xml", o.out_dir);
    cleanup_free char *hpath = xasprintf("%s/report.html", o.out_dir);
    cleanup_free char *fpath = xasprintf("%s/fedora-change.md", o.out_dir);
    cleanup_free char *dpath = xasprintf("%s/debian-bug.txt", o.out_dir);
    if (!report_write_json(report, jpath) || !report_write_md(report, mpath) || !report_write_junit(report, xpath) ||
        !report_write_html(report, hpath) || !report_write_stream(fpath, report_render_fedora_change, report) ||
        !report_write_stream(dpath, report_render_debian_bug, report)) {
        fprintf(stderr, "portcheck: cannot write the reports in %s: %s\n", o.out_dir, strerror(errno));
        return EXIT_NO_VERDICT;
    }
    report_print_matrix(report, o.tap ? stderr : stdout);
    fprintf(o.tap ? stderr : stdout, "reports: %s %s %s %s\ndrafts: %s %s\n", jpath, mpath, xpath, hpath, fpath,
            dpath);
    struct report_counts c = report_count(report);
    json_decref(report);
    for (size_t i = 0; i < n; i++) {
        image_info_free(&imgs[i]);
        free((char *)o.images[i]);
    }
    for (size_t i = 0; i < RUN_PACKAGES_MAX; i++) {
        package_info_free(&pkgs[i]);
        package_info_free(&old[i]);
    }
    free(results);
    free(o.kernel_arg);
    int sig = signals_pending();
    if (sig)
        return sig == SIGINT ? 130 : EXIT_NO_VERDICT;
    if (c.error)
        return EXIT_NO_VERDICT;
    return c.fail ? EXIT_SOME_FAILED : EXIT_ALL_PASSED;
}

struct report_args {
    const char *format, *output, *input;
};

static void take_report_option(void *ctx, int id, const char *v)
{
    struct report_args *a = ctx;
    if (id == OPT_FORMAT)
        a->format = v;
    else if (id == OPT_OUTPUT)
        a->output = v;
}

static bool take_report_input(void *ctx, const char *arg)
{
    struct report_args *a = ctx;
    if (a->input)
        return false;
    a->input = arg;
    return true;
}

static int cmd_report(int argc, char **argv)
{
    static const struct cli_option opts[] = {
        {"format", true, OPT_FORMAT, "md"},
        {"output", true, OPT_OUTPUT, "out/report.md"},
        {NULL, false, 0, NULL},
    };
    struct report_args a = {0};
    cli_parse("report", argc, argv, opts, take_report_option, take_report_input, &a);
    const char *format = a.format, *output = a.output, *input = a.input;
    if (!input || !format)
        die_usage("report needs FILE.json and --format md|html|junit|tap|json|fedora-change|debian-bug");
    json_error_t err;
    json_t *report = json_load_file(input, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(report) || !json_is_array(json_object_get(report, "runs"))) {
        fprintf(stderr, "portcheck: %s is not a portcheck report (%s): pass the report.json of a run\n", input,
                report ? "no runs" : err.text);
        return EXIT_NO_VERDICT;
    }
    /* A report written before report.json carried them: the rows come from its runs. */
    if (!json_is_array(json_object_get(report, "objections")))
        json_object_set_new(report, "objections", objections_json(json_object_get(report, "runs")));
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
        else if (strcmp(format, "fedora-change") == 0)
            render = report_render_fedora_change;
        else if (strcmp(format, "debian-bug") == 0)
            render = report_render_debian_bug;
        else
            die_usage("--format '%s' is not md, html, junit, tap, json, fedora-change or debian-bug", format);
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
        return EXIT_NO_VERDICT;
    }
    return 0;
}

static void take_list_option(void *ctx, int id, const char *v)
{
    if (id == OPT_IMAGES_DIR)
        *(const char **)ctx = v;
}

static int cmd_list(int argc, char **argv)
{
    static const struct cli_option opts[] = {
        {"images-dir", true, OPT_IMAGES_DIR, "vm-images"},
        {NULL, false, 0, NULL},
    };
    const char *images_dir = "vm-images";
    cli_parse("list", argc, argv, opts, take_list_option, NULL, &images_dir);
    size_t n = 0;
    char **names = image_names(images_dir, &n);
    if (!names) {
        fprintf(stderr, "portcheck: cannot read %s/recipes (%s): pass --images-dir with the vm-images directory\n",
                images_dir, strerror(errno));
        return EXIT_NO_VERDICT;
    }
    puts("images:");
    for (size_t i = 0; i < n; i++) {
        printf("  %s%s\n", names[i], strcmp(names[i], DEFAULT_IMAGE) == 0 ? "  (the default)" : "");
        free(names[i]);
    }
    free(names);
    puts("scenarios:");
    for (size_t i = 0; i < scenario_count; i++)
        printf("  %-20s %s\n", scenarios[i].name, scenarios[i].summary);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die_usage("a command is needed: run, report, list, host or bench");
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
        return cmd_list(argc, argv);
    if (strcmp(argv[1], "host") == 0)
        return cmd_host(argc, argv);
    if (strcmp(argv[1], "bench") == 0)
        return cmd_bench(argc, argv);
    die_usage("unknown command '%s'", argv[1]);
}
