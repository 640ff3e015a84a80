/* The prose of report.md and report.html, written once: the summary, what
 * the negative controls showed, why container cases differ, what the
 * setting gives up, and the facts under each image's heading.
 * Every span owns a copy of its text. */
#define _GNU_SOURCE
#include "report/report.h"

#include "base/util.h"

#include <string.h>

static struct report_section *add_section(struct report_prose *p, const char *id, const char *title)
{
    p->sections = xrealloc(p->sections, (p->nsections + 1) * sizeof *p->sections);
    struct report_section *sec = &p->sections[p->nsections++];
    *sec = (struct report_section){.id = id, .title = title};
    return sec;
}

static void add_block(struct report_section *sec, enum report_block_kind kind)
{
    sec->blocks = xrealloc(sec->blocks, (sec->nblocks + 1) * sizeof *sec->blocks);
    sec->blocks[sec->nblocks++] = (struct report_block){.kind = kind};
}

static void block_span(struct report_block *b, enum report_span_kind kind, char *owned)
{
    b->spans = xrealloc(b->spans, (b->nspans + 1) * sizeof *b->spans);
    b->spans[b->nspans++] = (struct report_span){.kind = kind, .text = owned};
}

/* A span at the end of the section's last block. */
static void add_span(struct report_section *sec, enum report_span_kind kind, const char *text)
{
    block_span(&sec->blocks[sec->nblocks - 1], kind, xstrdup(text));
}

static void text(struct report_section *sec, const char *s) { add_span(sec, REPORT_SPAN_TEXT, s); }
static void code(struct report_section *sec, const char *s) { add_span(sec, REPORT_SPAN_CODE, s); }

bool report_baseline_facts(json_t *run, const char **sysctl, const char **tcp80, enum report_status *status)
{
    size_t k, j;
    json_t *sc, *ck;
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        if (strcmp(report_str(sc, "name"), "baseline") != 0)
            continue;
        *sysctl = *tcp80 = "?";
        json_array_foreach(json_object_get(sc, "checks"), j, ck) {
            if (strcmp(report_str(ck, "what"), "sysctl") == 0)
                *sysctl = report_str(ck, "got");
            if (strcmp(report_str(ck, "what"), "tcp4:80") == 0)
                *tcp80 = report_str(ck, "got");
        }
        *status = report_scenario_status(sc);
        return true;
    }
    return false;
}

static void negative_controls(json_t *report, struct report_prose *p)
{
    struct report_section *sec = add_section(p, "negative-controls", "Negative controls");
    add_block(sec, REPORT_PARAGRAPH);
    text(sec, "A check that cannot fail proves nothing. These show the same checks failing where they must:");
    size_t i;
    json_t *run;
    bool listed = false;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        const char *sysctl, *tcp80;
        enum report_status status;
        if (!report_baseline_facts(run, &sysctl, &tcp80, &status))
            continue;
        add_block(sec, REPORT_ITEM);
        text(sec, report_str(run, "image"));
        text(sec, ", baseline (no package): ip_unprivileged_port_start = ");
        text(sec, sysctl);
        text(sec, ", unprivileged bind to tcp4:80 \u2192 ");
        text(sec, tcp80);
        text(sec, " (");
        add_span(sec, REPORT_SPAN_STATUS, report_status_name(status));
        text(sec, ").");
        listed = true;
    }
    add_block(sec, REPORT_ITEM);
    text(sec, "In every run with the package, ports 22, 25, 53 and 79 must get EACCES over TCP and UDP, IPv4 and "
              "IPv6: the setting opens 80 and up, nothing below.");
    add_block(sec, REPORT_ITEM);
    text(sec, "Every bind is made by a process with uid and gid 65534, no supplementary groups, no effective "
              "capabilities and no_new_privs; the host rejects bind results that lack that proof.");
    if (!listed) {
        add_block(sec, REPORT_ITEM);
        text(sec, "(No baseline scenario in this run.)");
    }
}

/* One sentence per container scenario, so a reviewer sees why host-netns
 * cases need the host package and private-netns cases do not. */
