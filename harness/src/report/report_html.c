/* report.html: the evidence of report.md for a browser, in one file that
 * works offline and can be attached to a bug: inline CSS and SVG only, no
 * script, no external asset. Every string from the report is escaped, and
 * the markup is also well-formed XML (void elements closed, no named
 * entities), so `xmllint --noout` can prove the escaping in tests. */
#define _GNU_SOURCE
#include "report/report.h"

#include "base/util.h"

#include <string.h>

/* A status's CSS class is its name: only the four exist, so a report with
 * an odd status cannot inject a class name (it reads as an error). */

static const char css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1d1d1f}"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3}"
    ".wide{overflow-x:auto}td.cell{text-align:center;font-weight:600;min-width:4em}td.cell a{color:inherit;text-decoration:none}"
    ".pass{background:#d9f2dc;color:#11561c}.fail{background:#f9d6d5;color:#8a1010}"
    ".skip{background:#eeeeee;color:#555}.error{background:#fde8c8;color:#8a4b00}"
    ".none{background:#fff;color:#999}"
    ".badge{display:inline-block;padding:0 .5em;border-radius:.3em;font-weight:600}"
    ".summary{font-size:1.1em;padding:.6em 1em;border-radius:.4em}"
    ".warn{background:#fff4ce;padding:.5em 1em;border-left:4px solid #e0a800}"
    "tr.mismatch td{background:#f9d6d5}"
    "details{margin:.4em 0;border:1px solid #ddd;border-radius:.3em;padding:.2em .6em}"
    "summary{cursor:pointer}pre{white-space:pre-wrap;background:#f7f7f7;padding:.5em;overflow-x:auto}"
    "code{background:#f3f3f3;padding:0 .2em}.meta{color:#555}"
    "svg text{font:12px system-ui,sans-serif;fill:#1d1d1f}";

static void head(json_t *report, FILE *out)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
          "<title>unprivileged-ports: evidence report</title>\n<style>",
          out);
    fputs(css, out);
    fputs("</style>\n</head>\n<body>\n<h1>unprivileged-ports: evidence report</h1>\n<p class=\"meta\">portcheck ",
          out);
    report_xml_text(out, report_str(report, "version"));
    fputs(", started ", out);
    report_xml_text(out, report_str(report, "started"));
    fputs("</p>\n", out);
}

static void html_spans(FILE *out, const struct report_block *blk)
{
    for (size_t i = 0; i < blk->nspans; i++) {
        const struct report_span *sp = &blk->spans[i];
        const char *close = "";
        switch (sp->kind) {
        case REPORT_SPAN_TEXT: break;
        case REPORT_SPAN_CODE: fputs("<code>", out), close = "</code>"; break;
        case REPORT_SPAN_STRONG: fputs("<strong>", out), close = "</strong>"; break;
        case REPORT_SPAN_STATUS:
            fprintf(out, "<span class=\"badge %s\">", report_status_name(report_status_parse(sp->text)));
            close = "</span>";
            break;
        }
        report_xml_text(out, sp->text);
        fputs(close, out);
    }
}

static void summary(json_t *report, FILE *out)
{
    enum report_status tone;
    struct report_block sentence = report_summary(report, &tone);
    fprintf(out, "<p class=\"summary %s\" id=\"summary\">", report_status_name(tone));
    html_spans(out, &sentence);
    fputs("</p>\n", out);
    report_block_free(&sentence);
    cleanup_free char *idle = report_not_run(report);
    if (idle) {
        fputs("<p class=\"warn\" id=\"not-run\">", out);
        report_xml_text(out, idle);
        fputs(".</p>\n", out);
    }
    const char *note = report_incomplete_note(report);
    if (note)
        fprintf(out, "<p class=\"warn\">%s</p>\n", note);
}

