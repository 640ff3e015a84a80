/* A Fedora Change proposal, in Markdown for Fedora's Discourse, drafted from
 * report.json: the Changes template's sections, each filled from the
 * evidence or with what is true whatever the run found, and TODO(owner)
 * where only a person can answer. A report with a failure or an error opens
 * with it and claims no success. */
#include "report/report.h"
#include "report/upstream_patches.h"

#include <string.h>

/* Report strings in running Markdown text: control characters gone (one
 * line), and every character Markdown or Discourse would read as markup
 * backslash-escaped (CommonMark lets any ASCII punctuation be escaped). */
static void md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' || c == '\r' || c == '\t')
            fputc(' ', out);
        else if (c < 0x20 || c == 0x7f)
            continue;
        else {
            if (strchr("\\`*_[]<>|#~!&", c))
                fputc('\\', out);
            fputc(c, out);
        }
    }
}

/* A JSON value as a table cell: strings escaped, anything else compact. */
static void md_value(FILE *out, json_t *v)
{
    if (json_is_string(v)) {
        md_text(out, json_string_value(v));
        return;
    }
    char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    md_text(out, dump ? dump : "");
    free(dump);
}

/* The top of the draft: what stops it from being posted, if anything. */
static bool not_ready(json_t *report, FILE *out)
{
    struct report_counts c = report_count(report);
    bool complete = json_is_true(json_object_get(report, "complete"));
    if (c.fail == 0 && c.error == 0 && c.pass > 0 && complete)
        return false;
    fprintf(out, "> **Not ready to post: this evidence does not support the Change yet.** %d passed, %d failed, %d "
                 "errors, %d skipped.%s\n",
            c.pass, c.fail, c.error, c.skip, complete ? "" : " The run was interrupted: the report is incomplete.");
    if (c.fail || c.error) {
        fputs(">\n", out);
        report_list_problems(report, out, "> - ", md_text);
    }
    fputs(">\n> Fix these, run again and render this draft from the new report.json.\n\n", out);
    return true;
}

/* The accelerator the runs used (every run of a report uses the same). */
static const char *accel_of(json_t *report)
{
    const char *accel = report_str(json_array_get(json_object_get(report, "runs"), 0), "accel");
    return accel[0] ? accel : "unknown";
}

static void evidence(json_t *report, FILE *out)
{
    fputs("### Evidence\n\nportcheck booted these images under qemu (accelerator ", out);
    md_text(out, accel_of(report));
    fputs(") and checked every bind as a process with uid and gid 65534, no supplementary groups, no "
          "capabilities and no_new_privs, over TCP and UDP, IPv4 and IPv6:\n\n",
          out);
    report_list_evidence(report, out, "- ", md_text);
    if (report_distro_default_passed(report))
        fputs("- The key was set both from a package's sysctl.d file and from the distribution's own "
              "`50-default.conf` with the patch below applied (scenario `distro-default`).\n\n",
              out);
    else
        fputs("- The key was set from a sysctl.d file (`/usr/lib/sysctl.d/30-unprivileged-ports.conf`, the "
              "opt-in unprivileged-ports package); `50-default.conf` is applied by the same systemd-sysctl, "
              "in the same boot step.\n\n",
              out);
    /* An indented block: no fence for a string to close. */
    fputs("Reproduce it with:\n\n    ", out);
    report_plain_text(out, report_str(report, "command"));
    fputs("\n\n", out);
    report_provenance(report, out, md_text);
}

/* The objections table, where a report carries one ("objections": an array
 * of objects, at the top or in a run); false when none does. */
static bool objections(json_t *report, FILE *out)
{
    json_t *lists[1 + 64];
    size_t n = 0, i;
    json_t *run;
    if (json_array_size(json_object_get(report, "objections")))
        lists[n++] = json_object_get(report, "objections");
    json_array_foreach(json_object_get(report, "runs"), i, run)
        if (n < sizeof lists / sizeof *lists && json_array_size(json_object_get(run, "objections")))
            lists[n++] = json_object_get(run, "objections");
    if (n == 0)
        return false;
    json_t *first = json_array_get(lists[0], 0);
    const char *key;
    json_t *v;
    /* The rows portcheck itself writes (run/objections.c): the same table as report.md's. */
    if (lists[0] == json_object_get(report, "objections") && json_object_get(first, "measured")) {
        report_objections_table_md(report, out);
        return true;
    }
    if (!json_is_object(first)) {
        for (size_t l = 0; l < n; l++)
            json_array_foreach(lists[l], i, v) {
                fputs("- ", out);
                md_value(out, v);
                fputc('\n', out);
            }
        fputc('\n', out);
        return true;
    }
    /* Columns: the first objection's keys, in its order. */
    fputc('|', out);
    json_object_foreach(first, key, v) {
        fputc(' ', out);
        md_text(out, key);
        fputs(" |", out);
    }
    fputs("\n|", out);
    json_object_foreach(first, key, v)
        fputs("---|", out);
    fputc('\n', out);
    for (size_t l = 0; l < n; l++) {
        json_t *row;
        json_array_foreach(lists[l], i, row) {
            fputc('|', out);
            json_object_foreach(first, key, v) {
                fputc(' ', out);
                md_value(out, json_object_get(row, key));
                fputs(" |", out);
            }
            fputc('\n', out);
        }
    }
    fputc('\n', out);
    return true;
}

