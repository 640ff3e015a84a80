/* Choosing KVM or TCG with a short test boot. */
#define _GNU_SOURCE
#include "vm/accel.h"

#include "vm/accel_cache.h"
#include "vm/qemu.h"
#include "base/signals.h"
#include "base/util.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Under working KVM the banner comes in well under a second. */
#define KVM_PROBE_SECONDS 3.0
#define KVM_BOOTED "a test boot under KVM printed its banner"
#define KVM_HUNG "/dev/kvm exists but a test boot printed nothing within 3 s (nested KVM hangs)"

static bool kvm_boots(const char *qemu, const char *kernel, const char *initrd)
{
    struct vm_spec spec = {.qemu = qemu, .accel = "kvm", .kernel = kernel, .initrd = initrd, .mem_mb = 256, .smp = 1,
                           .append = "console=ttyS0 panic=-1"};
    struct vm vm;
    char err[256];
    if (!vm_start(&spec, &vm, err, sizeof err))
        return false;
    char seen[8192];
    size_t len = 0;
    bool banner = false;
    double deadline = now_monotonic() + KVM_PROBE_SECONDS;
    while (!banner && now_monotonic() < deadline && !vm_poll_exit(&vm)) {
        struct pollfd p = {.fd = vm.console_fd, .events = POLLIN};
        if (signals_ppoll(&p, 1, deadline - now_monotonic()) <= 0)
            continue;
        ssize_t r = recv(vm.console_fd, seen + len, sizeof seen - 1 - len, MSG_DONTWAIT);
        if (r <= 0)
            break;
        len += (size_t)r;
        seen[len] = '\0';
        banner = strstr(seen, "Linux version") != NULL;
        if (len > sizeof seen / 2) {
            memmove(seen, seen + len - 64, 64);
            len = 64;
        }
    }
    vm_stop(&vm);
    return banner;
}

const char *accel_choose(const char *requested, const char *qemu, const char *kernel, const char *initrd, const char **why)
{
    if (strcmp(requested, "tcg") == 0) {
        *why = "requested";
        return "tcg";
    }
    if (strcmp(requested, "kvm") == 0) {
        *why = "requested";
        return "kvm";
    }
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        *why = "no usable /dev/kvm";
        return "tcg";
    }
    close(fd);
    static char cached_why[160];
    bool kvm;
    const char *when;
    if (accel_cache_get(qemu, &kvm, &when)) {
        snprintf(cached_why, sizeof cached_why, "%s; kept from its test boot at %s, in this host boot",
                 kvm ? KVM_BOOTED : KVM_HUNG, when);
        *why = cached_why;
        return kvm ? "kvm" : "tcg";
    }
    kvm = kvm_boots(qemu, kernel, initrd);
    if (!signals_pending())
        accel_cache_put(qemu, kvm);
    if (kvm) {
        *why = KVM_BOOTED;
        return "kvm";
    }
    *why = KVM_HUNG;
    return "tcg";
}
