/* Implementation of bench.h. Both boot ways run the baseline scenario with
 * the same qemu options (accelerator, memory, CPUs, disks); only the guest's
 * boot path differs: the harness's initramfs and portcheck.target, or the
 * distro initramfs, the default target and the agent at multi-user. The
 * figure is seconds_to_verdict: qemu start to the host holding the facts. */
#define _GNU_SOURCE
#include "cli/bench.h"

#include "vm/accel.h"
#include "run/images.h"
#include "base/progress.h"
#include "report/report.h"
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

int cmd_bench(int argc, char **argv)
{
    const char *image = "debian-bookworm", *accel = "auto", *out = "out/bench", *images_dir = "vm-images";
    int runs = 5;
    for (int i = 2; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val)
            die_usage("option %s needs a value", argv[i]);
        if (strcmp(argv[i], "--image") == 0)
            image = val;
        else if (strcmp(argv[i], "--runs") == 0) {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > 100)
                die_usage("--runs '%s' is not a number from 1 to 100", val);
            runs = (int)n;
        } else if (strcmp(argv[i], "--accel") == 0) {
            if (strcmp(val, "auto") && strcmp(val, "kvm") && strcmp(val, "tcg"))
                die_usage("--accel '%s' is not auto, kvm or tcg", val);
            accel = val;
        } else if (strcmp(argv[i], "--out") == 0)
            out = val;
        else if (strcmp(argv[i], "--images-dir") == 0)
            images_dir = val;
        else
            die_usage("unknown option '%s' to bench", argv[i]);
        i++;
    }
    char err[512];
    if (!image_check(images_dir, image, err, sizeof err)) {
        fprintf(stderr, "portcheck: %s\n", err);
        return EXIT_USAGE;
    }
    cleanup_free char *dir = exe_dir();
    cleanup_free char *agent = xasprintf("%s/portcheck-agent", dir);
    if (access(agent, X_OK) != 0) {
        fprintf(stderr, "portcheck: guest agent %s is missing: build it with make portcheck\n", agent);
        return EXIT_USAGE;
    }
    if (!mkdir_p(out, 0755)) {
        fprintf(stderr, "portcheck: cannot create %s: pass --out with a writable directory\n", out);
        return EXIT_USAGE;
    }
    signals_init();
    progress_init();
    struct image_info img;
    image_prepare(images_dir, image, &img);
    if (!img.dir) {
        fprintf(stderr, "portcheck: image %s is not available: %s\n", image,
                img.skip_reason ? img.skip_reason : img.error);
        image_info_free(&img);
        return EXIT_USAGE;
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
            if (strcmp(report_str(sc, "status"), "pass") != 0 || secs <= 0) {
                fprintf(stderr, "portcheck: bench boot %d (%s) did not pass: %s\n", i + 1,
                        way ? "reference" : "harness", report_str(sc, "reason"));
                rc = EXIT_USAGE;
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
        rc = signals_pending() == SIGINT ? 130 : EXIT_USAGE;
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
