/* The scenario table. Expectations follow the kernel's semantics: the
 * effective ip_unprivileged_port_start decides every bind (see checks.c). */
#include "run/scenarios.h"

#include <string.h>

#include "common/constants.h"

/* The kernel default (PROT_SOCK) and the value the package sets. */
enum { KERNEL_DEFAULT = 1024, POLICY = 80 };

#define FACTS(p) {.kind = STEP_FACTS, .port_start = (p)}

#define RUN(lbl, ...) {.kind = STEP_RUN, .label = (lbl), .argv = {__VA_ARGS__, NULL}}
#define SH(lbl, script) RUN(lbl, "sh", "-c", script)
#define REBOOT {.kind = STEP_REBOOT}
#define MASK_FILE "/etc/sysctl.d/" PORTCHECK_VENDOR_NAME
#define ADMIN_FILE "/etc/sysctl.d/60-local.conf"
#define PACKAGE_NAME "unprivileged-ports"

/* The distro's own defaults (linux-sysctl-defaults on Debian, systemd-udev
 * on Fedora), and the line the upstream patch adds to it. */
#define DISTRO_DEFAULT "/usr/lib/sysctl.d/50-default.conf"
#define DISTRO_KEY_LINE "-net.ipv4.ip_unprivileged_port_start = 80"
/* The image has no patch(1): the hunk's added lines, taken from the patch
 * on the payload, go in after the ping_group_range line with sed. Then the
 * line must be there, once. */
#define APPLY_DISTRO_PATCH                                                                                       \
    SH("apply-distro-patch",                                                                                     \
       "sed -n '/^@@/,$ s/^+//p' /run/portcheck/" PAYLOAD_SYSTEMD_PATCH " > /run/portcheck-added && "           \
       "grep -qxF -- '" DISTRO_KEY_LINE "' /run/portcheck-added && "                                             \
       "sed -i '/^-net.ipv4.ping_group_range/r /run/portcheck-added' " DISTRO_DEFAULT " && "                     \
       "test \"$(grep -cxF -- '" DISTRO_KEY_LINE "' " DISTRO_DEFAULT ")\" = 1")

#define TREE "/var/lib/portcheck/container-tree"
/* Rootless podman without a login session: cgroupfs (no user systemd bus),
 * only errors on stderr, the tree itself as the root (no registry). */
#define PODMAN_RUN "podman", "--log-level=error", "--cgroup-manager=cgroupfs", "run", "--rm"
#define AGENT_MOUNT "-v", "/run/portcheck/agent:/portcheck-agent:ro"
#define AS_PORTUSER .user = "portuser"
#define NSPAWN_INSTALL_IN_TREE                                                                                   \
    {.kind = STEP_RUN, .label = "install-in-tree",                                                               \
     .argv = {"sh", "-c",                                                                                        \
              "systemd-nspawn -q -D " TREE " --private-network --register=no --keep-unit "                     \
              "--bind-ro=/run/portcheck --pipe dpkg -i /run/portcheck/packages/*.deb",                           \
              NULL}}
#define NSPAWN_BOOT_FACTS(label_, port_start_)                                                                   \
    {.kind = STEP_AGENT_FACTS, .label = (label_), .port_start = (port_start_),                                  \
     .argv = {"sh", "-c",                                                                                        \
              "rm -rf /run/portcheck-out && mkdir -p /run/portcheck-out && timeout 240 systemd-nspawn -q -D " TREE \
              " -b --private-network --register=no --keep-unit --bind-ro=/run/portcheck "                       \
              "--bind=/run/portcheck-out -- systemd.unit=portcheck-container.target systemd.show_status=0 "      \
              ">/dev/null; cat /run/portcheck-out/facts.json",                                                   \
              NULL}}

/* The objection scenarios. A scenario passes when what it saw matches what
 * its summary says the kernel does, also when that is a finding against
 * the package ("with it a local user CAN ..."): docs/evidence.md. */
#define REUSEPORT_PROBE(lbl, user_80, user_81)                                                                   \
    {.kind = STEP_RUN, .label = (lbl), .argv = {"/run/portcheck/agent", "--reuseport", "80", NULL},            \
     .expect_lines = {"root-tcp=ok", "root-again-tcp=ok", "root-udp=ok", "root-again-udp=ok",                   \
                      "proof=uid=65534 gid=65534 groups=0 capprm=0000000000000000 capinh=0000000000000000 "         \
                      "capeff=0000000000000000 capamb=0000000000000000 nnp=1", "user-tcp=" user_80,   \
                      "user-udp=" user_80, "user-free-tcp=" user_81, "user-free-udp=" user_81},                  \
     .observe = {"user-tcp", "user-udp"}}
