/* Supervises a forked child: collects what it writes to a pipe, waits for
 * it with a deadline, and SIGKILLs it (or its process group) at the
 * deadline. Shared by the bind check, `run` and the power commands. */
#ifndef PORTCHECK_CHILD_H
#define PORTCHECK_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Receives each chunk read from the child's pipe. */
typedef void (*child_sink)(void *ctx, const char *data, size_t len);

struct child_result {
    bool reaped;     /* false: it would not die even after SIGKILL */
    int status;      /* waitpid status, when reaped */
    bool timed_out;  /* we killed it at the deadline */
    int64_t elapsed_ns;
};

/* Reads fd (may be -1) until the child has exited and the pipe is drained
 * or timeout_ms has passed; kill_group: the child leads its own process
 * group, and the whole group is killed at the deadline. Does not close fd. */
void child_collect(pid_t pid, int fd, int64_t timeout_ms, bool kill_group,
                   child_sink sink, void *ctx, struct child_result *res);

#endif
