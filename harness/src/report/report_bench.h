/* bench.json's summary and the bench's closing lines, from its samples:
 * one object per sample, {"way": KIND, "seconds_to_verdict": S,
 * "qemu_peak_rss_mib": M, ...}, KIND being harness, reference or floor. */
#ifndef PORTCHECK_REPORT_BENCH_H
#define PORTCHECK_REPORT_BENCH_H

#include <jansson.h>
#include <stdio.h>

/* The kinds of boot, in the order one round runs them. */
#define REPORT_BENCH_KINDS 3
extern const char *const report_bench_kinds[REPORT_BENCH_KINDS];

/* {"harness": {median, min, max, qemu_peak_rss_mib}, "reference": {...},
 * "floor": {...}, "speedup": reference/harness, "over_floor":
 * harness/floor}; a kind without samples has zeros and its ratio is 0. */
json_t *report_bench_summary(json_t *samples);
/* One line per kind, then the closing line:
 * `bench: harness median X s, reference median Y s, floor median F s, speedup Z, over floor W` */
void report_bench_print(json_t *summary, FILE *out);

#endif
