/* One qemu process: started from an argv array with the console and the
 * agent channel on socketpairs we hold (no sockets in the file system, no
 * race to connect), never a host network device or a host mount, and killed
 * with us if we die (PR_SET_PDEATHSIG). */
#ifndef PORTCHECK_QEMU_H
#define PORTCHECK_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What --qemu defaults to: looked up on PATH. */
#define QEMU_DEFAULT_BINARY "qemu-system-x86_64"

struct vm_spec {
    const char *qemu;       /* binary, default QEMU_DEFAULT_BINARY */
    const char *accel;      /* "kvm" or "tcg" */
    const char *bios;       /* firmware, or NULL for qemu's default (SeaBIOS) */
    const char *kernel, *initrd, *append;
    const char *disk;       /* the qcow2 overlay, read-write */
    const char *payload;    /* read-only raw disk with agent and packages */
    int mem_mb, smp;
    /* Host ports on 127.0.0.1 forwarded to guest 80 and 443; 0 for none
     * (then the VM has no network device at all). */
    int fwd_http, fwd_https;
};

struct vm {
    pid_t pid;
    int pidfd;       /* readable when qemu has exited */
    int console_fd;  /* our end of the serial console */
    int agent_fd;    /* our end of the virtio-serial agent port */
    bool exited;
    int exit_status; /* raw wait status once exited */
    long peak_rss_kb; /* qemu's peak resident memory, once exited */
    int err_fd;      /* our end of qemu's stderr, drained by vm_drain_stderr */
    char err_line[256]; /* the last complete line qemu wrote there */
    char err_part[256]; /* the line it is writing */
    size_t err_part_len;
};

/* qboot, where installed: it starts a direct kernel boot faster than
 * SeaBIOS under TCG. Every boot (the bench's reference and floor too) uses
 * the same firmware. NULL for qemu's default. */
const char *vm_qboot_path(void);
/* Start qemu. On failure returns false with a one-line reason. */
bool vm_start(const struct vm_spec *spec, struct vm *vm, char *err, size_t errlen);
/* Read what qemu wrote to stderr so far, without blocking, so the pipe
 * never fills up; the last line is kept for the reason of its exit. */
void vm_drain_stderr(struct vm *vm);
/* That last line ("" if none). */
const char *vm_stderr_last(const struct vm *vm);
/* Reap qemu if it has exited; true if it has. */
bool vm_poll_exit(struct vm *vm);
/* Wait up to timeout_s for qemu to exit by itself. */
bool vm_wait_exit(struct vm *vm, double timeout_s);
/* Make sure qemu is gone: SIGTERM, a short grace, SIGKILL; close our fds. */
void vm_stop(struct vm *vm);
/* "exited with status 1", "killed by signal 9" */
char *vm_describe_exit(const struct vm *vm);

#endif
