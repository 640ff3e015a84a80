/* The line channel: virtio port discovery, socket/device opening, bounded
 * line reading, whole-line writing. */
#define _GNU_SOURCE
#include "channel.h"

#include "fdio.h"
#include "log.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define PORTS_DIR "/sys/class/virtio-ports"

void channel_init(struct channel *c, const char *path)
{
    c->fd = -1;
    c->out_fd = -1;
    c->path = path;
    c->dev[0] = '\0';
    c->len = 0;
    c->consumed = 0;
    c->discarding = false;
}

/* Finds /dev/vportNpM whose sysfs name is ours. 0, or -1 with errno. */
static int find_port(char *dev, size_t size)
{
    DIR *dir = opendir(PORTS_DIR);
    struct dirent *e;
    int found = -1;

    if (!dir)
        return -1;
    errno = ENOENT;
    while ((e = readdir(dir)) != NULL) {
        char path[PATH_MAX], name[256];

        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(path, sizeof path, PORTS_DIR "/%s/name", e->d_name) >= sizeof path)
            continue;
        /* Unnamed ports have an empty name file; a vanished one, none. */
        if (read_small_file(path, name, sizeof name) < 0)
            continue;
        if (strcmp(trim(name), CHANNEL_PORT_NAME) != 0)
            continue;
        if ((size_t)snprintf(dev, size, "/dev/%s", e->d_name) < size) {
            found = 0;
            break;
        }
    }
    closedir(dir);
    if (found < 0)
        errno = ENOENT;
    return found;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int saved = errno;
        close_fd(fd, "channel socket");
        errno = saved;
        return -1;
    }
    return fd;
}

/* One attempt; the fd, or -1 with errno and what[] naming the failed step
 * and its object. *fifo: answers must go elsewhere. */
static int try_open(struct channel *c, char *what, size_t size, bool *fifo)
{
    struct stat st;
    int fd;

    *fifo = false;
    c->dev[0] = '\0';
    if (c->path) {
        if ((size_t)snprintf(c->dev, sizeof c->dev, "%s", c->path) >= sizeof c->dev) {
            snprintf(what, size, "channel path");
            errno = ENAMETOOLONG;
            return -1;
        }
    } else if (find_port(c->dev, sizeof c->dev) < 0) {
        snprintf(what, size, "looking for a virtio port named %s in %s", CHANNEL_PORT_NAME, PORTS_DIR);
        return -1;
    }
    if (stat(c->dev, &st) < 0) {
        snprintf(what, size, "stat %s", c->dev);
        return -1;
    }
    if (S_ISSOCK(st.st_mode)) {
        snprintf(what, size, "connect %s", c->dev);
        return connect_unix(c->dev);
    }
    if (S_ISFIFO(st.st_mode)) {
        /* A FIFO opened read-write would hand us our own answers back (and
         * errors about them, forever): read commands from it and answer on
         * stdout. Non-blocking open: a FIFO without a writer must read as
         * EOF, like a virtio port without a host, not block the open. */
        snprintf(what, size, "open FIFO %s", c->dev);
        fd = open(c->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return -1;
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
            int saved = errno;
            snprintf(what, size, "fcntl on FIFO %s", c->dev);
            close_fd(fd, c->dev);
            errno = saved;
            return -1;
        }
        *fifo = true;
        return fd;
    }
    /* O_NOCTTY: a test may hand us a tty, which must not become ours. */
    snprintf(what, size, "open %s", c->dev);
    fd = open(c->dev, O_RDWR | O_NOCTTY | O_CLOEXEC);
    return fd;
}

int channel_open(struct channel *c, long wait_ms, bool quiet)
{
    int64_t deadline = now_ns() + (int64_t)wait_ms * 1000000;
    bool told = false;

    channel_close(c);
    for (;;) {
        char what[PATH_MAX + 128];
        bool fifo;
        int fd = try_open(c, what, sizeof what, &fifo);
        int err = errno;

        if (fd >= 0) {
            c->fd = fd;
            c->out_fd = fifo ? STDOUT_FILENO : fd;
            c->len = c->consumed = 0;
            c->discarding = false;
            return 0;
        }
        /* Only "not there yet" is worth waiting for. */
        bool transient = err == ENOENT || err == ECONNREFUSED || err == ENXIO || err == EBUSY;
        if (!transient || now_ns() >= deadline) {
            if (!quiet)
                log_msg("cannot open the channel: %s: %s", what, strerror(err));
            return -1;
        }
        if (!told && !quiet) {
            log_msg("waiting up to %ld s for the channel (%s: %s)", wait_ms / 1000, what, strerror(err));
            told = true;
        }
        sleep_ms(100);
    }
}

enum channel_status channel_read_line(struct channel *c, char **line, size_t *len)
{
    size_t scanned = 0;

    if (c->consumed) {
        memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
        c->len -= c->consumed;
        c->consumed = 0;
    }
    for (;;) {
        char *nl = memchr(c->buf + scanned, '\n', c->len - scanned);
        ssize_t n;

        if (nl) {
            size_t linelen = (size_t)(nl - c->buf);

            c->consumed = linelen + 1;
            if (c->discarding) {
                c->discarding = false;
                return CHANNEL_TOO_LONG;
            }
            *nl = '\0';
            *line = c->buf;
            *len = linelen;
            return CHANNEL_LINE;
        }
        /* A full buffer without a newline is already longer than any
         * allowed line: drop it and skip to the next newline. */
        if (c->len == sizeof c->buf) {
            c->discarding = true;
            c->len = 0;
        }
        scanned = c->len;
        n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_msg("reading the channel %s: %s", c->dev, strerror(errno));
            return CHANNEL_ERROR;
        }
        if (n == 0) {
            if (c->len > 0 || c->discarding)
                log_msg("channel %s: end of file inside a line; the partial line is dropped", c->dev);
            c->len = 0;
            c->discarding = false;
            return CHANNEL_EOF;
        }
        c->len += (size_t)n;
    }
}

int channel_write_line(struct channel *c, const char *text)
{
    size_t len = strlen(text);
    char *line;
    int rc;

    if (c->out_fd < 0) {
        log_msg("writing the channel: it is not open");
        return -1;
    }
    /* One write() per line where the transport allows it, so that a reader
     * never sees a line without its newline for long. */
    line = malloc(len + 1);
    if (!line) {
        log_msg("writing the channel: out of memory");
        return -1;
    }
    memcpy(line, text, len);
    line[len] = '\n';
    rc = write_all(c->out_fd, line, len + 1);
    if (rc < 0)
        log_msg("writing the channel %s: %s", c->dev, strerror(errno));
    free(line);
    return rc;
}

void channel_close(struct channel *c)
{
    if (c->fd >= 0)
        close_fd(c->fd, c->dev);
    c->fd = -1;
    c->out_fd = -1;
}
