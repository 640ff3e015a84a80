/* Unit tests of harness/src/vm/accel_cache.c, the KVM test boot's answer
 * kept for the rest of a host boot.
 *
 * What this proves:
 *  - an answer put is the answer got, for KVM booting and for KVM hanging;
 *  - nothing is got before anything was put (the negative control: get
 *    does not invent an answer);
 *  - a changed qemu binary (another mtime) or another host boot (a record
 *    with a different boot_id) is a miss, so the next run probes again;
 *  - a folder that others may write, or a record that is a symlink, is
 *    not trusted: a planted record cannot choose the accelerator. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "failf.h"
#include "vm/accel_cache.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

struct fixture {
    char dir[64], qemu[96], cache[96];
};

static int setup(void **state)
{
    static struct fixture f;
    snprintf(f.dir, sizeof f.dir, "/tmp/accel-cache-XXXXXX");
    if (!mkdtemp(f.dir))
        return -1;
    snprintf(f.qemu, sizeof f.qemu, "%s/qemu-system-x86_64", f.dir);
    snprintf(f.cache, sizeof f.cache, "%s/run", f.dir);
    int fd = open(f.qemu, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, "#!/bin/true\n", 12) != 12 || close(fd) != 0)
        return -1;
    setenv("PORTCHECK_RUNTIME_DIR", f.cache, 1);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/kvm-probe.json", f->cache);
    unlink(path);
    rmdir(f->cache);
    unlink(f->qemu);
    rmdir(f->dir);
    return 0;
}

static void expect_hit(const char *qemu, bool want)
{
    bool kvm = !want;
    const char *when = NULL;
    if (!accel_cache_get(qemu, &kvm, &when))
        failf("no answer for %s after one was put", qemu);
    assert_true(kvm == want);
    assert_non_null(when);
    assert_int_equal(strlen(when), strlen("2026-12-03T11:04:18Z"));
}

static void expect_miss(const char *qemu, const char *why)
{
    bool kvm;
    const char *when;
    if (accel_cache_get(qemu, &kvm, &when))
        failf("an answer for %s although %s", qemu, why);
}

static void test_put_then_get(void **state)
{
    struct fixture *f = *state;
    expect_miss(f->qemu, "nothing was put");
    accel_cache_put(f->qemu, false);
    expect_hit(f->qemu, false);
    accel_cache_put(f->qemu, true);
    expect_hit(f->qemu, true);
    struct stat st;
    assert_int_equal(stat(f->cache, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
}

static void test_changed_qemu_misses(void **state)
{
    struct fixture *f = *state;
    accel_cache_put(f->qemu, false);
    expect_hit(f->qemu, false);
    struct timeval old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    assert_int_equal(utimes(f->qemu, old), 0);
    expect_miss(f->qemu, "its mtime changed");
}

static void test_other_boot_misses(void **state)
{
    struct fixture *f = *state;
    accel_cache_put(f->qemu, false);
    char path[160], text[4096];
    snprintf(path, sizeof path, "%s/kvm-probe.json", f->cache);
    FILE *in = fopen(path, "re");
    assert_non_null(in);
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = '\0';
    /* Any boot_id but this one: its first hex digit changed. */
    char *id = strstr(text, "\"boot_id\": \"");
    assert_non_null(id);
    id += strlen("\"boot_id\": \"");
    *id = *id == '0' ? '1' : '0';
    FILE *out = fopen(path, "we");
    assert_non_null(out);
    assert_int_equal(fwrite(text, 1, n, out), n);
    assert_int_equal(fclose(out), 0);
    expect_miss(f->qemu, "the record is of another host boot");
}

static void test_untrusted_places_miss(void **state)
{
    struct fixture *f = *state;
    accel_cache_put(f->qemu, true);
    expect_hit(f->qemu, true);
    assert_int_equal(chmod(f->cache, 0777), 0);
    expect_miss(f->qemu, "its folder is writable by others");
    assert_int_equal(chmod(f->cache, 0700), 0);
    char path[160], moved[160];
    snprintf(path, sizeof path, "%s/kvm-probe.json", f->cache);
    snprintf(moved, sizeof moved, "%s/elsewhere.json", f->dir);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(symlink(moved, path), 0);
    expect_miss(f->qemu, "the record is a symlink");
    unlink(path);
    unlink(moved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_then_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_qemu_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_boot_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_places_miss, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
