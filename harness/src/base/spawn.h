/* Running helper programs (qemu-img, mkfs.ext4, build-image) from argv
 * arrays, never through a shell, each with a deadline. */
#ifndef PORTCHECK_SPAWN_H
#define PORTCHECK_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

struct spawn_result {
    int exit_code;     /* exit status, or -1 when killed or not started */
    int signal;        /* the signal that ended it, 0 if none */
    bool timed_out;
    char *out;         /* stdout (up to the cap), NUL-terminated, owned */
    char *err;         /* stderr tail (up to the cap), owned */
};

/* Run argv[0] (looked up in PATH) to completion or timeout_s, whichever
 * comes first; a timeout kills its whole process group. stderr is also
 * copied line by line to our stderr when echo_stderr is set (progress of
 * long builds). Returns false only when it could not be started at all. */
bool spawn_run(char *const argv[], double timeout_s, bool echo_stderr, struct spawn_result *res);
void spawn_result_free(struct spawn_result *res);

/* Whether a program is on PATH (for one-line "install X" errors). */
bool program_on_path(const char *name);

#endif