/* The same question above 1024, where no package decides: the uid rule alone. */
#define REUSEPORT_PROBE_8080                                                                                     \
    {.kind = STEP_RUN, .label = "reuseport-8080", .argv = {"/run/portcheck/agent", "--reuseport", "8080", NULL}, \
     .expect_lines = {"root-tcp=ok", "root-again-tcp=ok", "user-tcp=EADDRINUSE", "user-udp=EADDRINUSE",         \
                      "user-free-tcp=ok"}}

#define NFS_DIR "/srv/share"
#define NFS_SECRET "portcheck nfs secret 0600 uid 2000"
/* nfs-cat as portuser (uid 1000, no capabilities) claims uid 2000 in its
 * AUTH_SYS credentials. libnfs binds a source port in 512..1023 when the
 * kernel lets it and falls back to an ephemeral one. What it printed and
 * what rpc.mountd logged about the request are recorded as they are. */
#define NFS_CAT(lbl, result)                                                                                      \
    {.kind = STEP_RUN, .label = (lbl), AS_PORTUSER,                                                              \
     .argv = {"sh", "-c",                                                                                        \
              "out=$(timeout 60 nfs-cat 'nfs://127.0.0.1" NFS_DIR "/secret?uid=2000&gid=2000' 2>&1); rc=$?; "  \
              "echo \"exit=$rc\"; case \"$out\" in *'" NFS_SECRET "'*) echo read=the-file;; *) echo read=refused;; " \
              "esac; printf 'said=%s\\n' \"$(printf '%s' \"$out\" | tr '\\n' ' ')\"",                          \
              NULL},                                                                                             \
     .expect_lines = {"read=" result}, .observe = {"said", "exit"}}
/* rpc.mountd's own word on the last MOUNT request: "refused ... illegal
 * port N" or "authenticated mount request from ADDR:PORT". */
#define MOUNTD_SAID(lbl, verdict)                                                                                \
    {.kind = STEP_RUN, .label = (lbl),                                                                           \
     .argv = {"sh", "-c",                                                                                        \
              "l=$(journalctl -b --no-pager -o cat _COMM=rpc.mountd | grep -E 'mount request' | tail -n 1); "    \
              "printf 'log=%s\\n' \"$l\"; case \"$l\" in *'illegal port'*) echo verdict=illegal-port;; "           \
              "*authenticated*) echo verdict=authenticated;; *) echo verdict=none;; esac",                       \
              NULL},                                                                                             \
     .expect_lines = {"verdict=" verdict}, .observe = {"log"}}

/* portuser's nginx (a lingering user service on 80 and 443) and what its
 * bind of 80 got this boot, from its own words in the journal. Waits for
 * the state wanted: nginx stays active for a while retrying a failed bind. */
/* The guests' poll: COND (shell) checked every 0.5 s, 240 times (2 min); the
 * step then reports what it saw, so a timeout shows as a wrong value. */
#define WAIT_UNTIL(cond) "for i in $(seq 240); do " cond " && break; sleep 0.5; done; "
#define USER_WEB "runuser -u portuser -- env XDG_RUNTIME_DIR=/run/user/1000 systemctl --user "
/* nginx's first word on a refused bind of 80 this boot, empty if none. */
#define USER_WEB_80_SAID                                                                                         \
    "journalctl -b --no-pager -o cat _SYSTEMD_USER_UNIT=portcheck-web.service | grep -m1 ':80 failed'"
#define IN_USE "(98: Address already in use)"
#define USER_BIND_80(lbl, state_, bind_)                                                                         \
    {.kind = STEP_RUN, .label = (lbl),                                                                           \
     .argv = {"sh", "-c",                                                                                        \
              WAIT_UNTIL("s=$(" USER_WEB "is-active portcheck-web.service); [ \"$s\" = " state_ " ]")              \
              "echo \"state=$s\"; "                                                                               \
              "l=$(" USER_WEB_80_SAID "); printf 'said=%s\\n' \"$l\"; "                                          \
              "case \"$l\" in *'" IN_USE "'*) echo bind=EADDRINUSE;; *) echo bind=none;; esac",                    \
              NULL},                                                                                             \
     .expect_lines = {"state=" state_, "bind=" bind_}, .observe = {"said"}}
