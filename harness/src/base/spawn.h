/* Running helper programs (qemu-img, mkfs.ext4, build-image) from argv
 * arrays, never through a shell, each with a deadline. */
#ifndef PORTCHECK_SPAWN_H
#define PORTCHECK_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct spawn_result {
    int exit_code;     /* exit status, or -1 when killed or not started */
    int signal;        /* the signal that ended it, 0 if none */
    bool timed_out;
    bool interrupted;  /* stopped because we got SIGINT/SIGTERM */
    char *out;         /* stdout (up to the cap), NUL-terminated, owned */
    char *err;         /* stderr tail (up to the cap), owned */
};

/* How spawn_fork sets the child up. */
enum spawn_flags {
    SPAWN_OWN_GROUP = 1 << 0,     /* a process group of its own: a kill of the group takes what it starts */
    SPAWN_RESET_SIGNALS = 1 << 1, /* default signal handling, for a child that will exec */
};

/* fork() for every child portcheck starts (helpers, qemu, units): in the
 * child, deathsig is set with PR_SET_PDEATHSIG and the parent is checked
 * again afterwards (it may have died between fork and prctl, and then the
 * signal would never come). A unit keeps portcheck's own signal handling,
 * so that SIGTERM ends it in an orderly way; a child that execs resets it.
 * Returns the child's pid in the parent and 0 in the child; dies if fork
 * fails. */
pid_t spawn_fork(int deathsig, unsigned flags);

/* How long a helper's process group has, after SIGTERM, to clean up before
 * SIGKILL (build-image undoes its mounts and removes its tree). */
#define SPAWN_TERM_GRACE_S 30

/* Run argv[0] (looked up in PATH) to completion or timeout_s, whichever
 * comes first; a timeout or our own SIGINT/SIGTERM sends its whole process
 * group SIGTERM, then SIGKILL SPAWN_TERM_GRACE_S later. stderr is also
 * copied line by line to our stderr when echo_stderr is set (progress of
 * long builds). Always returns true: a program that cannot be started
 * ends its child with exit code 127 and the reason in res->err, and a
 * failed fork or pipe dies (there is nothing to run on). */
bool spawn_run(char *const argv[], double timeout_s, bool echo_stderr, struct spawn_result *res);
void spawn_result_free(struct spawn_result *res);
/* spawn_run for a helper that must succeed: false with "ARGV0 failed
 * (EXIT): its first stderr line" in err. */
bool spawn_check(char *const argv[], double timeout_s, char *err, size_t errlen);

/* Whether a program is on PATH (for one-line "install X" errors). */
bool program_on_path(const char *name);
/* The file execvp would run for name (searched in PATH unless it has a
 * slash), malloc'd, or NULL. */
char *program_path(const char *name);

#endif
