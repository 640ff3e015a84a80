/* The one option parser of every subcommand: a table of long options read
 * with getopt_long, and the same one-line errors (exit 2) everywhere. */
#ifndef PORTCHECK_OPTIONS_H
#define PORTCHECK_OPTIONS_H

#include <stdbool.h>

struct cli_option {
    const char *name;    /* without the dashes */
    bool takes_value;
    int id;              /* passed to take(); any value but 0 and '?' */
    const char *example; /* shown when the value is missing */
};

/* Parse argv[2..] of `command` (a table ending in a {NULL} entry): take()
 * gets every option with its value (NULL for a flag), positional() every
 * other argument and returns false to refuse it (NULL: none are allowed). */
void cli_parse(const char *command, int argc, char **argv, const struct cli_option *opts,
               void (*take)(void *ctx, int id, const char *value), bool (*positional)(void *ctx, const char *arg),
               void *ctx);

/* An --accel value (auto, kvm or tcg), or a one-line usage error. */
const char *cli_accel(const char *value);

/* value as a number from min to max, or a one-line usage error naming option. */
double cli_number(const char *value, const char *option, double min, double max);

#endif
