/* Reading a package file: format, name, version, sha256. */
#define _GNU_SOURCE
#include "run/package.h"

#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *first_line_of(const char *text)
{
    size_t n = strcspn(text, "\n");
    char *s = xmalloc(n + 1);
    memcpy(s, text, n);
    s[n] = '\0';
    return s;
}

static bool query(char *const argv[], char **out, char *err, size_t errlen, const char *path)
{
    struct spawn_result res;
    spawn_run(argv, 60, false, &res);
    bool ok = res.exit_code == 0 && res.out[0];
    if (ok) {
        *out = first_line_of(res.out);
    } else {
        /* One line: the tool's first line says what is wrong with the file. */
        cleanup_free char *why = first_line_of(res.err[0] ? res.err : "no output");
        snprintf(err, errlen, "cannot read package %s with %s: %s: pass a file from make deb or make rpm", path,
                 argv[0], why);
    }
    spawn_result_free(&res);
    return ok;
}

bool package_inspect(const char *path, struct package_info *pkg, char *err, size_t errlen)
{
    memset(pkg, 0, sizeof *pkg);
    /* O_NONBLOCK: a FIFO must be refused, not block the open. */
    cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "package %s: %s: build it with make deb or make rpm", path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "package %s is not a regular file: pass a file from make deb or make rpm", path);
        return false;
    }
    unsigned char magic[21] = {0};
    ssize_t n = read(fd, magic, sizeof magic);
    bool deb = n == 21 && memcmp(magic, "!<arch>\ndebian-binary", 21) == 0;
    bool rpm = n >= 4 && magic[0] == 0xed && magic[1] == 0xab && magic[2] == 0xee && magic[3] == 0xdb;
    if (!deb && !rpm) {
        snprintf(err, errlen, "package %s is neither a .deb nor an .rpm: pass a file from make deb or make rpm",
                 path);
        return false;
    }
    pkg->path = xstrdup(path);
    pkg->format = xstrdup(deb ? "deb" : "rpm");
    bool ok;
    if (deb) {
        char *name_argv[] = {"dpkg-deb", "--show", "--showformat=${Package}\n", (char *)path, NULL};
        char *ver_argv[] = {"dpkg-deb", "--show", "--showformat=${Version}\n", (char *)path, NULL};
        ok = query(name_argv, &pkg->name, err, errlen, path) && query(ver_argv, &pkg->version, err, errlen, path);
    } else {
        char *name_argv[] = {"rpm", "-qp", "--nosignature", "--qf", "%{NAME}\n", (char *)path, NULL};
        char *ver_argv[] = {"rpm", "-qp", "--nosignature", "--qf", "%{VERSION}-%{RELEASE}\n", (char *)path, NULL};
        ok = query(name_argv, &pkg->name, err, errlen, path) && query(ver_argv, &pkg->version, err, errlen, path);
    }
    if (ok) {
        char *sum_argv[] = {"sha256sum", (char *)path, NULL};
        char *line = NULL;
        ok = query(sum_argv, &line, err, errlen, path);
        if (ok) {
            line[strcspn(line, " ")] = '\0';
            pkg->sha256 = line;
        }
    }
    if (!ok)
        package_info_free(pkg);
    return ok;
}

void package_info_free(struct package_info *pkg)
{
    free(pkg->path);
    free(pkg->name);
    free(pkg->version);
    free(pkg->format);
    free(pkg->sha256);
    memset(pkg, 0, sizeof *pkg);
}
