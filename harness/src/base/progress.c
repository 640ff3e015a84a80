/* Progress lines on stderr, stamped with the time since start: one write
 * each, and nothing in them a terminal would obey (a reason can quote the
 * guest's console or a command's output). */
#define _GNU_SOURCE
#include "base/progress.h"

#include "base/text_safe.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static double t0;

void progress_init(void)
{
    t0 = now_monotonic();
}

void progress_note(const char *image, const char *fmt, ...)
{
    char msg[768], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int n = snprintf(line, sizeof line, "[%6.1fs] %-26s %s", now_monotonic() - t0, image, msg);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n] = '\0';
    n = (int)strip_control(line);
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* Progress is best effort; a closed stderr must not stop a run. */
    }
}
