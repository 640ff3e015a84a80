/* Helpers shared by the report writers, and the JSON writer itself. */
#define _GNU_SOURCE
#include "report/report.h"

#include "base/text_safe.h"
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
    /* ASCII only: a C1 control (U+009B is CSI) stays an escape, never a raw
     * byte pair a terminal could obey, and the data is unchanged. */
    json_dumpf(report, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    fputc('\n', out);
}

bool report_write_json(json_t *report, const char *path)
{
    return report_write_stream(path, report_render_json, report);
}

static const char *const status_names[] = {
    [REPORT_PASS] = "pass",
    [REPORT_FAIL] = "fail",
    [REPORT_SKIP] = "skip",
    [REPORT_ERROR] = "error",
};

const char *report_status_name(enum report_status st)
{
    return (size_t)st < sizeof status_names / sizeof *status_names ? status_names[st] : "error";
}

enum report_status report_status_parse(const char *name)
{
    for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++)
        if (strcmp(name, status_names[i]) == 0)
            return (enum report_status)i;
    return REPORT_ERROR;
}

enum report_status report_scenario_status(json_t *scenario)
{
    return report_status_parse(report_str(scenario, "status"));
}

struct report_counts report_count(json_t *report)
{
    struct report_counts c = {0};
    size_t i, k;
    json_t *run, *sc;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            switch (report_scenario_status(sc)) {
            case REPORT_PASS: c.pass++; break;
            case REPORT_FAIL: c.fail++; break;
            case REPORT_SKIP: c.skip++; break;
            case REPORT_ERROR: c.error++; break;
            }
        }
    }
    return c;
}

struct report_columns report_columns(json_t *report)
{
    struct report_columns cols = {0};
    size_t cap = 0, i, k;
    json_t *run, *sc;
    json_array_foreach(json_object_get(report, "runs"), i, run) {
        json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
            const char *name = report_str(sc, "name");
            size_t c = 0;
            while (c < cols.n && strcmp(cols.names[c], name) != 0)
                c++;
            if (c < cols.n)
                continue;
            if (cols.n == cap) {
                cap = cap ? 2 * cap : 16;
                cols.names = xrealloc(cols.names, cap * sizeof *cols.names);
            }
            cols.names[cols.n++] = name;
        }
    }
    return cols;
}

void report_columns_free(struct report_columns *cols)
{
    free(cols->names);
    cols->names = NULL;
    cols->n = 0;
}

json_t *report_find_scenario(json_t *run, const char *name, size_t *index)
{
    size_t k;
    json_t *sc;
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        if (strcmp(report_str(sc, "name"), name) == 0) {
            *index = k;
            return sc;
        }
    }
    return NULL;
}

/* Strip every string below V in place (V is the writers' own copy). */
static void strip_strings(json_t *v)
{
    size_t i;
    const char *key;
    json_t *child;
    if (json_is_string(v)) {
        cleanup_free char *s = xstrdup(json_string_value(v));
        strip_control(s);
        json_string_set(v, s);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
            strip_strings(child);
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, child)
            strip_strings(child);
    }
}

json_t *report_safe_copy(json_t *report)
{
    json_t *copy = json_deep_copy(report);
    if (!copy)
        die("out of memory copying the report");
    strip_strings(copy);
    return copy;
}

void report_render_safe(json_t *report, FILE *out, void (*render)(json_t *, FILE *))
{
    json_t *safe = report_safe_copy(report);
    render(safe, out);
    json_decref(safe);
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
