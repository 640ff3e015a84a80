/* The scenarios: each is data (what to do in the guest, what the facts must
 * show) and the runner (runner.c) is the one function that executes them.
 * A scenario either starts from a fresh copy of the image or continues the
 * VM that the scenario named in `after` left behind, so baseline, install
 * and reboot share their boots instead of paying for them three times. */
#ifndef PORTCHECK_SCENARIOS_H
#define PORTCHECK_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>

enum step_kind {
    STEP_END,         /* the zero value: the steps end before it */
    STEP_FACTS,       /* ask for facts; they must match port_start */
    STEP_INSTALL,     /* install the run's package with the image's tool */
    STEP_INSTALL_OLD, /* install the older package (--old-package) */
    STEP_REMOVE,      /* remove the package (dpkg -r, rpm -e) */
    STEP_PURGE,       /* purge it (dpkg -P, rpm -e) and check nothing of it is left */
    STEP_RUN,         /* run argv in the guest; exit must be expect_exit */
    STEP_REBOOT,      /* in-guest reboot; the boot_id must change */
    STEP_COLDBOOT,    /* power off, qemu exits, a new qemu on the same disk */
    STEP_FETCH,       /* fetch a URL from the host through a forwarded port */
    STEP_AGENT_FACTS, /* run argv, which runs the agent with --facts somewhere
                         else (a container, a namespace); check those facts */
    STEP_EXPOSURE,    /* the agent's --exposure 80-1023 as root: the table goes
                         into the report, expect_lines are checked against it */
};

/* What the host fetches in STEP_FETCH. */
enum fetch_target { FETCH_HTTP, FETCH_HTTPS };

#define STEP_MAX_ARGS 24
#define STEP_MAX_EXPECT 12
#define STEP_MAX_OBSERVE 4

struct step {
    enum step_kind kind;
    int port_start;                      /* STEP_FACTS */
    const char *label;                   /* STEP_RUN: the check's name */
    const char *argv[STEP_MAX_ARGS];     /* STEP_RUN */
    int expect_exit;                     /* STEP_RUN, STEP_INSTALL */
    bool expect_failure;                 /* STEP_RUN: any exit but 0 is expected */
    const char *user;                    /* STEP_RUN, STEP_AGENT_FACTS: run as, or root */
    bool as_root;                        /* STEP_AGENT_FACTS: root binds (--as-is) */
    enum fetch_target fetch;             /* STEP_FETCH */
    bool expect_served;                  /* STEP_FETCH: the page, or no answer */
    const char *body;                    /* STEP_FETCH: the page expected, if not the default */
    /* STEP_RUN: "KEY=VALUE" lines the output must hold, each a check named
     * label:KEY. STEP_EXPOSURE: "PROTO:PORT=UID UNIT" for a bound socket,
     * "service:NAME/PORT/PROTO=RESULT" for an unprivileged bind. */
    const char *expect_lines[STEP_MAX_EXPECT];
    /* STEP_RUN: KEYs whose values the report records as observed, not judged
     * (what a client printed, what a server logged). */
    const char *observe[STEP_MAX_OBSERVE];
};

#define SCENARIO_MAX_STEPS 14

/* distro-default's patch on the payload disk, which the guest mounts at
 * /run/portcheck: packaging/upstream/systemd-50-default.patch as built in. */
#define PAYLOAD_SYSTEMD_PATCH "systemd-50-default.patch"

/* How a scenario's VM boots. The zero value is the fast path: the harness's
 * initramfs, systemd.unit=portcheck.target, no network device. */
struct boot_profile {
    const char *target;        /* another systemd target, e.g. multi-user.target */
    const char *extra_cmdline; /* appended to the kernel command line */
    bool network;              /* user-mode NIC with 80/443 forwarded from 127.0.0.1 */
    int mem_mb;                /* guest memory when more than the default is needed */
    /* The plain way, for the benchmark's reference: the distro's own
     * initramfs and default target, the agent at the end of multi-user. */
    bool reference;
};

struct scenario {
    const char *name;
    const char *summary;      /* one sentence for the report */
    const char *after;        /* continue that scenario's VM, or NULL */
    bool needs_package;
    bool needs_old_package;
    bool container;           /* a container scenario (its own report section) */
    bool needs_systemd;       /* drives systemd units in a fast boot (no boot.target says so) */
    const char *needs_image_file; /* skipped on an image whose root lacks this file */
    const char *image_packages; /* space-separated packages the image's recipe must have */
    bool preinstalled;        /* runs only, and alone, on an image with the package baked in */
    struct boot_profile boot;
    struct step steps[SCENARIO_MAX_STEPS]; /* up to the first STEP_END */
};

extern const struct scenario scenarios[];
extern const size_t scenario_count;

/* Every scenario of the table fits in arrays of this size. */
#define SCENARIOS_MAX 48

const struct scenario *scenario_find(const char *name);
/* How many steps it has: those before the first STEP_END. */
size_t scenario_nsteps(const struct scenario *s);
/* Index in the table: the order scenarios run in. */
size_t scenario_index(const struct scenario *s);

#endif
