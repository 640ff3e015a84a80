/* The sysctl.d(5) rules, as systemd-sysctl applies them (conf-files.c and
 * sysctl.c of systemd 252, Debian 12's), for one key:
 *   - *.conf files from the directories in sysctl_d_dirs, highest first;
 *   - a name already found in an earlier directory hides later ones;
 *   - a file that is a symlink to /dev/null, or empty, is a mask: it hides
 *     later same-name files and sets nothing;
 *   - a file that cannot be stat()ed (a dangling symlink) or is not a
 *     regular file is skipped and hides nothing;
 *   - the files that remain are read sorted by file name, and a later
 *     assignment to a key overrides an earlier one;
 *   - "-key = value" is an assignment whose failure is ignored;
 *   - a key may use '/' as separator (then '.' and '/' swap);
 *   - a glob key applies only where no exact key is assigned.
 * procps `sysctl --system` reads the same directories the same way and then
 * /etc/sysctl.conf; systemd-sysctl never reads /etc/sysctl.conf directly. */
#define _GNU_SOURCE
#include "probe/sysctl_d.h"

#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const sysctl_d_dirs[] = {
    "/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d",
};
const size_t sysctl_d_ndirs = sizeof sysctl_d_dirs / sizeof *sysctl_d_dirs;

/* A sysctl.d file is small; anything larger is not one we can judge. */
#define CONF_MAX (1024 * 1024)
#define MAX_HOPS 40

static char *in_root(const char *root, const char *path)
{
    if (strcmp(root, "/") == 0)
        return xstrdup(path);
    size_t len = strlen(root);
    while (len > 1 && root[len - 1] == '/')
        len--;
    return xasprintf("%.*s%s", (int)len, root, path);
}

/* Lexically clean an absolute path: no "", "." or ".." components, and
 * ".." stops at "/", the way it does at a chroot's root. */
static char *clean_path(const char *path)
{
    char *out = xmalloc(strlen(path) + 2);
    size_t len = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
        } else {
            out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return out;
}

/* Follow the symlinks of PATH (absolute, as seen on the scanned system) as
 * the kernel would with ROOT as "/". *link gets the first target as
 * written. Returns the final path, or NULL with errno. */
static char *resolve(const char *root, const char *path, char **link, bool *devnull)
{
    char *cur = clean_path(path);
    *devnull = false;
    for (int hop = 0; hop < MAX_HOPS; hop++) {
        /* Not looked up: a --root tree need not have a /dev. */
        if (strcmp(cur, "/dev/null") == 0) {
            *devnull = true;
            return cur;
        }
        cleanup_free char *full = in_root(root, cur);
        struct stat st;
        if (lstat(full, &st) < 0) {
            int saved = errno;
            free(cur);
            errno = saved;
            return NULL;
        }
        if (!S_ISLNK(st.st_mode))
            return cur;
        char target[PATH_MAX];
        ssize_t n = readlink(full, target, sizeof target - 1);
        if (n < 0) {
            int saved = errno;
            free(cur);
            errno = saved;
            return NULL;
        }
        target[n] = '\0';
        if (!*link)
            *link = xstrdup(target);
        cleanup_free char *next = target[0] == '/' ? xstrdup(target)
                                                   : xasprintf("%.*s/%s", (int)(strrchr(cur, '/') - cur), cur, target);
        free(cur);
        cur = clean_path(next);
    }
    free(cur);
    errno = ELOOP;
    return NULL;
}

char *sysctl_d_normalize(const char *key)
{
    char *s = xstrdup(key);
    size_t first = strcspn(s, "./");
    if (s[first] == '/')
        for (char *c = s; *c; c++)
            *c = *c == '/' ? '.' : *c == '.' ? '/' : *c;
    return s;
}

/* Dotted to slashed form, where fnmatch's FNM_PATHNAME keeps '*' inside
 * one component, as systemd matches globs against /proc/sys paths. */
static char *slashed(const char *dotted)
{
    char *s = xstrdup(dotted);
    for (char *c = s; *c; c++)
        *c = *c == '.' ? '/' : *c == '/' ? '.' : *c;
    return s;
}

struct entry {
    char *name;
    size_t dir;
};

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static void add_file(struct sysctl_scan *scan, struct sysctl_file f)
{
    scan->files = xrealloc(scan->files, (scan->nfiles + 1) * sizeof *scan->files);
    scan->files[scan->nfiles++] = f;
}

