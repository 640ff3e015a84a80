/* The out dir's owner checks and its lock (outdir.h). */
#define _GNU_SOURCE
#include "run/outdir.h"

#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One directory the run writes into: a real directory (no symlink), owned
 * by us, group- and world-writable by nobody, so nobody else can plant a
 * name in it for our writes to follow. */
static bool safe_dir(const char *path, bool follow, char *err, size_t errlen)
{
    struct stat st;
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
        snprintf(err, errlen, "output directory %s: %s: pass --out with a directory of your own", path,
                 strerror(errno));
        return false;
    }
    const char *wrong = !S_ISDIR(st.st_mode) ? "is not a directory" : stat_not_ours(&st);
    if (wrong) {
        snprintf(err, errlen, "output directory %s %s: pass --out with a directory of your own (mode 0755)", path,
                 wrong);
        return false;
    }
    return true;
}

bool outdir_claim(const char *dir, char *err, size_t errlen)
{
    if (!mkdir_p(dir, 0755)) {
        snprintf(err, errlen, "output directory %s is not writable (%s): pass --out with a writable directory", dir,
                 strerror(errno));
        return false;
    }
    if (!safe_dir(dir, true, err, errlen))
        return false;
    cleanup_free char *lock_path = xasprintf("%s/%s", dir, OUTDIR_LOCK);
    int fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the lock %s (%s): pass --out with a writable directory", lock_path,
                 strerror(errno));
        return false;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char holder[128] = "";
        ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        snprintf(err, errlen, "output directory %s is in use by another run (%s; lock %s): wait for it or pass another --out",
                 dir, holder[0] ? holder : "holder unknown", lock_path);
        close(fd);
        return false;
    }
    char stamp[128], when[ISO_UTC_LEN];
    int len = snprintf(stamp, sizeof stamp, "pid %ld, started %s\n", (long)getpid(),
                       iso_utc(time(NULL), when, sizeof when));
    if (ftruncate(fd, 0) != 0 || pwrite(fd, stamp, (size_t)len, 0) != len) {
        snprintf(err, errlen, "cannot write the lock %s: %s", lock_path, strerror(errno));
        close(fd);
        return false;
    }
    /* The fd stays open on purpose: the lock lasts as long as this run. */
    const char *subs[] = {"work", "logs"};
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        cleanup_free char *sub = xasprintf("%s/%s", dir, subs[i]);
        if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s (%s): pass --out with a writable directory", sub,
                     strerror(errno));
            return false;
        }
        if (!safe_dir(sub, false, err, errlen))
            return false;
    }
    return true;
}
