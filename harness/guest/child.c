/* Child supervision with a deadline. */
#define _GNU_SOURCE
#include "child.h"

#include "fdio.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* After the child exits, a background process it left behind may still
 * hold the pipe; stop reading after this long rather than wait for it. */
#define DRAIN_NS (500 * 1000000LL)
/* A SIGKILLed process that is still there after this is stuck in the
 * kernel; give up on it rather than hang the agent. */
#define REAP_NS (5000 * 1000000LL)
/* Without a pidfd, how often to look whether the child has exited. */
#define TICK_NS (100 * 1000000LL)

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    /* A pidfd wakes poll() when the child exits, so the agent sleeps until
     * something happens instead of ticking. Kernels before 5.3 lack it. */
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

void child_collect(pid_t pid, int fd, int64_t timeout_ms, bool kill_group,
                   child_sink sink, void *ctx, struct child_result *res)
{
    int64_t start = now_ns();
    int64_t deadline = start + timeout_ms * 1000000;
    int64_t exit_at = 0, kill_at = 0, now = start;
    int pidfd = open_pidfd(pid);
    bool out_open = fd >= 0;

    memset(res, 0, sizeof *res);
    for (;;) {
        struct pollfd pfd[2];
        nfds_t nfds = 0;
        int64_t wake;
        int out_idx = -1, r;

        if (!res->reaped) {
            pid_t w = waitpid(pid, &res->status, WNOHANG);
            if (w == pid) {
                res->reaped = true;
                exit_at = now_ns();
            } else if (w < 0 && errno != EINTR) {
                log_msg("waitpid(%d): %s", (int)pid, strerror(errno));
                break;
            }
        }
        now = now_ns();
        if (res->reaped && !out_open)
            break;
        if (res->reaped && now >= exit_at + DRAIN_NS) {
            log_msg("pid %d exited but its output pipe is still open (a background process?); "
                    "not reading it any longer", (int)pid);
            break;
        }
        if (!res->reaped && !res->timed_out && now >= deadline) {
            /* Both: before the child's setsid() its group does not exist. */
            if (kill_group && kill(-pid, SIGKILL) < 0 && errno != ESRCH)
                log_msg("kill(-%d, SIGKILL): %s", (int)pid, strerror(errno));
            if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
                log_msg("kill(%d, SIGKILL): %s", (int)pid, strerror(errno));
            res->timed_out = true;
            kill_at = now;
        }
        if (!res->reaped && res->timed_out && now >= kill_at + REAP_NS) {
            log_msg("pid %d is still there %lld s after SIGKILL; giving up on it",
                    (int)pid, (long long)(REAP_NS / 1000000000));
            break;
        }

        if (res->reaped)
            wake = exit_at + DRAIN_NS;
        else if (res->timed_out)
            wake = kill_at + REAP_NS;
        else
            wake = deadline;
        if (!res->reaped && pidfd < 0 && wake > now + TICK_NS)
            wake = now + TICK_NS;

        if (out_open) {
            out_idx = (int)nfds;
            pfd[nfds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
        }
        if (!res->reaped && pidfd >= 0)
            pfd[nfds++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };

        /* Round up so that we never wake just before the deadline. */
        r = poll(pfd, nfds, wake > now ? (int)((wake - now + 999999) / 1000000) : 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_msg("poll: %s", strerror(errno));
            sleep_ms(100); /* never spin if poll keeps failing */
            continue;
        }
        if (out_idx >= 0 && pfd[out_idx].revents) {
            char buf[16384];
            ssize_t n = read(fd, buf, sizeof buf);

            if (n > 0) {
                sink(ctx, buf, (size_t)n);
            } else if (n == 0) {
                out_open = false;
            } else if (errno != EINTR && errno != EAGAIN) {
                log_msg("reading the output of pid %d: %s", (int)pid, strerror(errno));
                out_open = false;
            }
        }
    }
    if (pidfd >= 0)
        close_fd(pidfd, "pidfd");
    res->elapsed_ns = (res->reaped ? exit_at : now_ns()) - start;
}
