/* /etc/passwd and /etc/group lookups without NSS. */
#define _GNU_SOURCE
#include "users.h"

#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer lines are skipped: no valid entry we care about is this long. */
#define LINE_MAX_BYTES 4096

/* Reads one line of at most LINE_MAX_BYTES into buf (without newline).
 * 1: a line; 0: end of file; -1: read error. Over-long lines are skipped. */
static int read_line(FILE *f, char *buf, size_t size)
{
    for (;;) {
        size_t len;

        if (!fgets(buf, (int)size, f))
            return ferror(f) ? -1 : 0;
        len = strlen(buf);
        if (len > 0 && buf[len - 1] == '\n') {
            buf[len - 1] = '\0';
            return 1;
        }
        if (feof(f))
            return 1;
        /* Over-long: skip the rest of it. */
        int c;
        while ((c = getc(f)) != EOF && c != '\n')
            ;
    }
}

/* Splits line at ':' into at most n fields; the number found. */
static size_t split(char *line, char sep, char **fields, size_t n)
{
    size_t count = 0;
    char *p = line;

    while (count < n) {
        fields[count++] = p;
        p = strchr(p, sep);
        if (!p)
            break;
        *p++ = '\0';
    }
    return p ? count + 1 : count; /* more than n: report n + 1 */
}

static bool parse_id(const char *s, unsigned long *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *out = strtoul(s, &end, 10);
    /* (uid_t)-1 means "no change" to setuid() and friends: refuse it. */
    return errno == 0 && *end == '\0' && *out < 0xFFFFFFFFUL;
}

static int find_passwd(const char *name, struct user_info *u, char *err, size_t errlen)
{
    char line[LINE_MAX_BYTES];
    FILE *f = fopen("/etc/passwd", "re");
    int r, found = -1;

    if (!f) {
        snprintf(err, errlen, "cannot open /etc/passwd: %s", strerror(errno));
        return -1;
    }
    while ((r = read_line(f, line, sizeof line)) > 0) {
        char *field[7];
        unsigned long uid, gid;

        /* name:passwd:uid:gid:gecos:home:shell */
        if (split(line, ':', field, 7) != 7 || strcmp(field[0], name) != 0)
            continue;
        if (!parse_id(field[2], &uid) || !parse_id(field[3], &gid)) {
            snprintf(err, errlen, "bad uid or gid for user '%s' in /etc/passwd", name);
            break;
        }
        u->uid = (uid_t)uid;
        u->gid = (gid_t)gid;
        snprintf(u->home, sizeof u->home, "%s", field[5][0] ? field[5] : "/");
        found = 0;
        break;
    }
    if (r < 0 && found < 0)
        snprintf(err, errlen, "reading /etc/passwd: %s", strerror(errno));
    else if (r == 0 && found < 0)
        snprintf(err, errlen, "no user '%s' in /etc/passwd", name);
    fclose(f);
    return found;
}

static void add_group(struct user_info *u, gid_t gid, const char *name)
{
    for (size_t i = 0; i < u->ngroups; i++)
        if (u->groups[i] == gid)
            return;
    if (u->ngroups == USER_MAX_GROUPS) {
        log_msg("user '%s': more than %d groups, ignoring group %u", name,
                USER_MAX_GROUPS, (unsigned)gid);
        return;
    }
    u->groups[u->ngroups++] = gid;
}

static int find_groups(const char *name, struct user_info *u, char *err, size_t errlen)
{
    char line[LINE_MAX_BYTES];
    FILE *f = fopen("/etc/group", "re");
    int r;

    u->ngroups = 0;
    add_group(u, u->gid, name);
    if (!f) {
        /* No /etc/group: the primary group alone is still correct. */
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot open /etc/group: %s", strerror(errno));
        return -1;
    }
    while ((r = read_line(f, line, sizeof line)) > 0) {
        char *field[4], *member, *save = NULL;
        unsigned long gid;

        /* name:passwd:gid:member,member */
        if (split(line, ':', field, 4) != 4 || !parse_id(field[2], &gid))
            continue;
        for (member = strtok_r(field[3], ",", &save); member;
             member = strtok_r(NULL, ",", &save))
            if (strcmp(member, name) == 0)
                add_group(u, (gid_t)gid, name);
    }
    if (r < 0)
        snprintf(err, errlen, "reading /etc/group: %s", strerror(errno));
    fclose(f);
    return r < 0 ? -1 : 0;
}

int user_lookup(const char *name, struct user_info *u, char *err, size_t errlen)
{
    if (!name[0] || strlen(name) > 255 || strpbrk(name, ":,\n")) {
        snprintf(err, errlen, "invalid user name");
        return -1;
    }
    memset(u, 0, sizeof *u);
    if (find_passwd(name, u, err, errlen) < 0) {
        /* An image without a root entry is broken, but root is root. */
        if (strcmp(name, "root") != 0)
            return -1;
        u->uid = 0;
        u->gid = 0;
        strcpy(u->home, "/root");
    }
    return find_groups(name, u, err, errlen);
}
