/* Helpers run to completion: fork, exec, collect output with poll, and a
 * deadline enforced on the child's process group. */
#define _GNU_SOURCE
#include "base/spawn.h"

#include "base/signals.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAPTURE_CAP (256 * 1024)

struct capture {
    char *buf;
    size_t len;
};

static void capture_append(struct capture *c, const char *data, size_t n, bool keep_tail)
{
    if (!c->buf)
        c->buf = xcalloc(CAPTURE_CAP + 1, 1);
    if (n > CAPTURE_CAP) {
        data += n - CAPTURE_CAP;
        n = CAPTURE_CAP;
    }
    if (c->len + n > CAPTURE_CAP) {
        if (!keep_tail)
            n = CAPTURE_CAP - c->len;
        else {
            size_t drop = c->len + n - CAPTURE_CAP;
            memmove(c->buf, c->buf + drop, c->len - drop);
            c->len -= drop;
        }
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    c->buf[c->len] = '\0';
}

static char *capture_take(struct capture *c)
{
    if (!c->buf)
        return xstrdup("");
    return c->buf;
}

char *program_path(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    cleanup_free char *copy = xstrdup(path ? path : "/usr/bin:/bin");
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *full = xasprintf("%s/%s", dir, name);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
            return full;
        free(full);
    }
    return NULL;
}

bool program_on_path(const char *name)
{
    cleanup_free char *full = program_path(name);
    return full != NULL;
}

pid_t spawn_fork(int deathsig, unsigned flags)
{
    bool own_group = flags & SPAWN_OWN_GROUP;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die_errno("fork");
    if (pid > 0) {
        if (own_group)
            setpgid(pid, pid); /* also in the child: whichever runs first */
        return pid;
    }
    if (own_group)
        setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, deathsig) != 0 || getppid() != parent)
        _exit(127);
    if (flags & SPAWN_RESET_SIGNALS)
        signals_child_reset();
    return 0;
}

bool spawn_run(char *const argv[], double timeout_s, bool echo_stderr, struct spawn_result *res)
{
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0)
        die_errno("pipe2");
    if (pipe2(err_pipe, O_CLOEXEC) != 0)
        die_errno("pipe2");

    /* Its own process group, so a timeout or our own death takes every
     * helper it started with it. */
    pid_t pid = spawn_fork(SIGKILL, SPAWN_OWN_GROUP | SPAWN_RESET_SIGNALS);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_pipe[1], 1) < 0 || dup2(err_pipe[1], 2) < 0)
            _exit(127);
        /* Nothing but 0-2 reaches a helper: tools that number their own
         * pipes (mmdebstrap writes "cat >&N" for dash, which reads one
         * digit) break when inherited descriptors push N past 9. */
        if (close_range(3, ~0U, 0) != 0) {
            dprintf(2, "cannot close inherited descriptors: %s\n", strerror(errno));
            _exit(127);
        }
        execvp(argv[0], argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);

    struct capture out = {0}, err = {0};
    struct pollfd fds[2] = {{.fd = out_pipe[0], .events = POLLIN}, {.fd = err_pipe[0], .events = POLLIN}};
    char line[4096];
    size_t line_len = 0;
    double deadline = now_monotonic() + timeout_s;
    bool terminating = false;
    int open_fds = 2;
    while (open_fds > 0) {
        double left = deadline - now_monotonic();
        if (!terminating && (left <= 0 || signals_pending())) {
            /* A chance to clean up first: its traps never run on SIGKILL. */
            res->timed_out = left <= 0;
            res->interrupted = !res->timed_out;
            kill(-pid, SIGTERM);
            terminating = true;
            deadline = now_monotonic() + SPAWN_TERM_GRACE_S;
            left = SPAWN_TERM_GRACE_S;
        } else if (terminating && left <= 0) {
            kill(-pid, SIGKILL);
            break;
        }
        /* Once terminating, a signal already caught must not end the
         * wait: plain poll (the signals stay blocked) for the grace. */
        int n = terminating ? poll(fds, 2, (int)(left * 1000) + 1) : signals_ppoll(fds, 2, left);
        if (n < 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[8192];
            ssize_t r = read(fds[i].fd, buf, sizeof buf);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            capture_append(i == 0 ? &out : &err, buf, (size_t)r, i == 1);
            if (i == 1 && echo_stderr) {
                for (ssize_t k = 0; k < r; k++) {
                    if (line_len < sizeof line - 1)
                        line[line_len++] = buf[k];
                    if (buf[k] == '\n') {
                        fwrite(line, 1, line_len, stderr);
                        line_len = 0;
                    }
                }
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    if (terminating)
        kill(-pid, SIGKILL); /* whatever of its group ignored SIGTERM */

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            die_errno("waitpid for %s", argv[0]);
    }
    if (WIFEXITED(status))
        res->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        res->signal = WTERMSIG(status);
    res->out = capture_take(&out);
    res->err = capture_take(&err);
    return true;
}

void spawn_result_free(struct spawn_result *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

bool spawn_check(char *const argv[], double timeout_s, char *err, size_t errlen)
{
    struct spawn_result res;
    spawn_run(argv, timeout_s, false, &res);
    bool ok = res.exit_code == 0;
    if (!ok) {
        char *nl = strchr(res.err, '\n');
        if (nl)
            *nl = '\0';
        snprintf(err, errlen, "%s failed (%s%d): %s", argv[0], res.timed_out ? "timed out, " : "", res.exit_code,
                 res.err);
    }
    spawn_result_free(&res);
    return ok;
}
