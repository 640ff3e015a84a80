/* portcheck bench: three kinds of boot of one image, alternating in one
 * run so that all see the same machine load, with the same qemu options
 * (accelerator, memory, CPUs, disks):
 *   harness    the harness's initramfs and portcheck.target, the agent's facts;
 *   reference  the distro initramfs, the default target, the agent at multi-user;
 *   floor      the harness's kernel and initramfs with busybox as init, which
 *              reads the sysctl and powers off (run/floor.h).
 * The figure is seconds_to_verdict: qemu start to the host holding the
 * value (the agent's facts, or the floor's console line). */
#define _GNU_SOURCE
#include "cli/bench.h"

#include "cli/options.h"

#include "vm/accel.h"
#include "run/floor.h"
#include "run/images.h"
#include "base/progress.h"
#include "report/report.h"
#include "report/report_bench.h"
#include "run/outdir.h"
#include "run/runner.h"
#include "base/signals.h"
#include "base/util.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BENCH_IMAGE = 1, BENCH_RUNS, BENCH_ACCEL, BENCH_OUT, BENCH_IMAGES_DIR };

struct bench_args {
    const char *image, *accel, *out, *images_dir;
    int runs;
};

static void take_bench_option(void *ctx, int id, const char *v)
{
    struct bench_args *a = ctx;
    switch (id) {
    case BENCH_IMAGE: a->image = v; break;
    case BENCH_RUNS: a->runs = (int)cli_number(v, "--runs", 1, 100); break;
    case BENCH_ACCEL: a->accel = cli_accel(v); break;
    case BENCH_OUT: a->out = v; break;
    case BENCH_IMAGES_DIR: a->images_dir = v; break;
    }
}

/* One boot's figures, or why it gave none. */
struct bench_sample {
    double seconds, uptime, rss_mib;
    int port_start; /* the floor's: what the kernel returned; -1 for the others */
    char reason[1024];
};

struct bench {
    struct run_config cfg;
    const struct image_info *img;
};

/* A harness or reference boot: the runner's baseline scenario. */
static bool boot_with_runner(struct bench *b, bool reference, struct bench_sample *out)
{
    b->cfg.reference_boot = reference;
    json_t *res = runner_run_image(&b->cfg, b->img);
    json_t *sc = json_array_get(json_object_get(res, "scenarios"), 0);
    json_t *boot = json_array_get(json_object_get(res, "boots"), 0);
    out->seconds = report_num(boot, "seconds_to_verdict");
    out->uptime = report_num(boot, "guest_uptime_at_verdict");
    out->rss_mib = report_num(res, "qemu_peak_rss_mib");
    out->port_start = -1;
    bool ok = report_scenario_status(sc) == REPORT_PASS && out->seconds > 0;
    if (!ok)
        snprintf(out->reason, sizeof out->reason, "%s", report_str(sc, "reason"));
    json_decref(res);
    return ok;
}

static bool boot_harness(struct bench *b, struct bench_sample *out)
{
    return boot_with_runner(b, false, out);
}

static bool boot_reference(struct bench *b, struct bench_sample *out)
{
    return boot_with_runner(b, true, out);
}

static bool boot_floor(struct bench *b, struct bench_sample *out)
{
    struct floor_result f;
    bool ok = floor_boot(&b->cfg, b->img, &f);
    out->seconds = f.seconds_to_value;
    out->uptime = f.guest_uptime;
    out->rss_mib = f.qemu_peak_rss_mib;
    out->port_start = f.port_start;
    snprintf(out->reason, sizeof out->reason, "%s", f.reason);
    return ok;
}

/* In report_bench_kinds' order: one round runs each once. */
static bool (*const boot_kind[REPORT_BENCH_KINDS])(struct bench *, struct bench_sample *) = {
    boot_harness, boot_reference, boot_floor};

static json_t *sample_json(const char *kind, int run, const struct bench_sample *s)
{
    json_t *o = json_pack("{s:s, s:i, s:f, s:f, s:f}", "way", kind, "run", run, "seconds_to_verdict", s->seconds,
                          "guest_uptime_at_verdict", s->uptime, "qemu_peak_rss_mib", s->rss_mib);
    if (s->port_start >= 0)
        json_object_set_new(o, "port_start", json_integer(s->port_start));
    return o;
}

/* Every round, each kind once, until one fails or a signal comes; the
 * samples are appended to `samples`. Returns the exit code. */
