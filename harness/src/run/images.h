/* Getting an image ready: vm-images/build-image owns recipes, hashing and
 * the cache; this file asks it (validate, then build or reuse) and reads the
 * image.json it leaves beside the disk. */
#ifndef PORTCHECK_IMAGES_H
#define PORTCHECK_IMAGES_H

#include <stdbool.h>
#include <stddef.h>

/* The image every command uses when none is named. */
#define DEFAULT_IMAGE "debian-bookworm"

struct image_info {
    char *name, *dir, *distro, *suite, *init, *package_format, *kernel, *os, *cmdline, *recipe_hash;
    char *packages; /* the recipe's extra packages, " a b c " */
    double build_seconds;
    bool container_tree; /* the image holds the container scenarios' tree */
    bool pvh_kernel;     /* it has vmlinux, the same kernel uncompressed (vm-images/extract-vmlinux) */
    /* The package baked in at build time (recipe key preinstall), or NULL:
     * name, version and sha256 from image.json. */
    char *preinstalled_name, *preinstalled_version, *preinstalled_sha256;
    /* The host's ip_unprivileged_port_start before and after that build, as
     * build-image read it (the build shares the host's netns); -1 unknown. */
    int preinstall_host_before, preinstall_host_after;
    char *skip_reason;   /* the image cannot be built here (e.g. no Fedora mirror) */
    char *error;         /* building it failed */
};

/* The .deb a recipe with preinstall = deb bakes in: build-image reads it
 * from PORTCHECK_PREINSTALL_DEB, set here for image_check and image_prepare
 * (NULL: none given, and such a recipe is refused). */
void image_offer_deb(const char *path);
/* Validate a recipe without building: false with a one-line reason. */
bool image_check(const char *images_dir, const char *name, char *err, size_t errlen);
/* Build or reuse; fills info. Sets info->skip_reason when this machine
 * cannot build it (no mirror), info->error when the build failed. */
void image_prepare(const char *images_dir, const char *name, struct image_info *info);
void image_info_free(struct image_info *info);
/* Whether the prepared image's root file system holds PATH as a regular
 * file, read from rootfs.raw with debugfs (no boot; symlinks not followed). */
bool image_has_file(const struct image_info *info, const char *path);
/* The recipes there are (images_dir/recipes/NAME.conf), sorted; NULL with
 * errno when that folder cannot be read. Free each name and the array. */
char **image_names(const char *images_dir, size_t *n);

#endif
