/* Starting, watching and stopping one qemu process. */
#define _GNU_SOURCE
#include "vm/qemu.h"

#include "base/signals.h"
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The fds qemu sees: fixed numbers so the argv can name them. */
enum { QEMU_CONSOLE_FD = 3, QEMU_AGENT_FD = 4 };

struct argv_builder {
    char **v;
    size_t n, cap;
};

static void arg(struct argv_builder *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

static void argv_free(struct argv_builder *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

static void build_argv(const struct vm_spec *s, struct argv_builder *a)
{
    char buf[512];
    arg(a, s->qemu ? s->qemu : QEMU_DEFAULT_BINARY);
    /* Nothing the user's qemu config or defaults might add: no NIC, no
     * display, no monitor on stdio. */
    arg(a, "-nodefaults");
    arg(a, "-no-user-config");
    arg(a, "-display");
    arg(a, "none");
    arg(a, "-monitor");
    arg(a, "none");
    arg(a, "-accel");
    /* TCG's translation cache defaults to 1 GiB and qemu's resident size
     * grows with it; 128 MiB holds a boot's code (measured: the reference
     * boot's peak RSS fell from about 830 to 590 MiB with -m 512). */
    arg(a, strcmp(s->accel, "tcg") == 0 ? "tcg,tb-size=128" : s->accel);
    arg(a, "-m");
    snprintf(buf, sizeof buf, "%d", s->mem_mb);
    arg(a, buf);
    arg(a, "-smp");
    snprintf(buf, sizeof buf, "%d", s->smp);
    arg(a, buf);
    if (s->bios) {
        arg(a, "-bios");
        arg(a, s->bios);
    }
    arg(a, "-kernel");
    arg(a, s->kernel);
    arg(a, "-initrd");
    arg(a, s->initrd);
    arg(a, "-append");
    arg(a, s->append);
    /* cache=unsafe: the overlay is thrown away after the run, and qemu
     * still writes everything out before it exits (cold-boot reuses it). */
    if (s->disk) {
        snprintf(buf, sizeof buf, "file=%s,if=virtio,format=qcow2,cache=unsafe,discard=unmap", s->disk);
        arg(a, "-drive");
        arg(a, buf);
    }
    if (s->payload) {
        snprintf(buf, sizeof buf, "file=%s,if=virtio,format=raw,readonly=on", s->payload);
        arg(a, "-drive");
        arg(a, buf);
    }
    /* An entropy source, as hosts (RDRAND) and cloud VMs (virtio-rng) have
     * and qemu's default CPU lacks: without one, the first read of the
     * kernel's pool in each boot (nginx, podman, the NFS server) runs the
     * jitter-entropy loop, about 1.1 s under TCG. */
    arg(a, "-device");
    arg(a, "virtio-rng-pci");
    arg(a, "-chardev");
    snprintf(buf, sizeof buf, "socket,id=console,fd=%d", QEMU_CONSOLE_FD);
    arg(a, buf);
    arg(a, "-serial");
    arg(a, "chardev:console");
    arg(a, "-device");
    arg(a, "virtio-serial-pci");
    arg(a, "-chardev");
    snprintf(buf, sizeof buf, "socket,id=agent,fd=%d", QEMU_AGENT_FD);
    arg(a, buf);
    arg(a, "-device");
    arg(a, "virtserialport,chardev=agent,name=org.portcheck.agent");
    if (s->fwd_http || s->fwd_https) {
        /* User-mode networking only: restrict=on keeps the guest off every
         * network, the forwards reach it from 127.0.0.1 alone. */
        snprintf(buf, sizeof buf, "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:443",
                 s->fwd_http, s->fwd_https);
        arg(a, "-netdev");
        arg(a, buf);
        arg(a, "-device");
        arg(a, "virtio-net-pci,netdev=net0");
    }
}

const char *vm_qboot_path(void)
{
    static const char path[] = "/usr/share/qemu/qboot.rom";
    return access(path, R_OK) == 0 ? path : NULL;
}

static int pidfd_open_compat(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

bool vm_start(const struct vm_spec *spec, struct vm *vm, char *err, size_t errlen)
{
    memset(vm, 0, sizeof *vm);
    vm->pid = -1;
    vm->pidfd = vm->console_fd = vm->agent_fd = vm->err_fd = -1;
    const char *qemu = spec->qemu ? spec->qemu : QEMU_DEFAULT_BINARY;
    if (!program_on_path(qemu)) {
        snprintf(err, errlen, "%s not found: apt-get install qemu-system-x86", qemu);
        return false;
    }
    int con[2], agent[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, agent) != 0)
        die_errno("socketpair");

    struct argv_builder a = {0};
    build_argv(spec, &a);

    /* qemu's own stderr goes to a pipe we keep reading for its whole life:
     * its complaints (bad image path, no KVM) become the reason of the
     * error, whenever it exits. */
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0 || fcntl(errpipe[0], F_SETFL, O_NONBLOCK) != 0)
        die_errno("pipe2");
    pid_t pid = spawn_fork(SIGKILL, SPAWN_OWN_GROUP | SPAWN_RESET_SIGNALS);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(errpipe[1], 2) < 0 ||
            dup2(con[1], QEMU_CONSOLE_FD) < 0 || dup2(agent[1], QEMU_AGENT_FD) < 0)
            _exit(127);
        execvp(a.v[0], a.v);
        dprintf(2, "cannot run %s: %s\n", a.v[0], strerror(errno));
        _exit(127);
    }
    argv_free(&a);
    close(con[1]);
    close(agent[1]);
    close(errpipe[1]);
    vm->pid = pid;
    vm->console_fd = con[0];
    vm->agent_fd = agent[0];
    vm->pidfd = pidfd_open_compat(pid);
    if (vm->pidfd < 0)
        die_errno("pidfd_open for qemu (needs Linux 5.3)");

    vm->err_fd = errpipe[0];

    /* qemu reports argument and disk errors within a moment of starting;
     * wait briefly for either its exit or silence on stderr. */
    struct pollfd p[2] = {{.fd = vm->pidfd, .events = POLLIN}, {.fd = vm->err_fd, .events = POLLIN}};
    double deadline = now_monotonic() + 1.0;
    while (now_monotonic() < deadline) {
        if (signals_ppoll(p, 2, deadline - now_monotonic()) < 0)
            break;
        if (p[1].revents & (POLLIN | POLLHUP)) {
            vm_drain_stderr(vm);
            p[1].fd = vm->err_fd;
        }
        if (p[0].revents & POLLIN)
            break;
    }
    if (vm_poll_exit(vm)) {
        vm_drain_stderr(vm);
        cleanup_free char *how = vm_describe_exit(vm);
        snprintf(err, errlen, "qemu %s at start: %s", how, vm_stderr_last(vm)[0] ? vm_stderr_last(vm) : "(no message)");
        vm_stop(vm);
        return false;
    }
    return true;
}