static void containers(json_t *report, struct report_prose *p)
{
    struct report_columns cols = report_columns(report);
    struct report_section *sec = NULL;
    for (size_t c = 0; c < cols.n; c++) {
        /* The first run that has the scenario describes it. */
        json_t *sc = NULL, *run;
        size_t i, k;
        json_array_foreach(json_object_get(report, "runs"), i, run)
            if ((sc = report_find_scenario(run, cols.names[c], &k)))
                break;
        if (!json_is_true(json_object_get(sc, "container")))
            continue;
        if (!sec) {
            sec = add_section(p, "containers", "Containers");
            add_block(sec, REPORT_PARAGRAPH);
            text(sec, "The sysctl is per network namespace: what shares the host's netns (toolbox, distrobox, ");
            code(sec, "podman --network=host");
            text(sec, ", rootless podman's port forwarder) needs the host package; a private netns starts at 1024 "
                      "whatever the host has.");
        }
        add_block(sec, REPORT_ITEM);
        code(sec, cols.names[c]);
        text(sec, ": ");
        text(sec, report_str(sc, "summary"));
    }
    report_columns_free(&cols);
}

static void security(struct report_prose *p)
{
    struct report_section *sec = add_section(p, "security", "Security trade-off");
    add_block(sec, REPORT_PARAGRAPH);
    code(sec, "net.ipv4.ip_unprivileged_port_start = 80");
    text(sec, " lets any local user bind ports 80-1023 in the host's network namespace. Ports 1-79 stay "
              "privileged, among them ssh (22), smtp (25), dns (53) and dhcp (67/68). What opens besides 80 and "
              "443: 111, 389, 631 and the rest up to 1023, so a local user could take port 80 before the web "
              "server starts, and trust based on a source port below 1024 (rsh, NFS ");
    code(sec, "secure");
    text(sec, " exports) weakens. The setting is per network namespace: containers with their own network "
              "namespace keep 1024 unless their runtime sets it.");
    add_block(sec, REPORT_PARAGRAPH);
    text(sec, "Opting out is one file: ");
    code(sec, "ln -s /dev/null /etc/sysctl.d/30-unprivileged-ports.conf");
    text(sec, ", or any ");
    code(sec, "/etc/sysctl.d/NN-local.conf");
    text(sec, " with ");
    code(sec, "net.ipv4.ip_unprivileged_port_start = 1024");
    text(sec, ".");
}

struct report_prose report_prose(json_t *report)
{
    struct report_prose p = {0};
    negative_controls(report, &p);
    containers(report, &p);
    security(&p);
    return p;
}

static void run_boots(json_t *run, struct report_section *sec)
{
    json_t *list = json_object_get(run, "boots");
    if (json_array_size(list) == 0)
        return;
    add_block(sec, REPORT_ITEM);
    text(sec, "boots (qemu start or reboot command to the agent's first facts; * to its hello, when the boot "
              "asked no facts):");
    size_t k;
    json_t *boot;
    json_array_foreach(list, k, boot) {
        text(sec, " ");
        text(sec, report_str(boot, "how"));
        block_span(&sec->blocks[sec->nblocks - 1], REPORT_SPAN_TEXT,
                   xasprintf(" %.1f s%s", report_boot_seconds(boot),
                             report_num(boot, "seconds_to_verdict") > 0 ? "" : "*"));
        const char *path = report_boot_path(boot);
        if (path) {
            text(sec, " (");
            text(sec, path);
            text(sec, ")");
        }
        text(sec, ";");
    }
}

struct report_section report_run_facts(json_t *run)
{
    struct report_section sec = {0}; /* no id or title: the writers give the heading */
    add_block(&sec, REPORT_ITEM);
    text(&sec, "OS: ");
    text(&sec, report_str(run, "os"));
    text(&sec, "; kernel ");
    text(&sec, report_str(run, "kernel"));
    text(&sec, "; init ");
    text(&sec, report_str(run, "init"));
    text(&sec, "; accelerator ");
    text(&sec, report_str(run, "accel"));
    add_block(&sec, REPORT_ITEM);
    text(&sec, "image recipe hash ");
    code(&sec, report_str(run, "recipe_hash"));
    text(&sec, " (vm-images/recipes/");
    text(&sec, report_str(run, "image"));
    text(&sec, ".conf)");
    json_t *pkg = json_object_get(run, "package");
    if (json_is_object(pkg)) {
        add_block(&sec, REPORT_ITEM);
        text(&sec, "package ");
        text(&sec, report_str(pkg, "name"));
        text(&sec, " ");
        text(&sec, report_str(pkg, "version"));
        text(&sec, " (");
        text(&sec, report_str(pkg, "format"));
        text(&sec, "), sha256 ");
        code(&sec, report_str(pkg, "sha256"));
    }
    run_boots(run, &sec);
    return sec;
}