static void how_to_test(json_t *report, FILE *out)
{
    fputs("## How To Test\n\n"
          "The evidence above comes from these commands; anyone can run them again.\n\n"
          "### What hardware or data is needed\n\n"
          "An x86_64 machine with qemu and about 3 GiB of disk for the image cache. KVM makes it faster but is "
          "not needed: this evidence ran with accelerator ",
          out);
    md_text(out, accel_of(report));
    fputs(" (", out);
    md_text(out, report_str(report, "accel_reason"));
    fputs("). For the tmt plan, a machine that Testing Farm or `tmt provision --how virtual` can use.\n\n"
          "### How to prepare\n\n"
          "On a Debian machine, as root, in a checkout of the unprivileged-ports project (TODO(owner): its "
          "public URL): nothing else; each make target apt-gets what it needs. On Fedora with the change "
          "applied: nothing.\n\n"
          "### What to do\n\n"
          "```\n"
          "make verify                 # packages, the default image, every scenario, out/report.md\n"
          "harness/build/portcheck run --image debian-trixie --scenario all \\\n"
          "    --package out/unprivileged-ports_0.1.0_all.deb --out out/trixie\n"
          "tmt run --all provision --how virtual --image fedora   # plans/main.fmf, on Fedora\n"
          "```\n\n"
          "By hand, on Fedora with the change, as an ordinary user:\n\n"
          "```\n"
          "sysctl net.ipv4.ip_unprivileged_port_start   # 80\n"
          "python3 -m http.server 80                    # serves\n"
          "python3 -m http.server 79                    # PermissionError: [Errno 13]\n"
          "```\n\n"
          "### What are the expected results\n\n"
          "`make verify` exits 0 and its matrix shows every scenario pass; `out/report.md` lists each check "
          "with what was expected and what the kernel returned. The tmt plan passes. By hand: 80 is bound, 79 "
          "is refused, and with `/etc/sysctl.d/60-local.conf` setting 1024 both are refused after a reboot.\n\n",
          out);
}

static const char *const closing_sections =
    "## User Experience\n\n"
    "A user can run a web server, a development server or a rootless container publishing `-p 80:80` or "
    "`-p 443:443` without root, setcap or authbind. Toolbox and distrobox containers share the host's network "
    "namespace, so the host value is what they see. Nothing changes for ports 1-79 (ssh, smtp, dns, dhcp): "
    "they stay privileged.\n\n"
    "## Dependencies\n\n"
    "The systemd package, which ships `50-default.conf` in systemd-udev: the one line above, upstream or as a "
    "Fedora patch until upstream merges it. Kernel 4.11 or later (the key's introduction). No other package "
    "has to change.\n\n"
    "## Contingency Plan\n\n"
    "- Contingency mechanism: drop the line from systemd's package; the kernel default (1024) returns on the "
    "next boot. An administrator can restore 1024 at any time with one file in `/etc/sysctl.d/`.\n"
    "- Contingency deadline: beta freeze.\n"
    "- Blocks release? No.\n\n"
    "## Documentation\n\n"
    "sysctl.d(5) for the file order; the kernel's ip-sysctl documentation for "
    "`ip_unprivileged_port_start`; the unprivileged-ports project's README (the security trade-off, opting "
    "out) and the evidence report above. TODO(owner): the Fedora documentation page to update, if any.\n\n"
    "## Release Notes\n\n"
    "Unprivileged programs of any kind may now bind TCP, UDP and SCTP ports 80 and above "
    "(`net.ipv4.ip_unprivileged_port_start = 80` in systemd's default sysctl settings); ports 1-79 stay "
    "privileged. To restore the previous behaviour, set the key to 1024 in a file in `/etc/sysctl.d/`.\n";

