/* The unit pool: every image, or every chain of one image's scenarios when
 * more than one VM runs at once, is a unit run by a child process of its
 * own, at most `jobs` at a time, heaviest first. A unit's result reaches
 * the parent only through a file the child writes on a clean exit, stamped
 * with this run's nonce: a child that died, or a file left by another run,
 * is an error, never a pass. */
#ifndef PORTCHECK_UNITS_H
#define PORTCHECK_UNITS_H

#include "run/runner.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Run every image's wanted scenarios; results[i] is image i's part of
 * report.json (owned by the caller). With tap, each image's TAP lines go to
 * stdout as soon as its units are in; *tap_counter numbers them. */
void units_run(const struct run_config *cfg, const struct image_info *imgs, size_t n, int jobs, json_t **results,
               bool tap, int *tap_counter);

#endif