static void add_setting(struct sysctl_scan *scan, struct sysctl_setting s)
{
    scan->settings = xrealloc(scan->settings, (scan->nsettings + 1) * sizeof *scan->settings);
    scan->settings[scan->nsettings++] = s;
}

/* The assignments to KEY in the file at REAL (inside root), recorded as
 * lines of PATH. Returns whether there was one; *err gets the errno when
 * the file cannot be read (as a user, a root-only file). */
static bool parse_file(struct sysctl_scan *scan, const char *root, const char *real, const char *path,
                       const char *key, bool applies, int *err)
{
    cleanup_free char *full = in_root(root, real);
    cleanup_free char *text = read_file_text(full, CONF_MAX);
    *err = text ? 0 : errno;
    if (!text)
        return false;
    cleanup_free char *want = slashed(key);
    bool found = false;
    unsigned lineno = 0;
    char *save = NULL;
    /* strtok_r would skip empty lines and so miscount: split by hand. */
    for (char *line = text; line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        char *s = line + strspn(line, " \t\r");
        if (!*s || *s == '#' || *s == ';')
            continue;
        char *eq = strchr(s, '=');
        if (!eq)
            continue; /* systemd: "not an assignment" (or a glob exclusion), ignored */
        *eq = '\0';
        char *k = s, *v = eq + 1;
        if (*k == '-')
            k++;
        size_t kl = strlen(k);
        while (kl && strchr(" \t\r", k[kl - 1]))
            k[--kl] = '\0';
        k += strspn(k, " \t");
        v += strspn(v, " \t");
        size_t vl = strlen(v);
        while (vl && strchr(" \t\r", v[vl - 1]))
            v[--vl] = '\0';
        if (!*k)
            continue;
        cleanup_free char *norm = sysctl_d_normalize(k);
        bool glob = strpbrk(norm, "*?[") != NULL;
        bool match;
        if (glob) {
            cleanup_free char *pat = slashed(norm);
            match = fnmatch(pat, want, FNM_PATHNAME) == 0;
        } else {
            match = strcmp(norm, key) == 0;
        }
        if (!match)
            continue;
        found = true;
        add_setting(scan, (struct sysctl_setting){.path = xstrdup(path), .line = lineno, .key = xstrdup(k),
                                                  .value = xstrdup(v), .glob = glob, .applies = applies});
    }
    return found;
}

/* A directory that exists but cannot be read: shown as a broken file, since
 * whatever it holds is unknown (the boot-time tool, as root, may read it). */
static void unreadable_dir(struct sysctl_scan *scan, size_t d, int err)
{
    add_file(scan, (struct sysctl_file){.path = xstrdup(sysctl_d_dirs[d]), .state = SYSCTL_FILE_BROKEN, .error = err});
}

/* Every *.conf name in every directory, sorted by name, then precedence. */
static struct entry *list_entries(struct sysctl_scan *scan, const char *root, size_t *n)
{
    struct entry *e = NULL;
    *n = 0;
    for (size_t d = 0; d < sysctl_d_ndirs; d++) {
        cleanup_free char *dir = in_root(root, sysctl_d_dirs[d]);
        DIR *dh = opendir(dir);
        if (!dh) {
            /* A missing directory is the common case. */
            if (errno != ENOENT && errno != ENOTDIR)
                unreadable_dir(scan, d, errno);
            continue;
        }
        struct dirent *de;
        for (;;) {
            errno = 0;
            if (!(de = readdir(dh)))
                break;
            size_t len = strlen(de->d_name);
            /* systemd ignores hidden files; only *.conf counts. */
            if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
                continue;
            e = xrealloc(e, (*n + 1) * sizeof *e);
            e[(*n)++] = (struct entry){xstrdup(de->d_name), d};
        }
        if (errno)
            unreadable_dir(scan, d, errno);
        if (closedir(dh) < 0)
            unreadable_dir(scan, d, errno);
    }
    if (*n)
        qsort(e, *n, sizeof *e, entry_cmp);
    return e;
}

/* One name's files, highest precedence first: which is read, which masks,
 * which are hidden. */
