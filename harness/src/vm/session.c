/* Implementation of session.h. */
#define _GNU_SOURCE
#include "vm/session.h"

#include "base/signals.h"
#include "base/util.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

/* Console lines that mean no verdict will ever come: stop waiting. */
static const char *const fatal_patterns[] = {
    "Kernel panic - not syncing",
    "Failed to start portcheck-agent",
    "portcheck-fastboot: cannot mount",
    "VFS: Unable to mount root fs",
};

bool session_start(struct session *s, const struct vm_spec *spec, const char *console_log_path, char *err,
                   size_t errlen)
{
    memset(s, 0, sizeof *s);
    /* No fds yet: session_end after a failure here must not close fd 0. */
    s->vm.pid = -1;
    s->vm.pidfd = s->vm.console_fd = s->vm.agent_fd = s->vm.err_fd = -1;
    s->spec = *spec;
    s->next_id = 1;
    s->console_log = fopen(console_log_path, "ae");
    if (!s->console_log) {
        snprintf(err, errlen, "cannot write the console log %s: %s", console_log_path, strerror(errno));
        return false;
    }
    channel_init(&s->agent, PROTO_MAX_LINE);
    s->started = now_monotonic();
    if (!vm_start(spec, &s->vm, err, errlen)) {
        fprintf(s->console_log, "portcheck: %s\n", err);
        return false;
    }
    return true;
}

static void console_take(struct session *s, const char *data, size_t n)
{
    fwrite(data, 1, n, s->console_log);
    fflush(s->console_log);
    for (size_t i = 0; i < n; i++) {
        char ch = data[i];
        s->console_tail[s->tail_pos++] = ch;
        if (s->tail_pos == CONSOLE_TAIL) {
            s->tail_pos = 0;
            s->tail_wrapped = true;
        }
        if (ch == '\n' || s->console_line_len == sizeof s->console_line - 1) {
            s->console_line[s->console_line_len] = '\0';
            for (size_t p = 0; p < sizeof fatal_patterns / sizeof *fatal_patterns; p++)
                if (!s->fatal[0] && strstr(s->console_line, fatal_patterns[p])) {
                    /* Strip the terminal colour codes systemd prints. */
                    size_t o = 0;
                    for (const char *c = s->console_line; *c && o < sizeof s->fatal - 1; c++) {
                        if (*c == '\x1b') {
                            while (*c && *c != 'm')
                                c++;
                            if (!*c)
                                break;
                            continue;
                        }
                        if ((unsigned char)*c >= 0x20)
                            s->fatal[o++] = *c;
                    }
                    s->fatal[o] = '\0';
                }
            s->console_line_len = 0;
        } else {
            s->console_line[s->console_line_len++] = ch;
        }
    }
}

static void drain_console(struct session *s)
{
    char buf[4096];
    for (;;) {
        ssize_t r = recv(s->vm.console_fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r <= 0)
            return;
        console_take(s, buf, (size_t)r);
    }
}

/* Try to complete a message from buffered agent bytes. */
static int take_agent_line(struct session *s, struct guest_msg *msg, char *why, size_t whylen)
{
    while (s->rpos < s->rlen) {
        enum channel_line ev;
        s->rpos += channel_feed(&s->agent, s->rbuf + s->rpos, s->rlen - s->rpos, &ev);
        if (ev == CHANNEL_OVERLONG) {
            snprintf(why, whylen, "guest sent a line over %d bytes", PROTO_MAX_LINE);
            return -1;
        }
        if (ev == CHANNEL_LINE) {
            size_t len;
            const char *line = channel_line(&s->agent, &len);
            char err[200];
            bool ok = proto_parse(line, len, msg, err, sizeof err);
            channel_consume(&s->agent);
            if (!ok) {
                snprintf(why, whylen, "guest broke the protocol: %s", err);
                return -1;
            }
            if (msg->kind == MSG_HELLO)
                s->boots++;
            return 1;
        }
    }
    s->rpos = s->rlen = 0;
    return 0;
}

