/* The unit pool (units.h): planning, forking, waiting with a deadline, and
 * taking each unit's result only when it is really this run's. */
#define _GNU_SOURCE
#include "run/units.h"

#include "base/progress.h"
#include "base/signals.h"
#include "base/spawn.h"
#include "base/util.h"
#include "report/report.h"
#include "run/shards.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

/* A unit that outlives every deadline the runner could wait on is stuck
 * outside them: SIGTERM, then SIGKILL after this grace. Both the slack
 * and the grace scale with --timeout-scale, as every other deadline does. */
#define UNIT_SLACK 60.0
#define UNIT_KILL_GRACE 30.0
#define UNIT_KILL_GRACE_MIN 2.0

struct unit {
    size_t image;
    int shard, nshards;
    struct shard part;
    bool started;
    pid_t pid;
    double deadline;     /* monotonic; 0 until started */
    bool terminated;     /* SIGTERM sent for the deadline */
    double grace;        /* from SIGTERM to SIGKILL */
    json_t *result;
    char why[256];       /* why there is no result, when there is none */
};

static char *unit_result_path(const struct run_config *cfg, const struct image_info *img, const struct unit *u)
{
    return xasprintf("%s/work/%s.vm%d.result.json", cfg->out_dir, img->name, u->shard + 1);
}

static const struct scenario *const *unit_scenarios(const struct run_config *cfg, const struct unit *u, size_t *n)
{
    if (u->nshards > 1) {
        *n = u->part.nwanted;
        return u->part.wanted;
    }
    *n = cfg->nwanted;
    return cfg->wanted;
}

/* What a unit's file must say about itself to be taken: this run, this
 * image, this shard, these scenarios in this order. */
static json_t *unit_stamp(const char *nonce, const struct run_config *cfg, const struct image_info *img,
                          const struct unit *u)
{
    size_t n;
    const struct scenario *const *list = unit_scenarios(cfg, u, &n);
    json_t *names = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(names, json_string(list[i]->name));
    return json_pack("{s:s, s:s, s:i, s:o}", "nonce", nonce, "image", img->name, "shard", u->shard, "scenarios",
                     names);
}

/* With more than one VM at a time, every chain of scenarios that share a
 * VM is a unit of its own (a chain starts from a fresh VM anyway, so this
 * costs no boot), and the queue runs the heaviest first: whatever the mix
 * of images, the last VMs to finish are short ones. With --jobs 1 an image
 * is one unit, its scenarios in order. */
static size_t plan_units(const struct run_config *cfg, const struct image_info *imgs, size_t n, int jobs,
                         struct unit *units)
{
    size_t nunits = 0;
    for (size_t i = 0; i < n; i++) {
        if (imgs[i].skip_reason || imgs[i].error) {
            units[nunits++] = (struct unit){.image = i, .shard = 0, .nshards = 1};
            continue;
        }
        size_t want = jobs > 1 ? SHARDS_MAX : 1;
        /* Balance what will run; what will skip costs nothing and goes to
         * the first VM (the merge restores the order). */
        const struct scenario *runnable[SHARD_SCENARIOS_MAX], *skipped[SHARD_SCENARIOS_MAX];
        size_t nrun = 0, nskip = 0;
        for (size_t w = 0; w < cfg->nwanted; w++) {
            char *why = runner_skip_reason(cfg, &imgs[i], cfg->wanted[w]);
            if (why)
                skipped[nskip++] = cfg->wanted[w];
            else
                runnable[nrun++] = cfg->wanted[w];
            free(why);
        }
        struct shard parts[SHARDS_MAX];
        size_t k = shards_plan(runnable, nrun, want, parts);
        if (k == 0)
            k = 1, parts[0].nwanted = 0;
        for (size_t w = 0; w < nskip; w++)
            parts[0].wanted[parts[0].nwanted++] = skipped[w];
        for (size_t s = 0; s < k; s++)
            units[nunits++] = (struct unit){.image = i, .shard = (int)s, .nshards = (int)k, .part = parts[s]};
    }
    return nunits;
}