void report_render_fedora_change(json_t *report, FILE *out)
{
    fputs("# Unprivileged ports from 80 up: `net.ipv4.ip_unprivileged_port_start = 80` by default\n\n", out);
    bool blocked = not_ready(report, out);
    fputs("*A draft rendered by `portcheck report --format fedora-change` from a run's report.json. Every "
          "TODO(owner) needs a person.*\n\n",
          out);

    fputs("## Summary\n\n"
          "Set `net.ipv4.ip_unprivileged_port_start = 80` in systemd's default sysctl settings "
          "(`/usr/lib/sysctl.d/50-default.conf`, shipped in systemd-udev), so that unprivileged programs of any "
          "kind can bind TCP, UDP and SCTP ports 80 and up, HTTP and HTTPS among them. Ports 1-79 stay "
          "privileged.",
          out);
    fputs(blocked ? " The evidence below does not support this yet (see the note at the top).\n\n"
                  : " The evidence below passed on every image where it ran.\n\n",
          out);

    fputs("## Owner\n\n- Name: TODO(owner)\n- Email: TODO(owner)\n\n", out);

    fputs("## Detailed Description\n\n"
          "Linux reserves every port below `net.ipv4.ip_unprivileged_port_start` (1024 unless set) for "
          "processes with CAP_NET_BIND_SERVICE; the key exists since Linux 4.11, governs IPv6 as well, and is "
          "per network namespace, each new namespace starting at 1024. Setting it to 80 keeps ports 1-79 "
          "privileged and opens 80-1023.\n\n"
          "The precedent is `-net.ipv4.ping_group_range = 0 2147483647`: systemd added it to the same "
          "`50-default.conf` in v243 (systemd pull requests 13141 and 13191, the latter adding the `-` "
          "prefix), with the Fedora 31 Change. The same route fits here: one line, `-` prefixed so that "
          "systemd-sysctl stays quiet where the key cannot be written.\n\n",
          out);
    evidence(report, out);
    fputs("### The patch, for systemd upstream\n\n```diff\n", out);
    fputs(upstream_systemd_patch, out);
    fputs("```\n\n", out);

    fputs("## Feedback\n\n", out);
    if (!objections(report, out))
        fputs("The objections raised so far, and the answers, are listed in the unprivileged-ports project's "
              "README under the security trade-off: ports 80-1023 become bindable by any local user (111, 389 "
              "and 631 among them), a local user could take port 80 before the web server starts, and trust in "
              "source ports below 1024 (rsh, NFS `secure` exports) weakens. TODO(owner): link the discussion "
              "threads.\n\n",
              out);

    fputs("## Benefit to Fedora\n\n"
          "- Rootless podman publishing `-p 80:80` works without a sysctl change: its port forwarder binds in "
          "the host's network namespace (podman's troubleshooting guide recommends exactly this value).\n"
          "- Toolbox and distrobox, which share the host's network namespace, can serve on 80 and 443.\n"
          "- Web servers need not start as root only to bind a port; no setcap or authbind per program.\n"
          "- Silverblue and CoreOS get it from the vendor default, not from a layered package.\n\n",
          out);

    fputs("## Scope\n\n"
          "- Proposal owners: send the patch above to systemd upstream; until it is merged, carry it in "
          "Fedora's systemd package. TODO(owner)\n"
          "- Other developers: nothing required. Packages that rely on ports 80-1023 being privileged, or "
          "set the key themselves, should check.\n"
          "- Release engineering: no impact (no mass rebuild, no new package). TODO(owner): the release "
          "engineering ticket.\n"
          "- Policies and guidelines: none change.\n"
          "- Trademark approval: not needed.\n\n",
          out);

    fputs("## Upgrade/compatibility impact\n\n"
          "After the upgrade the value is 80 from the next boot on. An administrator who wants 1024 keeps it "
          "with one file that sorts after `50-default.conf`: `/etc/sysctl.d/60-local.conf` with "
          "`net.ipv4.ip_unprivileged_port_start = 1024`. Containers with their own network namespace are "
          "unaffected (they start at 1024 unless their runtime sets it). A service that trusts a peer for "
          "connecting from a port below 1024 (rsh, NFS `secure` exports) loses that assurance for ports "
          "80-1023. NFS is the concrete case: the kernel's NFS server trusts any source port below the "
          "constant 1024 (not this key), so on a client with the value 80 a local user can send AUTH_SYS "
          "requests from a \"privileged\" port and claim any uid. Measured in a VM: uid 1000 read a mode-0600 "
          "file of uid 2000 through a `sec=sys,secure,root_squash` export with `nfs-cat`; without the setting "
          "the same command got `MNT3ERR_ACCES`. Hosts whose users can reach such an export should keep 1024 "
          "(one file in `/etc/sysctl.d/`) or use `sec=krb5`.\n\n",
          out);

    how_to_test(report, out);
    fputs(closing_sections, out);
}