void vm_drain_stderr(struct vm *vm)
{
    char buf[4096];
    while (vm->err_fd >= 0) {
        ssize_t r = read(vm->err_fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return;
        if (r <= 0) {
            cleanup_closep(&vm->err_fd);
            return;
        }
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] == '\n' || buf[i] == '\r') {
                if (vm->err_part_len) {
                    memcpy(vm->err_line, vm->err_part, vm->err_part_len + 1);
                    vm->err_part_len = 0;
                    vm->err_part[0] = '\0';
                }
            } else if (vm->err_part_len < sizeof vm->err_part - 1 && (unsigned char)buf[i] >= 0x20) {
                vm->err_part[vm->err_part_len++] = buf[i];
                vm->err_part[vm->err_part_len] = '\0';
            }
        }
    }
}

const char *vm_stderr_last(const struct vm *vm)
{
    /* A last line without its newline counts too. */
    return vm->err_part_len ? vm->err_part : vm->err_line;
}

bool vm_poll_exit(struct vm *vm)
{
    if (vm->exited)
        return true;
    if (vm->pid <= 0)
        return true;
    int status;
    struct rusage ru;
    pid_t r = wait4(vm->pid, &status, WNOHANG, &ru);
    if (r == vm->pid) {
        vm->exited = true;
        vm->exit_status = status;
        vm->peak_rss_kb = ru.ru_maxrss;
        return true;
    }
    return false;
}

bool vm_wait_exit(struct vm *vm, double timeout_s)
{
    double deadline = now_monotonic() + timeout_s;
    while (!vm_poll_exit(vm)) {
        double left = deadline - now_monotonic();
        if (left <= 0 || signals_pending())
            return false;
        struct pollfd p = {.fd = vm->pidfd, .events = POLLIN};
        signals_ppoll(&p, 1, left);
    }
    return true;
}

void vm_stop(struct vm *vm)
{
    if (vm->pid > 0 && !vm_poll_exit(vm)) {
        kill(vm->pid, SIGTERM);
        double deadline = now_monotonic() + 3.0;
        while (!vm_poll_exit(vm) && now_monotonic() < deadline) {
            struct pollfd p = {.fd = vm->pidfd, .events = POLLIN};
            poll(&p, 1, 100);
        }
        if (!vm_poll_exit(vm)) {
            kill(-vm->pid, SIGKILL);
            kill(vm->pid, SIGKILL);
            int status = 0;
            struct rusage ru = {0};
            while (wait4(vm->pid, &status, 0, &ru) < 0 && errno == EINTR)
                ;
            vm->exited = true;
            vm->exit_status = status;
            vm->peak_rss_kb = ru.ru_maxrss;
        }
    }
    vm_drain_stderr(vm);
    cleanup_closep(&vm->err_fd);
    cleanup_closep(&vm->pidfd);
    cleanup_closep(&vm->console_fd);
    cleanup_closep(&vm->agent_fd);
}

char *vm_describe_exit(const struct vm *vm)
{
    if (!vm->exited)
        return xstrdup("still running");
    if (WIFEXITED(vm->exit_status))
        return xasprintf("exited with status %d", WEXITSTATUS(vm->exit_status));
    if (WIFSIGNALED(vm->exit_status))
        return xasprintf("killed by signal %d (%s)", WTERMSIG(vm->exit_status), strsignal(WTERMSIG(vm->exit_status)));
    return xstrdup("ended");
}
