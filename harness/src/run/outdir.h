/* Claiming the output directory for one run: it must be the running user's
 * and writable by nobody else (reports and logs are written there as
 * root), and no other run may use it at the same time (one run would
 * delete the other's overlays and overwrite its report). */
#ifndef PORTCHECK_OUTDIR_H
#define PORTCHECK_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

/* The lock's name inside the out dir; it holds "pid N, started TIME". */
#define OUTDIR_LOCK ".portcheck.lock"

/* Create dir (and its work/ and logs/) if needed, check who owns each, and
 * hold an exclusive lock on it until the process ends (children share it).
 * false with a one-line reason that names the directory and the fix. */
bool outdir_claim(const char *dir, char *err, size_t errlen);

#endif
