/* The `run` command. */
#define _GNU_SOURCE
#include "run.h"

#include "child.h"
#include "fdio.h"
#include "log.h"
#include "text.h"
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Longest timeout accepted: a week; anything longer is a mistake. */
#define RUN_MAX_TIMEOUT (7 * 24 * 3600.0)
#define RUN_MAX_ARGS 4096

/* The last RUN_OUTPUT_MAX bytes of output, as a ring. */
struct tail {
    char buf[RUN_OUTPUT_MAX];
    size_t pos;            /* where the next byte goes */
    unsigned long long total;
};

static void tail_sink(void *ctx, const char *data, size_t len)
{
    struct tail *t = ctx;

    t->total += len;
    if (len >= sizeof t->buf) {
        memcpy(t->buf, data + len - sizeof t->buf, sizeof t->buf);
        t->pos = 0;
        return;
    }
    size_t first = sizeof t->buf - t->pos < len ? sizeof t->buf - t->pos : len;
    memcpy(t->buf + t->pos, data, first);
    memcpy(t->buf, data + first, len - first);
    t->pos = (t->pos + len) % sizeof t->buf;
}

/* The tail in order, sanitized to UTF-8; NULL when out of memory. */
static char *tail_text(const struct tail *t)
{
    char raw[RUN_OUTPUT_MAX];
    size_t n, skip = 0;
    char *out;

    if (t->total <= sizeof t->buf) {
        n = (size_t)t->total;
        memcpy(raw, t->buf, n);
    } else {
        n = sizeof t->buf;
        memcpy(raw, t->buf + t->pos, n - t->pos);
        memcpy(raw + n - t->pos, t->buf, t->pos);
        /* Cutting may have split a character: drop its continuation bytes
         * rather than show a spurious U+FFFD. */
        while (skip < 3 && skip < n && ((unsigned char)raw[skip] & 0xC0) == 0x80)
            skip++;
    }
    out = malloc(3 * (n - skip) + 1);
    if (out)
        utf8_sanitize(raw + skip, n - skip, out);
    return out;
}

/* In the child: report why it could not go on, and die. */
static void __attribute__((noreturn)) child_fail(int fd, const char *what, int err)
{
    char msg[512];
    int len = snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));

    if (len > 0 && write(fd, msg, (size_t)len < sizeof msg ? (size_t)len : sizeof msg - 1) < 0) {
        /* Nobody left to tell. */
    }
    _exit(127);
}

static void __attribute__((noreturn))
child_main(char *const argv[], char **env, const struct user_info *u, int out_fd, int status_fd)
{
    extern char **environ;
    sigset_t none;
    char what[PATH_MAX + 32];
    int null;

    /* The agent ignores SIGPIPE; exec keeps ignored signals ignored. */
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        child_fail(status_fd, "sigprocmask", errno);
    if (signal(SIGPIPE, SIG_DFL) == SIG_ERR)
        child_fail(status_fd, "signal(SIGPIPE)", errno);
    /* Its own session and process group, so that the timeout can kill
     * everything it started, and no controlling terminal. */
    if (setsid() < 0)
        child_fail(status_fd, "setsid", errno);
    null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0)
        child_fail(status_fd, "open /dev/null", errno);
    if (dup2(null, STDIN_FILENO) < 0)
        child_fail(status_fd, "dup2 stdin", errno);
    if (dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
        child_fail(status_fd, "dup2 stdout/stderr", errno);
    /* The agent's own directory is an accident of how it was started. */
    if (chdir("/") < 0)
        child_fail(status_fd, "chdir /", errno);
    if (u) {
        if (setgroups(u->ngroups, u->groups) < 0)
            child_fail(status_fd, "setgroups", errno);
        if (setgid(u->gid) < 0) {
            snprintf(what, sizeof what, "setgid(%u)", (unsigned)u->gid);
            child_fail(status_fd, what, errno);
        }
        if (setuid(u->uid) < 0) {
            snprintf(what, sizeof what, "setuid(%u)", (unsigned)u->uid);
            child_fail(status_fd, what, errno);
        }
    }
    /* execvp() searches the PATH of environ, so install the clean
     * environment first. */
    environ = env;
    execvp(argv[0], argv);
    snprintf(what, sizeof what, "execvp(%s)", argv[0]);
    child_fail(status_fd, what, errno);
}

static void set_output(struct run_result *r, const char *text)
{
    free(r->output);
    r->output = malloc(3 * strlen(text) + 1);
    if (r->output)
        utf8_sanitize(text, strlen(text), r->output);
}

