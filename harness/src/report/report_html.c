/* report.html: the evidence of report.md for a browser, in one file that
 * works offline and can be attached to a bug: inline CSS and SVG only, no
 * script, no external asset. Every string from the report is escaped, and
 * the markup is also well-formed XML (void elements closed, no named
 * entities), so `xmllint --noout` can prove the escaping in tests. */
#define _GNU_SOURCE
#include "report/report.h"

#include <string.h>

/* The CSS class of a status: only these four exist, so a report with an
 * odd status cannot inject a class name (report_count calls it an error). */
static const char *status_class(const char *st)
{
    if (strcmp(st, "pass") == 0 || strcmp(st, "fail") == 0 || strcmp(st, "skip") == 0)
        return st;
    return "error";
}

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

static void summary(json_t *report, FILE *out)
{
    struct report_counts c = report_count(report);
    size_t nimages = json_array_size(json_object_get(report, "runs"));
    if (c.fail == 0 && c.error == 0 && c.pass > 0)
        fprintf(out,
                "<p class=\"summary pass\" id=\"summary\"><strong>Result: every scenario that ran passed</strong> "
                "(%d passed, %d skipped) on %zu image(s): with the package installed an unprivileged process "
                "binds 80 and 443, ports below 80 stay privileged, and without it the kernel default (1024) "
                "holds.</p>\n",
                c.pass, c.skip, nimages);
    else
        fprintf(out,
                "<p class=\"summary %s\" id=\"summary\"><strong>Result: %d passed, %d failed, %d errors, %d "
                "skipped</strong> on %zu image(s).</p>\n",
                c.fail || c.error ? "fail" : "skip", c.pass, c.fail, c.error, c.skip, nimages);
    if (!json_is_true(json_object_get(report, "complete")))
        fputs("<p class=\"warn\">This run was interrupted: the report is incomplete.</p>\n", out);
}

/* The matrix's columns: every scenario name in the order first seen, so an
 * image that ran fewer scenarios still lines up. */
static json_t *scenario_columns(json_t *runs)
{
    json_t *cols = json_array();
    json_t *seen = json_object();
    size_t i, k;
    json_t *run, *sc;
    json_array_foreach(runs, i, run) {
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            const char *name = report_str(sc, "name");
            if (!json_object_get(seen, name)) {
                json_object_set_new(seen, name, json_true());
                json_array_append_new(cols, json_string(name));
            }
        }
    }
    json_decref(seen);
    return cols;
}

/* The index of scenario NAME in RUN, or -1. */
static long find_scenario(json_t *run, const char *name)
{
    size_t k;
    json_t *sc;
    json_array_foreach(json_object_get(run, "scenarios"), k, sc)
        if (strcmp(report_str(sc, "name"), name) == 0)
            return (long)k;
    return -1;
}

