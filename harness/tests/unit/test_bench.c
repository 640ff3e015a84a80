/* Unit tests of the bench's summary (harness/src/report/report_bench.c).
 *
 * What this proves:
 *  - each kind's median, min and max come from its own samples only, given
 *    in any order, and its peak RSS is the largest of them;
 *  - an even number of samples gives the mean of the middle two;
 *  - the closing line is exactly `bench: harness median X s, reference
 *    median Y s, floor median F s, speedup Z, over floor W`, with speedup
 *    reference/harness and over floor harness/floor;
 *  - the negative control: without floor samples the floor reads 0 and
 *    over floor 0.00 (no division by zero, no made-up figure). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "report/report.h"
#include "report/report_bench.h"

#include <stdlib.h>
#include <string.h>

static json_t *sample(const char *way, double secs, double rss)
{
    return json_pack("{s:s, s:f, s:f}", "way", way, "seconds_to_verdict", secs, "qemu_peak_rss_mib", rss);
}

/* Three rounds, out of order, as bench writes them. */
static json_t *three_rounds(bool with_floor)
{
    json_t *a = json_array();
    const double h[] = {12, 10, 11}, r[] = {44, 40, 42}, f[] = {3.5, 2.5, 3};
    for (int i = 0; i < 3; i++) {
        json_array_append_new(a, sample("harness", h[i], 300 + i));
        json_array_append_new(a, sample("reference", r[i], 500 + 10 * i));
        if (with_floor)
            json_array_append_new(a, sample("floor", f[i], 240));
    }
    return a;
}

/* The last line report_bench_print writes (malloc'd). */
static char *closing_line(json_t *summary)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    report_bench_print(summary, mem);
    assert_int_equal(fclose(mem), 0);
    assert_true(len > 0 && buf[len - 1] == '\n');
    buf[len - 1] = '\0';
    char *last = strrchr(buf, '\n');
    char *line = strdup(last ? last + 1 : buf);
    free(buf);
    return line;
}

static void test_medians_and_line(void **state)
{
    (void)state;
    json_t *samples = three_rounds(true);
    json_t *s = report_bench_summary(samples);
    json_t *h = json_object_get(s, "harness"), *r = json_object_get(s, "reference"), *f = json_object_get(s, "floor");
    assert_true(report_num(h, "median") == 11 && report_num(h, "min") == 10 && report_num(h, "max") == 12);
    assert_true(report_num(h, "qemu_peak_rss_mib") == 302);
    assert_true(report_num(r, "median") == 42 && report_num(r, "qemu_peak_rss_mib") == 520);
    assert_true(report_num(f, "median") == 3 && report_num(f, "min") == 2.5 && report_num(f, "max") == 3.5);
    char *line = closing_line(s);
    assert_string_equal(line, "bench: harness median 11.00 s, reference median 42.00 s, floor median 3.00 s, "
                              "speedup 3.82, over floor 3.67");
    free(line);
    json_decref(s);
    json_decref(samples);
}

static void test_even_count(void **state)
{
    (void)state;
    json_t *samples = json_array();
    json_array_append_new(samples, sample("floor", 4, 1));
    json_array_append_new(samples, sample("floor", 2, 1));
    json_t *s = report_bench_summary(samples);
    assert_true(report_num(json_object_get(s, "floor"), "median") == 3);
    json_decref(s);
    json_decref(samples);
}

static void test_no_floor(void **state)
{
    (void)state;
    json_t *samples = three_rounds(false);
    json_t *s = report_bench_summary(samples);
    assert_true(report_num(s, "over_floor") == 0);
    char *line = closing_line(s);
    assert_string_equal(line, "bench: harness median 11.00 s, reference median 42.00 s, floor median 0.00 s, "
                              "speedup 3.82, over floor 0.00");
    free(line);
    json_decref(s);
    json_decref(samples);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_medians_and_line),
        cmocka_unit_test(test_even_count),
        cmocka_unit_test(test_no_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
