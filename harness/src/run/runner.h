/* Running the chosen scenarios on one image: prepares the payload disk and
 * overlays, drives the session step by step, and returns the image's part of
 * report.json. Runs in its own process per image (main.c), so one image that
 * fails or hangs never stops the others. */
#ifndef PORTCHECK_RUNNER_H
#define PORTCHECK_RUNNER_H

#include "run/scenarios.h"

#include <jansson.h>
#include <stdbool.h>

struct image_info {
    char *name, *dir, *distro, *suite, *init, *package_format, *kernel, *os, *cmdline, *recipe_hash;
    double build_seconds;
    bool container_tree; /* the image holds the container scenarios' tree */
    bool pvh_kernel;     /* it has vmlinux, the same kernel uncompressed (vm-images/extract-vmlinux) */
    char *skip_reason;   /* the image cannot be built here (e.g. no Fedora mirror) */
    char *error;         /* building it failed */
};

struct package_info {
    char *path, *name, *version, *format, *sha256;
};

struct run_config {
    const char *out_dir;
    const char *agent_path;
    const char *accel;        /* "kvm" or "tcg", decided before the runs */
    double timeout_scale;     /* multiplies every guest deadline */
    int mem_mb;
    bool mem_fixed;           /* --mem given: no scenario gets more */
    bool reference_boot;      /* every VM boots the plain way (bench) */
    const char *kernel_arg;   /* appended to every boot's command line, or NULL */
    const char *qemu;         /* qemu binary, or NULL for the default */
    const struct scenario *wanted[32];
    size_t nwanted;
    /* This process runs shard `shard` (from 0) of `nshards` VMs that share
     * one image's scenarios at once (shards.h); 0 and 1 when it runs alone. */
    int shard, nshards;
    const struct package_info *packages[4]; /* one per format */
    size_t npackages;
    const struct package_info *old_packages[4]; /* for the upgrade scenario */
    size_t nold_packages;
};

json_t *runner_run_image(const struct run_config *cfg, const struct image_info *img);
/* Why sc cannot run on img with cfg's packages (free it), or NULL. */
char *runner_skip_reason(const struct run_config *cfg, const struct image_info *img, const struct scenario *sc);
/* The report entry of an image that could not run at all: every wanted
 * scenario skipped or in error with the same reason. */
json_t *runner_image_unavailable(const struct run_config *cfg, const struct image_info *img, const char *status,
                                 const char *reason);

#endif
