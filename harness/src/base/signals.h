/* SIGINT/SIGTERM handling without races: the signals stay blocked except
 * inside signals_ppoll(), so every wait notices an interruption at once and
 * the caller tears down its VMs in an orderly way. */
#ifndef PORTCHECK_SIGNALS_H
#define PORTCHECK_SIGNALS_H

#include <poll.h>

void signals_init(void);
/* 0, or the first of SIGINT/SIGTERM received. */
int signals_pending(void);
/* ppoll with the signals unblocked; returns -1/EINTR when one arrived. */
int signals_ppoll(struct pollfd *fds, nfds_t n, double timeout_s);
/* Sleep up to seconds, returning early on a signal. */
void signals_sleep(double seconds);
/* In a forked child before exec: default dispositions, nothing blocked. */
void signals_child_reset(void);

#endif
