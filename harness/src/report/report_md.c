/* report.md: the evidence a proposal author pastes into a Fedora Change or
 * a Debian bug. It says what was tested, what held, which checks could have
 * failed (the negative controls) and what the setting gives up. */
#define _GNU_SOURCE
#include "report/report.h"

#include <string.h>

/* Markdown table cells: no pipes, no newlines. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static const char *status_mark(const char *st)
{
    if (strcmp(st, "pass") == 0)
        return "pass";
    if (strcmp(st, "fail") == 0)
        return "**FAIL**";
    if (strcmp(st, "skip") == 0)
        return "skip";
    return "**ERROR**";
}

static void summary(json_t *report, FILE *out)
{
    struct report_counts c = report_count(report);
    size_t nimages = json_array_size(json_object_get(report, "runs"));
    if (c.fail == 0 && c.error == 0 && c.pass > 0)
        fprintf(out,
                "**Result: every scenario that ran passed** (%d passed, %d skipped) on %zu image(s): with the "
                "package installed an unprivileged process binds 80 and 443, ports below 80 stay privileged, "
                "and without it the kernel default (1024) holds.\n\n",
                c.pass, c.skip, nimages);
    else
        fprintf(out, "**Result: %d passed, %d failed, %d errors, %d skipped** on %zu image(s).\n\n", c.pass, c.fail,
                c.error, c.skip, nimages);
    if (!json_is_true(json_object_get(report, "complete")))
        fputs("> This run was interrupted: the report is incomplete.\n\n", out);
}

static void matrix(json_t *report, FILE *out)
{
    json_t *runs = json_object_get(report, "runs");
    json_t *first = json_array_get(runs, 0);
    if (!first)
        return;
    size_t i, k;
    json_t *run, *sc;
    fputs("## Matrix\n\n| image | kernel | init | package |", out);
    json_array_foreach(json_object_get(first, "scenarios"), k, sc)
        fprintf(out, " %s |", report_str(sc, "name"));
    fputs("\n|---|---|---|---|", out);
    json_array_foreach(json_object_get(first, "scenarios"), k, sc)
        fputs("---|", out);
    fputc('\n', out);
    json_array_foreach(runs, i, run) {
        json_t *pkg = json_object_get(run, "package");
        fprintf(out, "| %s | %s | %s | ", report_str(run, "image"), report_str(run, "kernel"),
                report_str(run, "init"));
        if (json_is_object(pkg))
            fprintf(out, "%s %s (%s)", report_str(pkg, "name"), report_str(pkg, "version"),
                    report_str(pkg, "format"));
        fputs(" |", out);
        json_array_foreach(json_object_get(run, "scenarios"), k, sc)
            fprintf(out, " %s |", status_mark(report_str(sc, "status")));
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void image_details(json_t *run, FILE *out)
{
    size_t k, j;
    json_t *sc, *ck, *boot;
    fprintf(out, "### %s\n\n", report_str(run, "image"));
    fprintf(out, "- OS: %s; kernel %s; init %s; accelerator %s\n", report_str(run, "os"), report_str(run, "kernel"),
            report_str(run, "init"), report_str(run, "accel"));
    fprintf(out, "- image recipe hash %s (vm-images/recipes/%s.conf)\n", report_str(run, "recipe_hash"),
            report_str(run, "image"));
    json_t *pkg = json_object_get(run, "package");
    if (json_is_object(pkg))
        fprintf(out, "- package %s %s (%s), sha256 `%s`\n", report_str(pkg, "name"), report_str(pkg, "version"),
                report_str(pkg, "format"), report_str(pkg, "sha256"));
    json_array_foreach(json_object_get(run, "boots"), k, boot) {
        if (k == 0)
            fputs("- boots (qemu start or reboot command to the agent's first facts; * to its hello, when "
                  "the boot asked no facts):", out);
        const char *path = report_boot_path(boot);
        fprintf(out, " %s %.1f s%s%s%s%s;", report_str(boot, "how"), report_boot_seconds(boot),
                report_num(boot, "seconds_to_verdict") > 0 ? "" : "*", path ? " (" : "", path ? path : "",
                path ? ")" : "");
    }
    fputs("\n\n| scenario | status | seconds | checks | note |\n|---|---|---|---|---|\n", out);
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        int ok = 0, n = 0;
        json_array_foreach(json_object_get(sc, "checks"), j, ck) {
            n++;
            ok += json_is_true(json_object_get(ck, "ok"));
        }
        fprintf(out, "| %s | %s | %.1f | %d/%d | ", report_str(sc, "name"), status_mark(report_str(sc, "status")),
                report_num(sc, "seconds"), ok, n);
        const char *reason = report_str(sc, "reason");
        md_cell(out, reason[0] ? reason : report_str(sc, "summary"));
        fputs(" |\n", out);
    }
    fputc('\n', out);
    /* Every check, compact, so a reviewer can see what "pass" stands for. */
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        if (json_array_size(json_object_get(sc, "checks")) == 0)
            continue;
        fprintf(out, "<details><summary>%s: checks</summary>\n\n| check | expected | got | |\n|---|---|---|---|\n",
                report_str(sc, "name"));
        json_array_foreach(json_object_get(sc, "checks"), j, ck) {
            fputs("| ", out);
            md_cell(out, report_str(ck, "what"));
            fputs(" | ", out);
            md_cell(out, report_str(ck, "expect"));
            fputs(" | ", out);
            md_cell(out, report_str(ck, "got"));
            fprintf(out, " | %s |\n", json_is_true(json_object_get(ck, "ok")) ? "ok" : "**MISMATCH**");
        }
        fputs("\n</details>\n\n", out);
    }
}

