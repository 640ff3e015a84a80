/* A VM session: one qemu process and everything read from it. It waits for
 * guest messages with a deadline, and a wait ends at once when qemu exits or
 * the console shows a kernel panic, instead of running into the timeout. The
 * console is saved to a log and its last lines kept for error reasons. */
#ifndef PORTCHECK_SESSION_H
#define PORTCHECK_SESSION_H

#include "vm/channel.h"
#include "vm/protocol.h"
#include "vm/qemu.h"

#include <stdio.h>

#define CONSOLE_TAIL 4096
/* A flooding guest must not fill the host's disk: the log stops here (the
 * tail and the panic watch go on). */
#define CONSOLE_LOG_MAX (16u << 20)

struct session {
    struct vm vm;
    FILE *console_log;
    size_t console_logged;           /* bytes written to it by this session */
    bool console_truncated;          /* CONSOLE_LOG_MAX was reached */
    char console_tail[CONSOLE_TAIL]; /* ring of the last console bytes */
    size_t tail_pos;
    bool tail_wrapped;
    char console_line[512];          /* the console line being assembled */
    size_t console_line_len;
    char fatal[256];                 /* the panic (or similar) line, if seen */
    const char *marker;              /* session_wait_console's text to look for */
    char marker_line[256];           /* the first console line holding it */
    struct channel agent;
    char rbuf[8192];
    size_t rpos, rlen;
    long next_id;
};

enum wait_status {
    WAIT_MSG,          /* *msg holds a message */
    WAIT_TIMEOUT,
    WAIT_EXITED,       /* qemu ended */
    WAIT_FATAL,        /* the console showed a panic: s->fatal */
    WAIT_PROTOCOL,     /* the guest sent a line that breaks the protocol */
    WAIT_INTERRUPTED,  /* SIGINT/SIGTERM */
};

/* Open the console log (appending: a cold boot continues the same log). */
bool session_start(struct session *s, const struct vm_spec *spec, const char *console_log_path, char *err,
                   size_t errlen);
enum wait_status session_wait(struct session *s, double timeout_s, struct guest_msg *msg, char *why, size_t whylen);
/* Wait for a console line holding MARKER (a guest without an agent, such
 * as the bench's floor): WAIT_MSG with the line, printable, in *line. */
enum wait_status session_wait_console(struct session *s, const char *marker, double timeout_s, char *line,
                                      size_t linelen, char *why, size_t whylen);
/* Send a whole line within timeout_s; false with errno (ETIMEDOUT when the
 * guest reads nothing and the socket stays full). */
bool session_send(struct session *s, const char *line, double timeout_s);
/* Stop qemu (if running) and close the log. */
void session_end(struct session *s);
/* The last lines of the console, for a failure's reason (malloc'd). */
char *session_console_tail(const struct session *s, int lines);

#endif
