/* The small vocabulary every file of the host harness uses: dying with a
 * reason, allocation that cannot return NULL, cleanup attributes so early
 * returns release what they hold, and monotonic time. */
#ifndef PORTCHECK_UTIL_H
#define PORTCHECK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/* Exit codes of portcheck, as documented in portcheck(1). EXIT_NO_VERDICT:
 * no verdict could be reached, from a bad argument or because the
 * infrastructure failed (an image, a VM, the out dir). */
enum { EXIT_ALL_PASSED = 0, EXIT_SOME_FAILED = 1, EXIT_NO_VERDICT = 2 };

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void die_errno(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void warn_msg(const char *fmt, ...);
/* A bad argument: one line naming it, a pointer to --help, exit 2. */
__attribute__((noreturn, format(printf, 1, 2))) void die_usage(const char *fmt, ...);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

static inline void cleanup_freep(void *p) { void **pp = p; free(*pp); }
void cleanup_closep(int *fd);
void cleanup_fclosep(FILE **f);
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_fd __attribute__((cleanup(cleanup_closep)))
#define cleanup_file __attribute__((cleanup(cleanup_fclosep)))

/* Hand ownership on: the cleanup attribute of the source then frees NULL. */
#define steal_pointer(pp) ({ __typeof__(*(pp)) steal_tmp_ = *(pp); *(pp) = NULL; steal_tmp_; })

double now_monotonic(void);

/* Read a whole small file (at most max bytes); NULL with errno on failure. */
char *read_file_text(const char *path, size_t max);
/* Write a file atomically: to a new PATH.tmp.XXXXXX (O_EXCL, never through
 * a planted name), fsync, rename over PATH. false with errno. */
bool write_file_atomic(const char *path, const char *data, size_t len);
/* mkdir -p; false with errno. */
bool mkdir_p(const char *path, unsigned mode);
/* rm -rf of a directory the harness itself created (no symlinks followed). */
void remove_tree(const char *path);

/* Why a file the harness trusts (its out dir, a record it keeps) is not
 * trustworthy: "is owned by another user", "is writable by group or
 * others", or NULL when it is ours alone. */
const char *stat_not_ours(const struct stat *st);
/* t as 2026-12-03T11:04:18Z into buf (at least ISO_UTC_LEN bytes). */
#define ISO_UTC_LEN 21
char *iso_utc(time_t t, char *buf, size_t len);

bool str_has_prefix(const char *s, const char *prefix);
/* The directory of the running binary (the agent is looked up beside it). */
char *exe_dir(void);

#endif
