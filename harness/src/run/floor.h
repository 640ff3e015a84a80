/* The floor of a boot, for the bench: the harness's kernel (vmlinux through
 * PVH where the image has it) and its initramfs, the same qemu options and
 * disks, but busybox itself as init (rdinit=), which reads the sysctl,
 * prints it on the console and powers off. No root mount, no init system,
 * no agent: what no harness boot of this image can go below. */
#ifndef PORTCHECK_FLOOR_H
#define PORTCHECK_FLOOR_H

#include "run/images.h"
#include "run/runner.h"

#include <stdbool.h>

struct floor_result {
    double seconds_to_value; /* qemu start to the value on the host's console reader */
    double guest_uptime;     /* /proc/uptime when the guest read it */
    int port_start;          /* what the kernel returned */
    double qemu_peak_rss_mib;
    char reason[1024];       /* why it failed */
};

/* One floor boot of img with cfg's accelerator, memory and qemu; the
 * console goes to OUT/logs/IMAGE/floor.console.log. False with the reason. */
bool floor_boot(const struct run_config *cfg, const struct image_info *img, struct floor_result *res);

#endif
