/* The report writers. report.json is the one model: every other output
 * (Markdown, JUnit, TAP, the terminal matrix) is rendered from it, so
 * `portcheck report FILE.json` re-renders any of them without a rerun. */
#ifndef PORTCHECK_REPORT_H
#define PORTCHECK_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Each writes atomically (PATH.tmp then rename); false with errno. */
bool report_write_json(json_t *report, const char *path);
bool report_write_md(json_t *report, const char *path);
bool report_write_junit(json_t *report, const char *path);
bool report_write_html(json_t *report, const char *path);

/* The same, rendered to a stream (stdout for `portcheck report`). */
void report_render_json(json_t *report, FILE *out);
void report_render_md(json_t *report, FILE *out);
void report_render_junit(json_t *report, FILE *out);
void report_render_html(json_t *report, FILE *out);
/* Proposal drafts from the evidence: a Fedora Change (Markdown, for
 * Fedora's Discourse) and a Debian bug against linux-sysctl-defaults (plain
 * text, as reportbug sends it). Both open with the failures when the report
 * holds any, instead of claiming success. */
void report_render_fedora_change(json_t *report, FILE *out);
void report_render_debian_bug(json_t *report, FILE *out);

/* "Objections, measured" and the exposure tables (report_objections.c). */
/* Only the table of the rows (objection, scenario, without, with,
 * mitigation): what the Fedora draft's Feedback section shows. */
void report_objections_table_md(json_t *report, FILE *out);
void report_objections_md(json_t *report, FILE *out);
void report_objections_html(json_t *report, FILE *out);

/* TAP lines for one image's run, numbered from *counter. */
void report_tap_run(json_t *run, FILE *out, int *counter);
/* The images x scenarios table for the terminal. */
void report_print_matrix(json_t *report, FILE *out);

/* A scenario's status. report.json spells it as text; anything but the
 * four names (a hand-edited or foreign file) reads as an error. */
enum report_status { REPORT_PASS, REPORT_FAIL, REPORT_SKIP, REPORT_ERROR };
const char *report_status_name(enum report_status st);
enum report_status report_status_parse(const char *name);
enum report_status report_scenario_status(json_t *scenario);

/* Counts over all runs. */
struct report_counts {
    int pass, fail, skip, error;
};
struct report_counts report_count(json_t *report);

/* The matrix's columns: every scenario name of every run, in the order
 * first seen (a run that ran fewer or other scenarios, or ran them in
 * another order, still lines up: cells are looked up by name). */
struct report_columns {
    size_t n;
    const char **names; /* borrowed from the report */
};
struct report_columns report_columns(json_t *report);
void report_columns_free(struct report_columns *cols);
/* RUN's scenario called NAME and its index in *index, or NULL. */
json_t *report_find_scenario(json_t *run, const char *name, size_t *index);

/* The prose both readable reports carry (negative controls, containers,
 * the security trade-off) as structure, so that each writer adds only its
 * markup: sections of paragraphs and list items, each a row of spans. */
enum report_span_kind {
    REPORT_SPAN_TEXT,
    REPORT_SPAN_CODE,   /* a literal: a command, a path, a setting */
    REPORT_SPAN_STATUS, /* a scenario status: text is its name */
    REPORT_SPAN_STRONG, /* the claim a reader must not miss */
};
struct report_span {
    enum report_span_kind kind;
    char *text;
};
enum report_block_kind { REPORT_PARAGRAPH, REPORT_ITEM };
struct report_block {
    enum report_block_kind kind;
    size_t nspans;
    struct report_span *spans;
};
struct report_section {
    const char *id, *title;
    size_t nblocks;
    struct report_block *blocks;
};
struct report_prose {
    size_t nsections;
    struct report_section *sections;
};
struct report_prose report_prose(json_t *report);
void report_prose_free(struct report_prose *prose);
/* The sentence both readable reports open with, as one paragraph, and the
 * tone a writer may colour it with: pass when every scenario that ran
 * passed, fail when one failed or erred, skip when none ran. */
struct report_block report_summary(json_t *report, enum report_status *tone);
void report_block_free(struct report_block *block);
/* The note for a run that was interrupted, or NULL when it completed. */
const char *report_incomplete_note(json_t *report);

/* What a run's baseline scenario saw (the negative control the readable
 * reports and both drafts list): false when the run had no baseline. */
bool report_baseline_facts(json_t *run, const char **sysctl, const char **tcp80, enum report_status *status);

/* The facts listed under an image's heading, as one section of
 * REPORT_ITEM blocks: OS, kernel, init and accelerator; the recipe hash;
 * the package, if any; the boots, if any. */
struct report_section report_run_facts(json_t *run);
void report_section_free(struct report_section *sec);

/* A copy of REPORT (or of one run) whose every string went through
 * strip_control: what the writers render, since strings in report.json
 * can quote the guest. Free it with json_decref. */
json_t *report_safe_copy(json_t *report);
/* render(report_safe_copy(report), out), the copy freed after. */
void report_render_safe(json_t *report, FILE *out, void (*render)(json_t *, FILE *));
/* Images where a scenario ran (passed or failed): all a headline may
 * claim. An image whose scenarios were all skipped or errored ran nothing. */
size_t report_images_ran(json_t *report);
bool report_run_ran(json_t *run);
/* The images where nothing ran, and why, on one line grouped by reason:
 * "fedora-44, fedora-45: not run here (no Fedora mirror)"; NULL when every
 * image ran something. Already plain text (report_plain_text). Free it. */
char *report_not_run(json_t *report);
/* s as plain text for any writer: C0 controls and DEL dropped, a newline,
 * carriage return or tab becomes a space, so a report string cannot move
 * the cursor, fake a line of its own or end a Markdown table row. */
void report_plain_text(FILE *out, const char *s);

/* What both drafts list (report_evidence.c), one BULLET line an item, each
 * report string through text(). The scenarios that failed or errored, as
 * "IMAGE, SCENARIO: failed|error: REASON"; returns how many. */
int report_list_problems(json_t *report, FILE *out, const char *bullet, void (*text)(FILE *, const char *));
/* The evidence: the images where something ran, as "IMAGE (OS, kernel K,
 * INIT): P of N scenarios passed: NAMES." (skips not counted), those where
 * nothing ran (report_not_run), the totals, then the negative controls. */
void report_list_evidence(json_t *report, FILE *out, const char *bullet, void (*text)(FILE *, const char *));
/* Whether scenario distro-default passed: the key then also came from the
 * distribution's own 50-default.conf with the upstream patch applied. */
bool report_distro_default_passed(json_t *report);
/* "(portcheck VERSION, run started WHEN.)" and a blank line. */
void report_provenance(json_t *report, FILE *out, void (*text)(FILE *, const char *));

/* Rendering helpers shared by the writers. */
const char *report_str(json_t *obj, const char *key);
double report_num(json_t *obj, const char *key);
/* A boot's seconds to the first facts, or to the agent's hello when none were asked. */
double report_boot_seconds(json_t *boot);
/* The boot path when it is not the fast one (multi-user.target, reference), else NULL. */
const char *report_boot_path(json_t *boot);
/* Text or attribute value for XML and HTML alike: the five specials
 * escaped, C0 controls other than tab and newline dropped. */
void report_xml_text(FILE *out, const char *s);
/* Render into memory, then write atomically. */
bool report_write_stream(const char *path, void (*render)(json_t *, FILE *), json_t *report);

#endif
