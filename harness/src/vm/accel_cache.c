/* The KVM test boot's answer for the rest of this host boot (accel_cache.h). */
#define _GNU_SOURCE
#include "vm/accel_cache.h"

#include "vm/qemu.h"
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ACCEL_CACHE_FILE "kvm-probe.json"
#define ACCEL_CACHE_MAX 4096

/* The key: this host boot and the qemu binary as it is now. NULL when
 * either cannot be read (then nothing is kept or trusted). */
static json_t *cache_key(const char *qemu)
{
    cleanup_free char *boot_id = read_file_text("/proc/sys/kernel/random/boot_id", 64);
    if (!boot_id)
        return NULL;
    boot_id[strcspn(boot_id, "\n")] = '\0';
    if (!boot_id[0])
        return NULL;
    cleanup_free char *path = program_path(qemu ? qemu : QEMU_DEFAULT_BINARY);
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return NULL;
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "boot_id", boot_id, "qemu", path, "dev",
                     (json_int_t)st.st_dev, "ino", (json_int_t)st.st_ino, "size", (json_int_t)st.st_size,
                     "mtime_s", (json_int_t)st.st_mtim.tv_sec, "mtime_ns", (json_int_t)st.st_mtim.tv_nsec);
}

/* The record's path, in a folder that is a real directory, ours, and that
 * nobody else may write, or a planted record could choose the accelerator.
 * NULL if not. */
static char *cache_path(bool create)
{
    const char *dir = getenv("PORTCHECK_RUNTIME_DIR");
    if (!dir || !dir[0])
        dir = ACCEL_CACHE_DEFAULT_DIR;
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return NULL;
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || stat_not_ours(&st))
        return NULL;
    return xasprintf("%s/%s", dir, ACCEL_CACHE_FILE);
}

bool accel_cache_get(const char *qemu, bool *kvm_boots, const char **when)
{
    static char probed_at[ISO_UTC_LEN];
    cleanup_free char *path = cache_path(false);
    struct stat st;
    /* lstat: a symlinked record is not ours, whatever it points at. */
    if (!path || lstat(path, &st) != 0 || st.st_uid != geteuid() || !S_ISREG(st.st_mode))
        return false;
    cleanup_free char *text = read_file_text(path, ACCEL_CACHE_MAX);
    json_t *rec = text ? json_loads(text, 0, NULL) : NULL;
    json_t *key = cache_key(qemu);
    json_t *kvm = json_object_get(rec, "kvm_boots");
    const char *at = json_string_value(json_object_get(rec, "probed_at"));
    /* The time goes to the terminal and the reports: an ISO 8601 UTC time only. */
    bool at_ok = at && strlen(at) == ISO_UTC_LEN - 1 && strspn(at, "0123456789-:TZ") == ISO_UTC_LEN - 1;
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
    cleanup_free char *path = key ? cache_path(true) : NULL;
    if (!path) {
        json_decref(key);
        return;
    }
    char at[ISO_UTC_LEN];
    json_t *rec = json_pack("{s:o, s:b, s:s}", "key", key, "kvm_boots", kvm_boots, "probed_at",
                            iso_utc(time(NULL), at, sizeof at));
    /* Atomic: a run beside this one reads the old record or the new, never
     * half of one. Best effort: the next run probes again if this fails. */
    cleanup_free char *text = json_dumps(rec, JSON_SORT_KEYS);
    if (text)
        (void)write_file_atomic(path, text, strlen(text));
    json_decref(rec);
}
