/* getopt_long behind a table (options.h). */
#define _GNU_SOURCE
#include "cli/options.h"

#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define CLI_OPTIONS_MAX 32

void cli_parse(const char *command, int argc, char **argv, const struct cli_option *opts,
               void (*take)(void *ctx, int id, const char *value), bool (*positional)(void *ctx, const char *arg),
               void *ctx)
{
    struct option longopts[CLI_OPTIONS_MAX + 1];
    size_t n = 0;
    for (; opts[n].name; n++) {
        if (n == CLI_OPTIONS_MAX)
            die("%s has more than %d options: raise CLI_OPTIONS_MAX", command, CLI_OPTIONS_MAX);
        longopts[n] = (struct option){opts[n].name, opts[n].takes_value ? required_argument : no_argument, NULL,
                                      opts[n].id};
    }
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    /* ':' first: a missing value is told apart from an unknown option. */
    opterr = 0;
    optind = 2;
    int c, at;
    while ((c = getopt_long(argc, argv, ":", longopts, &at)) != -1) {
        if (c == ':') {
            const char *arg = argv[optind - 1];
            for (size_t i = 0; i < n; i++)
                if (strcmp(arg + 2, opts[i].name) == 0)
                    die_usage("%s: --%s needs a value, e.g. --%s %s", command, opts[i].name, opts[i].name,
                              opts[i].example ? opts[i].example : "VALUE");
            die_usage("%s: option '%s' needs a value", command, arg);
        }
        if (c == '?')
            die_usage("%s: unknown option '%s'", command, argv[optind - 1]);
        take(ctx, c, optarg);
    }
    for (int i = optind; i < argc; i++)
        if (!positional || !positional(ctx, argv[i]))
            die_usage("%s: unexpected argument '%s'", command, argv[i]);
}

const char *cli_accel(const char *value)
{
    if (strcmp(value, "auto") && strcmp(value, "kvm") && strcmp(value, "tcg"))
        die_usage("--accel '%s' is not auto, kvm or tcg", value);
    return value;
}

double cli_number(const char *value, const char *option, double min, double max)
{
    char *end;
    errno = 0;
    double d = strtod(value, &end);
    if (errno || end == value || *end || !(d >= min && d <= max))
        die_usage("%s '%s' is not a number from %g to %g", option, value, min, max);
    return d;
}
