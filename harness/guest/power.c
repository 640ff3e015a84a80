/* reboot / poweroff. */
#define _GNU_SOURCE
#include "power.h"

#include "log.h"
#include "run.h"

#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

/* systemctl only queues a job; this is ample even under TCG. */
#define POWER_COMMAND_TIMEOUT 60.0

const char *power_action_name(enum power_action a)
{
    return a == POWER_REBOOT ? "reboot" : "poweroff";
}

int power_request(enum power_action a)
{
    /* --force: PID 1 skips the orderly stop of every unit and goes straight
     * to systemd-shutdown, which kills what is left, syncs and unmounts or
     * remounts read-only every file system before the kernel restarts. The
     * claims are about the next boot (a new boot_id, sysctl.d applied by
     * it); the stop jobs of this one are not, and under TCG they took about
     * a second of each reboot. */
    char *systemctl[] = { "systemctl", "--force", (char *)power_action_name(a), NULL };
    char *sysv[] = { a == POWER_REBOOT ? "/sbin/reboot" : "/sbin/poweroff", NULL };
    /* The documented way to tell whether systemd is PID 1 (sd_booted). */
    char **argv = access("/run/systemd/system", F_OK) == 0 ? systemctl : sysv;
    struct run_result r;

    /* Through init, so that file systems are synced and unmounted. */
    run_argv(argv, POWER_COMMAND_TIMEOUT, NULL, &r);
    if (r.exit_code == 0) {
        run_result_free(&r);
        log_msg("%s: asked init with %s", power_action_name(a), argv[0]);
        return 0;
    }
    log_msg("%s: %s failed (exit %d, signal %d%s): %s", power_action_name(a), argv[0],
            r.exit_code, r.signal, r.timed_out ? ", timed out" : "", r.output ? r.output : "");
    run_result_free(&r);

    /* Init would not do it; the host must still get its reboot. */
    sync();
    if (reboot(a == POWER_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF) < 0) {
        log_msg("%s: reboot(2): %s", power_action_name(a), strerror(errno));
        return -1;
    }
    return 0;
}