void report_block_free(struct report_block *block)
{
    for (size_t i = 0; i < block->nspans; i++)
        free(block->spans[i].text);
    free(block->spans);
    *block = (struct report_block){0};
}

void report_section_free(struct report_section *sec)
{
    for (size_t b = 0; b < sec->nblocks; b++)
        report_block_free(&sec->blocks[b]);
    free(sec->blocks);
    *sec = (struct report_section){0};
}

void report_prose_free(struct report_prose *p)
{
    for (size_t s = 0; s < p->nsections; s++)
        report_section_free(&p->sections[s]);
    free(p->sections);
    *p = (struct report_prose){0};
}

/* How many images saw a passing check of `what` that expected `value`:
 * the headline claims a fact only for the images where it was seen. */
static size_t images_with_passed_check(json_t *report, const char *what, const char *value)
{
    size_t i, k, j, n = 0;
    json_t *run, *sc, *ck;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        bool seen = false;
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            if (report_scenario_status(sc) != REPORT_PASS)
                continue;
            json_array_foreach(json_object_get(sc, "checks"), j, ck)
                seen = seen || (strcmp(report_str(ck, "what"), what) == 0 &&
                                strcmp(report_str(ck, "expect"), value) == 0 && json_is_true(json_object_get(ck, "ok")));
        }
        n += seen;
    }
    return n;
}

static char *images_clause(size_t seen, size_t nimages)
{
    return seen == nimages ? xstrdup("") : xasprintf(" (on %zu of the %zu)", seen, nimages);
}

struct report_block report_summary(json_t *report, enum report_status *tone)
{
    struct report_counts c = report_count(report);
    /* Only images where something ran: a headline must not claim the rest. */
    size_t nimages = report_images_ran(report);
    struct report_block b = {.kind = REPORT_PARAGRAPH};
    if (c.fail == 0 && c.error == 0 && c.pass > 0) {
        *tone = REPORT_PASS;
        block_span(&b, REPORT_SPAN_STRONG, xstrdup("Result: every scenario that ran passed"));
        block_span(&b, REPORT_SPAN_TEXT, xasprintf(" (%d passed, %d skipped) on %zu image(s).", c.pass, c.skip, nimages));
        /* Each fact only where a passing check showed it: a run without
         * baseline (a preinstalled image) has no package-free evidence. */
        size_t with = images_with_passed_check(report, "sysctl", "80");
        size_t without = images_with_passed_check(report, "sysctl", "1024");
        if (with) {
            char *where = images_clause(with, nimages);
            block_span(&b, REPORT_SPAN_TEXT,
                       xasprintf(" With the package's setting%s an unprivileged process binds 80 and 443 and ports "
                                 "below 80 stay privileged.",
                                 where));
            free(where);
        }
        if (without) {
            char *where = images_clause(without, nimages);
            block_span(&b, REPORT_SPAN_TEXT,
                       xasprintf(" Without it%s the kernel default (1024) holds.", where));
            free(where);
        } else {
            block_span(&b, REPORT_SPAN_TEXT, xstrdup(" No scenario in this run showed the kernel default "
                                                     "(1024): it has no negative control of its own."));
        }
    } else {
        *tone = c.fail || c.error ? REPORT_FAIL : REPORT_SKIP;
        block_span(&b, REPORT_SPAN_STRONG,
                   xasprintf("Result: %d passed, %d failed, %d errors, %d skipped", c.pass, c.fail, c.error, c.skip));
        block_span(&b, REPORT_SPAN_TEXT, xasprintf(" on %zu image(s).", nimages));
    }
    return b;
}

const char *report_incomplete_note(json_t *report)
{
    return json_is_true(json_object_get(report, "complete")) ? NULL
                                                              : "This run was interrupted: the report is incomplete.";
}