static void scan_name(struct sysctl_scan *scan, const char *root, const char *key, struct entry *e, size_t n)
{
    size_t first_file = scan->nfiles;
    const char *winner = NULL; /* the path that hides the rest: read or mask */
    struct {
        dev_t dev;
        ino_t ino;
    } seen[8];
    size_t nseen = 0;
    bool any_key = false;
    for (size_t i = 0; i < n; i++) {
        struct sysctl_file f = {.path = xasprintf("%s/%s", sysctl_d_dirs[e[i].dir], e[i].name)};
        bool devnull = false;
        cleanup_free char *real = resolve(root, f.path, &f.link, &devnull);
        int err = real ? 0 : errno;
        struct stat st = {0};
        if (real && !devnull) {
            cleanup_free char *full = in_root(root, real);
            if (stat(full, &st) < 0)
                err = errno;
        }
        bool stat_ok = err == 0;
        /* The same file again through a symlinked directory (/lib ->
         * usr/lib on merged-/usr systems) is no second file. */
        bool again = false;
        for (size_t k = 0; stat_ok && !devnull && k < nseen; k++)
            again = again || (seen[k].dev == st.st_dev && seen[k].ino == st.st_ino);
        if (again) {
            free(f.path);
            free(f.link);
            continue;
        }
        if (stat_ok && !devnull && nseen < sizeof seen / sizeof *seen) {
            seen[nseen].dev = st.st_dev;
            seen[nseen++].ino = st.st_ino;
        }
        if (winner) {
            f.state = SYSCTL_FILE_SHADOWED;
            f.shadowed_by = xstrdup(winner);
            int ignored; /* a hidden file that cannot be read changes nothing */
            if (stat_ok && !devnull && S_ISREG(st.st_mode))
                f.sets_key = parse_file(scan, root, real, f.path, key, false, &ignored);
        } else if (!stat_ok) {
            f.state = SYSCTL_FILE_BROKEN;
            f.error = err;
        } else if (devnull || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ||
                   (S_ISREG(st.st_mode) && st.st_size == 0)) {
            f.state = SYSCTL_FILE_MASKED;
            winner = f.path;
        } else if (!S_ISREG(st.st_mode)) {
            f.state = SYSCTL_FILE_BROKEN;
            f.error = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        } else {
            f.state = SYSCTL_FILE_READ;
            f.sets_key = parse_file(scan, root, real, f.path, key, true, &f.error);
            winner = f.path;
        }
        any_key = any_key || f.sets_key;
        add_file(scan, f);
    }
    /* Only names that touch the key are worth showing, and broken files,
     * which might have been meant to. */
    size_t keep = first_file;
    for (size_t i = first_file; i < scan->nfiles; i++) {
        struct sysctl_file *f = &scan->files[i];
        if (any_key || f->state == SYSCTL_FILE_BROKEN || f->error) {
            scan->files[keep++] = *f;
        } else {
            free(f->path);
            free(f->link);
            free(f->shadowed_by);
        }
    }
    scan->nfiles = keep;
}

void sysctl_d_scan(const char *root, const char *key, bool systemd, struct sysctl_scan *scan)
{
    memset(scan, 0, sizeof *scan);
    scan->systemd = systemd;
    scan->winner = -1;
    size_t n;
    struct entry *e = list_entries(scan, root, &n);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(e[j].name, e[i].name) == 0)
            j++;
        scan_name(scan, root, key, e + i, j - i);
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);

    /* /etc/sysctl.conf: procps reads it after every sysctl.d file. */
    struct sysctl_file f = {.path = xstrdup("/etc/sysctl.conf"), .state = SYSCTL_FILE_PROCPS};
    bool devnull = false;
    cleanup_free char *real = resolve(root, f.path, &f.link, &devnull);
    if (real && !devnull)
        f.sets_key = parse_file(scan, root, real, f.path, key, !systemd, &f.error);
    if (f.sets_key || (f.error && f.error != ENOENT)) {
        add_file(scan, f);
    } else {
        free(f.path);
        free(f.link);
    }

    /* The last exact assignment wins; a glob only where there is none. */
    for (int pass = 0; pass < 2 && scan->winner < 0; pass++)
        for (size_t i = scan->nsettings; i-- > 0;)
            if (scan->settings[i].applies && scan->settings[i].glob == (pass == 1)) {
                scan->winner = (long)i;
                break;
            }
    if (scan->winner >= 0)
        scan->settings[scan->winner].wins = true;
}

void sysctl_d_free(struct sysctl_scan *scan)
{
    for (size_t i = 0; i < scan->nfiles; i++) {
        free(scan->files[i].path);
        free(scan->files[i].link);
        free(scan->files[i].shadowed_by);
    }
    for (size_t i = 0; i < scan->nsettings; i++) {
        free(scan->settings[i].path);
        free(scan->settings[i].key);
        free(scan->settings[i].value);
    }
    free(scan->files);
    free(scan->settings);
    memset(scan, 0, sizeof *scan);
}
