/* --reuseport PORT: may an unprivileged process join the SO_REUSEPORT group
 * of a server root holds? The kernel lets sockets share a port with
 * SO_REUSEPORT only when they belong to the same uid; this shows what it
 * answers, TCP and UDP, at whatever ip_unprivileged_port_start is in force. */
#ifndef PORTCHECK_REUSEPORT_H
#define PORTCHECK_REUSEPORT_H

/* Prints KEY=VALUE lines on stdout (docs/protocol.md, "One-shot probes"); the
 * exit status: 0 when every attempt was made, 1 when one could not be. */
int reuseport_probe(int port);

#endif
