/* The terminal matrix: images as rows, scenarios as columns. */
#include "report/report.h"

#include "base/util.h"

#include <string.h>

void report_print_matrix(json_t *report, FILE *out)
{
    json_t *runs = json_object_get(report, "runs");
    json_t *first = json_array_get(runs, 0);
    if (!first)
        return;
    size_t i, k;
    json_t *run, *sc;
    fprintf(out, "\n%-26s", "image");
    json_array_foreach(json_object_get(first, "scenarios"), k, sc)
        fprintf(out, " %-10s", report_str(sc, "name"));
    fputc('\n', out);
    json_array_foreach(runs, i, run) {
        fprintf(out, "%-26s", report_str(run, "image"));
        json_array_foreach(json_object_get(run, "scenarios"), k, sc)
            fprintf(out, " %-10s", report_str(sc, "status"));
        fputc('\n', out);
    }
    struct report_counts c = report_count(report);
    fprintf(out, "\n%d pass, %d fail, %d skip, %d error on %zu image(s)\n", c.pass, c.fail, c.skip, c.error,
            report_images_ran(report));
    cleanup_free char *idle = report_not_run(report);
    if (idle)
        fprintf(out, "%s\n", idle);
}
