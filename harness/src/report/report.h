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

/* "Objections, measured" and the exposure tables (report_objections.c). */
void report_objections_md(json_t *report, FILE *out);
void report_objections_html(json_t *report, FILE *out);

/* TAP lines for one image's run, numbered from *counter. */
void report_tap_run(json_t *run, FILE *out, int *counter);
/* The images x scenarios table for the terminal. */
void report_print_matrix(json_t *report, FILE *out);

/* Counts over all runs. */
struct report_counts {
    int pass, fail, skip, error;
};
struct report_counts report_count(json_t *report);

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