static void matrix(json_t *report, FILE *out)
{
    json_t *runs = json_object_get(report, "runs");
    struct report_columns cols = report_columns(report);
    size_t i, k;
    json_t *run;
    /* Many scenarios make a wide table: it scrolls, the page does not. */
    fputs("<h2 id=\"matrix\">Matrix</h2>\n<div class=\"wide\">\n<table class=\"matrix\">\n<thead><tr><th>image</th><th>kernel</th>"
          "<th>init</th><th>package</th>",
          out);
    for (size_t c = 0; c < cols.n; c++) {
        fputs("<th>", out);
        report_xml_text(out, cols.names[c]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    json_array_foreach(runs, i, run) {
        json_t *pkg = json_object_get(run, "package");
        fputs("<tr><th scope=\"row\"><a href=\"#img", out);
        fprintf(out, "%zu\">", i);
        report_xml_text(out, report_str(run, "image"));
        fputs("</a></th><td>", out);
        report_xml_text(out, report_str(run, "kernel"));
        fputs("</td><td>", out);
        report_xml_text(out, report_str(run, "init"));
        fputs("</td><td>", out);
        if (json_is_object(pkg)) {
            report_xml_text(out, report_str(pkg, "name"));
            fputc(' ', out);
            report_xml_text(out, report_str(pkg, "version"));
            fputs(" (", out);
            report_xml_text(out, report_str(pkg, "format"));
            fputc(')', out);
        }
        fputs("</td>", out);
        for (size_t c = 0; c < cols.n; c++) {
            json_t *sc = report_find_scenario(run, cols.names[c], &k);
            if (!sc) {
                fputs("<td class=\"cell none\">&#8211;</td>", out);
                continue;
            }
            const char *st = report_status_name(report_scenario_status(sc));
            const char *reason = report_str(sc, "reason");
            fprintf(out, "<td class=\"cell %s\"", st);
            if (reason[0]) {
                fputs(" title=\"", out);
                report_xml_text(out, reason);
                fputc('"', out);
            }
            fprintf(out, "><a href=\"#img%zu-sc%zu\">%s</a></td>", i, k, st);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n</div>\n", out);
    report_columns_free(&cols);
}

/* A round axis end: 1, 2 or 5 times a power of ten, at least v. A loop,
 * not log10(), so portcheck needs no libm. */
static double nice_ceiling(double v)
{
    if (!(v >= 0.001))
        return 1;
    if (v > 1e9)
        return v;
    double p = 1;
    while (p > v)
        p /= 10;
    while (p * 10 < v)
        p *= 10;
    static const int steps[] = {1, 2, 5, 10};
    for (size_t m = 0; m < sizeof steps / sizeof *steps; m++)
        if (steps[m] * p >= v)
            return steps[m] * p;
    return 10 * p;
}

/* Boot times as an inline SVG bar chart: per image the mean seconds from
 * qemu start (or the reboot command) to the agent's first facts, with a
 * whisker from the fastest to the slowest boot. */
static void boot_chart(json_t *report, FILE *out)
{
    json_t *runs = json_object_get(report, "runs");
    size_t nruns = json_array_size(runs);
    double max = 0;
    size_t i, k;
    json_t *run, *boot;
    json_array_foreach(runs, i, run)
        json_array_foreach(json_object_get(run, "boots"), k, boot)
            if (report_num(boot, "seconds_to_verdict") > max)
                max = report_num(boot, "seconds_to_verdict");
    fputs("<h2 id=\"boots\">Boot times</h2>\n", out);
    if (max <= 0) {
        fputs("<p>No boot timings in this report.</p>\n", out);
        return;
    }
    const int label_w = 190, plot_w = 420, value_w = 270, row_h = 30, top = 10, axis_h = 34;
    double scale = nice_ceiling(max);
    int height = top + (int)nruns * row_h + axis_h;
    int width = label_w + plot_w + value_w;
    fprintf(out,
            "<svg id=\"boot-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"boot-chart-title\">\n"
            "<title id=\"boot-chart-title\">Boot time per image, seconds (mean, with fastest and slowest "
            "boot)</title>\n",
            width, height, width, height);
    /* Grid lines and the axis: five steps of a round scale. */
    for (int t = 0; t <= 5; t++) {
        double x = label_w + plot_w * t / 5.0;
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g s</text>\n",
                x, top, x, top + (int)nruns * row_h, x, top + (int)nruns * row_h + 16, scale * t / 5.0);
    }
    json_array_foreach(runs, i, run) {
        int y = top + (int)i * row_h;
        double sum = 0, lo = 0, hi = 0;
        size_t n = 0;
        json_array_foreach(json_object_get(run, "boots"), k, boot) {
            double s = report_num(boot, "seconds_to_verdict");
            if (s <= 0)
                continue;
            sum += s;
            lo = n == 0 || s < lo ? s : lo;
            hi = s > hi ? s : hi;
            n++;
        }
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + row_h / 2 + 4);
        report_xml_text(out, report_str(run, "image"));
        fputs("</text>\n", out);
        if (n == 0) {
            fprintf(out, "<text x=\"%d\" y=\"%d\">no boots</text>\n", label_w + 4, y + row_h / 2 + 4);
            continue;
        }
        double mean = sum / (double)n;
        fprintf(out,
                "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#4a7bd0\"/>"
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#a33\" stroke-width=\"2\"/>\n",
                label_w, y + 6, plot_w * mean / scale, row_h - 12, label_w + plot_w * lo / scale,
                y + row_h / 2, label_w + plot_w * hi / scale, y + row_h / 2);
        fprintf(out, "<text x=\"%d\" y=\"%d\">%.1f s mean, %zu boot%s (%.1f&#8211;%.1f s)</text>\n",
                label_w + plot_w + 8, y + row_h / 2 + 4, mean, n, n == 1 ? "" : "s", lo, hi);
    }
    fputs("</svg>\n", out);
}

static void checks_table(json_t *sc, FILE *out)
{
    size_t j;
    json_t *ck;
    fputs("<table class=\"checks\">\n<thead><tr><th>check</th><th>expected</th><th>got</th><th></th></tr></thead>\n"
          "<tbody>\n",
          out);
    json_array_foreach(json_object_get(sc, "checks"), j, ck) {
        bool ok = json_is_true(json_object_get(ck, "ok"));
        fputs(ok ? "<tr><td>" : "<tr class=\"mismatch\"><td>", out);
        report_xml_text(out, report_str(ck, "what"));
        fputs("</td><td>", out);
        report_xml_text(out, report_str(ck, "expect"));
        fputs("</td><td>", out);
        report_xml_text(out, report_str(ck, "got"));
        fputs(ok ? "</td><td>ok</td></tr>\n" : "</td><td><strong>MISMATCH</strong></td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void scenario_details(json_t *sc, size_t i, size_t k, FILE *out)
{
    size_t j;
    json_t *ck;
    int ok = 0, n = 0;
    json_array_foreach(json_object_get(sc, "checks"), j, ck) {
        n++;
        ok += json_is_true(json_object_get(ck, "ok"));
    }
    enum report_status st = report_scenario_status(sc);
    /* What did not pass is open from the start: that is what a reader wants. */
    fprintf(out, "<details id=\"img%zu-sc%zu\"%s><summary><span class=\"badge %s\">%s</span> <strong>", i, k,
            st == REPORT_PASS ? "" : " open=\"open\"", report_status_name(st), report_status_name(st));
    report_xml_text(out, report_str(sc, "name"));
    fprintf(out, "</strong>: %d/%d checks held, %.1f s</summary>\n<p>", ok, n, report_num(sc, "seconds"));
    report_xml_text(out, report_str(sc, "summary"));
    fputs("</p>\n", out);
    const char *reason = report_str(sc, "reason");
    if (reason[0]) {
        fputs("<pre class=\"reason\">", out);
        report_xml_text(out, reason);
        fputs("</pre>\n", out);
    }
    if (n)
        checks_table(sc, out);
    const char *log = report_str(sc, "console_log");
    if (log[0]) {
        fputs("<p class=\"meta\">console log: <code>", out);
        report_xml_text(out, log);
        fputs("</code></p>\n", out);
    }
    fputs("</details>\n", out);
}

static void image_section(json_t *run, size_t i, FILE *out)
{
    size_t k;
    json_t *sc;
    fprintf(out, "<section id=\"img%zu\">\n<h3>", i);
    report_xml_text(out, report_str(run, "image"));
    fputs("</h3>\n<ul>\n", out);
    struct report_section facts = report_run_facts(run);
    for (size_t f = 0; f < facts.nblocks; f++) {
        fputs("<li>", out);
        html_spans(out, &facts.blocks[f]);
        fputs("</li>\n", out);
    }
    report_section_free(&facts);
    fputs("</ul>\n", out);
    json_array_foreach(json_object_get(run, "scenarios"), k, sc)
        scenario_details(sc, i, k, out);
    fputs("</section>\n", out);
}

/* The shared prose (report_prose) in HTML. */
static void prose(json_t *report, FILE *out)
{
    struct report_prose p = report_prose(report);
    for (size_t s = 0; s < p.nsections; s++) {
        const struct report_section *sec = &p.sections[s];
        fprintf(out, "<h2 id=\"%s\">%s</h2>\n", sec->id, sec->title);
        for (size_t b = 0; b < sec->nblocks; b++) {
            const struct report_block *blk = &sec->blocks[b];
            bool item = blk->kind == REPORT_ITEM;
            bool first_item = item && (b == 0 || sec->blocks[b - 1].kind != REPORT_ITEM);
            bool last_item = item && (b + 1 == sec->nblocks || sec->blocks[b + 1].kind != REPORT_ITEM);
            fputs(first_item ? "<ul>\n<li>" : item ? "<li>" : "<p>", out);
            html_spans(out, blk);
            fputs(last_item ? "</li>\n</ul>\n" : item ? "</li>\n" : "</p>\n", out);
        }
    }
    report_prose_free(&p);
}

static void render(json_t *report, FILE *out)
{
    head(report, out);
    summary(report, out);
    matrix(report, out);
    boot_chart(report, out);
    fputs("<h2 id=\"images\">Images</h2>\n", out);
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(report, "runs"), i, run)
        image_section(run, i, out);
    prose(report, out);
    report_objections_html(report, out);
    fputs("<h2 id=\"reproduce\">Reproduce</h2>\n<pre>", out);
    report_xml_text(out, report_str(report, "command"));
    fputs("</pre>\n<p class=\"meta\">accelerator choice: ", out);
    report_xml_text(out, report_str(report, "accel_reason"));
    fputs("</p>\n</body>\n</html>\n", out);
}

void report_render_html(json_t *report, FILE *out)
{
    report_render_safe(report, out, render);
}

bool report_write_html(json_t *report, const char *path)
{
    return report_write_stream(path, report_render_html, report);
}
