/* Whole reads and writes, small files, monotonic time. */
#define _GNU_SOURCE
#include "fdio.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t read_small_file(const char *path, char *buf, size_t size)
{
    size_t have = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return -1;
    /* /proc files may come in several short reads. */
    while (have + 1 < size) {
        ssize_t n = read(fd, buf + have, size - 1 - have);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close_fd(fd, path);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        have += (size_t)n;
    }
    buf[have] = '\0';
    close_fd(fd, path);
    return (ssize_t)have;
}

int64_t now_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void close_fd(int fd, const char *what)
{
    if (close(fd) < 0 && errno != EINTR)
        log_msg("close(%s): %s", what, strerror(errno));
}

void sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}
