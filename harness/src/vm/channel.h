/* Splitting a byte stream from the guest into bounded lines. Bytes go in as
 * they arrive; whole lines come out. A line longer than the limit is
 * reported once as overlong and skipped up to its newline, so a guest can
 * neither grow our memory nor smuggle the tail of a long line in as a line
 * of its own. */
#ifndef PORTCHECK_CHANNEL_H
#define PORTCHECK_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

struct channel {
    char *buf;
    size_t len, max;
    bool skipping;   /* inside an overlong line */
};

enum channel_line { CHANNEL_NONE, CHANNEL_LINE, CHANNEL_OVERLONG };

void channel_init(struct channel *c, size_t max_line);
void channel_free(struct channel *c);
/* Take in bytes; returns how many were consumed (stops after the first
 * complete line or overlong event so the caller can take it). */
size_t channel_feed(struct channel *c, const char *data, size_t n, enum channel_line *event);
/* The line completed by the last CHANNEL_LINE event (no newline, NUL-terminated
 * at len; may hold NULs of its own, which the parser rejects). */
const char *channel_line(const struct channel *c, size_t *len);
/* Forget the completed line before feeding more. */
void channel_consume(struct channel *c);

#endif
