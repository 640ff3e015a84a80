/* The facts under each image's heading in report.md and report.html (OS,
 * kernel, init, accelerator, recipe hash, package, boots), built once as
 * list items so that each writer adds only its markup. */
#define _GNU_SOURCE
#include "report/report.h"

#include "base/util.h"

static struct report_block *add_item(struct report_run_facts *f)
{
    f->items = xrealloc(f->items, (f->nitems + 1) * sizeof *f->items);
    struct report_block *b = &f->items[f->nitems++];
    *b = (struct report_block){.kind = REPORT_ITEM};
    return b;
}

static void span(struct report_block *b, enum report_span_kind kind, char *owned)
{
    b->spans = xrealloc(b->spans, (b->nspans + 1) * sizeof *b->spans);
    b->spans[b->nspans++] = (struct report_span){.kind = kind, .text = owned};
}

static void text(struct report_block *b, const char *s) { span(b, REPORT_SPAN_TEXT, xstrdup(s)); }
static void code(struct report_block *b, const char *s) { span(b, REPORT_SPAN_CODE, xstrdup(s)); }

static void boots(json_t *run, struct report_run_facts *f)
{
    json_t *list = json_object_get(run, "boots");
    if (json_array_size(list) == 0)
        return;
    struct report_block *b = add_item(f);
    text(b, "boots (qemu start or reboot command to the agent's first facts; * to its hello, when the boot asked "
            "no facts):");
    size_t k;
    json_t *boot;
    json_array_foreach(list, k, boot) {
        text(b, " ");
        text(b, report_str(boot, "how"));
        span(b, REPORT_SPAN_TEXT,
             xasprintf(" %.1f s%s", report_boot_seconds(boot), report_num(boot, "seconds_to_verdict") > 0 ? "" : "*"));
        const char *path = report_boot_path(boot);
        if (path) {
            text(b, " (");
            text(b, path);
            text(b, ")");
        }
        text(b, ";");
    }
}

struct report_run_facts report_run_facts(json_t *run)
{
    struct report_run_facts f = {0};
    struct report_block *b = add_item(&f);
    text(b, "OS: ");
    text(b, report_str(run, "os"));
    text(b, "; kernel ");
    text(b, report_str(run, "kernel"));
    text(b, "; init ");
    text(b, report_str(run, "init"));
    text(b, "; accelerator ");
    text(b, report_str(run, "accel"));
    b = add_item(&f);
    text(b, "image recipe hash ");
    code(b, report_str(run, "recipe_hash"));
    text(b, " (vm-images/recipes/");
    text(b, report_str(run, "image"));
    text(b, ".conf)");
    json_t *pkg = json_object_get(run, "package");
    if (json_is_object(pkg)) {
        b = add_item(&f);
        text(b, "package ");
        text(b, report_str(pkg, "name"));
        text(b, " ");
        text(b, report_str(pkg, "version"));
        text(b, " (");
        text(b, report_str(pkg, "format"));
        text(b, "), sha256 ");
        code(b, report_str(pkg, "sha256"));
    }
    boots(run, &f);
    return f;
}

void report_run_facts_free(struct report_run_facts *f)
{
    for (size_t i = 0; i < f->nitems; i++)
        report_block_free(&f->items[i]);
    free(f->items);
    *f = (struct report_run_facts){0};
}
