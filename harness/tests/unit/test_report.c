/* Unit tests of the report layer's shared pieces (harness/src/report/).
 *
 * What this proves:
 *  - the status is one enum: each of the four names reads back as itself,
 *    and anything else (empty, unknown, a near miss) reads as an error;
 *  - the matrix's columns are every scenario name of every run, once each,
 *    in the order first seen, when two images ran different scenarios in
 *    different orders;
 *  - the terminal matrix puts each status under its own column by name and
 *    "-" where an image did not run a scenario (the negative control: the
 *    old by-position matrix put fedora's kernel-cmdline pass under
 *    baseline);
 *  - report_safe_copy strips a guest's escape sequences from every string,
 *    nested ones included, and leaves the original alone;
 *  - the headline claims 80 and 1024 only for the images where a passing
 *    scenario's check showed them: a preinstalled image (no baseline) is
 *    counted out of "without it", and a run with no 1024 check at all says
 *    so (the negative control: a skipped baseline that holds the check does
 *    not count). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "report/report.h"

#include <stdlib.h>
#include <string.h>

static const char reordered[] =
    "{\"runs\": ["
    " {\"image\": \"debian-bookworm\", \"scenarios\": ["
    "   {\"name\": \"baseline\", \"status\": \"pass\"},"
    "   {\"name\": \"install\", \"status\": \"fail\"},"
    "   {\"name\": \"kernel-cmdline\", \"status\": \"skip\"}]},"
    " {\"image\": \"fedora-40\", \"scenarios\": ["
    "   {\"name\": \"kernel-cmdline\", \"status\": \"pass\"},"
    "   {\"name\": \"reboot\", \"status\": \"error\"},"
    "   {\"name\": \"baseline\", \"status\": \"skip\"}]}]}";

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    assert_non_null(j);
    return j;
}

#define SYSCTL_CHECK(v) "{\"what\": \"sysctl\", \"expect\": \"" v "\", \"got\": \"" v "\", \"ok\": true}"
#define PREINSTALLED_RUN                                                                                          \
    " {\"image\": \"debian-bookworm-preinstalled\", \"scenarios\": ["                                             \
    "   {\"name\": \"preinstalled\", \"status\": \"pass\", \"checks\": [" SYSCTL_CHECK("80") "]}]}"

/* The headline's text, spans joined. */
static char *summary_text(const char *report_text)
{
    json_t *report = load(report_text);
    enum report_status tone;
    struct report_block b = report_summary(report, &tone);
    size_t len = 1;
    for (size_t i = 0; i < b.nspans; i++)
        len += strlen(b.spans[i].text);
    char *text = calloc(1, len);
    assert_non_null(text);
    for (size_t i = 0; i < b.nspans; i++)
        strcat(text, b.spans[i].text);
    report_block_free(&b);
    json_decref(report);
    return text;
}

static void test_headline_claims_only_what_passed(void **state)
{
    (void)state;
    char *both = summary_text(
        "{\"runs\": ["
        " {\"image\": \"debian-bookworm\", \"scenarios\": ["
        "   {\"name\": \"baseline\", \"status\": \"pass\", \"checks\": [" SYSCTL_CHECK("1024") "]},"
        "   {\"name\": \"install\", \"status\": \"pass\", \"checks\": [" SYSCTL_CHECK("80") "]}]},"
        PREINSTALLED_RUN "]}");
    assert_non_null(strstr(both, "on 2 image(s). With the package's setting an unprivileged process binds 80"));
    assert_non_null(strstr(both, "Without it (on 1 of the 2) the kernel default (1024) holds."));
    free(both);

    char *alone = summary_text(
        "{\"runs\": ["
        " {\"image\": \"debian-bookworm\", \"scenarios\": ["
        "   {\"name\": \"baseline\", \"status\": \"skip\", \"checks\": [" SYSCTL_CHECK("1024") "]}]},"
        PREINSTALLED_RUN "]}");
    assert_null(strstr(alone, "Without it"));
    assert_non_null(strstr(alone, "No scenario in this run showed the kernel default (1024)"));
    free(alone);
}

static void test_status_names(void **state)
{
    (void)state;
    for (int st = REPORT_PASS; st <= REPORT_ERROR; st++)
        assert_int_equal(report_status_parse(report_status_name((enum report_status)st)), st);
    assert_string_equal(report_status_name(REPORT_SKIP), "skip");
    assert_int_equal(report_status_parse(""), REPORT_ERROR);
    assert_int_equal(report_status_parse("PASS"), REPORT_ERROR);
    assert_int_equal(report_status_parse("passed"), REPORT_ERROR);
    assert_int_equal(report_status_parse("weird\" onmouseover=\"x"), REPORT_ERROR);
}

static void test_columns_by_name(void **state)
{
    (void)state;
    json_t *r = load(reordered);
    struct report_columns cols = report_columns(r);
    const char *want[] = {"baseline", "install", "kernel-cmdline", "reboot"};
    assert_int_equal(cols.n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(cols.names[i], want[i]);
    size_t k = 99;
    json_t *fedora = json_array_get(json_object_get(r, "runs"), 1);
    json_t *sc = report_find_scenario(fedora, "baseline", &k);
    assert_non_null(sc);
    assert_int_equal(k, 2);
    assert_int_equal(report_scenario_status(sc), REPORT_SKIP);
    assert_null(report_find_scenario(fedora, "install", &k));
    report_columns_free(&cols);
    json_decref(r);
}

static void test_terminal_matrix(void **state)
{
    (void)state;
    json_t *r = load(reordered);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    report_print_matrix(r, mem);
    assert_int_equal(fclose(mem), 0);
    char want[512];
    snprintf(want, sizeof want, "\n%-26s %-10s %-10s %-10s %-10s\n%-26s %-10s %-10s %-10s %-10s\n%-26s %-10s %-10s %-10s %-10s\n",
             "image", "baseline", "install", "kernel-cmdline", "reboot", "debian-bookworm", "pass", "fail", "skip",
             "-", "fedora-40", "skip", "-", "pass", "error");
    assert_non_null(strstr(buf, "\n2 pass, 1 fail, 2 skip, 1 error on 2 image(s)\n"));
    assert_true(len >= strlen(want));
    buf[strlen(want)] = '\0';
    assert_string_equal(buf, want);
    free(buf);
    json_decref(r);
}

static void test_safe_copy(void **state)
{
    (void)state;
    json_t *r = load("{\"runs\": [{\"image\": \"a\\u001b]0;t\\u0007b\", \"scenarios\": [{\"reason\": "
                     "\"x\\u001b[2J\\u009b2Jy\"}]}]}");
    json_t *safe = report_safe_copy(r);
    json_t *run = json_array_get(json_object_get(safe, "runs"), 0);
    assert_string_equal(report_str(run, "image"), "a]0;tb");
    assert_string_equal(report_str(json_array_get(json_object_get(run, "scenarios"), 0), "reason"), "x[2J2Jy");
    /* The original keeps what the guest sent: report.json is the evidence. */
    assert_string_equal(report_str(json_array_get(json_object_get(r, "runs"), 0), "image"), "a\x1b]0;t\x07" "b");
    json_decref(safe);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_columns_by_name),
        cmocka_unit_test(test_terminal_matrix),
        cmocka_unit_test(test_safe_copy),
        cmocka_unit_test(test_headline_claims_only_what_passed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
