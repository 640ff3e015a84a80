/* The terminal matrix: images as rows, scenarios as columns, a cell looked
 * up by name (an image that did not run a scenario shows "-"). */
#include "report/report.h"

#include "base/util.h"

#include <string.h>

static void print(json_t *report, FILE *out)
{
    json_t *runs = json_object_get(report, "runs");
    if (json_array_size(runs) == 0)
        return;
    struct report_columns cols = report_columns(report);
    size_t i, k;
    json_t *run;
    fprintf(out, "\n%-26s", "image");
    for (size_t c = 0; c < cols.n; c++)
        fprintf(out, " %-10s", cols.names[c]);
    fputc('\n', out);
    json_array_foreach(runs, i, run) {
        fprintf(out, "%-26s", report_str(run, "image"));
        for (size_t c = 0; c < cols.n; c++) {
            json_t *sc = report_find_scenario(run, cols.names[c], &k);
            fprintf(out, " %-10s", sc ? report_status_name(report_scenario_status(sc)) : "-");
        }
        fputc('\n', out);
    }
    report_columns_free(&cols);
    struct report_counts c = report_count(report);
    fprintf(out, "\n%d pass, %d fail, %d skip, %d error on %zu image(s)\n", c.pass, c.fail, c.skip, c.error,
            report_images_ran(report));
    cleanup_free char *idle = report_not_run(report);
    if (idle)
        fprintf(out, "%s\n", idle);
}

void report_print_matrix(json_t *report, FILE *out)
{
    report_render_safe(report, out, print);
}
