/* What a package file is: its format from its magic bytes (a .deb is an ar
 * archive starting with debian-binary, an .rpm starts with ed ab ee db),
 * its name and version from dpkg-deb or rpm, and its sha256. */
#ifndef PORTCHECK_PACKAGE_H
#define PORTCHECK_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>

struct package_info {
    char *path, *name, *version, *format, *sha256;
};

/* false with a one-line reason naming the file and the fix. */
bool package_inspect(const char *path, struct package_info *pkg, char *err, size_t errlen);
void package_info_free(struct package_info *pkg);

#endif