void run_argv(char *const argv[], double timeout, const char *user, struct run_result *r)
{
    static struct user_info u;
    static struct tail tail;
    char err[512], home[PATH_MAX + 8], failure[512];
    char *env[] = { "PATH=" RUN_PATH, "LANG=C.UTF-8", home, NULL };
    struct child_result res;
    int out[2], status[2];
    ssize_t n;
    pid_t pid;

    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    if (user) {
        if (user_lookup(user, &u, err, sizeof err) < 0) {
            set_output(r, err);
            return;
        }
        snprintf(home, sizeof home, "HOME=%s", u.home);
    } else {
        const char *h = getenv("HOME");
        snprintf(home, sizeof home, "HOME=%s", h && *h ? h : "/");
    }
    if (pipe2(out, O_CLOEXEC) < 0) {
        snprintf(err, sizeof err, "pipe2: %s", strerror(errno));
        set_output(r, err);
        return;
    }
    /* The child writes here why it could not exec; CLOEXEC closes it on
     * success, so an empty read means the program started. */
    if (pipe2(status, O_CLOEXEC) < 0) {
        snprintf(err, sizeof err, "pipe2: %s", strerror(errno));
        set_output(r, err);
        close_fd(out[0], "pipe");
        close_fd(out[1], "pipe");
        return;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, sizeof err, "fork: %s", strerror(errno));
        set_output(r, err);
        close_fd(out[0], "pipe");
        close_fd(out[1], "pipe");
        close_fd(status[0], "pipe");
        close_fd(status[1], "pipe");
        return;
    }
    if (pid == 0) {
        close_fd(out[0], "pipe");
        close_fd(status[0], "pipe");
        child_main(argv, env, user ? &u : NULL, out[1], status[1]);
    }
    close_fd(out[1], "pipe");
    close_fd(status[1], "pipe");
    memset(&tail, 0, sizeof tail);
    child_collect(pid, out[0], (int64_t)(timeout * 1000), true, tail_sink, &tail, &res);
    close_fd(out[0], "pipe");

    /* The child is gone (or hopeless), so this read cannot block. */
    do
        n = res.reaped ? read(status[0], failure, sizeof failure - 1) : 0;
    while (n < 0 && errno == EINTR);
    close_fd(status[0], "pipe");

    r->timed_out = res.timed_out;
    r->seconds = (double)(res.elapsed_ns / 1000000) / 1000.0;
    if (n > 0) {
        failure[n] = '\0';
        set_output(r, failure);
        return;
    }
    if (!res.reaped)
        r->signal = SIGKILL;
    else if (WIFEXITED(res.status))
        r->exit_code = WEXITSTATUS(res.status);
    else if (WIFSIGNALED(res.status))
        r->signal = WTERMSIG(res.status);
    r->output = tail_text(&tail);
}

void run_result_free(struct run_result *r)
{
    free(r->output);
    r->output = NULL;
}

json_t *run_command(json_t *cmd, json_int_t id, char *err, size_t errlen)
{
    json_t *jargv = json_object_get(cmd, "argv");
    json_t *jtimeout = json_object_get(cmd, "timeout");
    json_t *juser = json_object_get(cmd, "user");
    double timeout = RUN_DEFAULT_TIMEOUT;
    const char *user = "root";
    struct run_result r;
    size_t argc;
    char **argv;
    json_t *m;

    if (!json_is_array(jargv) || (argc = json_array_size(jargv)) == 0 || argc > RUN_MAX_ARGS) {
        snprintf(err, errlen, "run: argv must be a non-empty array of at most %d strings", RUN_MAX_ARGS);
        return NULL;
    }
    if (jtimeout) {
        timeout = json_is_number(jtimeout) ? json_number_value(jtimeout) : -1;
        if (!(timeout > 0 && timeout <= RUN_MAX_TIMEOUT)) {
            snprintf(err, errlen, "run: timeout must be a number of seconds, > 0 and <= %.0f",
                     RUN_MAX_TIMEOUT);
            return NULL;
        }
    }
    if (juser) {
        if (!json_is_string(juser) || json_string_length(juser) == 0) {
            snprintf(err, errlen, "run: user must be a user name");
            return NULL;
        }
        user = json_string_value(juser);
    }
    argv = calloc(argc + 1, sizeof *argv);
    if (!argv) {
        snprintf(err, errlen, "run: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < argc; i++) {
        json_t *a = json_array_get(jargv, i);

        /* jansson refuses \u0000 by default, but be explicit: a C string
         * cannot carry a NUL. */
        if (!json_is_string(a) || strlen(json_string_value(a)) != json_string_length(a)) {
            snprintf(err, errlen, "run: argv[%zu] must be a string without NUL", i);
            free(argv);
            return NULL;
        }
        argv[i] = (char *)json_string_value(a);
    }

    run_argv(argv, timeout, user, &r);
    free(argv);
    log_msg("run id %lld: exit %d signal %d%s after %.3f s", (long long)id, r.exit_code,
            r.signal, r.timed_out ? " (timed out)" : "", r.seconds);
    m = json_pack("{s:s, s:I, s:i, s:i, s:b, s:f, s:s}", "msg", "ran", "id", id,
                  "exit", r.exit_code, "signal", r.signal, "timed_out", r.timed_out,
                  "seconds", r.seconds, "output", r.output ? r.output : "");
    run_result_free(&r);
    if (!m)
        snprintf(err, errlen, "run: out of memory");
    return m;
}
