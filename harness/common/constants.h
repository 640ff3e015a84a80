/* What the host (harness/src) and the guest agent (harness/guest) must agree
 * on, so that neither side can drift from the other: the bind checks, the
 * line limit of the channel, and where the package puts its file. */
#ifndef PORTCHECK_COMMON_CONSTANTS_H
#define PORTCHECK_COMMON_CONSTANTS_H

/* One line on the channel, newline included (docs/protocol.md). */
#define PORTCHECK_LINE_MAX 65536

/* The ports every bind check tries, in report order: below the policy value
 * (must stay privileged), at and above it, and the last privileged port. */
#define PORTCHECK_BIND_PORTS { 22, 25, 53, 79, 80, 443, 1023 }
#define PORTCHECK_N_BIND_PORTS 7
/* tcp4, tcp6, udp4, udp6 */
#define PORTCHECK_N_BIND_FAMILIES 4
#define PORTCHECK_MAX_BINDS (PORTCHECK_N_BIND_PORTS * PORTCHECK_N_BIND_FAMILIES)

#define PORTCHECK_VENDOR_NAME "30-unprivileged-ports.conf"
#define PORTCHECK_VENDOR_FILE "/usr/lib/sysctl.d/" PORTCHECK_VENDOR_NAME

#endif
