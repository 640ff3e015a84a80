/* Which configuration file sets one sysctl key at boot, read the way
 * systemd-sysctl reads them (sysctl.d(5)), for `portcheck host`. Reads only. */
#ifndef PORTCHECK_SYSCTL_D_H
#define PORTCHECK_SYSCTL_D_H

#include <stdbool.h>
#include <stddef.h>

enum sysctl_file_state {
    SYSCTL_FILE_READ,     /* read at boot */
    SYSCTL_FILE_MASKED,   /* a symlink to /dev/null (or an empty file): read as nothing, hides same-name files */
    SYSCTL_FILE_SHADOWED, /* a file of the same name in an earlier directory wins */
    SYSCTL_FILE_BROKEN,   /* a dangling symlink or unreadable: the boot-time tool skips it */
    SYSCTL_FILE_PROCPS,   /* /etc/sysctl.conf: procps `sysctl --system` reads it last, systemd-sysctl never */
};

struct sysctl_file {
    char *path;        /* as on the scanned system, e.g. /etc/sysctl.d/30-x.conf */
    char *link;        /* the symlink's target as written, or NULL */
    char *shadowed_by; /* for SHADOWED: the path of the file that wins */
    enum sysctl_file_state state;
    int error;         /* BROKEN: why it is skipped; READ, PROCPS: why it could not be read here */
    bool sets_key;     /* has an assignment to the key (read or not) */
};

struct sysctl_setting {
    char *path;
    unsigned line;
    char *key;   /* as written, without the '-' prefix */
    char *value;
    bool glob;   /* the key is a glob pattern that matches */
    bool applies; /* in a file the boot-time tool reads */
    bool wins;    /* the one assignment that is applied last */
};

struct sysctl_scan {
    bool systemd;                   /* the boot-time tool is systemd-sysctl (else procps) */
    struct sysctl_file *files;      /* relevant files, in the order they are applied */
    size_t nfiles;
    struct sysctl_setting *settings; /* the key's assignments, in the order they are applied */
    size_t nsettings;
    long winner;                    /* index into settings, or -1: nothing sets the key */
};

/* The directories of sysctl.d(5), highest precedence first. */
extern const char *const sysctl_d_dirs[];
extern const size_t sysctl_d_ndirs;

/* Scan ROOT (usually "/") for assignments to KEY (dotted form). systemd
 * selects systemd-sysctl's rules, else procps `sysctl --system`'s (which
 * also reads /etc/sysctl.conf). Always fills *scan; free it after. */
void sysctl_d_scan(const char *root, const char *key, bool systemd, struct sysctl_scan *scan);
void sysctl_d_free(struct sysctl_scan *scan);

/* A key in dotted form: systemd's rule that a key whose first separator is
 * '/' uses '/' between components, so '.' and '/' swap. Returns a new string. */
char *sysctl_d_normalize(const char *key);

#endif
