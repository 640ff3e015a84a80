/* The facts both proposal drafts state, one item a line, so the Fedora
 * Change and the Debian bug cannot tell two stories: which scenarios did not
 * pass, and which images ran what. Each string from the report goes through
 * the caller's text writer (Markdown escaping, or plain text). */
#include "report/report.h"

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

void report_list_images(json_t *report, FILE *out, const char *bullet, void (*text)(FILE *, const char *))
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