static int run_rounds(struct bench *b, int runs, json_t *samples)
{
    for (int i = 0; i < runs; i++) {
        for (size_t k = 0; k < REPORT_BENCH_KINDS; k++) {
            if (signals_pending())
                return signals_pending() == SIGINT ? 130 : EXIT_NO_VERDICT;
            const char *kind = report_bench_kinds[k];
            struct bench_sample s = {0};
            if (!boot_kind[k](b, &s)) {
                fprintf(stderr, "portcheck: bench boot %d (%s) did not pass: %s\n", i + 1, kind, s.reason);
                return signals_pending() == SIGINT ? 130 : EXIT_NO_VERDICT;
            }
            json_array_append_new(samples, sample_json(kind, i + 1, &s));
            progress_note(b->img->name, "%-9s boot %d/%d: %.2f s to verdict (guest uptime %.2f s), qemu peak %.0f MiB",
                          kind, i + 1, runs, s.seconds, s.uptime, s.rss_mib);
        }
    }
    return 0;
}

static void write_results(const struct bench *b, int runs, json_t *samples)
{
    json_t *o = report_bench_summary(samples);
    json_object_set_new(o, "image", json_string(b->img->name));
    json_object_set_new(o, "kernel", json_string(b->img->kernel ? b->img->kernel : ""));
    json_object_set_new(o, "accel", json_string(b->cfg.accel));
    json_object_set_new(o, "runs", json_integer(runs));
    json_object_set(o, "samples", samples);
    cleanup_free char *path = xasprintf("%s/bench.json", b->cfg.out_dir);
    if (!report_write_json(o, path))
        warn_msg("cannot write %s", path);
    report_bench_print(o, stdout);
    json_decref(o);
}

/* Everything a bench needs before the first boot: 0 when ready, else the
 * exit code (-1 for an image this machine cannot build: skipped). */
static int bench_prepare(const struct bench_args *a, char **agent, struct image_info *img)
{
    char err[512];
    if (!image_check(a->images_dir, a->image, err, sizeof err)) {
        fprintf(stderr, "portcheck: %s\n", err);
        return EXIT_NO_VERDICT;
    }
    cleanup_free char *dir = exe_dir();
    *agent = xasprintf("%s/portcheck-agent", dir);
    if (access(*agent, X_OK) != 0) {
        fprintf(stderr, "portcheck: guest agent %s is missing: build it with make portcheck\n", *agent);
        return EXIT_NO_VERDICT;
    }
    if (!outdir_claim(a->out, err, sizeof err)) {
        fprintf(stderr, "portcheck: %s\n", err);
        return EXIT_NO_VERDICT;
    }
    signals_init();
    progress_init();
    image_prepare(a->images_dir, a->image, img);
    if (!img->dir && img->skip_reason) {
        /* As run skips it: no figures, and no failure. */
        printf("bench: %s skipped: %s\n", a->image, img->skip_reason);
        return -1;
    }
    if (!img->dir) {
        fprintf(stderr, "portcheck: image %s is not available: %s\n", a->image, img->error);
        return EXIT_NO_VERDICT;
    }
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    static const struct cli_option opts[] = {
        {"image", true, BENCH_IMAGE, DEFAULT_IMAGE},
        {"runs", true, BENCH_RUNS, "5"},
        {"accel", true, BENCH_ACCEL, "tcg"},
        {"out", true, BENCH_OUT, "out/bench"},
        {"images-dir", true, BENCH_IMAGES_DIR, "vm-images"},
        {NULL, false, 0, NULL},
    };
    struct bench_args a = {.image = DEFAULT_IMAGE, .accel = "auto", .out = "out/bench", .images_dir = "vm-images",
                           .runs = 5};
    cli_parse("bench", argc, argv, opts, take_bench_option, NULL, &a);
    cleanup_free char *agent = NULL;
    struct image_info img = {0};
    int rc = bench_prepare(&a, &agent, &img);
    if (rc == 0) {
        cleanup_free char *kernel = xasprintf("%s/vmlinuz", img.dir);
        cleanup_free char *initrd = xasprintf("%s/fastboot.cpio.gz", img.dir);
        const char *why;
        struct bench b = {.cfg = {.out_dir = a.out, .agent_path = agent, .timeout_scale = 1, .mem_mb = 512},
                          .img = &img};
        b.cfg.accel = accel_choose(a.accel, NULL, kernel, initrd, &why);
        b.cfg.wanted[b.cfg.nwanted++] = scenario_find("baseline");
        progress_note("-", "accelerator %s (%s); %d runs of each kind (harness, reference, floor), alternating",
                      b.cfg.accel, why, a.runs);
        json_t *samples = json_array();
        rc = run_rounds(&b, a.runs, samples);
        if (rc == 0)
            write_results(&b, a.runs, samples);
        json_decref(samples);
    }
    image_info_free(&img);
    return rc < 0 ? EXIT_ALL_PASSED : rc;
}
