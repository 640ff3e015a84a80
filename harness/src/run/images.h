/* Getting an image ready: vm-images/build-image owns recipes, hashing and
 * the cache; this file asks it (validate, then build or reuse) and reads the
 * image.json it leaves beside the disk. */
#ifndef PORTCHECK_IMAGES_H
#define PORTCHECK_IMAGES_H

#include "run/runner.h"

#include <stdbool.h>

/* Validate a recipe without building: false with a one-line reason. */
bool image_check(const char *images_dir, const char *name, char *err, size_t errlen);
/* Build or reuse; fills info. Sets info->skip_reason when this machine
 * cannot build it (no mirror), info->error when the build failed. */
void image_prepare(const char *images_dir, const char *name, struct image_info *info);
void image_info_free(struct image_info *info);

#endif
