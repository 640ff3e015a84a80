/* Running the chosen scenarios on one image: prepares the payload disk and
 * overlays, drives the session step by step, and returns the image's part of
 * report.json. Runs in a process of its own per unit (units.h), so one image
 * that fails or hangs never stops the others. */
#ifndef PORTCHECK_RUNNER_H
#define PORTCHECK_RUNNER_H

#include "report/report.h"
#include "run/images.h"
#include "run/package.h"
#include "run/scenarios.h"

#include <jansson.h>
#include <stdbool.h>

/* Every boot's kernel arguments begin with the console and the root disk,
 * and keep the console quiet. no_timer_check: under a loaded TCG host the
 * kernel's IO-APIC timer check can fail and panic the boot. */
#define BOOT_ARGS_ROOT "console=ttyS0 root=/dev/vda"
#define BOOT_ARGS_QUIET "quiet no_timer_check"
/* The fast path's and the floor's boots (never the reference, the plain
 * boot): the kernel skips its crypto self-tests, which play no part in
 * binding a port or applying sysctl.d. Under TCG they were the costliest
 * built-in initcall: crypto_algapi_init 0.40 s of 1.47 s of initcalls before
 * /init, 1.05 s without them (initcall_debug, bookworm, 2026-12-03). */
#define BOOT_ARGS_FAST "cryptomgr.notests"
#define NETWORK_WAIT_ONLINE_UNIT "systemd-networkd-wait-online.service"

/* One package per format (deb, rpm), each of --package and --old-package. */
#define RUN_PACKAGES_MAX 4

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
    const struct scenario *wanted[SCENARIOS_MAX];
    size_t nwanted;
    /* This process runs shard `shard` (from 0) of `nshards` VMs that share
     * one image's scenarios at once (shards.h); 0 and 1 when it runs alone. */
    int shard, nshards;
    const struct package_info *packages[RUN_PACKAGES_MAX]; /* one per format */
    size_t npackages;
    const struct package_info *old_packages[RUN_PACKAGES_MAX]; /* for the upgrade scenario */
    size_t nold_packages;
};

/* A deadline in seconds for TCG, as cfg runs it: times --timeout-scale,
 * and a quarter of it under KVM. */
double runner_deadline(const struct run_config *cfg, double seconds);
json_t *runner_run_image(const struct run_config *cfg, const struct image_info *img);
/* The longest sc can take on its own, with its predecessors, when every
 * wait runs to its deadline: the unit pool's bound on a whole unit. */
double runner_worst_case_seconds(const struct run_config *cfg, const struct scenario *sc);
/* Why sc cannot run on img with cfg's packages (free it), or NULL. */
char *runner_skip_reason(const struct run_config *cfg, const struct image_info *img, const struct scenario *sc);
/* The report entry of an image that could not run at all: every wanted
 * scenario skipped or in error with the same reason. */
json_t *runner_image_unavailable(const struct run_config *cfg, const struct image_info *img, enum report_status status,
                                 const char *reason);

#endif
