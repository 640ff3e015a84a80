/* Asking vm-images/build-image for images, and reading what it built. */
#define _GNU_SOURCE
#include "run/images.h"

#include "base/progress.h"
#include "base/spawn.h"
#include "base/util.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Build-image's exit code for "this machine cannot build that recipe". */
enum { BUILD_CANNOT_HERE = 3 };

/* The one deadline of a build (build-image's PORTCHECK_BUILD_DEADLINE, which
 * bounds every wait inside it): the user's, else this. portcheck waits that
 * long plus BUILD_MARGIN_S, so build-image's own "over its deadline" comes
 * first; only then SIGTERM (and SIGKILL SPAWN_TERM_GRACE_S later). */
#define BUILD_DEADLINE_DEFAULT "3600"
#define BUILD_MARGIN_S 120

static char *last_line(const char *text)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    char *line = xmalloc((size_t)(end - start) + 1);
    memcpy(line, start, (size_t)(end - start));
    line[end - start] = '\0';
    return line;
}

void image_offer_deb(const char *path)
{
    if ((path ? setenv("PORTCHECK_PREINSTALL_DEB", path, 1) : unsetenv("PORTCHECK_PREINSTALL_DEB")) != 0)
        die_errno("setenv PORTCHECK_PREINSTALL_DEB");
}

bool image_check(const char *images_dir, const char *name, char *err, size_t errlen)
{
    cleanup_free char *tool = xasprintf("%s/build-image", images_dir);
    char *argv[] = {tool, "--check", (char *)name, NULL};
    struct spawn_result res;
    spawn_run(argv, 30, false, &res);
    bool ok = res.exit_code == 0;
    if (!ok) {
        cleanup_free char *why = last_line(res.err);
        snprintf(err, errlen, "%s", why[0] ? why : "build-image --check failed");
    }
    spawn_result_free(&res);
    return ok;
}

/* The recipe's packages as " a b c " (spaces around each, for word
 * lookups); images built before image.json listed them give " ". */
static char *recipe_packages(json_t *list)
{
    size_t i, len = 2;
    json_t *p;
    json_array_foreach(list, i, p)
        if (json_is_string(p))
            len += strlen(json_string_value(p)) + 1;
    char *out = xcalloc(len + 1, 1);
    out[0] = ' ';
    json_array_foreach(list, i, p)
        if (json_is_string(p)) {
            strcat(out, json_string_value(p));
            strcat(out, " ");
        }
    return out;
}

static char *json_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

void image_prepare(const char *images_dir, const char *name, struct image_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = xstrdup(name);
    cleanup_free char *tool = xasprintf("%s/build-image", images_dir);
    char *argv[] = {tool, (char *)name, NULL};
    progress_note(name, "image: build or reuse");
    /* build-image --check (image_check) has validated a deadline the user set. */
    if (setenv("PORTCHECK_BUILD_DEADLINE", BUILD_DEADLINE_DEFAULT, 0) != 0)
        die_errno("setenv PORTCHECK_BUILD_DEADLINE");
    double deadline = strtod(getenv("PORTCHECK_BUILD_DEADLINE"), NULL);
    struct spawn_result res;
    spawn_run(argv, deadline + BUILD_MARGIN_S, true, &res);
    if (res.exit_code != 0) {
        cleanup_free char *why = last_line(res.err);
        if (res.exit_code == BUILD_CANNOT_HERE)
            info->skip_reason = xstrdup(why);
        else if (res.interrupted)
            info->error = xasprintf("image build interrupted (portcheck got a signal): %s", why);
        else if (res.timed_out)
            info->error = xasprintf("image build timed out after %.0f s (PORTCHECK_BUILD_DEADLINE + %d s): %s",
                                    deadline + BUILD_MARGIN_S, BUILD_MARGIN_S, why);
        else
            info->error = xasprintf("image build failed (%d): %s", res.exit_code, why);
        spawn_result_free(&res);
        return;
    }
    info->dir = last_line(res.out);
    spawn_result_free(&res);

    cleanup_free char *path = xasprintf("%s/image.json", info->dir);
    json_error_t jerr;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        info->error = xasprintf("%s is unreadable (%s): make clean-images and build again", path, jerr.text);
        json_decref(o);
        return;
    }
    info->distro = json_str(o, "distro");
    info->suite = json_str(o, "suite");
    info->init = json_str(o, "init");
    info->package_format = json_str(o, "package_format");
    info->kernel = json_str(o, "kernel");
    info->os = json_str(o, "os");
    info->cmdline = json_str(o, "cmdline");
    info->recipe_hash = json_str(o, "recipe_hash");
    info->container_tree = json_is_true(json_object_get(o, "container_tree"));
    info->packages = recipe_packages(json_object_get(o, "packages"));
    json_t *pre = json_object_get(o, "preinstalled");
    if (json_is_object(pre)) {
        info->preinstalled_name = json_str(pre, "name");
        info->preinstalled_version = json_str(pre, "version");
        info->preinstalled_sha256 = json_str(pre, "sha256");
        json_t *before = json_object_get(pre, "host_port_start_before"), *after = json_object_get(pre, "host_port_start_after");
        info->preinstall_host_before = json_is_integer(before) ? (int)json_integer_value(before) : -1;
        info->preinstall_host_after = json_is_integer(after) ? (int)json_integer_value(after) : -1;
    }
    info->pvh_kernel = json_is_string(json_object_get(json_object_get(o, "files"), "pvh_kernel"));
    json_t *bs = json_object_get(o, "build_seconds");
    info->build_seconds = json_is_number(bs) ? json_number_value(bs) : 0;
    json_decref(o);
    progress_note(name, "image: %s (kernel %s, %s)", info->dir, info->kernel, info->init);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **image_names(const char *images_dir, size_t *n)
{
    cleanup_free char *dir = xasprintf("%s/recipes", images_dir);
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 16;
    char **names = xcalloc(cap, sizeof *names);
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0)
            continue;
        if (*n == cap)
            names = xrealloc(names, (cap *= 2) * sizeof *names);
        names[*n] = xstrdup(e->d_name);
        names[(*n)++][len - 5] = '\0';
    }
    closedir(d);
    qsort(names, *n, sizeof *names, compare_names);
    return names;
}

void image_info_free(struct image_info *info)
{
    char **fields[] = {&info->name, &info->dir, &info->distro, &info->suite, &info->init, &info->package_format,
                       &info->kernel, &info->os, &info->cmdline, &info->recipe_hash, &info->preinstalled_name,
                       &info->preinstalled_version, &info->preinstalled_sha256, &info->skip_reason, &info->error,
                       &info->packages};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
}

bool image_has_file(const struct image_info *info, const char *path)
{
    if (!info->dir)
        return false;
    cleanup_free char *rootfs = xasprintf("%s/rootfs.raw", info->dir);
    cleanup_free char *request = xasprintf("stat \"%s\"", path);
    char *argv[] = {"debugfs", "-R", request, rootfs, NULL};
    struct spawn_result res;
    spawn_run(argv, 30, false, &res);
    bool found = res.exit_code == 0 && res.out && strstr(res.out, "Type: regular");
    spawn_result_free(&res);
    return found;
}
