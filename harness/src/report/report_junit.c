/* JUnit XML, the common schema CI systems read: one testsuite per image,
 * one testcase per scenario, failure text with the checks and the reason. */
#include "report/report.h"

static void render(json_t *report, FILE *out)
{
    struct report_counts all = report_count(report);
    size_t i, k, j;
    json_t *run, *sc, *ck;
    double total = 0;
    json_array_foreach(json_object_get(report, "runs"), i, run)
        json_array_foreach(json_object_get(run, "scenarios"), k, sc)
            total += report_num(sc, "seconds");
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    /* No "skipped" here: Jenkins' schema (harness/schema/junit.xsd) has it
     * on testsuite only, and readers count skips from there. */
    fprintf(out, "<testsuites name=\"portcheck\" tests=\"%d\" failures=\"%d\" errors=\"%d\" time=\"%.3f\">\n",
            all.pass + all.fail + all.skip + all.error, all.fail, all.error, total);
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        int n = 0, fail = 0, err = 0, skip = 0;
        double secs = 0;
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            enum report_status st = report_scenario_status(sc);
            n++;
            fail += st == REPORT_FAIL;
            err += st == REPORT_ERROR;
            skip += st == REPORT_SKIP;
            secs += report_num(sc, "seconds");
        }
        fputs("  <testsuite name=\"", out);
        report_xml_text(out, report_str(run, "image"));
        fprintf(out, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n", n, fail, err,
                skip, secs);
        fputs("    <properties>\n", out);
        const char *props[] = {"kernel", "init", "os", "accel", "recipe_hash"};
        for (size_t p = 0; p < sizeof props / sizeof *props; p++) {
            fprintf(out, "      <property name=\"%s\" value=\"", props[p]);
            report_xml_text(out, report_str(run, props[p]));
            fputs("\"/>\n", out);
        }
        fputs("    </properties>\n", out);
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            enum report_status st = report_scenario_status(sc);
            fputs("    <testcase classname=\"", out);
            report_xml_text(out, report_str(run, "image"));
            fputs("\" name=\"", out);
            report_xml_text(out, report_str(sc, "name"));
            fprintf(out, "\" time=\"%.3f\"", report_num(sc, "seconds"));
            if (st == REPORT_PASS) {
                fputs("/>\n", out);
                continue;
            }
            fputs(">\n", out);
            const char *tag = st == REPORT_FAIL ? "failure" : st == REPORT_SKIP ? "skipped" : "error";
            fprintf(out, "      <%s message=\"", tag);
            report_xml_text(out, report_str(sc, "reason"));
            fputs("\"", out);
            if (st == REPORT_SKIP) {
                fputs("/>\n    </testcase>\n", out);
                continue;
            }
            fprintf(out, " type=\"%s\">", report_status_name(st));
            json_array_foreach(json_object_get(sc, "checks"), j, ck) {
                if (json_is_true(json_object_get(ck, "ok")))
                    continue;
                report_xml_text(out, report_str(ck, "what"));
                fputs(": expected ", out);
                report_xml_text(out, report_str(ck, "expect"));
                fputs(", got ", out);
                report_xml_text(out, report_str(ck, "got"));
                fputc('\n', out);
            }
            report_xml_text(out, report_str(sc, "reason"));
            fprintf(out, "</%s>\n    </testcase>\n", tag);
        }
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
}

void report_render_junit(json_t *report, FILE *out)
{
    report_render_safe(report, out, render);
}

bool report_write_junit(json_t *report, const char *path)
{
    return report_write_stream(path, report_render_junit, report);
}
