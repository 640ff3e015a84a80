/* Medians, ranges and ratios of the bench's samples. */
#define _GNU_SOURCE
#include "report/report_bench.h"

#include "report/report.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

const char *const report_bench_kinds[REPORT_BENCH_KINDS] = {"harness", "reference", "floor"};

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static json_t *kind_summary(json_t *samples, const char *kind)
{
    size_t n = 0, i;
    json_t *s;
    double *v = xcalloc(json_array_size(samples) + 1, sizeof *v);
    double rss = 0;
    json_array_foreach(samples, i, s) {
        if (strcmp(report_str(s, "way"), kind) != 0)
            continue;
        v[n++] = report_num(s, "seconds_to_verdict");
        rss = report_num(s, "qemu_peak_rss_mib") > rss ? report_num(s, "qemu_peak_rss_mib") : rss;
    }
    double m = n ? median(v, n) : 0, lo = n ? v[0] : 0, hi = n ? v[n - 1] : 0;
    free(v);
    return json_pack("{s:f, s:f, s:f, s:f, s:i}", "median", m, "min", lo, "max", hi, "qemu_peak_rss_mib", rss, "runs",
                     (int)n);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

json_t *report_bench_summary(json_t *samples)
{
    json_t *o = json_object();
    for (size_t k = 0; k < REPORT_BENCH_KINDS; k++)
        json_object_set_new(o, report_bench_kinds[k], kind_summary(samples, report_bench_kinds[k]));
    double h = report_num(json_object_get(o, "harness"), "median");
    double r = report_num(json_object_get(o, "reference"), "median");
    double f = report_num(json_object_get(o, "floor"), "median");
    json_object_set_new(o, "speedup", json_real(ratio(r, h)));
    json_object_set_new(o, "over_floor", json_real(ratio(h, f)));
    return o;
}

void report_bench_print(json_t *summary, FILE *out)
{
    for (size_t k = 0; k < REPORT_BENCH_KINDS; k++) {
        json_t *s = json_object_get(summary, report_bench_kinds[k]);
        char label[16];
        snprintf(label, sizeof label, "%s:", report_bench_kinds[k]);
        fprintf(out, "%-10s median %.2f s (min %.2f, max %.2f), qemu peak %.0f MiB\n", label, report_num(s, "median"),
                report_num(s, "min"), report_num(s, "max"), report_num(s, "qemu_peak_rss_mib"));
    }
    fprintf(out, "bench: harness median %.2f s, reference median %.2f s, floor median %.2f s, speedup %.2f, over floor %.2f\n",
            report_num(json_object_get(summary, "harness"), "median"),
            report_num(json_object_get(summary, "reference"), "median"),
            report_num(json_object_get(summary, "floor"), "median"), report_num(summary, "speedup"),
            report_num(summary, "over_floor"));
}
