/* The `run` command: spawns an argv (no shell) in its own session with a
 * clean environment, optionally as another user, with a timeout, and keeps
 * the tail of its output. */
#ifndef PORTCHECK_RUN_H
#define PORTCHECK_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define RUN_OUTPUT_MAX 4096
#define RUN_DEFAULT_TIMEOUT 300.0
#define RUN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct run_result {
    int exit_code;  /* -1 when killed by a signal or not started */
    int signal;
    bool timed_out;
    double seconds;
    char *output;   /* valid UTF-8, NUL-free; malloc'd */
};

/* Runs argv (NULL-terminated) as user (NULL: as the agent itself) for at
 * most timeout seconds. Never fails: problems end up in r->output. */
void run_argv(char *const argv[], double timeout, const char *user, struct run_result *r);

void run_result_free(struct run_result *r);

/* Handles a `run` command object: the `ran` answer, or NULL with a reason
 * in err when the command itself is malformed. */
json_t *run_command(json_t *cmd, json_int_t id, char *err, size_t errlen);

#endif