/* The same bind, where it must fail: waits for nginx's own word on its
 * first try of 80, not for the unit to reach `failed` (nginx retries the
 * bind for about 2.5 s more before it gives up). The unit's state at
 * that moment (active, while nginx retries) is recorded as seen. WHY is
 * the strerror nginx prints, ERRNO the name the report gives it. */
#define USER_BIND_80_REFUSED(lbl, why, errno_)                                                                   \
    {.kind = STEP_RUN, .label = (lbl),                                                                           \
     .argv = {"sh", "-c",                                                                                        \
              WAIT_UNTIL("l=$(" USER_WEB_80_SAID "); [ -n \"$l\" ]")                                              \
              "printf 'said=%s\\n' \"$l\"; echo \"state-at-refusal=$(" USER_WEB                   \
              "is-active portcheck-web.service)\"; "                                                            \
              "case \"$l\" in *'" why "'*) echo bind=" errno_ ";; *) echo bind=none;; esac",                      \
              NULL},                                                                                             \
     .expect_lines = {"bind=" errno_}, .observe = {"said", "state-at-refusal"}}
#define HOLD_UNITS "/etc/systemd/system/portcheck-hold"
/* The admin's step, taken once the system is up as an admin would find it:
 * the agent can answer before dbus and systemd-logind are (the matrix saw
 * "Failed to connect to system scope bus" on trixie, sid and bullseye), and
 * loginctl needs both. The boot-time claims come from the reboots after. */
#define ENABLE_LINGER                                                                                            \
    SH("enable-linger", WAIT_UNTIL("systemctl is-active -q systemd-logind.service") "loginctl enable-linger portuser")

/* The NIC of a fast boot, by hand: udev is masked there, so nothing loads
 * virtio_net, and networkd waits for links udev has seen. qemu's user-mode
 * network always puts the guest at 10.0.2.15 behind 10.0.2.2. This is the
 * host's way in for STEP_FETCH, nothing the checks are about: it comes up
 * before the first fetch, so "nothing answers" means nothing is bound. */
#define NETWORK_UP                                                                                               \
    SH("network-up", "set -e; modprobe virtio_net; for i in $(seq 100); do "                                      \
                     "n=$(ls /sys/class/net | grep -vx lo | head -n 1); [ -n \"$n\" ] && break; sleep 0.1; done; " \
                     "[ -n \"$n\" ]; ip link set \"$n\" up; ip addr add 10.0.2.15/24 dev \"$n\"; "                \
                     "ip route add default via 10.0.2.2")
/* What brings up a lingering user's manager at boot, in production order:
 * basic.target, then systemd-logind (see squat-before-service). */
#define USER_MANAGER_AT_BOOT "systemd.wants=basic.target systemd.wants=systemd-logind.service"

/* Rootful Docker (docker.io) with the agent as the whole container image:
 * the static binary imported from a one-file tar, so no registry is needed. */
#define DOCKER_IMAGE "portcheck/agent:local"
#define DOCKER_FACTS(lbl, port_start_, network)                                                                  \
    {.kind = STEP_AGENT_FACTS, .label = (lbl), .port_start = (port_start_),                                     \
     .argv = {"timeout", "120", "docker", "run", "--rm", "--network=" network, DOCKER_IMAGE, "/agent", "--facts"}}
#define DOCKER_START                                                                                              \
    {.kind = STEP_RUN, .label = "docker-start",                                                                  \
     .argv = {"sh", "-c",                                                                                        \
              "set -e; timeout 180 systemctl start docker.service; "                                            \
              "tar -C /run/portcheck -cf - agent | timeout 120 docker import - " DOCKER_IMAGE " >/dev/null; "   \
              "echo started=yes; printf 'version=%s\\n' \"$(docker version --format '{{.Server.Version}}')\"", \
              NULL},                                                                                             \
     .expect_lines = {"started=yes"}, .observe = {"version"}}

/* The table is in run order. Scenarios with `after` continue the VM the
 * named scenario left behind; asked for alone, their predecessors run first
 * (unreported) to reach the same state. */
