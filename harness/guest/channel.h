/* The line channel to the host: finds and opens the virtio-serial port
 * (or a path given for tests), reads lines of at most CHANNEL_LINE_MAX bytes
 * and writes whole lines. */
#ifndef PORTCHECK_CHANNEL_H
#define PORTCHECK_CHANNEL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CHANNEL_PORT_NAME "org.portcheck.agent"
/* docs/protocol.md: at most 65536 bytes per line, newline included. */
#include "common/constants.h"

#define CHANNEL_LINE_MAX PORTCHECK_LINE_MAX

struct channel {
    int fd;             /* commands come from here */
    int out_fd;         /* answers go here: fd, or stdout for a FIFO */
    const char *path;   /* NULL: discover the virtio port by name */
    char dev[PATH_MAX]; /* what is open now, for messages */
    size_t len;         /* bytes in buf */
    size_t consumed;    /* bytes of buf taken by the last line handed out */
    bool discarding;    /* inside an over-long line, skipping to its end */
    char buf[CHANNEL_LINE_MAX];
};

enum channel_status {
    CHANNEL_LINE,     /* *line holds one line without its newline */
    CHANNEL_TOO_LONG, /* an over-long line was skipped */
    CHANNEL_EOF,
    CHANNEL_ERROR,
};

void channel_init(struct channel *c, const char *path);

/* Opens the channel, waiting up to wait_ms for it to appear (the virtio
 * port shows up asynchronously; a test's socket may not listen yet).
 * 0, or -1 (logged why unless quiet: a reopen loop would repeat it). */
int channel_open(struct channel *c, long wait_ms, bool quiet);

/* The next line, NUL-terminated in place (it may also contain NUL bytes:
 * check *len). Valid until the next call. */
enum channel_status channel_read_line(struct channel *c, char **line, size_t *len);

/* Writes text and a newline. 0, or -1 after logging why. */
int channel_write_line(struct channel *c, const char *text);

void channel_close(struct channel *c);

#endif
