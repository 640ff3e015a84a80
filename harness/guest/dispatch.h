/* Turns one line from the host into the answer to send back. */
#ifndef PORTCHECK_DISPATCH_H
#define PORTCHECK_DISPATCH_H

#include <jansson.h>
#include <stddef.h>

#include "power.h"

enum dispatch_next {
    NEXT_CONTINUE,
    NEXT_REBOOT,   /* the answer is `bye`: send it, then reboot */
    NEXT_POWEROFF, /* the answer is `bye`: send it, then power off */
};

/* The answer to line[0..len) (which may contain NUL bytes); NULL only when
 * out of memory. */
json_t *dispatch_line(const char *line, size_t len, enum dispatch_next *next);

/* An `error` message for id (0: unknown). */
json_t *error_message(json_int_t id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
