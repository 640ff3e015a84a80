/* Asks init to reboot or power off, and forces it if init will not. */
#ifndef PORTCHECK_POWER_H
#define PORTCHECK_POWER_H

enum power_action { POWER_REBOOT, POWER_POWEROFF };

const char *power_action_name(enum power_action a);

/* Asks init (systemctl under systemd, else /sbin/reboot or /sbin/poweroff);
 * if that fails, syncs and calls reboot(2). Returns when the request is on
 * its way (the caller then waits to be killed): 0, or -1 when even
 * reboot(2) failed. */
int power_request(enum power_action a);

#endif
