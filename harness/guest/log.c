/* Diagnostics on stderr (journal and console in the guest). */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void log_msg(const char *fmt, ...)
{
    /* A caller may still want errno after logging it. */
    int saved = errno;
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so lines from the agent and its children do not
     * interleave mid-line on the shared console. */
    fprintf(stderr, "portcheck-agent: %s\n", line);
    errno = saved;
}