static void start_unit(const struct run_config *cfg, const struct image_info *img, struct unit *u,
                       const char *nonce)
{
    cleanup_free char *path = unit_result_path(cfg, img, u);
    /* A file from an earlier run must not be there to be read for this one. */
    if (unlink(path) != 0 && errno != ENOENT)
        die_errno("cannot remove the old unit result %s", path);
    size_t n;
    const struct scenario *const *list = unit_scenarios(cfg, u, &n);
    double budget = UNIT_SLACK * cfg->timeout_scale;
    for (size_t i = 0; i < n; i++)
        budget += runner_worst_case_seconds(cfg, list[i]);
    u->deadline = now_monotonic() + budget;
    u->grace = UNIT_KILL_GRACE * cfg->timeout_scale;
    if (u->grace < UNIT_KILL_GRACE_MIN)
        u->grace = UNIT_KILL_GRACE_MIN;
    fflush(NULL);
    /* Killed outright, portcheck cannot forward SIGTERM: the kernel does. */
    pid_t pid = spawn_fork(SIGTERM, 0);
    if (pid == 0) {
        struct run_config mine = *cfg;
        mine.shard = u->shard;
        mine.nshards = u->nshards;
        if (u->nshards > 1) {
            memcpy(mine.wanted, u->part.wanted, u->part.nwanted * sizeof *mine.wanted);
            mine.nwanted = u->part.nwanted;
        }
        json_t *res = runner_run_image(&mine, img);
        json_t *envelope = unit_stamp(nonce, cfg, img, u);
        json_object_set_new(envelope, "result", res);
        int rc = report_write_json(envelope, path) ? 0 : EXIT_NO_VERDICT;
        json_decref(envelope);
        _exit(rc);
    }
    u->pid = pid;
}

/* The unit's result, only from a clean exit and a file stamped for it. */
static void collect_unit(const struct run_config *cfg, const struct image_info *img, struct unit *u, int status,
                         const char *nonce)
{
    cleanup_free char *path = unit_result_path(cfg, img, u);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            snprintf(u->why, sizeof u->why, "the VM process running it was killed by signal %d%s without a result",
                     WTERMSIG(status), u->terminated ? " at its deadline" : "");
        else
            snprintf(u->why, sizeof u->why, "the VM process running it exited %d without a result",
                     WEXITSTATUS(status));
        unlink(path);
        return;
    }
    json_error_t err;
    json_t *envelope = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    unlink(path);
    json_t *want = unit_stamp(nonce, cfg, img, u);
    json_t *result = json_object_get(envelope, "result");
    bool ours = json_is_object(envelope) && json_is_object(result);
    const char *keys[] = {"nonce", "image", "shard", "scenarios"};
    for (size_t k = 0; ours && k < sizeof keys / sizeof *keys; k++)
        ours = json_equal(json_object_get(envelope, keys[k]), json_object_get(want, keys[k]));
    json_decref(want);
    if (ours)
        u->result = json_incref(result);
    else
        snprintf(u->why, sizeof u->why, "its result file was missing or not this run's (stale or foreign): ignored");
    json_decref(envelope);
}

/* The image's result once all its units have theirs. */
static json_t *image_result(const struct run_config *cfg, const struct image_info *img, struct unit *units,
                            size_t first, size_t count)
{
    if (img->skip_reason || img->error)
        return runner_image_unavailable(cfg, img, img->skip_reason ? REPORT_SKIP : REPORT_ERROR,
                                        img->skip_reason ? img->skip_reason : img->error);
    if (count == 1 && units[first].result)
        return json_incref(units[first].result);
    json_t *parts[SHARDS_MAX] = {NULL};
    const char *why = NULL;
    for (size_t k = 0; k < count; k++) {
        parts[k] = units[first + k].result;
        if (!parts[k] && !why && units[first + k].why[0])
            why = units[first + k].why;
    }
    if (!why)
        why = signals_pending() ? "interrupted before it started" : "the VM running it died without a result";
    json_t *merged = shards_merge(parts, count, cfg->wanted, cfg->nwanted, why);
    return merged ? merged : runner_image_unavailable(cfg, img, REPORT_ERROR, why);
}

