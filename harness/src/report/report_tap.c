/* TAP (version 13) for prove and bats users: one test per image and
 * scenario; skip is a TAP skip, error is a failure. */
#include "report/report.h"

#include <string.h>

void report_tap_run(json_t *run, FILE *out, int *counter)
{
    size_t i;
    json_t *sc;
    json_array_foreach(json_object_get(run, "scenarios"), i, sc) {
        const char *st = report_str(sc, "status");
        const char *reason = report_str(sc, "reason");
        int n = ++*counter;
        if (strcmp(st, "pass") == 0)
            fprintf(out, "ok %d - %s %s\n", n, report_str(run, "image"), report_str(sc, "name"));
        else if (strcmp(st, "skip") == 0)
            fprintf(out, "ok %d - %s %s # SKIP %.*s\n", n, report_str(run, "image"), report_str(sc, "name"),
                    (int)strcspn(reason, "\n"), reason);
        else {
            fprintf(out, "not ok %d - %s %s (%s)\n", n, report_str(run, "image"), report_str(sc, "name"), st);
            /* Diagnostics, one line each, never a bare "#" that TAP reads as a directive. */
            fputs("# ", out);
            for (const char *c = reason; *c; c++)
                fputc(*c == '\n' || *c == '\r' ? ' ' : *c, out);
            fputc('\n', out);
        }
    }
    fflush(out);
}
