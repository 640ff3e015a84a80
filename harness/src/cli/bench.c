/* portcheck bench: both boot ways run the baseline scenario with
 * the same qemu options (accelerator, memory, CPUs, disks); only the guest's
 * boot path differs: the harness's initramfs and portcheck.target, or the
 * distro initramfs, the default target and the agent at multi-user. The
 * figure is seconds_to_verdict: qemu start to the host holding the facts. */
#define _GNU_SOURCE
#include "cli/bench.h"

#include "cli/options.h"

#include "vm/accel.h"
#include "run/images.h"
#include "base/progress.h"
#include "report/report.h"
#include "run/outdir.h"
#include "run/runner.h"
#include "base/signals.h"
#include "base/util.h"

#include <jansson.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

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
    const char *image = a.image, *accel = a.accel, *out = a.out, *images_dir = a.images_dir;
    int runs = a.runs;
    char err[512];
    if (!image_check(images_dir, image, err, sizeof err)) {
        fprintf(stderr, "portcheck: %s\n", err);
        return EXIT_NO_VERDICT;
    }
    cleanup_free char *dir = exe_dir();
    cleanup_free char *agent = xasprintf("%s/portcheck-agent", dir);
    if (access(agent, X_OK) != 0) {
        fprintf(stderr, "portcheck: guest agent %s is missing: build it with make portcheck\n", agent);
        return EXIT_NO_VERDICT;
    }
    if (!outdir_claim(out, err, sizeof err)) {
        fprintf(stderr, "portcheck: %s\n", err);
        return EXIT_NO_VERDICT;
    }
    signals_init();
    progress_init();
    struct image_info img;
    image_prepare(images_dir, image, &img);
    if (!img.dir) {
        fprintf(stderr, "portcheck: image %s is not available: %s\n", image,
                img.skip_reason ? img.skip_reason : img.error);
        image_info_free(&img);
        return EXIT_NO_VERDICT;
    }
    cleanup_free char *kernel = xasprintf("%s/vmlinuz", img.dir);
    cleanup_free char *initrd = xasprintf("%s/fastboot.cpio.gz", img.dir);
    const char *why;
    struct run_config cfg = {.out_dir = out, .agent_path = agent, .timeout_scale = 1, .mem_mb = 512};
    cfg.accel = accel_choose(accel, NULL, kernel, initrd, &why);
    cfg.wanted[cfg.nwanted++] = scenario_find("baseline");
    progress_note("-", "accelerator %s (%s); %d runs each way, alternating", cfg.accel, why, runs);

    double *fast = xcalloc((size_t)runs, sizeof *fast), *plain = xcalloc((size_t)runs, sizeof *plain);
    double rss_fast = 0, rss_plain = 0;
    json_t *samples = json_array();
    int rc = 0;
    for (int i = 0; i < runs && !signals_pending() && rc == 0; i++) {
        for (int way = 0; way < 2 && rc == 0; way++) {
            cfg.reference_boot = way == 1;
            json_t *res = runner_run_image(&cfg, &img);
            json_t *sc = json_array_get(json_object_get(res, "scenarios"), 0);
            json_t *boot = json_array_get(json_object_get(res, "boots"), 0);
            double secs = report_num(boot, "seconds_to_verdict");
            double rss = report_num(res, "qemu_peak_rss_mib");
            if (report_scenario_status(sc) != REPORT_PASS || secs <= 0) {
                fprintf(stderr, "portcheck: bench boot %d (%s) did not pass: %s\n", i + 1,
                        way ? "reference" : "harness", report_str(sc, "reason"));
                rc = EXIT_NO_VERDICT;
            }
            (way ? plain : fast)[i] = secs;
            if (way)
                rss_plain = rss > rss_plain ? rss : rss_plain;
            else
                rss_fast = rss > rss_fast ? rss : rss_fast;
            json_array_append_new(samples, json_pack("{s:s, s:i, s:f, s:f, s:f}", "way", way ? "reference" : "harness",
                                                     "run", i + 1, "seconds_to_verdict", secs,
                                                     "guest_uptime_at_verdict",
                                                     report_num(boot, "guest_uptime_at_verdict"),
                                                     "qemu_peak_rss_mib", rss));
            progress_note(image, "%s boot %d/%d: %.2f s to verdict, qemu peak %.0f MiB",
                          way ? "reference" : "harness  ", i + 1, runs, secs, rss);
            json_decref(res);
        }
    }
    if (signals_pending())
        rc = signals_pending() == SIGINT ? 130 : EXIT_NO_VERDICT;
    if (rc == 0) {
        double fmin = fast[0], fmax = fast[0], pmin = plain[0], pmax = plain[0];
        for (int i = 0; i < runs; i++) {
            fmin = fast[i] < fmin ? fast[i] : fmin;
            fmax = fast[i] > fmax ? fast[i] : fmax;
            pmin = plain[i] < pmin ? plain[i] : pmin;
            pmax = plain[i] > pmax ? plain[i] : pmax;
        }
        double fm = median(fast, (size_t)runs), pm = median(plain, (size_t)runs);
        json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:o, s:{s:f,s:f,s:f,s:f}, s:{s:f,s:f,s:f,s:f}, s:f}", "image",
                              image, "kernel", img.kernel, "accel", cfg.accel, "runs", runs, "samples", samples,
                              "harness", "median", fm, "min", fmin, "max", fmax, "qemu_peak_rss_mib", rss_fast,
                              "reference", "median", pm, "min", pmin, "max", pmax, "qemu_peak_rss_mib", rss_plain,
                              "speedup", pm / fm);
        samples = NULL;
        cleanup_free char *path = xasprintf("%s/bench.json", out);
        if (!report_write_json(o, path))
            warn_msg("cannot write %s", path);
        json_decref(o);
        printf("harness:   median %.2f s (min %.2f, max %.2f), qemu peak %.0f MiB\n", fm, fmin, fmax, rss_fast);
        printf("reference: median %.2f s (min %.2f, max %.2f), qemu peak %.0f MiB\n", pm, pmin, pmax, rss_plain);
        printf("bench: harness median %.2f s, reference median %.2f s, speedup %.2f\n", fm, pm, pm / fm);
    }
    json_decref(samples);
    free(fast);
    free(plain);
    image_info_free(&img);
    return rc;
}