static void make_nonce(char out[33])
{
    unsigned char raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno != EINTR)
            die_errno("getrandom");
        got += n > 0 ? (size_t)n : 0;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* SIGTERM to every unit past its deadline, SIGKILL past the grace. */
static void enforce_deadlines(struct unit *units, size_t nunits)
{
    double now = now_monotonic();
    for (size_t k = 0; k < nunits; k++) {
        struct unit *u = &units[k];
        if (u->pid <= 0 || now < u->deadline)
            continue;
        if (!u->terminated) {
            progress_note("-", "a VM process passed its deadline: stopping it");
            kill(u->pid, SIGTERM);
            u->terminated = true;
        } else if (now >= u->deadline + u->grace) {
            kill(u->pid, SIGKILL);
        }
    }
}

void units_run(const struct run_config *cfg, const struct image_info *imgs, size_t n, int jobs, json_t **results,
               bool tap, int *tap_counter)
{
    char nonce[33];
    make_nonce(nonce);
    struct unit *units = xcalloc(n * SHARDS_MAX, sizeof *units);
    size_t nunits = plan_units(cfg, imgs, n, jobs, units);
    /* The start order: heaviest first (units stay grouped by image for the merge). */
    size_t *order = xcalloc(nunits ? nunits : 1, sizeof *order);
    for (size_t k = 0; k < nunits; k++) {
        size_t at = k;
        while (at > 0 && units[order[at - 1]].part.cost < units[k].part.cost) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = k;
    }
    size_t nrunning = 0, next = 0, done = 0;
    bool forwarded = false;
    if (nunits > n)
        progress_note("-", "%zu VMs share the scenarios of %zu image(s), %d at once", nunits, n, jobs);
    while (done < nunits) {
        while (nrunning < (size_t)jobs && next < nunits && !signals_pending()) {
            struct unit *u = &units[order[next++]];
            const struct image_info *img = &imgs[u->image];
            u->started = true;
            if (img->skip_reason || img->error) {
                done++;
                continue;
            }
            start_unit(cfg, img, u, nonce);
            nrunning++;
        }
        if (nrunning == 0) {
            /* Interrupted before the rest started. */
            done = nunits;
            break;
        }
        if (signals_pending() && !forwarded) {
            for (size_t k = 0; k < nunits; k++)
                if (units[k].pid > 0)
                    kill(units[k].pid, SIGTERM);
            forwarded = true;
        }
        enforce_deadlines(units, nunits);
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno != EINTR && errno != ECHILD)
            die_errno("waitpid");
        if (pid <= 0) {
            signals_sleep(0.2);
            continue;
        }
        for (size_t k = 0; k < nunits; k++) {
            struct unit *u = &units[k];
            if (u->pid != pid)
                continue;
            u->pid = 0;
            nrunning--;
            done++;
            collect_unit(cfg, &imgs[u->image], u, status, nonce);
            break;
        }
    }
    free(order);
    /* Results in image order, each when all of its units are in. */
    for (size_t k = 0; k < nunits;) {
        size_t i = units[k].image, count = 0;
        while (k + count < nunits && units[k + count].image == i)
            count++;
        bool started = false;
        for (size_t c = 0; c < count; c++)
            started = started || units[k + c].started;
        if (!started && !(imgs[i].skip_reason || imgs[i].error))
            results[i] = runner_image_unavailable(cfg, &imgs[i], REPORT_ERROR, "interrupted before it started");
        else
            results[i] = image_result(cfg, &imgs[i], units, k, count);
        for (size_t c = 0; c < count; c++)
            json_decref(units[k + c].result);
        if (tap)
            report_tap_run(results[i], stdout, tap_counter);
        k += count;
    }
    free(units);
}
