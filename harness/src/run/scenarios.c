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
                  {.kind = STEP_INSTALL}, FACTS(POLICY), REBOOT, FACTS(POLICY), {.kind = STEP_REMOVE},
                  FACTS(POLICY)},
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
        .boot = {.target = "multi-user.target", .network = true, .mem_mb = 768},
        .steps = {RUN("enable-linger", "loginctl", "enable-linger", "portuser"),
                  /* The user manager's own socket: the image has no user D-Bus. */
                  SH("service-failed-without-package",
                     "for i in $(seq 60); do runuser -u portuser -- env XDG_RUNTIME_DIR=/run/user/1000 "
                     "systemctl --user is-failed --quiet portcheck-web.service && exit 0; sleep 0.5; done; "
                     "exit 1"),
                  {.kind = STEP_FETCH, .fetch = FETCH_HTTP, .expect_served = false},
                  {.kind = STEP_INSTALL}, REBOOT,
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
        .boot = {.target = "multi-user.target", .network = true, .mem_mb = 768},
        .steps = {SH("wait-for-address", "for i in $(seq 120); do ip -4 -o addr show | grep -q 10.0.2.15 && "
                                         "exit 0; sleep 0.5; done; exit 1"),
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