const struct scenario scenarios[] = {
    {
        .name = "baseline",
        .summary = "Without the package the kernel default holds: ip_unprivileged_port_start is 1024 and an "
                   "unprivileged bind to 80 gets EACCES (the negative control: the checks can fail).",
        .steps = {FACTS(KERNEL_DEFAULT)},
    },
    {
        .name = "install",
        .summary = "Installing the package applies it at once: 80 and 443 bind for an unprivileged user over "
                   "TCP and UDP, IPv4 and IPv6, while 22, 25, 53 and 79 stay privileged.",
        .after = "baseline",
        .needs_package = true,
        .steps = {{.kind = STEP_INSTALL, .expect_exit = 0}, FACTS(POLICY)},
    },
    {
        .name = "reboot",
        .summary = "After a real reboot (a new boot_id) the boot applies the file from /usr/lib/sysctl.d "
                   "and the same checks hold.",
        .after = "install",
        .needs_package = true,
        .steps = {REBOOT, FACTS(POLICY)},
    },
    {
        .name = "cold-boot",
        .summary = "Powered off (qemu exits) and started again by a new qemu on the same disk: 80 holds.",
        .after = "reboot",
        .needs_package = true,
        .steps = {{.kind = STEP_COLDBOOT}, FACTS(POLICY)},
    },
    {
        .name = "override",
        .summary = "An admin file " ADMIN_FILE " setting 1024 wins over the vendor file after a reboot "
                   "(files in /etc and later names win).",
        .after = "cold-boot",
        .needs_package = true,
        .steps = {SH("write-admin-1024", "echo 'net.ipv4.ip_unprivileged_port_start = 1024' > " ADMIN_FILE),
                  REBOOT, FACTS(KERNEL_DEFAULT), RUN("remove-admin-file", "rm", "-f", ADMIN_FILE)},
    },
    {
        .name = "mask",
        .summary = "Masking the vendor file with a /dev/null symlink of the same name in /etc/sysctl.d gives "
                   "1024 after a reboot.",
        .after = "override",
        .needs_package = true,
        .steps = {RUN("mask", "ln", "-sf", "/dev/null", MASK_FILE), REBOOT, FACTS(KERNEL_DEFAULT),
                  RUN("unmask", "rm", "-f", MASK_FILE)},
    },
    {
        .name = "remove",
        .summary = "Removing the package restores 1024 at once and after a reboot; with an admin file setting "
                   "80 in /etc, removal keeps 80.",
        .after = "mask",
        .needs_package = true,
        .steps = {RUN("reapply", "sysctl", "-q", "--system"), FACTS(POLICY), {.kind = STEP_REMOVE}, FACTS(KERNEL_DEFAULT),
                  REBOOT, FACTS(KERNEL_DEFAULT), {.kind = STEP_INSTALL}, FACTS(POLICY),
                  SH("write-admin-80", "echo 'net.ipv4.ip_unprivileged_port_start = 80' > " ADMIN_FILE),
                  {.kind = STEP_REMOVE}, FACTS(POLICY), RUN("remove-admin-file", "rm", "-f", ADMIN_FILE)},
    },
    {
        .name = "purge",
        .summary = "Purging the package restores 1024 at once and after a reboot, and leaves no file of it "
                   "behind.",
        .after = "remove",
        .needs_package = true,
        .steps = {{.kind = STEP_INSTALL}, FACTS(POLICY), {.kind = STEP_PURGE}, FACTS(KERNEL_DEFAULT),
                  REBOOT, FACTS(KERNEL_DEFAULT)},
    },
    {
        .name = "runtime-only",
        .summary = "No package, only `sysctl -w` as root: 80 binds until the next boot, then the value is "
                   "1024 and the bind gets EACCES again. The problem the package exists to solve.",
        .steps = {RUN("sysctl-w", "sysctl", "-q", "-w", "net.ipv4.ip_unprivileged_port_start=80"), FACTS(POLICY),
                  REBOOT, FACTS(KERNEL_DEFAULT)},
    },
    {
        .name = "upgrade",
        .summary = "An older build of the same tree, then the current one installed over it: no error, and "
                   "80 throughout, also after a reboot.",
        .after = "runtime-only",
        .needs_package = true,
        .needs_old_package = true,
        .steps = {{.kind = STEP_INSTALL_OLD}, FACTS(POLICY), {.kind = STEP_INSTALL}, FACTS(POLICY), REBOOT,
                  FACTS(POLICY)},
    },
    {
        .name = "distro-default",
        .summary = "No package: the upstream patch applied to the image's own " DISTRO_DEFAULT " gives 80 after "
                   "a reboot with every bind check as in reboot; an admin file in /etc setting 1024 still wins; "
                   "the package on top keeps 80, and removing it keeps 80, because the distro file still sets "
                   "the key.",
        .needs_package = true,
        .needs_image_file = DISTRO_DEFAULT,
        .steps = {APPLY_DISTRO_PATCH, REBOOT, FACTS(POLICY),
                  SH("write-admin-1024", "echo 'net.ipv4.ip_unprivileged_port_start = 1024' > " ADMIN_FILE),
                  REBOOT, FACTS(KERNEL_DEFAULT), RUN("remove-admin-file", "rm", "-f", ADMIN_FILE),
                  /* Both files set 80: a boot with the two would add nothing the
                   * boot after the patch did not show. */
                  {.kind = STEP_INSTALL}, FACTS(POLICY), {.kind = STEP_REMOVE}, FACTS(POLICY)},
    },
    {
        .name = "distro-default-order",
        .summary = "File order: the package's file is 30-, the distro's 50-default.conf sorts later, so a "
                   "distro default of 1024 wins over the installed package after a reboot.",
        .after = "distro-default",
        .needs_package = true,
        .needs_image_file = DISTRO_DEFAULT,
        .steps = {{.kind = STEP_INSTALL}, FACTS(POLICY),
                  SH("write-distro-1024", "sed -i 's/^" DISTRO_KEY_LINE "$/-net.ipv4.ip_unprivileged_port_start = "
                                          "1024/' " DISTRO_DEFAULT " && grep -qxF -- "
                                          "'-net.ipv4.ip_unprivileged_port_start = 1024' " DISTRO_DEFAULT),
                  REBOOT, FACTS(KERNEL_DEFAULT)},
    },
    {
        .name = "preinstalled",
        .summary = "The package baked into the image by the image builder (mmdebstrap, in its chroot), as "
                   "cloud images and immutable systems ship it: the build left the host's value alone, the "
                   "first boot gives 80 with every check as in reboot, and the admin's mask in /etc gives "
                   "1024 after a reboot.",
        .preinstalled = true,
        .needs_package = true,
        .steps = {FACTS(POLICY),
                  SH("package-installed", "test \"$(dpkg-query -W -f '${Status}' " PACKAGE_NAME ")\" = 'install ok installed' && test -f " PORTCHECK_VENDOR_FILE),
                  RUN("mask", "ln", "-sf", "/dev/null", MASK_FILE), REBOOT, FACTS(KERNEL_DEFAULT)},
    },
    {
        .name = "kernel-cmdline",
        .summary = "No package, sysctl.net.ipv4.ip_unprivileged_port_start=80 on the kernel command line: "
                   "Linux 5.8 and later apply sysctl.* boot parameters themselves, so 80 holds with no "
                   "userspace involved.",
        .boot = {.extra_cmdline = "sysctl.net.ipv4.ip_unprivileged_port_start=80"},
        .steps = {FACTS(POLICY)},
    },
    {
        .name = "user-service-http",
        .summary = "The use case: nginx as a lingering user's systemd user service on 80 and 443. Without the "
                   "package it fails to bind and nothing answers; with it, after a reboot, curl on the host "
                   "gets the page over HTTP and HTTPS.",
        .needs_package = true,
        .needs_systemd = true,
        /* The fast path with what the use case involves at boot: the
         * lingering user's manager (logind) and a NIC for the host's fetch.
         * The rest of multi-user.target plays no part in it. */
        .boot = {.extra_cmdline = USER_MANAGER_AT_BOOT, .network = true, .mem_mb = 768},
        .steps = {NETWORK_UP, ENABLE_LINGER,
                  USER_BIND_80_REFUSED("refused-without-package", "(13: Permission denied)", "EACCES"),
                  {.kind = STEP_FETCH, .fetch = FETCH_HTTP, .expect_served = false},
                  {.kind = STEP_INSTALL}, REBOOT, NETWORK_UP,
                  {.kind = STEP_FETCH, .fetch = FETCH_HTTP, .expect_served = true},
                  {.kind = STEP_FETCH, .fetch = FETCH_HTTPS, .expect_served = true}},
    },
    {
        .name = "nspawn-boot",
        .summary = "systemd-nspawn with a private network boots a container tree: without the package inside "
                   "it sees 1024; with it, systemd-sysctl in the container applies 80 to the container's own "
                   "netns and a non-root process there binds 80.",
        .needs_package = true,
        .container = true,
        .steps = {NSPAWN_BOOT_FACTS("nspawn-without-package", KERNEL_DEFAULT), NSPAWN_INSTALL_IN_TREE,
                  NSPAWN_BOOT_FACTS("nspawn-with-package", POLICY)},
    },
    {
        .name = "toolbox-inside-only",
        .summary = "The original complaint: the sysctl.d file installed only inside a toolbox-style container "
                   "(host netns) is never applied, nothing inside can apply it, and the host stays at 1024.",
        .after = "nspawn-boot",
        .needs_package = true,
        .container = true,
        .steps = {{.kind = STEP_AGENT_FACTS, .label = "toolbox", AS_PORTUSER, .port_start = KERNEL_DEFAULT,
                   .argv = {PODMAN_RUN, "--network=host", AGENT_MOUNT, "--rootfs", TREE, "/portcheck-agent",
                            "--facts"}},
                  {.kind = STEP_RUN, .label = "sysctl-inside-refused", AS_PORTUSER, .expect_failure = true,
                   .argv = {PODMAN_RUN, "--network=host", "--rootfs", TREE, "sysctl", "--system"}}},
    },
    {
        .name = "toolbox-host-netns",
        .summary = "What toolbox and distrobox do: rootless podman --network=host shares the host netns, so a "
                   "non-root process inside gets EACCES on 80 until the host has the package, then binds it.",
        .after = "toolbox-inside-only",
        .needs_package = true,
        .container = true,
        .steps = {{.kind = STEP_AGENT_FACTS, .label = "host-netns-without", AS_PORTUSER, .port_start = KERNEL_DEFAULT,
                   .argv = {PODMAN_RUN, "--network=host", AGENT_MOUNT, "--rootfs", TREE, "/portcheck-agent",
                            "--facts"}},
                  {.kind = STEP_INSTALL},
                  {.kind = STEP_AGENT_FACTS, .label = "host-netns-with", AS_PORTUSER, .port_start = POLICY,
                   .argv = {PODMAN_RUN, "--network=host", AGENT_MOUNT, "--rootfs", TREE, "/portcheck-agent",
                            "--facts"}}},
    },
    {
        .name = "podman-private-netns",
        .summary = "Rootless podman with its own netns: a non-root uid inside sees 1024 and EACCES although the "
                   "host is at 80 (the sysctl is per netns and podman does not set it); the container's root "
                   "binds 80 through its own capability.",
        .after = "toolbox-host-netns",
        .needs_package = true,
        .container = true,
        .steps = {{.kind = STEP_AGENT_FACTS, .label = "private-netns", AS_PORTUSER, .port_start = KERNEL_DEFAULT,
                   .argv = {PODMAN_RUN, AGENT_MOUNT, "--rootfs", TREE, "/portcheck-agent", "--facts"}},
                  {.kind = STEP_AGENT_FACTS, .label = "private-netns-root", AS_PORTUSER, .as_root = true,
                   .argv = {PODMAN_RUN, AGENT_MOUNT, "--rootfs", TREE, "/portcheck-agent", "--facts", "--as-is"}}},
    },
    {
        .name = "userns-unshare",
        .summary = "A plain user and network namespace made by an unprivileged user (no runtime): the new netns "
                   "starts at 1024, its root binds 80, a mapped non-root uid does not.",
        .after = "podman-private-netns",
        .container = true,
        .steps = {{.kind = STEP_AGENT_FACTS, .label = "userns", AS_PORTUSER, .port_start = KERNEL_DEFAULT,
                   .argv = {"unshare", "--user", "--net", "--map-auto", "--map-root-user", "/run/portcheck/agent",
                            "--facts"}},
                  {.kind = STEP_AGENT_FACTS, .label = "userns-root", AS_PORTUSER, .as_root = true,
                   .argv = {"unshare", "--user", "--net", "--map-auto", "--map-root-user", "/run/portcheck/agent",
                            "--facts", "--as-is"}}},
    },
    {
        .name = "podman-publish",
        .summary = "Rootless podman -p 80:8080: the port forwarder binds 80 in the host netns, so without the "
                   "package podman refuses to publish; with it, curl on the host gets the container's page.",
        .needs_package = true,
        .container = true,
        /* The fast path and a NIC: podman runs as in the toolbox scenarios. */
        .boot = {.network = true, .mem_mb = 768},
        .steps = {NETWORK_UP,
                  {.kind = STEP_RUN, .label = "publish-refused", AS_PORTUSER, .expect_failure = true,
                   .argv = {PODMAN_RUN, "-d", "--name", "web", "-p", "80:8080", "--rootfs", TREE, "busybox", "httpd",
                            "-f", "-p", "8080", "-h", "/srv/www"}},
                  {.kind = STEP_INSTALL},
                  {.kind = STEP_RUN, .label = "publish", AS_PORTUSER,
                   .argv = {PODMAN_RUN, "-d", "--name", "web", "-p", "80:8080", "--rootfs", TREE, "busybox", "httpd",
                            "-f", "-p", "8080", "-h", "/srv/www"}},
                  {.kind = STEP_FETCH, .fetch = FETCH_HTTP, .expect_served = true, .body = "portcheck container ok"},
                  {.kind = STEP_RUN, .label = "stop", AS_PORTUSER, .argv = {"podman", "rm", "-f", "-t", "0", "web"}}},
    },
    {
        .name = "docker-netns",
        .summary = "Rootful Docker (Debian's docker.io): a container in its own netns sees 0, Docker's own "
                   "setting since 20.10 (moby#41030), with the package or without it, so a non-root uid there "
                   "binds every port; --network host sees the host's value (1024, then 80 with the package), "
                   "and starting containers leaves the host's value as it was.",
        .needs_package = true,
        .container = true,
        .image_packages = "docker.io",
        /* No NIC: the bridge needs no uplink, and the fast boot loads no NIC driver. */
        .boot = {.mem_mb = 1024},
        .steps = {DOCKER_START, DOCKER_FACTS("docker-bridge-without", 0, "bridge"), FACTS(KERNEL_DEFAULT),
                  DOCKER_FACTS("docker-host-without", KERNEL_DEFAULT, "host"),
                  {.kind = STEP_INSTALL}, DOCKER_FACTS("docker-bridge-with", 0, "bridge"),
                  DOCKER_FACTS("docker-host-with", POLICY, "host"), FACTS(POLICY)},
    },
    {
        .name = "reuseport-hijack",
        .summary = "Root's server holds 80 with SO_REUSEPORT (TCP and UDP). An unprivileged process asking for "
                   "SO_REUSEPORT on 80 gets EACCES without the package and EADDRINUSE with it: the kernel "
                   "shares a port only within one uid, so a user can take a free port but not join or steal a "
                   "bound one (8080 shows the same rule where no package decides).",
        .needs_package = true,
        .steps = {REUSEPORT_PROBE("reuseport-without", "EACCES", "EACCES"), REUSEPORT_PROBE_8080,
                  {.kind = STEP_INSTALL}, REUSEPORT_PROBE("reuseport-with", "EADDRINUSE", "ok")},
    },
    {
        .name = "nfs-secure-export",
        .summary = "The NFS finding. nfs-kernel-server exports " NFS_DIR " to 127.0.0.1 with the default "
                   "secure,root_squash; a file there is mode 0600, owned by uid 2000. A local user (uid 1000, no "
                   "capabilities) runs nfs-cat claiming uid 2000. Without the package it cannot bind a source "
                   "port below 1024 and `secure` refuses the request; with it, it binds one and reads the file.",
        .needs_package = true,
        .needs_systemd = true,
        .image_packages = "nfs-kernel-server libnfs-utils",
        /* The fast boot: the steps start rpcbind and the NFS server themselves
         * (nothing else in a multi-user boot listens in 80-1023 here). */
        .boot = {.mem_mb = 768},
        .steps = {SH("export", "set -e; mkdir -p " NFS_DIR "; printf '%s\\n' '" NFS_SECRET "' > " NFS_DIR "/secret; "
                               "chown 2000:2000 " NFS_DIR "/secret; chmod 0600 " NFS_DIR "/secret; "
                               "echo '" NFS_DIR " 127.0.0.1(ro,secure,root_squash,no_subtree_check)' > /etc/exports; "
                               "systemctl start rpcbind.socket nfs-server.service; exportfs -ra"),
                  FACTS(KERNEL_DEFAULT), NFS_CAT("nfs-cat-without", "refused"), MOUNTD_SAID("mountd-without", "illegal-port"),
                  {.kind = STEP_INSTALL}, FACTS(POLICY), NFS_CAT("nfs-cat-with", "the-file"),
                  MOUNTD_SAID("mountd-with", "authenticated")},
    },
    {
        .name = "exposure",
        .summary = "With the package and the NFS server of nfs-secure-export running, root's nginx started: "
                   "which TCP and UDP sockets are bound in 80..1023, by which uid and unit, and which "
                   "/etc/services names there any user may now bind (a table in the report).",
        .after = "nfs-secure-export",
        .needs_package = true,
        .needs_systemd = true,
        .image_packages = "nfs-kernel-server libnfs-utils",
        .boot = {.mem_mb = 768},
        .steps = {RUN("start-nginx", "systemctl", "start", "nginx.service"),
                  {.kind = STEP_EXPOSURE,
                   .expect_lines = {"tcp4:80=0 nginx.service", "service:http/80/tcp=EADDRINUSE",
                                    "service:https/443/tcp=ok", "service:sunrpc/111/tcp=EADDRINUSE"}}},
    },
    {
        .name = "squat-before-service",
        .summary = "The squatting risk, measured: with the package a lingering user's nginx takes 80 at boot, and "
                   "the system's nginx then fails to start with EADDRINUSE in its journal. The mitigation: a "
                   "systemd .socket unit holding 80 (PID 1 binds it at sockets.target, before any user manager): "
                   "the user's bind of 80 gets EADDRINUSE on each of 3 reboots.",
        .needs_package = true,
        .needs_systemd = true,
        /* What the race involves, in production order: basic.target (and so
         * sockets.target, where PID 1 binds a .socket unit's port) and
         * systemd-logind, which starts lingering users' managers after it. */
        .boot = {.extra_cmdline = USER_MANAGER_AT_BOOT, .mem_mb = 768},
        .steps = {{.kind = STEP_INSTALL}, ENABLE_LINGER,
                  USER_BIND_80("user-first", "active", "none"),
                  /* "active" comes at the fork (Type=simple), before nginx
                   * binds: without this wait the system's nginx can win the
                   * race (seen on bullseye: it started, exit 0) and the
                   * scenario would not measure what it claims. LISTEN (0A) on
                   * 0.0.0.0:80, owned by portuser (uid 1000, column 8). */
                  SH("user-holds-80", "for i in $(seq 240); do awk '$2 == \"00000000:0050\" && $4 == \"0A\" && "
                                      "$8 == 1000 { f = 1 } END { exit !f }' /proc/net/tcp && exit 0; sleep 0.5; "
                                      "done; exit 1"),
                  {.kind = STEP_RUN, .label = "system-nginx",
                   .argv = {"sh", "-c",
                            "systemctl start nginx.service; echo \"exit=$?\"; l=$(journalctl -b --no-pager -o cat "
                            "-u nginx.service | grep -m1 'Address already in use'); printf 'said=%s\\n' \"$l\"; "
                            "case \"$l\" in *'" IN_USE "'*) echo bind=EADDRINUSE;; "
                            "*) echo bind=none;; esac",
                            NULL},
                   .expect_lines = {"bind=EADDRINUSE"}, .observe = {"said", "exit"}},
                  SH("hold-80-in-pid1",
                     "set -e; printf '[Socket]\\nListenStream=80\\n\\n[Install]\\nWantedBy=sockets.target\\n' > "
                     HOLD_UNITS ".socket; printf '[Service]\\nExecStart=/bin/true\\n' > " HOLD_UNITS ".service; "
                     "systemctl daemon-reload; systemctl enable portcheck-hold.socket"),
                  REBOOT, USER_BIND_80_REFUSED("held-1", IN_USE, "EADDRINUSE"), REBOOT,
                  USER_BIND_80_REFUSED("held-2", IN_USE, "EADDRINUSE"), REBOOT,
                  USER_BIND_80_REFUSED("held-3", IN_USE, "EADDRINUSE"),
                  /* Who holds 80 then: PID 1 alone, on [::]:80 (dual-stack), as root. */
                  {.kind = STEP_EXPOSURE, .expect_lines = {"tcp6:80=0 init.scope"}}},
    },
};

const size_t scenario_count = sizeof scenarios / sizeof scenarios[0];
_Static_assert(sizeof scenarios / sizeof scenarios[0] <= SCENARIOS_MAX, "raise SCENARIOS_MAX in scenarios.h");

size_t scenario_nsteps(const struct scenario *s)
{
    size_t n = 0;
    while (n < SCENARIO_MAX_STEPS && s->steps[n].kind != STEP_END)
        n++;
    return n;
}

const struct scenario *scenario_find(const char *name)
{
    for (size_t i = 0; i < scenario_count; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    return NULL;
}

size_t scenario_index(const struct scenario *s)
{
    return (size_t)(s - scenarios);
}
