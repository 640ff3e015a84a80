/* The objections raised against opening ports 80-1023 to every user (see
 * docs/evidence.md), each tied to the scenario that measures it. The rows
 * go into report.json as "objections", so every format (and a proposal's
 * text) reads the same words and the same measurements. */
#ifndef PORTCHECK_OBJECTIONS_H
#define PORTCHECK_OBJECTIONS_H

#include <jansson.h>

/* One row per objection: {"objection", "scenario", "mitigation", "known"
 * (what is known where nothing was measured, with its source, or ""),
 * "measured": [{"image", "status", "without", "with"}]}, a "measured"
 * entry for each run that has the scenario. */
json_t *objections_json(json_t *runs);

#endif
