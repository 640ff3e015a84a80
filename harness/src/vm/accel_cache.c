/* The KVM test boot's answer for the rest of this host boot (accel_cache.h). */
#define _GNU_SOURCE
#include "vm/accel_cache.h"

#include "vm/qemu.h"
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ACCEL_CACHE_FILE "kvm-probe.json"

/* The key: this host boot and the qemu binary as it is now. NULL when
 * either cannot be read (then nothing is kept or trusted). */
static json_t *cache_key(const char *qemu)
{
    char boot_id[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (!f)
        return NULL;
    bool got = fgets(boot_id, sizeof boot_id, f) != NULL;
    fclose(f);
    boot_id[strcspn(boot_id, "\n")] = '\0';
    if (!got || !boot_id[0])
        return NULL;
    cleanup_free char *path = program_path(qemu ? qemu : QEMU_DEFAULT_BINARY);
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return NULL;
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "boot_id", boot_id, "qemu", path, "dev",
                     (json_int_t)st.st_dev, "ino", (json_int_t)st.st_ino, "size", (json_int_t)st.st_size,
                     "mtime_s", (json_int_t)st.st_mtim.tv_sec, "mtime_ns", (json_int_t)st.st_mtim.tv_nsec);
}

/* The record's folder, opened: only one that is ours and that nobody else
 * may write, or a planted record could choose the accelerator. -1 if not. */
static int cache_dir(bool create)
{
    const char *dir = getenv("PORTCHECK_RUNTIME_DIR");
    if (!dir || !dir[0])
        dir = ACCEL_CACHE_DEFAULT_DIR;
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
        close(fd);
        return -1;
    }
    return fd;
}

bool accel_cache_get(const char *qemu, bool *kvm_boots, const char **when)
{
    static char probed_at[32];
    cleanup_fd int dfd = cache_dir(false);
    if (dfd < 0)
        return false;
    cleanup_fd int fd = openat(dfd, ACCEL_CACHE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_uid != geteuid() || !S_ISREG(st.st_mode))
        return false;
    json_t *rec = json_loadfd(fd, 0, NULL);
    json_t *key = cache_key(qemu);
    json_t *kvm = json_object_get(rec, "kvm_boots");
    const char *at = json_string_value(json_object_get(rec, "probed_at"));
    /* The time goes to the terminal and the reports: an ISO 8601 UTC time only. */
    bool at_ok = at && strlen(at) == 20 && strspn(at, "0123456789-:TZ") == 20;
    bool hit = key && json_is_boolean(kvm) && at_ok && json_equal(json_object_get(rec, "key"), key);
    if (hit) {
        *kvm_boots = json_is_true(kvm);
        snprintf(probed_at, sizeof probed_at, "%s", at);
        *when = probed_at;
    }
    json_decref(key);
    json_decref(rec);
    return hit;
}

void accel_cache_put(const char *qemu, bool kvm_boots)
{
    json_t *key = cache_key(qemu);
    cleanup_fd int dfd = key ? cache_dir(true) : -1;
    if (dfd < 0) {
        json_decref(key);
        return;
    }
    char at[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    json_t *rec = json_pack("{s:o, s:b, s:s}", "key", key, "kvm_boots", kvm_boots, "probed_at", at);
    /* Written whole under a name of this process's, then renamed: a run
     * beside this one reads the old record or the new, never half of one. */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.%ld", ACCEL_CACHE_FILE, (long)getpid());
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && json_dumpfd(rec, fd, JSON_SORT_KEYS) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok || renameat(dfd, tmp, dfd, ACCEL_CACHE_FILE) != 0)
        unlinkat(dfd, tmp, 0);
    json_decref(rec);
}
