/* Diagnostics of the agent itself: one line on stderr, prefixed so that the
 * guest's journal and console show where it came from. */
#ifndef PORTCHECK_LOG_H
#define PORTCHECK_LOG_H

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
