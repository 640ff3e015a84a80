/* The patches in packaging/upstream/, built into portcheck (harness.mk
 * embeds them with harness/embed-text), so the proposal drafts quote them
 * from report.json alone: the patch as it was when this portcheck was
 * built, the one tests/upstream.bats checks against the images. */
#ifndef PORTCHECK_UPSTREAM_PATCHES_H
#define PORTCHECK_UPSTREAM_PATCHES_H

/* packaging/upstream/systemd-50-default.patch */
extern const char upstream_systemd_patch[];
/* packaging/upstream/linux-sysctl-defaults.patch */
extern const char upstream_debian_patch[];

#endif
