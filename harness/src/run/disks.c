/* Making a VM's overlay and payload disks with qemu-img and mkfs.ext4. */
#define _GNU_SOURCE
#include "run/disks.h"

#include "base/spawn.h"
#include "base/util.h"

#include <unistd.h>

bool disk_overlay(const char *image_dir, const char *overlay, char *err, size_t errlen)
{
    unlink(overlay);
    cleanup_free char *base = xasprintf("%s/rootfs.raw", image_dir);
    char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "raw", (char *)overlay, NULL};
    return spawn_check(argv, 30, err, errlen);
}

bool disk_payload(const char *tree, const char *image, char *err, size_t errlen)
{
    char *with_tree[] = {"mkfs.ext4", "-q", "-F", "-L", "portcheck", "-d", (char *)tree, (char *)image, "64M", NULL};
    char *empty[] = {"mkfs.ext4", "-q", "-F", "-L", "portcheck", (char *)image, "64M", NULL};
    return spawn_check(tree ? with_tree : empty, 60, err, errlen);
}
