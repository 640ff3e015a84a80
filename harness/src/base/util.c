/* The vocabulary every host file uses (util.h). */
#define _GNU_SOURCE
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void vmsg(const char *prefix, const char *fmt, va_list ap, int errnum)
{
    fprintf(stderr, "portcheck: %s", prefix);
    vfprintf(stderr, fmt, ap);
    if (errnum)
        fprintf(stderr, ": %s", strerror(errnum));
    fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("", fmt, ap, 0);
    va_end(ap);
    exit(EXIT_NO_VERDICT);
}

void die_errno(const char *fmt, ...)
{
    int errnum = errno;
    va_list ap;
    va_start(ap, fmt);
    vmsg("", fmt, ap, errnum);
    va_end(ap);
    exit(EXIT_NO_VERDICT);
}

void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("portcheck: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see portcheck --help)\n", stderr);
    exit(EXIT_NO_VERDICT);
}

void warn_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning: ", fmt, ap, 0);
    va_end(ap);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory allocating %zu bytes", n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die("out of memory allocating %zu bytes", n);
    return q;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        die("out of memory copying a string");
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("out of memory formatting a string");
    return s;
}

void cleanup_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
        *fd = -1;
    }
}

void cleanup_fclosep(FILE **f)
{
    if (*f) {
        fclose(*f);
        *f = NULL;
    }
}

double now_monotonic(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        die_errno("clock_gettime(CLOCK_MONOTONIC)");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *read_file_text(const char *path, size_t max)
{
    cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    cleanup_free char *buf = xmalloc(max + 1);
    size_t len = 0;
    for (;;) {
        if (len == max) {
            errno = EFBIG;
            return NULL;
        }
        ssize_t n = read(fd, buf + len, max - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return steal_pointer(&buf);
}

bool write_file_atomic(const char *path, const char *data, size_t len)
{
    /* mkostemp opens with O_EXCL: a name planted in advance (a symlink to
     * some other file) makes it pick another, never write through it; the
     * rename then replaces whatever PATH was, a symlink included, itself. */
    cleanup_free char *tmp = xasprintf("%s.tmp.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return false;
    if (fchmod(fd, 0644) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return false;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    return true;
fail: {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        errno = saved;
        return false;
    }
}

const char *stat_not_ours(const struct stat *st)
{
    return st->st_uid != geteuid()                ? "is owned by another user"
           : (st->st_mode & (S_IWGRP | S_IWOTH)) ? "is writable by group or others"
                                                  : NULL;
}

char *iso_utc(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "unknown time");
    return buf;
}

bool mkdir_p(const char *path, unsigned mode)
{
    cleanup_free char *copy = xstrdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    if (mkdir(copy, mode) != 0 && errno != EEXIST)
        return false;
    struct stat st;
    if (stat(copy, &st) != 0)
        return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    return true;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void remove_tree(const char *path)
{
    if (path && *path)
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

char *exe_dir(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0)
        die_errno("readlink /proc/self/exe");
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    return xstrdup(buf);
}
