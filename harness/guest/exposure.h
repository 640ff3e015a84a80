/* --exposure LO HI: what the ports LO..HI look like on this system. Which
 * TCP and UDP sockets are bound there, by which uid, process and systemd
 * unit (read from /proc/net/{tcp,tcp6,udp,udp6} and the socket inodes under
 * /proc/PID/fd), and which /etc/services names there an unprivileged
 * process may bind now. */
#ifndef PORTCHECK_EXPOSURE_H
#define PORTCHECK_EXPOSURE_H

/* Prints one JSON line on stdout (docs/protocol.md, "One-shot probes"); the exit
 * status: 0, or 1 with the reason on stderr. Must run as root to see every
 * process's descriptors. */
int exposure_report(int lo, int hi);

#endif
