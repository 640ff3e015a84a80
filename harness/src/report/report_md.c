/* report.md: the evidence a proposal author pastes into a Fedora Change or
 * a Debian bug. It says what was tested, what held, which checks could have
 * failed (the negative controls) and what the setting gives up. */
#define _GNU_SOURCE
#include "report/report.h"

#include "base/util.h"

#include <string.h>

/* Text from the report, inline or in a table cell: one line, and nothing
 * Markdown or the HTML it allows would read as markup (a tag, an entity, a
 * cell boundary, a code span). */
static void md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '|': fputs("\\|", out); break;
        case '`': fputs("\\`", out); break;
        case '\n':
        case '\r': fputc(' ', out); break;
        default: fputc(*s, out);
        }
    }
}

/* The longest run of backticks in s: a code span or fence needs a longer one. */
static size_t backtick_run(const char *s)
{
    size_t longest = 0, run = 0;
    for (; *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    return longest;
}

static void backticks(FILE *out, size_t n)
{
    while (n--)
        fputc('`', out);
}

/* A code span (outside tables) that holds s whatever backticks it has
 * (CommonMark: the delimiter is longer than any run inside, and a space
 * keeps a backtick at either end apart from it). */
static void md_code(FILE *out, const char *s)
{
    size_t ticks = backtick_run(s) + 1;
    const char *pad = ticks > 1 ? " " : "";
    backticks(out, ticks);
    fputs(pad, out);
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
    fputs(pad, out);
    backticks(out, ticks);
}

static const char *status_mark(enum report_status st)
{
    switch (st) {
    case REPORT_FAIL: return "**FAIL**";
    case REPORT_ERROR: return "**ERROR**";
    case REPORT_PASS:
    case REPORT_SKIP: break;
    }
    return report_status_name(st);
}

static void md_spans(FILE *out, const struct report_block *blk)
{
    for (size_t i = 0; i < blk->nspans; i++) {
        const struct report_span *sp = &blk->spans[i];
        if (sp->kind == REPORT_SPAN_CODE) {
            md_code(out, sp->text);
            continue;
        }
        if (sp->kind == REPORT_SPAN_STRONG)
            fputs("**", out);
        md_text(out, sp->text);
        if (sp->kind == REPORT_SPAN_STRONG)
            fputs("**", out);
    }
}

static void summary(json_t *report, FILE *out)
{
    enum report_status tone;
    struct report_block sentence = report_summary(report, &tone);
    md_spans(out, &sentence);
    fputs("\n\n", out);
    report_block_free(&sentence);
    cleanup_free char *idle = report_not_run(report);
    if (idle) {
        md_text(out, idle);
        fputs(".\n\n", out);
    }
    const char *note = report_incomplete_note(report);
    if (note)
        fprintf(out, "> %s\n\n", note);
}

static void matrix(json_t *report, FILE *out)
{
    json_t *runs = json_object_get(report, "runs");
    if (json_array_size(runs) == 0)
        return;
    struct report_columns cols = report_columns(report);
    size_t i, k;
    json_t *run;
    fputs("## Matrix\n\n| image | kernel | init | package |", out);
    for (size_t c = 0; c < cols.n; c++) {
        fputc(' ', out);
        md_text(out, cols.names[c]);
        fputs(" |", out);
    }
    fputs("\n|---|---|---|---|", out);
    for (size_t c = 0; c < cols.n; c++)
        fputs("---|", out);
    fputc('\n', out);
    json_array_foreach(runs, i, run) {
        json_t *pkg = json_object_get(run, "package");
        fputs("| ", out);
        md_text(out, report_str(run, "image"));
        fputs(" | ", out);
        md_text(out, report_str(run, "kernel"));
        fputs(" | ", out);
        md_text(out, report_str(run, "init"));
        fputs(" | ", out);
        if (json_is_object(pkg)) {
            md_text(out, report_str(pkg, "name"));
            fputc(' ', out);
            md_text(out, report_str(pkg, "version"));
            fputs(" (", out);
            md_text(out, report_str(pkg, "format"));
            fputc(')', out);
        }
        fputs(" |", out);
        for (size_t c = 0; c < cols.n; c++) {
            json_t *sc = report_find_scenario(run, cols.names[c], &k);
            /* An en dash: the image did not run this scenario. */
            fprintf(out, " %s |", sc ? status_mark(report_scenario_status(sc)) : "\u2013");
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    report_columns_free(&cols);
}

static void image_details(json_t *run, FILE *out)
{
    size_t k, j;
    json_t *sc, *ck;
    fputs("### ", out);
    md_text(out, report_str(run, "image"));
    fputs("\n\n", out);
    struct report_section facts = report_run_facts(run);
    for (size_t f = 0; f < facts.nblocks; f++) {
        fputs("- ", out);
        md_spans(out, &facts.blocks[f]);
        fputc('\n', out);
    }
    report_section_free(&facts);
    fputs("\n| scenario | status | seconds | checks | note |\n|---|---|---|---|---|\n", out);
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        int ok = 0, n = 0;
        json_array_foreach(json_object_get(sc, "checks"), j, ck) {
            n++;
            ok += json_is_true(json_object_get(ck, "ok"));
        }
        fputs("| ", out);
        md_text(out, report_str(sc, "name"));
        fprintf(out, " | %s | %.1f | %d/%d | ", status_mark(report_scenario_status(sc)), report_num(sc, "seconds"),
                ok, n);
        const char *reason = report_str(sc, "reason");
        md_text(out, reason[0] ? reason : report_str(sc, "summary"));
        fputs(" |\n", out);
    }
    fputc('\n', out);
    /* Every check, compact, so a reviewer can see what "pass" stands for. */
    json_array_foreach(json_object_get(run, "scenarios"), k, sc) {
        if (json_array_size(json_object_get(sc, "checks")) == 0)
            continue;
        fputs("<details><summary>", out);
        md_text(out, report_str(sc, "name"));
        fputs(": checks</summary>\n\n| check | expected | got | |\n|---|---|---|---|\n", out);
        json_array_foreach(json_object_get(sc, "checks"), j, ck) {
            fputs("| ", out);
            md_text(out, report_str(ck, "what"));
            fputs(" | ", out);
            md_text(out, report_str(ck, "expect"));
            fputs(" | ", out);
            md_text(out, report_str(ck, "got"));
            fprintf(out, " | %s |\n", json_is_true(json_object_get(ck, "ok")) ? "ok" : "**MISMATCH**");
        }
        fputs("\n</details>\n\n", out);
    }
}

/* The shared prose (report_prose) in Markdown. */
static void prose(json_t *report, FILE *out)
{
    struct report_prose p = report_prose(report);
    for (size_t s = 0; s < p.nsections; s++) {
        const struct report_section *sec = &p.sections[s];
        fprintf(out, "## %s\n\n", sec->title);
        for (size_t b = 0; b < sec->nblocks; b++) {
            const struct report_block *blk = &sec->blocks[b];
            if (blk->kind == REPORT_ITEM)
                fputs("- ", out);
            md_spans(out, blk);
            /* A paragraph ends with a blank line, and so does a list. */
            bool list_goes_on = blk->kind == REPORT_ITEM && b + 1 < sec->nblocks &&
                                sec->blocks[b + 1].kind == REPORT_ITEM;
            fputs(list_goes_on ? "\n" : "\n\n", out);
        }
    }
    report_prose_free(&p);
}

/* A fenced block that holds s whatever backticks it has. */
static void md_fence(FILE *out, const char *s)
{
    size_t ticks = backtick_run(s) + 1;
    ticks = ticks < 3 ? 3 : ticks;
    backticks(out, ticks);
    fprintf(out, "\n%s\n", s);
    backticks(out, ticks);
    fputc('\n', out);
}

static void render(json_t *report, FILE *out)
{
    fputs("# unprivileged-ports: evidence report\n\n", out);
    summary(report, out);
    matrix(report, out);
    fputs("## Images\n\n", out);
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(report, "runs"), i, run)
        image_details(run, out);
    prose(report, out);
    report_objections_md(report, out);
    fputs("## Reproduce\n\n", out);
    md_fence(out, report_str(report, "command"));
    fputs("\nportcheck ", out);
    md_text(out, report_str(report, "version"));
    fputs(", ", out);
    md_text(out, report_str(report, "started"));
    fputs(".\n", out);
}

void report_render_md(json_t *report, FILE *out)
{
    report_render_safe(report, out, render);
}

bool report_write_md(json_t *report, const char *path)
{
    return report_write_stream(path, report_render_md, report);
}
