/* Helpers shared by the report writers, and the JSON writer itself. */
#define _GNU_SOURCE
#include "report/report.h"

#include "base/util.h"

#include <errno.h>
#include <string.h>

const char *report_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

double report_num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

double report_boot_seconds(json_t *boot)
{
    double verdict = report_num(boot, "seconds_to_verdict");
    return verdict > 0 ? verdict : report_num(boot, "seconds_to_hello");
}

const char *report_boot_path(json_t *boot)
{
    const char *path = report_str(boot, "boot");
    return path[0] && strcmp(path, "portcheck.target") != 0 ? path : NULL;
}

bool report_write_stream(const char *path, void (*render)(json_t *, FILE *), json_t *report)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return false;
    render(report, mem);
    if (fclose(mem) != 0) {
        free(buf);
        return false;
    }
    bool ok = write_file_atomic(path, buf, len);
    int saved = errno;
    free(buf);
    errno = saved;
    return ok;
}

void report_render_json(json_t *report, FILE *out)
{
    json_dumpf(report, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
}

bool report_write_json(json_t *report, const char *path)
{
    return report_write_stream(path, report_render_json, report);
}

struct report_counts report_count(json_t *report)
{
    struct report_counts c = {0};
    size_t i, k;
    json_t *run, *sc;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            const char *st = report_str(sc, "status");
            if (strcmp(st, "pass") == 0)
                c.pass++;
            else if (strcmp(st, "fail") == 0)
                c.fail++;
            else if (strcmp(st, "skip") == 0)
                c.skip++;
            else
                c.error++;
        }
    }
    return c;
}

bool report_baseline_facts(json_t *run, const char **sysctl, const char **tcp80, const char **status)
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
        *status = report_str(sc, "status");
        return true;
    }
    return false;
}

void report_xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            /* XML 1.0 and HTML forbid most C0 controls even as references. */
            if (c >= 0x20 || c == '\n' || c == '\t')
                fputc(c, out);
        }
    }
}

void report_plain_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' || c == '\r' || c == '\t')
            fputc(' ', out);
        else if (c >= 0x20 && c != 0x7f)
            fputc(c, out);
    }
}

bool report_run_ran(json_t *run)
{
    size_t k;
    json_t *sc;
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        const char *st = report_str(sc, "status");
        if (strcmp(st, "pass") == 0 || strcmp(st, "fail") == 0)
            return true;
    }
    return false;
}

size_t report_images_ran(json_t *report)
{
    size_t i, n = 0;
    json_t *run;
    json_array_foreach(json_object_get(report, "runs"), i, run)
        n += report_run_ran(run);
    return n;
}

/* Why an image ran nothing: its first scenario's reason, first line only
 * (a console tail does not belong in a headline). */
static char *idle_reason(json_t *run)
{
    size_t k;
    json_t *sc;
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        const char *why = report_str(sc, "reason");
        if (why[0])
            return xasprintf("%.*s", (int)strcspn(why, "\n"), why);
    }
    return xstrdup(json_array_size(json_object_get(run, "scenarios")) ? "no reason given" : "no scenarios");
}

char *report_not_run(json_t *report)
{
    json_t *runs = json_object_get(report, "runs");
    size_t n = json_array_size(runs);
    char **why = xcalloc(n ? n : 1, sizeof *why);
    bool *done = xcalloc(n ? n : 1, sizeof *done);
    for (size_t i = 0; i < n; i++) {
        done[i] = report_run_ran(json_array_get(runs, i));
        if (!done[i])
            why[i] = idle_reason(json_array_get(runs, i));
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        die_errno("open_memstream");
    bool any = false;
    /* Images that share a reason share a clause. */
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        fputs(any ? "; " : "", mem);
        any = true;
        for (size_t k = i, first = 1; k < n; k++) {
            if (done[k] || strcmp(why[k], why[i]) != 0)
                continue;
            fputs(first ? "" : ", ", mem);
            first = 0;
            report_plain_text(mem, report_str(json_array_get(runs, k), "image"));
            if (k != i)
                done[k] = true;
        }
        fputs(": not run here (", mem);
        report_plain_text(mem, why[i]);
        fputc(')', mem);
        done[i] = true;
    }
    if (fclose(mem) != 0)
        die_errno("open_memstream");
    for (size_t i = 0; i < n; i++)
        free(why[i]);
    free(why);
    free(done);
    if (!any) {
        free(buf);
        return NULL;
    }
    return buf;
}
