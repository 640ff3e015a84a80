/* The KVM test boot's answer, kept for the rest of this host boot. Every
 * `portcheck run` and `bench` under --accel auto otherwise spends its first
 * 3-4 s on it (under nested KVM here it always waits out its deadline), and
 * the answer cannot change until the host reboots or qemu changes. The
 * record is keyed by the host's boot_id and by the qemu binary's path,
 * inode, size and mtime: any other key probes again. */
#ifndef PORTCHECK_ACCEL_CACHE_H
#define PORTCHECK_ACCEL_CACHE_H

#include <stdbool.h>
#include <stddef.h>

/* The record's folder: $PORTCHECK_RUNTIME_DIR, else /run/portcheck (a
 * tmpfs, emptied at every host boot). */
#define ACCEL_CACHE_DEFAULT_DIR "/run/portcheck"

/* true when a record for this host boot and this qemu binary says whether
 * KVM booted; *when is its UTC time of the probe (static storage). */
bool accel_cache_get(const char *qemu, bool *kvm_boots, const char **when);

/* Keep the answer (best effort: a folder that cannot be made, or that is
 * not the caller's alone, keeps nothing, and the next run probes again). */
void accel_cache_put(const char *qemu, bool kvm_boots);

#endif
