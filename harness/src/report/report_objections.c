/* "Objections, measured" in report.md and report.html: one row per
 * objection and image from report.json's "objections", then each image's
 * exposure table. */
#define _GNU_SOURCE
#include "report/report.h"

#include <string.h>

/* A table cell: pipes escaped, line ends as spaces, an empty value as a dash. */
static void cell(FILE *out, const char *s)
{
    if (!s || !*s) {
        fputs(" - |", out);
        return;
    }
    fputc(' ', out);
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
    }
    fputs(" |", out);
}

static void objection_rows(json_t *row, FILE *out)
{
    json_t *measured = json_object_get(row, "measured"), *m;
    size_t i;
    if (json_array_size(measured) == 0) {
        fputs("|", out);
        cell(out, report_str(row, "objection"));
        cell(out, report_str(row, "scenario"));
        const char *known = report_str(row, "known");
        cell(out, known[0] ? known : "not run");
        cell(out, known[0] ? "" : "not run");
        cell(out, report_str(row, "mitigation"));
        fputc('\n', out);
        return;
    }
    json_array_foreach(measured, i, m) {
        fputs("|", out);
        cell(out, report_str(row, "objection"));
        char where[160];
        snprintf(where, sizeof where, "%s on %s (%s)", report_str(row, "scenario"), report_str(m, "image"),
                 report_str(m, "status"));
        cell(out, where);
        cell(out, report_str(m, "without"));
        cell(out, report_str(m, "with"));
        cell(out, report_str(row, "mitigation"));
        fputc('\n', out);
    }
}

static void exposure_table(json_t *run, FILE *out)
{
    size_t k, i;
    json_t *sc, *l;
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        json_t *table = json_object_get(sc, "exposure");
        if (!json_is_object(table))
            continue;
        fprintf(out, "Bound in 80-1023 on %s (scenario %s):\n\n| port | protocol | address | uid | process | unit |\n"
                     "|---|---|---|---|---|---|\n",
                report_str(run, "image"), report_str(sc, "name"));
        json_array_foreach(json_object_get(table, "listen"), i, l)
            fprintf(out, "| %lld | %s | %s | %lld | %s | %s |\n",
                    (long long)json_integer_value(json_object_get(l, "port")), report_str(l, "proto"),
                    report_str(l, "addr"), (long long)json_integer_value(json_object_get(l, "uid")),
                    report_str(l, "comm"), report_str(l, "unit"));
        fputs("\n/etc/services names in 80-1023 and what an unprivileged bind (tcp4 or udp4) got:\n\n", out);
        const char *result;
        json_t *names, *n;
        json_object_foreach(json_object_get(table, "services"), result, names) {
            fprintf(out, "- %s (%zu):", result, json_array_size(names));
            json_array_foreach(names, i, n)
                fprintf(out, " %s", json_string_value(n));
            fputc('\n', out);
        }
        fputc('\n', out);
    }
}

void report_objections_table_md(json_t *report, FILE *out)
{
    json_t *row;
    size_t i;
    fputs("| objection | scenario | without the package | with it | mitigation |\n|---|---|---|---|---|\n", out);
    json_array_foreach(json_object_get(report, "objections"), i, row)
        objection_rows(row, out);
    fputc('\n', out);
}

void report_objections_md(json_t *report, FILE *out)
{
    json_t *rows = json_object_get(report, "objections"), *run;
    size_t i;
    if (json_array_size(rows) == 0)
        return;
    fputs("## Objections, measured\n\n"
          "What opening 80-1023 to every local user costs, as the scenarios saw it. A scenario passes when what "
          "it saw matches what its summary says the kernel does, also when that is a finding against the "
          "package.\n\n",
          out);
    report_objections_table_md(report, out);
    json_array_foreach(json_object_get(report, "runs"), i, run)
        exposure_table(run, out);
}

static void html_cell(FILE *out, const char *s)
{
    fputs("<td>", out);
    report_xml_text(out, s && *s ? s : "-");
    fputs("</td>", out);
}

void report_objections_html(json_t *report, FILE *out)
{
    json_t *rows = json_object_get(report, "objections"), *row, *m, *run, *sc, *l;
    size_t i, j, k;
    if (json_array_size(rows) == 0)
        return;
    fputs("<h2 id=\"objections\">Objections, measured</h2>\n<p>What opening 80-1023 to every local user costs, "
          "as the scenarios saw it. A scenario passes when what it saw matches what its summary says the kernel "
          "does, also when that is a finding against the package.</p>\n<div class=\"wide\">\n<table>\n<thead><tr>"
          "<th>objection</th><th>scenario</th><th>without the package</th><th>with it</th><th>mitigation</th>"
          "</tr></thead>\n<tbody>\n",
          out);
    json_array_foreach(rows, i, row) {
        json_t *measured = json_object_get(row, "measured");
        const char *known = report_str(row, "known");
        if (json_array_size(measured) == 0) {
            fputs("<tr>", out);
            html_cell(out, report_str(row, "objection"));
            html_cell(out, report_str(row, "scenario"));
            html_cell(out, known[0] ? known : "not run");
            html_cell(out, known[0] ? "" : "not run");
            html_cell(out, report_str(row, "mitigation"));
            fputs("</tr>\n", out);
        }
        json_array_foreach(measured, j, m) {
            char where[160];
            snprintf(where, sizeof where, "%s on %s (%s)", report_str(row, "scenario"), report_str(m, "image"),
                     report_str(m, "status"));
            fputs("<tr>", out);
            html_cell(out, report_str(row, "objection"));
            html_cell(out, where);
            html_cell(out, report_str(m, "without"));
            html_cell(out, report_str(m, "with"));
            html_cell(out, report_str(row, "mitigation"));
            fputs("</tr>\n", out);
        }
    }
    fputs("</tbody>\n</table>\n</div>\n", out);
    json_array_foreach(json_object_get(report, "runs"), i, run)
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            json_t *table = json_object_get(sc, "exposure");
            if (!json_is_object(table))
                continue;
            fputs("<h3>Bound in 80-1023 on ", out);
            report_xml_text(out, report_str(run, "image"));
            fputs("</h3>\n<table>\n<thead><tr><th>port</th><th>protocol</th><th>address</th><th>uid</th>"
                  "<th>process</th><th>unit</th></tr></thead>\n<tbody>\n",
                  out);
            json_array_foreach(json_object_get(table, "listen"), j, l) {
                char port[16], uid[24];
                snprintf(port, sizeof port, "%lld", (long long)json_integer_value(json_object_get(l, "port")));
                snprintf(uid, sizeof uid, "%lld", (long long)json_integer_value(json_object_get(l, "uid")));
                fputs("<tr>", out);
                html_cell(out, port);
                html_cell(out, report_str(l, "proto"));
                html_cell(out, report_str(l, "addr"));
                html_cell(out, uid);
                html_cell(out, report_str(l, "comm"));
                html_cell(out, report_str(l, "unit"));
                fputs("</tr>\n", out);
            }
            fputs("</tbody>\n</table>\n", out);
        }
}
