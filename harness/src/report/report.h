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

/* TAP lines for one image's run, numbered from *counter. */
void report_tap_run(json_t *run, FILE *out, int *counter);
/* The images x scenarios table for the terminal. */
void report_print_matrix(json_t *report, FILE *out);

/* Counts over all runs. */
struct report_counts {
    int pass, fail, skip, error;
};
struct report_counts report_count(json_t *report);

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
/* What a run's baseline scenario saw (the negative control both readable
 * reports list): false when the run had no baseline. */
bool report_baseline_facts(json_t *run, const char **sysctl, const char **tcp80, const char **status);
/* Text or attribute value for XML and HTML alike: the five specials
 * escaped, C0 controls other than tab and newline dropped. */
void report_xml_text(FILE *out, const char *s);
/* Render into memory, then write atomically. */
bool report_write_stream(const char *path, void (*render)(json_t *, FILE *), json_t *report);

#endif
