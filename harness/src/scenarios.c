/* The scenario table. Expectations follow the kernel's semantics: the
 * effective ip_unprivileged_port_start decides every bind (see checks.c). */
#include "scenarios.h"

#include <string.h>

/* The kernel default (PROT_SOCK) and the value the package sets. */
enum { KERNEL_DEFAULT = 1024, POLICY = 80 };

#define FACTS(p) {.kind = STEP_FACTS, .port_start = (p)}

const struct scenario scenarios[] = {
    {
        .name = "baseline",
        .summary = "Without the package the kernel default holds: ip_unprivileged_port_start is 1024 and an "
                   "unprivileged bind to 80 gets EACCES (the negative control: the checks can fail).",
        .steps = {FACTS(KERNEL_DEFAULT)},
        .nsteps = 1,
    },
    {
        .name = "install",
        .summary = "Installing the package applies it at once: 80 and 443 bind for an unprivileged user over "
                   "TCP and UDP, IPv4 and IPv6, while 22, 25, 53 and 79 stay privileged.",
        .after = "baseline",
        .needs_package = true,
        .steps = {{.kind = STEP_INSTALL, .expect_exit = 0}, FACTS(POLICY)},
        .nsteps = 2,
    },
    {
        .name = "reboot",
        .summary = "After a real reboot (a new boot_id) systemd-sysctl applies the file from /usr/lib/sysctl.d "
                   "and the same checks hold.",
        .after = "install",
        .needs_package = true,
        .steps = {{.kind = STEP_REBOOT}, FACTS(POLICY)},
        .nsteps = 2,
    },
};

const size_t scenario_count = sizeof scenarios / sizeof scenarios[0];

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
