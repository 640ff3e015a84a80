/* Waiting on one qemu: its console, its agent channel and its exit. */
#define _GNU_SOURCE
#include "vm/session.h"

#include "base/signals.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
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
    s->next_id = 1;
    /* Appending (a cold boot continues the same log), but never through a
     * symlink planted at the log's name. */
    int fd = open(console_log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    s->console_log = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!s->console_log) {
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "cannot write the console log %s: %s", console_log_path, strerror(errno));
        return false;
    }
    channel_init(&s->agent, PROTO_MAX_LINE);
    if (!vm_start(spec, &s->vm, err, errlen)) {
        fprintf(s->console_log, "portcheck: %s\n", err);
        return false;
    }
    return true;
}

/* Console text fit for a reason line: terminal escape sequences (systemd's
 * colours, title changes) dropped, and only printable ASCII and newlines
 * kept, since the text goes into JSON, XML and Markdown. Writes at most
 * dstlen - 1 bytes and a NUL; returns the length written. */
static size_t console_printable(char *dst, size_t dstlen, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < dstlen; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '\x1b') {
            /* Skip the whole sequence: CSI (ESC [) to its final byte
             * 0x40-0x7e, OSC (ESC ]) to BEL or ST (ESC \\), any other
             * escape with its one byte. i ends on the sequence's last byte. */
            i++;
            if (i < n && src[i] == ']') {
                while (++i < n && src[i] != '\a' && !(src[i] == '\x1b' && i + 1 < n && src[i + 1] == '\\'))
                    ;
                if (i < n && src[i] == '\x1b')
                    i++;
            } else if (i < n && src[i] == '[') {
                while (++i < n && !((unsigned char)src[i] >= 0x40 && (unsigned char)src[i] <= 0x7e))
                    ;
            }
            continue;
        }
        if (c == '\n' || (c >= 0x20 && c < 0x7f))
            dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return o;
}

static void console_take(struct session *s, const char *data, size_t n)
{
    if (s->console_logged + n <= CONSOLE_LOG_MAX) {
        fwrite(data, 1, n, s->console_log);
        fflush(s->console_log);
        s->console_logged += n;
    } else if (!s->console_truncated) {
        s->console_truncated = true;
        fprintf(s->console_log, "\nportcheck: console log cut at %u MiB; the guest wrote more\n",
                CONSOLE_LOG_MAX >> 20);
        fflush(s->console_log);
    }
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
                if (!s->fatal[0] && strstr(s->console_line, fatal_patterns[p]))
                    console_printable(s->fatal, sizeof s->fatal, s->console_line, s->console_line_len);
            if (s->marker && !s->marker_line[0] && strstr(s->console_line, s->marker))
                console_printable(s->marker_line, sizeof s->marker_line, s->console_line, s->console_line_len);
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
            return 1;
        }
    }
    s->rpos = s->rlen = 0;
    return 0;
}

/* One round of a wait: WAIT_MSG when it must go on (something was read,
 * or nothing yet), any other status when the wait ends with it. */
static enum wait_status wait_round(struct session *s, double deadline, double timeout_s, char *why, size_t whylen)
{
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
        return WAIT_MSG;
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
    return WAIT_MSG;
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
        enum wait_status w = wait_round(s, deadline, timeout_s, why, whylen);
        if (w != WAIT_MSG)
            return w;
    }
}

enum wait_status session_wait_console(struct session *s, const char *marker, double timeout_s, char *line,
                                      size_t linelen, char *why, size_t whylen)
{
    double deadline = now_monotonic() + timeout_s;
    why[0] = '\0';
    s->marker = marker;
    for (;;) {
        /* The agent channel is not read: a guest without an agent has
         * nothing to say there, and its bytes are dropped. */
        s->rpos = s->rlen = 0;
        enum wait_status w = s->marker_line[0] ? WAIT_MSG : wait_round(s, deadline, timeout_s, why, whylen);
        /* The line may have come in with qemu's exit (a guest that powers
         * off at once). */
        if (s->marker_line[0]) {
            snprintf(line, linelen, "%s", s->marker_line);
            return WAIT_MSG;
        }
        if (w != WAIT_MSG)
            return w;
    }
}

bool session_send(struct session *s, const char *line, double timeout_s)
{
    size_t len = strlen(line), off = 0;
    double deadline = now_monotonic() + timeout_s;
    while (off < len) {
        ssize_t w = send(s->vm.agent_fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) {
            off += (size_t)w;
            continue;
        }
        if (errno != EINTR && errno != EAGAIN)
            return false;
        double left = deadline - now_monotonic();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return false;
        }
        struct pollfd p = {.fd = s->vm.agent_fd, .events = POLLOUT};
        if (signals_ppoll(&p, 1, left) < 0 && errno != EINTR)
            return false;
        if (signals_pending()) {
            errno = EINTR;
            return false;
        }
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
    /* In place: the printable text is never longer than its source. */
    memmove(buf, buf + start, n - start);
    console_printable(buf, n - start + 1, buf, n - start);
    return buf;
}
