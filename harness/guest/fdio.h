/* Whole reads and writes on file descriptors, retrying on EINTR and short
 * transfers, and a monotonic clock for timeouts. */
#ifndef PORTCHECK_FDIO_H
#define PORTCHECK_FDIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes all of buf; 0, or -1 with errno set. */
int write_all(int fd, const void *buf, size_t len);

/* Reads at most size - 1 bytes of a (small, /proc or /sys) file into buf and
 * NUL-terminates it; the byte count, or -1 with errno set. */
ssize_t read_small_file(const char *path, char *buf, size_t size);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t now_ns(void);

/* close(), logging a failure with what the fd was (on Linux the fd is
 * gone even then, so there is nothing else to do). */
void close_fd(int fd, const char *what);

/* Sleeps for ms milliseconds, resuming after signals. */
void sleep_ms(long ms);

#endif
