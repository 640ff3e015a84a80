/* SIGINT/SIGTERM noted, never acted on in a handler. */
#define _GNU_SOURCE
#include "base/signals.h"

#include "base/util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t caught;
static sigset_t wait_mask;  /* the mask while waiting: the signals open */

static void on_signal(int sig)
{
    if (!caught)
        caught = sig;
}

void signals_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGHUP, &sa, NULL) != 0)
        die_errno("sigaction");
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &block, &wait_mask) != 0)
        die_errno("sigprocmask");
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGHUP);
    /* A closed socket must be an error return, not a death. */
    signal(SIGPIPE, SIG_IGN);
}

int signals_pending(void)
{
    return caught;
}

int signals_ppoll(struct pollfd *fds, nfds_t n, double timeout_s)
{
    if (caught) {
        errno = EINTR;
        return -1;
    }
    if (timeout_s < 0)
        timeout_s = 0;
    struct timespec ts = {.tv_sec = (time_t)timeout_s,
                          .tv_nsec = (long)((timeout_s - (double)(time_t)timeout_s) * 1e9)};
    return ppoll(fds, n, &ts, &wait_mask);
}

void signals_sleep(double seconds)
{
    double end = now_monotonic() + seconds;
    double left;
    while ((left = end - now_monotonic()) > 0 && !caught)
        signals_ppoll(NULL, 0, left);
}

void signals_child_reset(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}