enum wait_status session_wait(struct session *s, double timeout_s, struct guest_msg *msg, char *why, size_t whylen)
{
    double deadline = now_monotonic() + timeout_s;
    why[0] = '\0';
    for (;;) {
        int got = take_agent_line(s, msg, why, whylen);
        if (got > 0)
            return WAIT_MSG;
        if (got < 0)
            return WAIT_PROTOCOL;
        if (s->fatal[0]) {
            snprintf(why, whylen, "console: %s", s->fatal);
            return WAIT_FATAL;
        }
        if (signals_pending()) {
            snprintf(why, whylen, "interrupted by signal %d", signals_pending());
            return WAIT_INTERRUPTED;
        }
        if (vm_poll_exit(&s->vm)) {
            drain_console(s);
            if (s->fatal[0]) {
                snprintf(why, whylen, "console: %s", s->fatal);
                return WAIT_FATAL;
            }
            cleanup_free char *how = vm_describe_exit(&s->vm);
            vm_drain_stderr(&s->vm);
            const char *said = vm_stderr_last(&s->vm);
            snprintf(why, whylen, "qemu %s%s%s", how, said[0] ? ": " : "", said);
            return WAIT_EXITED;
        }
        double left = deadline - now_monotonic();
        if (left <= 0) {
            snprintf(why, whylen, "no answer from the guest after %.0f s", timeout_s);
            return WAIT_TIMEOUT;
        }
        struct pollfd p[4] = {
            {.fd = s->vm.agent_fd, .events = POLLIN},
            {.fd = s->vm.console_fd, .events = POLLIN},
            {.fd = s->vm.pidfd, .events = POLLIN},
            {.fd = s->vm.err_fd, .events = POLLIN},
        };
        if (signals_ppoll(p, 4, left) < 0)
            continue;
        if (p[3].revents & (POLLIN | POLLHUP))
            vm_drain_stderr(&s->vm);
        if (p[1].revents & (POLLIN | POLLHUP))
            drain_console(s);
        if (p[0].revents & POLLIN) {
            ssize_t r = recv(s->vm.agent_fd, s->rbuf, sizeof s->rbuf, MSG_DONTWAIT);
            if (r > 0) {
                s->rpos = 0;
                s->rlen = (size_t)r;
            }
        }
        /* A hung-up agent socket means qemu is gone: the pidfd says so next. */
        if ((p[0].revents & POLLHUP) && !(p[0].revents & POLLIN))
            vm_wait_exit(&s->vm, 2.0);
    }
}

bool session_send(struct session *s, const char *line)
{
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t w = send(s->vm.agent_fd, line + off, len - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return false;
        }
        off += (size_t)w;
    }
    return true;
}

void session_end(struct session *s)
{
    vm_stop(&s->vm);
    channel_free(&s->agent);
    if (s->console_log) {
        fclose(s->console_log);
        s->console_log = NULL;
    }
}

char *session_console_tail(const struct session *s, int lines)
{
    size_t n = s->tail_wrapped ? CONSOLE_TAIL : s->tail_pos;
    char *buf = xmalloc(n + 1);
    if (s->tail_wrapped) {
        memcpy(buf, s->console_tail + s->tail_pos, CONSOLE_TAIL - s->tail_pos);
        memcpy(buf + CONSOLE_TAIL - s->tail_pos, s->console_tail, s->tail_pos);
    } else {
        memcpy(buf, s->console_tail, n);
    }
    buf[n] = '\0';
    /* Keep the last `lines` lines, printable characters only. */
    size_t start = n;
    int seen = 0;
    while (start > 0) {
        if (buf[start - 1] == '\n' && start != n && ++seen == lines)
            break;
        start--;
    }
    size_t o = 0;
    for (size_t i = start; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\x1b') {
            while (i < n && buf[i] != 'm')
                i++;
            continue;
        }
        /* ASCII only: the tail goes into JSON, XML and Markdown. */
        if (c == '\n' || (c >= 0x20 && c < 0x7f))
            buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return buf;
}
