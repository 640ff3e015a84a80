/* The facts both proposal drafts state, one item a line, so the Fedora
 * Change and the Debian bug cannot tell two stories: which scenarios did not
 * pass, and which images ran what. Each string from the report goes through
 * the caller's text writer (Markdown escaping, or plain text). */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

int report_list_problems(json_t *report, FILE *out, const char *bullet, void (*text)(FILE *, const char *))
{
    size_t i, k;
    json_t *run, *sc;
    int n = 0;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            const char *st = report_str(sc, "status");
            if (strcmp(st, "pass") == 0 || strcmp(st, "skip") == 0)
                continue;
            const char *reason = report_str(sc, "reason");
            char first[256];
            snprintf(first, sizeof first, "%.*s", (int)strcspn(reason, "\n"), reason);
            fputs(bullet, out);
            text(out, report_str(run, "image"));
            fputs(", ", out);
            text(out, report_str(sc, "name"));
            fputs(": ", out);
            /* A status outside the four is an error, as everywhere else. */
            fputs(strcmp(st, "fail") == 0 ? "failed" : "error", out);
            if (first[0]) {
                fputs(": ", out);
                text(out, first);
            }
            fputc('\n', out);
            n++;
        }
    }
    return n;
}

static void list_images(json_t *report, FILE *out, const char *bullet, void (*text)(FILE *, const char *))
{
    size_t i, k;
    json_t *run, *sc;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        int pass = 0, ran = 0;
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            const char *st = report_str(sc, "status");
            pass += strcmp(st, "pass") == 0;
            ran += strcmp(st, "skip") != 0;
        }
        if (!report_run_ran(run))
            continue; /* report_not_run names it */
        fputs(bullet, out);
        text(out, report_str(run, "image"));
        fputs(" (", out);
        text(out, report_str(run, "os"));
        fputs(", kernel ", out);
        text(out, report_str(run, "kernel"));
        fputs(", ", out);
        text(out, report_str(run, "init"));
        fprintf(out, "): %d of %d scenarios passed:", pass, ran);
        bool first = true;
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            if (strcmp(report_str(sc, "status"), "pass") != 0)
                continue;
            fputs(first ? " " : ", ", out);
            first = false;
            text(out, report_str(sc, "name"));
        }
        if (first)
            fputs(" none", out);
        fputs(".\n", out);
    }
}

/* The baseline of each image that ran one to an end: the checks can fail. */
static void list_controls(json_t *report, FILE *out, const char *bullet, void (*text)(FILE *, const char *))
{
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        const char *sysctl, *tcp80;
        enum report_status status;
        if (!report_run_ran(run) || !report_baseline_facts(run, &sysctl, &tcp80, &status) ||
            (status != REPORT_PASS && status != REPORT_FAIL))
            continue;
        fputs(bullet, out);
        fputs("Negative control on ", out);
        text(out, report_str(run, "image"));
        fputs(", without the setting: ip_unprivileged_port_start = ", out);
        text(out, sysctl);
        fputs(", an unprivileged bind to tcp4:80 got ", out);
        text(out, tcp80);
        fputs(" (baseline scenario: ", out);
        text(out, report_status_name(status));
        fputs(").\n", out);
    }
    fprintf(out, "%sWith the setting, ports 22, 25, 53 and 79 must still give EACCES: it opens 80 and up, nothing "
                 "below.\n",
            bullet);
}

void report_list_evidence(json_t *report, FILE *out, const char *bullet, void (*text)(FILE *, const char *))
{
    struct report_counts c = report_count(report);
    list_images(report, out, bullet, text);
    char *idle = report_not_run(report);
    if (idle) {
        fputs(bullet, out);
        text(out, idle);
        fputs(".\n", out);
        free(idle);
    }
    fprintf(out, "\nIn all: %d passed, %d failed, %d errors, %d skipped, on %zu image(s) where something ran.\n\n",
            c.pass, c.fail, c.error, c.skip, report_images_ran(report));
    list_controls(report, out, bullet, text);
}

bool report_distro_default_passed(json_t *report)
{
    size_t i, k;
    json_t *run, *sc;
    json_array_foreach(json_object_get(report, "runs"), i, run)
        json_array_foreach(json_object_get(run, "scenarios"), k, sc)
            if (strcmp(report_str(sc, "name"), "distro-default") == 0 &&
                strcmp(report_str(sc, "status"), "pass") == 0)
                return true;
    return false;
}

void report_provenance(json_t *report, FILE *out, void (*text)(FILE *, const char *))
{
    fputs("(portcheck ", out);
    text(out, report_str(report, "version"));
    fputs(", run started ", out);
    text(out, report_str(report, "started"));
    fputs(".)\n\n", out);
}
