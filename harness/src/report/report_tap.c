/* TAP (version 13) for prove and bats users: one test per image and
 * scenario; skip is a TAP skip, error is a failure. */
#include "report/report.h"

#include <string.h>

void report_tap_run(json_t *unsafe_run, FILE *out, int *counter)
{
    json_t *run = report_safe_copy(unsafe_run);
    size_t i;
    json_t *sc;
    json_array_foreach(json_object_get(run, "scenarios"), i, sc) {
        enum report_status st = report_scenario_status(sc);
        const char *reason = report_str(sc, "reason");
        int n = ++*counter;
        if (st == REPORT_PASS)
            fprintf(out, "ok %d - %s %s\n", n, report_str(run, "image"), report_str(sc, "name"));
        else if (st == REPORT_SKIP)
            fprintf(out, "ok %d - %s %s # SKIP %.*s\n", n, report_str(run, "image"), report_str(sc, "name"),
                    (int)strcspn(reason, "\n"), reason);
        else {
            fprintf(out, "not ok %d - %s %s (%s)\n", n, report_str(run, "image"), report_str(sc, "name"),
                    report_status_name(st));
            /* Diagnostics, one line each, never a bare "#" that TAP reads as a directive. */
            fputs("# ", out);
            for (const char *c = reason; *c; c++)
                fputc(*c == '\n' || *c == '\r' ? ' ' : *c, out);
            fputc('\n', out);
        }
    }
    fflush(out);
    json_decref(run);
}
