/* One floor boot: qemu with busybox as init, watched on the console. */
#define _GNU_SOURCE
#include "run/floor.h"

#include "run/disks.h"
#include "vm/session.h"
#include "base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Deadlines under TCG (KVM divides them by four), times --timeout-scale:
 * the floor prints its value in about 3 s on a loaded 2-core host. */
#define FLOOR_VALUE_TIMEOUT 60.0
#define FLOOR_POWEROFF_TIMEOUT 20.0

/* What the guest's busybox prints, built there from a variable so that the
 * kernel's own echo of its command line never matches it. */
#define FLOOR_MARKER "portcheck-floor:"

/* init's arguments after the kernel's `--`. The kernel's parser keeps a
 * double-quoted word whole and drops the quotes, so the script is one
 * argument; it holds no `"` (that would end the word) and no `=` (the kernel
 * would split the word there and join it again: harmless, but avoided). The
 * sysctl is read with cat: a shell's `read` takes one byte per read(2), and
 * procfs answers a second read of a sysctl at offset 1 with end of file. */
#define FLOOR_INIT_ARGS                                                                                           \
    "-- sh -c \"/bin/busybox mount -t proc proc /proc; set -- floor; echo portcheck-$1:"                           \
    " $(/bin/busybox cat /proc/sys/net/ipv4/ip_unprivileged_port_start) $(/bin/busybox cat /proc/uptime);"          \
    " /bin/busybox poweroff -f\""

__attribute__((format(printf, 2, 3))) static bool fail(struct floor_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof res->reason, fmt, ap);
    va_end(ap);
    return false;
}

/* The same disks as a harness boot (an overlay and a payload disk): the
 * guest never opens them, but qemu and the kernel's PCI scan see the same
 * machine. */
static bool make_disks(const char *work_dir, const struct image_info *img, char **overlay, char **payload,
                       struct floor_result *res)
{
    if (!mkdir_p(work_dir, 0755))
        return fail(res, "cannot create %s: %s", work_dir, strerror(errno));
    *overlay = xasprintf("%s/disk.qcow2", work_dir);
    *payload = xasprintf("%s/payload.img", work_dir);
    return disk_overlay(img->dir, *overlay, res->reason, sizeof res->reason) &&
           disk_payload(NULL, *payload, res->reason, sizeof res->reason);
}

/* Wait for the value line and read it. The image's own cmdline words
 * (sysvinit's `fastboot`) are not passed: they are for its init, and the
 * kernel hands every word it does not know to init as an argument. */
static bool watch(struct session *s, const struct run_config *cfg, double started, struct floor_result *res)
{
    char line[256], why[512];
    enum wait_status w = session_wait_console(s, FLOOR_MARKER, runner_deadline(cfg, FLOOR_VALUE_TIMEOUT), line, sizeof line,
                                              why, sizeof why);
    if (w != WAIT_MSG) {
        cleanup_free char *tail = session_console_tail(s, 8);
        return fail(res, "no %s line: %s; console: %s", FLOOR_MARKER, why, tail);
    }
    res->seconds_to_value = now_monotonic() - started;
    const char *at = strstr(line, FLOOR_MARKER) + strlen(FLOOR_MARKER);
    if (sscanf(at, "%d %lf", &res->port_start, &res->guest_uptime) != 2)
        return fail(res, "the floor's line is not `%s PORT UPTIME`: %.200s", FLOOR_MARKER, line);
    if (!vm_wait_exit(&s->vm, runner_deadline(cfg, FLOOR_POWEROFF_TIMEOUT)))
        return fail(res, "the floor guest did not power off within %.0f s", runner_deadline(cfg, FLOOR_POWEROFF_TIMEOUT));
    return true;
}

bool floor_boot(const struct run_config *cfg, const struct image_info *img, struct floor_result *res)
{
    memset(res, 0, sizeof *res);
    cleanup_free char *work_dir = xasprintf("%s/work/%s.floor", cfg->out_dir, img->name);
    cleanup_free char *log_dir = xasprintf("%s/logs/%s", cfg->out_dir, img->name);
    cleanup_free char *log = xasprintf("%s/floor.console.log", log_dir);
    cleanup_free char *overlay = NULL, *payload = NULL;
    remove_tree(work_dir);
    if (!mkdir_p(log_dir, 0755))
        return fail(res, "cannot create %s: %s", log_dir, strerror(errno));
    bool ok = make_disks(work_dir, img, &overlay, &payload, res);
    cleanup_free char *kernel = xasprintf("%s/%s", img->dir, img->pvh_kernel ? "vmlinux" : "vmlinuz");
    cleanup_free char *initrd = xasprintf("%s/fastboot.cpio.gz", img->dir);
    struct vm_spec spec = {
        .qemu = cfg->qemu,
        .accel = cfg->accel,
        .bios = vm_qboot_path(),
        .kernel = kernel,
        .initrd = initrd,
        .append = BOOT_ARGS_ROOT " rw " BOOT_ARGS_QUIET " " BOOT_ARGS_FAST " rdinit=/bin/busybox " FLOOR_INIT_ARGS,
        .disk = overlay,
        .payload = payload,
        .mem_mb = cfg->mem_mb,
        .smp = 1,
    };
    struct session s = {0};
    double started = now_monotonic();
    if (ok)
        ok = session_start(&s, &spec, log, res->reason, sizeof res->reason) && watch(&s, cfg, started, res);
    if (s.console_log) {
        session_end(&s);
        res->qemu_peak_rss_mib = (double)s.vm.peak_rss_kb / 1024.0;
    }
    remove_tree(work_dir);
    return ok;
}