static void negative_controls(json_t *report, FILE *out)
{
    fputs("## Negative controls\n\n"
          "A check that cannot fail proves nothing. These show the same checks failing where they must:\n\n",
          out);
    size_t i;
    json_t *run;
    int listed = 0;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        const char *sysctl, *tcp80, *status;
        if (!report_baseline_facts(run, &sysctl, &tcp80, &status))
            continue;
        fprintf(out, "- %s, baseline (no package): ip_unprivileged_port_start = %s, unprivileged bind to "
                     "tcp4:80 -> %s (%s).\n",
                report_str(run, "image"), sysctl, tcp80, status);
        listed++;
    }
    fputs("- In every run with the package, ports 22, 25, 53 and 79 must get EACCES over TCP and UDP, IPv4 and "
          "IPv6: the setting opens 80 and up, nothing below.\n",
          out);
    fputs("- Every bind is made by a process with uid and gid 65534, no supplementary groups, no effective "
          "capabilities and no_new_privs; the host rejects bind results that lack that proof.\n",
          out);
    if (!listed)
        fputs("- (No baseline scenario in this run.)\n", out);
    fputc('\n', out);
}

/* One sentence per container scenario, so a reviewer sees why host-netns
 * cases need the host package and private-netns cases do not. */
static void containers(json_t *report, FILE *out)
{
    json_t *first = json_array_get(json_object_get(report, "runs"), 0);
    size_t k;
    json_t *sc;
    bool any = false;
    json_array_foreach(json_object_get(first, "scenarios"), k, sc) {
        if (!json_is_true(json_object_get(sc, "container")))
            continue;
        if (!any)
            fputs("## Containers\n\n"
                  "The sysctl is per network namespace: what shares the host's netns (toolbox, distrobox, "
                  "`podman --network=host`, rootless podman's port forwarder) needs the host package; a "
                  "private netns starts at 1024 whatever the host has.\n\n",
                  out);
        any = true;
        fprintf(out, "- `%s`: ", report_str(sc, "name"));
        md_cell(out, report_str(sc, "summary"));
        fputc('\n', out);
    }
    if (any)
        fputc('\n', out);
}

static void security(FILE *out)
{
    fputs("## Security trade-off\n\n"
          "`net.ipv4.ip_unprivileged_port_start = 80` lets any local user bind ports 80-1023 in the host's "
          "network namespace. Ports 1-79 stay privileged, among them ssh (22), smtp (25), dns (53) and "
          "dhcp (67/68). What opens besides 80 and 443: 111, 389, 631 and the rest up to 1023, so a local user "
          "could take port 80 before the web server starts, and trust based on a source port below 1024 "
          "(rsh, NFS `secure` exports) weakens. The setting is per network namespace: containers with their "
          "own network namespace keep 1024 unless their runtime sets it.\n\n"
          "Opting out is one file: `ln -s /dev/null /etc/sysctl.d/30-unprivileged-ports.conf`, or any "
          "`/etc/sysctl.d/NN-local.conf` with `net.ipv4.ip_unprivileged_port_start = 1024`.\n\n",
          out);
}

void report_render_md(json_t *report, FILE *out)
{
    fputs("# unprivileged-ports: evidence report\n\n", out);
    summary(report, out);
    matrix(report, out);
    fputs("## Images\n\n", out);
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(report, "runs"), i, run)
        image_details(run, out);
    negative_controls(report, out);
    containers(report, out);
    report_objections_md(report, out);
    security(out);
    fprintf(out, "## Reproduce\n\n```\n%s\n```\n\nportcheck %s, %s.\n", report_str(report, "command"),
            report_str(report, "version"), report_str(report, "started"));
}

bool report_write_md(json_t *report, const char *path)
{
    return report_write_stream(path, report_render_md, report);
}
