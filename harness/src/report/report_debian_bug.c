/* A Debian bug against linux-sysctl-defaults, drafted from report.json as
 * reportbug sends one: the pseudo-headers, the evidence in plain text
 * wrapped at 80 columns, then the patch for src:linux-base as git
 * format-patch wrote it (the only text allowed past 80 columns). No
 * Markdown anywhere. A report with a failure or an error opens with it,
 * before the headers, so the draft cannot be sent as it is. */
#define _GNU_SOURCE
#include "report/report.h"
#include "report/upstream_patches.h"

#include "base/util.h"

#include <string.h>

enum { WIDTH = 80 };

/* One logical line, wrapped at WIDTH: continuation lines are indented as
 * far as the text after the line's own indent and list dash. A line
 * indented four spaces is a command: it is continued with " \" and eight
 * spaces, so it still pastes into a shell. A word wider than the room left
 * is cut, so no line is ever longer than WIDTH. */
static void wrap_line(FILE *out, const char *line, size_t len)
{
    size_t hang = strspn(line, " ");
    bool command = hang == 4;
    if (command)
        hang = 8;
    else if (len >= hang + 2 && line[hang] == '-' && line[hang + 1] == ' ')
        hang += 2;
    if (hang > WIDTH / 2)
        hang = 0;
    const char *tail = command ? " \\" : "";
    size_t pos = 0, col_start = 0;
    while (len - pos > WIDTH - col_start) {
        size_t room = WIDTH - col_start - strlen(tail), cut = room;
        while (cut > 0 && line[pos + cut] != ' ')
            cut--;
        if (cut == 0 || pos + cut <= hang)
            cut = room;
        fprintf(out, "%*s%.*s%s\n", (int)col_start, "", (int)cut, line + pos, tail);
        pos += cut;
        while (pos < len && line[pos] == ' ')
            pos++;
        col_start = hang;
    }
    fprintf(out, "%*s%.*s\n", (int)col_start, "", (int)(len - pos), line + pos);
}

static void wrap_text(FILE *out, const char *text)
{
    while (*text) {
        size_t len = strcspn(text, "\n");
        wrap_line(out, text, len);
        text += len + (text[len] == '\n');
    }
}

static void not_ready(json_t *report, FILE *out)
{
    struct report_counts c = report_count(report);
    bool complete = json_is_true(json_object_get(report, "complete"));
    if (c.fail == 0 && c.error == 0 && c.pass > 0 && complete)
        return;
    fprintf(out, "NOT READY TO SEND: this evidence does not support the request yet. %d passed, %d failed, %d "
                 "errors, %d skipped.%s\n",
            c.pass, c.fail, c.error, c.skip, complete ? "" : " The run was interrupted: the report is incomplete.");
    report_list_problems(report, out, "  - ", report_plain_text);
    fputs("Fix these, run again and render this draft from the new report.json.\n\n", out);
}

static void evidence(json_t *report, FILE *out)
{
    fputs("The evidence: portcheck, the harness of the unprivileged-ports project, booted these images under "
          "qemu and checked every bind as a process with uid and gid 65534, no "
          "supplementary groups, no capabilities and no_new_privs, over TCP and UDP, IPv4 and IPv6. The key "
          "was set from a sysctl.d file (/usr/lib/sysctl.d/30-unprivileged-ports.conf, the opt-in "
          "package), which systemd-sysctl (or procps, without systemd) applies together with 50-default.conf.\n\n",
          out);
    if (report_distro_default_passed(report))
        fputs("In scenario distro-default it came instead from the image's own 50-default.conf with the patch "
              "below applied, and the package on top of it changed nothing.\n\n",
              out);
    report_list_evidence(report, out, "  - ", report_plain_text);
    fputs("\nTo reproduce it, in a checkout of the project (make portcheck deb builds portcheck, "
          "in harness/build, and the package):\n\n    ",
          out);
    report_plain_text(out, report_str(report, "command"));
    fputs("\n    make verify\n\n", out);
    report_provenance(report, out, report_plain_text);
}

static void render_body(json_t *report, FILE *out)
{
    not_ready(report, out);
    fputs("Package: linux-sysctl-defaults\n"
          "Severity: wishlist\n"
          "Tags: patch\n\n"
          "Dear Maintainer,\n\n"
          "please consider setting net.ipv4.ip_unprivileged_port_start = 80 in 50-default.conf, with the '-' "
          "prefix, the way net.ipv4.ping_group_range is set there. Unprivileged programs of any kind could "
          "then bind TCP, UDP and SCTP ports 80 and up, HTTP and HTTPS among them, while ports 1-79 (ssh, "
          "smtp, dns, dhcp) stay privileged. Rootless podman publishing -p 80:80 (its forwarder binds in the "
          "host's network namespace), toolbox and distrobox containers, development servers and web servers "
          "that would otherwise start as root only to bind a port would work without setcap, authbind or a "
          "local sysctl file.\n\n"
          "The precedent is ping_group_range itself: systemd added it to its 50-default.conf in v243, "
          "Fedora 31 shipped it with a Change, and this package carries it. The same line is being proposed "
          "to systemd upstream for sysctl.d/50-default.conf, the file this one originated from.\n\n",
          out);
    evidence(report, out);
    fputs("What it gives up: any local user may bind ports 80-1023 in the host's network namespace (111, 389 "
          "and 631 among them), so a local user could take port 80 before the web server starts, and trust "
          "in source ports below 1024 (rsh, NFS secure exports) weakens. The value is per network namespace: "
          "containers with their own namespace keep 1024. NFS is the concrete case: the kernel's NFS server "
          "trusts any source port below the constant 1024 (not this key), so on a client with the value 80 a "
          "local user can send AUTH_SYS requests from a \"privileged\" port and claim any uid. Measured in a "
          "VM: uid 1000 read a mode-0600 file of uid 2000 through a sec=sys,secure,root_squash export with "
          "nfs-cat; without the setting the same command got MNT3ERR_ACCES. Hosts whose users can reach such "
          "an export should keep 1024 (one file in /etc/sysctl.d) or use sec=krb5.\n\n"
          "Opting out stays one file, which sorts after 50-default.conf:\n\n"
          "    echo 'net.ipv4.ip_unprivileged_port_start = 1024' > /etc/sysctl.d/60-local.conf\n\n"
          "The patch below is against src:linux-base (50-default.conf and a debian/changelog entry); git am "
          "applies it.\n\n"
          "Thanks,\nTODO(owner)\n\n",
          out);
}

void report_render_debian_bug(json_t *report, FILE *out)
{
    char *body = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&body, &len);
    if (!mem)
        die_errno("open_memstream");
    render_body(report, mem);
    if (fclose(mem) != 0)
        die_errno("open_memstream");
    wrap_text(out, body);
    free(body);
    fputs(upstream_debian_patch, out);
}
