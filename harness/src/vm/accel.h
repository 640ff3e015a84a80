/* Choosing between KVM and TCG. /dev/kvm can exist and answer ioctls while
 * nested KVM hangs the guest, so only a tiny boot with a deadline tells:
 * the kernel must print its banner within a few seconds under KVM. */
#ifndef PORTCHECK_ACCEL_H
#define PORTCHECK_ACCEL_H

/* requested: "auto", "kvm" or "tcg". kernel/initrd: any bootable pair.
 * qemu: the binary or NULL. Returns "kvm" or "tcg"; *why says how it was decided (static string). */
const char *accel_choose(const char *requested, const char *qemu, const char *kernel, const char *initrd, const char **why);

#endif
