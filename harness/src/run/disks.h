/* The two disks every VM of a run gets, the harness's and the floor's
 * alike: a throwaway qcow2 overlay on the image's rootfs.raw, and the
 * read-only payload disk (an ext4 image of a folder, labelled portcheck). */
#ifndef PORTCHECK_DISKS_H
#define PORTCHECK_DISKS_H

#include <stdbool.h>
#include <stddef.h>

/* (Re)create OVERLAY on IMAGE_DIR/rootfs.raw; false with the reason. */
bool disk_overlay(const char *image_dir, const char *overlay, char *err, size_t errlen);
/* Make the payload disk IMAGE from the folder TREE, or an empty one when
 * TREE is NULL; false with the reason. */
bool disk_payload(const char *tree, const char *image, char *err, size_t errlen);

#endif