static void matrix(json_t *report, FILE *out)
{
    json_t *runs = json_object_get(report, "runs");
    json_t *cols = scenario_columns(runs);
    size_t i, k;
    json_t *run, *col;
    /* Many scenarios make a wide table: it scrolls, the page does not. */
    fputs("<h2 id=\"matrix\">Matrix</h2>\n<div class=\"wide\">\n<table class=\"matrix\">\n<thead><tr><th>image</th><th>kernel</th>"
          "<th>init</th><th>package</th>",
          out);
    json_array_foreach(cols, k, col) {
        fputs("<th>", out);
        report_xml_text(out, json_string_value(col));
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
        json_array_foreach(cols, k, col) {
            long s = find_scenario(run, json_string_value(col));
            if (s < 0) {
                fputs("<td class=\"cell none\">&#8211;</td>", out);
                continue;
            }
            json_t *sc = json_array_get(json_object_get(run, "scenarios"), (size_t)s);
            const char *st = report_str(sc, "status");
            const char *reason = report_str(sc, "reason");
            fprintf(out, "<td class=\"cell %s\"", status_class(st));
            if (reason[0]) {
                fputs(" title=\"", out);
                report_xml_text(out, reason);
                fputc('"', out);
            }
            fprintf(out, "><a href=\"#img%zu-sc%ld\">", i, s);
            report_xml_text(out, st[0] ? st : "error");
            fputs("</a></td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n</div>\n", out);
    json_decref(cols);
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
    const char *st = report_str(sc, "status");
    /* What did not pass is open from the start: that is what a reader wants. */
    fprintf(out, "<details id=\"img%zu-sc%zu\"%s><summary><span class=\"badge %s\">", i, k,
            strcmp(st, "pass") == 0 ? "" : " open=\"open\"", status_class(st));
    report_xml_text(out, st[0] ? st : "error");
    fputs("</span> <strong>", out);
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
    json_t *sc, *boot;
    fprintf(out, "<section id=\"img%zu\">\n<h3>", i);
    report_xml_text(out, report_str(run, "image"));
    fputs("</h3>\n<ul>\n<li>OS: ", out);
    report_xml_text(out, report_str(run, "os"));
    fputs("; kernel ", out);
    report_xml_text(out, report_str(run, "kernel"));
    fputs("; init ", out);
    report_xml_text(out, report_str(run, "init"));
    fputs("; accelerator ", out);
    report_xml_text(out, report_str(run, "accel"));
    fputs("</li>\n<li>image recipe hash <code>", out);
    report_xml_text(out, report_str(run, "recipe_hash"));
    fputs("</code> (vm-images/recipes/", out);
    report_xml_text(out, report_str(run, "image"));
    fputs(".conf)</li>\n", out);
    json_t *pkg = json_object_get(run, "package");
    if (json_is_object(pkg)) {
        fputs("<li>package ", out);
        report_xml_text(out, report_str(pkg, "name"));
        fputc(' ', out);
        report_xml_text(out, report_str(pkg, "version"));
        fputs(" (", out);
        report_xml_text(out, report_str(pkg, "format"));
        fputs("), sha256 <code>", out);
        report_xml_text(out, report_str(pkg, "sha256"));
        fputs("</code></li>\n", out);
    }
    json_array_foreach(json_object_get(run, "boots"), k, boot) {
        if (k == 0)
            fputs("<li>boots (qemu start or reboot command to the agent's first facts; * to its hello, when "
                  "the boot asked no facts):", out);
        fputc(' ', out);
        report_xml_text(out, report_str(boot, "how"));
        fprintf(out, " %.1f s%s", report_boot_seconds(boot), report_num(boot, "seconds_to_verdict") > 0 ? "" : "*");
        const char *path = report_boot_path(boot);
        if (path) {
            fputs(" (", out);
            report_xml_text(out, path);
            fputc(')', out);
        }
        fputc(';', out);
    }
    if (json_array_size(json_object_get(run, "boots")))
        fputs("</li>\n", out);
    fputs("</ul>\n", out);
    json_array_foreach(json_object_get(run, "scenarios"), k, sc)
        scenario_details(sc, i, k, out);
    fputs("</section>\n", out);
}

static void negative_controls(json_t *report, FILE *out)
{
    fputs("<h2 id=\"negative-controls\">Negative controls</h2>\n<p>A check that cannot fail proves nothing. These "
          "show the same checks failing where they must:</p>\n<ul>\n",
          out);
    size_t i;
    json_t *run;
    int listed = 0;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        const char *sysctl, *tcp80, *status;
        if (!report_baseline_facts(run, &sysctl, &tcp80, &status))
            continue;
        fputs("<li>", out);
        report_xml_text(out, report_str(run, "image"));
        fputs(", baseline (no package): ip_unprivileged_port_start = ", out);
        report_xml_text(out, sysctl);
        fputs(", unprivileged bind to tcp4:80 &#8594; ", out);
        report_xml_text(out, tcp80);
        fprintf(out, " (<span class=\"badge %s\">", status_class(status));
        report_xml_text(out, status);
        fputs("</span>).</li>\n", out);
        listed++;
    }
    fputs("<li>In every run with the package, ports 22, 25, 53 and 79 must get EACCES over TCP and UDP, IPv4 and "
          "IPv6: the setting opens 80 and up, nothing below.</li>\n"
          "<li>Every bind is made by a process with uid and gid 65534, no supplementary groups, no effective "
          "capabilities and no_new_privs; the host rejects bind results that lack that proof.</li>\n",
          out);
    if (!listed)
        fputs("<li>(No baseline scenario in this run.)</li>\n", out);
    fputs("</ul>\n", out);
}

static void security(FILE *out)
{
    fputs("<h2 id=\"security\">Security trade-off</h2>\n"
          "<p><code>net.ipv4.ip_unprivileged_port_start = 80</code> lets any local user bind ports 80-1023 in the "
          "host's network namespace. Ports 1-79 stay privileged, among them ssh (22), smtp (25), dns (53) and "
          "dhcp (67/68). What opens besides 80 and 443: 111, 389, 631 and the rest up to 1023, so a local user "
          "could take port 80 before the web server starts, and trust based on a source port below 1024 "
          "(rsh, NFS <code>secure</code> exports) weakens. The setting is per network namespace: containers "
          "with their own network namespace keep 1024 unless their runtime sets it.</p>\n"
          "<p>Opting out is one file: <code>ln -s /dev/null /etc/sysctl.d/30-unprivileged-ports.conf</code>, or "
          "any <code>/etc/sysctl.d/NN-local.conf</code> with <code>net.ipv4.ip_unprivileged_port_start = "
          "1024</code>.</p>\n",
          out);
}

void report_render_html(json_t *report, FILE *out)
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
    negative_controls(report, out);
    report_objections_html(report, out);
    security(out);
    fputs("<h2 id=\"reproduce\">Reproduce</h2>\n<pre>", out);
    report_xml_text(out, report_str(report, "command"));
    fputs("</pre>\n<p class=\"meta\">accelerator choice: ", out);
    report_xml_text(out, report_str(report, "accel_reason"));
    fputs("</p>\n</body>\n</html>\n", out);
}

bool report_write_html(json_t *report, const char *path)
{
    return report_write_stream(path, report_render_html, report);
}
