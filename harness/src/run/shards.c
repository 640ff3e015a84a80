/* Sharing one image's scenarios among VMs, and merging them back. */
#include "run/shards.h"

#include "base/util.h"
#include "report/report.h"

#include <stdint.h>
#include <string.h>

double shards_cost(const struct scenario *sc)
{
    /* Multi-user boots (user services, podman) take about twice as long as
     * the portcheck.target ones; container commands cost about half a boot. */
    double per_boot = sc->boot.target ? 2.0 : 1.0;
    double boots = sc->after ? 0.0 : 1.0;
    for (size_t i = 0; i < scenario_nsteps(sc); i++)
        if (sc->steps[i].kind == STEP_REBOOT || sc->steps[i].kind == STEP_COLDBOOT)
            boots += 1.0;
    return boots * per_boot + (sc->container ? 0.5 : 0.0);
}

/* A chain: wanted[first .. first+len) continue each other's VM. */
struct chain {
    size_t first, len;
    double cost;
};

size_t shards_plan(const struct scenario *const *wanted, size_t n, size_t max_shards, struct shard *out)
{
    struct chain chains[SHARD_SCENARIOS_MAX];
    size_t nchains = 0;
    if (n > SHARD_SCENARIOS_MAX)
        die("%zu scenarios to share, more than SHARD_SCENARIOS_MAX (%d): raise SCENARIOS_MAX", n,
            SHARD_SCENARIOS_MAX);
    for (size_t i = 0; i < n; i++) {
        bool continues = i > 0 && wanted[i]->after && strcmp(wanted[i]->after, wanted[i - 1]->name) == 0;
        if (!continues)
            chains[nchains++] = (struct chain){i, 0, 0.0};
        chains[nchains - 1].len++;
        chains[nchains - 1].cost += shards_cost(wanted[i]);
    }
    if (max_shards < 1)
        max_shards = 1;
    if (max_shards > SHARDS_MAX)
        max_shards = SHARDS_MAX;
    size_t nshards = nchains < max_shards ? nchains : max_shards;
    if (nshards == 0)
        return 0;

    /* Longest processing time first: a few chains, a few shards, so the
     * quadratic selection is fine. owner[c] is the shard chain c goes to. */
    size_t owner[SHARD_SCENARIOS_MAX];
    bool placed[SHARD_SCENARIOS_MAX] = {false};
    double load[SHARDS_MAX] = {0};
    for (size_t round = 0; round < nchains; round++) {
        size_t best = SIZE_MAX;
        for (size_t c = 0; c < nchains; c++)
            if (!placed[c] && (best == SIZE_MAX || chains[c].cost > chains[best].cost))
                best = c;
        size_t lightest = 0;
        for (size_t s = 1; s < nshards; s++)
            if (load[s] < load[lightest])
                lightest = s;
        placed[best] = true;
        owner[best] = lightest;
        load[lightest] += chains[best].cost;
    }
    for (size_t s = 0; s < nshards; s++) {
        out[s].nwanted = 0;
        out[s].cost = load[s];
    }
    for (size_t c = 0; c < nchains; c++) {
        struct shard *sh = &out[owner[c]];
        for (size_t k = 0; k < chains[c].len; k++)
            sh->wanted[sh->nwanted++] = wanted[chains[c].first + k];
    }
    return nshards;
}

static json_t *find_scenario(json_t *const *parts, size_t nparts, const char *name)
{
    for (size_t p = 0; p < nparts; p++) {
        json_t *list = parts[p] ? json_object_get(parts[p], "scenarios") : NULL;
        size_t i;
        json_t *sc;
        json_array_foreach(list, i, sc)
        {
            const char *got = json_string_value(json_object_get(sc, "name"));
            if (got && strcmp(got, name) == 0)
                return sc;
        }
    }
    return NULL;
}

json_t *shards_merge(json_t *const *parts, size_t nparts, const struct scenario *const *wanted, size_t nwanted,
                     const char *missing_reason)
{
    json_t *merged = NULL;
    for (size_t p = 0; p < nparts && !merged; p++)
        if (parts[p])
            merged = json_deep_copy(parts[p]);
    if (!merged)
        return NULL;
    json_t *boots = json_array();
    double peak = 0;
    for (size_t p = 0; p < nparts; p++) {
        if (!parts[p])
            continue;
        json_array_extend(boots, json_object_get(parts[p], "boots"));
        double rss = json_number_value(json_object_get(parts[p], "qemu_peak_rss_mib"));
        if (rss > peak)
            peak = rss;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < nwanted; i++) {
        json_t *sc = find_scenario(parts, nparts, wanted[i]->name);
        json_array_append_new(list, sc ? json_deep_copy(sc)
                                       : json_pack("{s:s, s:s, s:s, s:f, s:s, s:b, s:[]}", "name", wanted[i]->name,
                                                   "summary", wanted[i]->summary, "status", report_status_name(REPORT_ERROR), "seconds",
                                                   0.0, "reason", missing_reason,
                                                   "container", wanted[i]->container, "checks"));
    }
    json_object_set_new(merged, "boots", boots);
    json_object_set_new(merged, "scenarios", list);
    json_object_set_new(merged, "qemu_peak_rss_mib", json_real(peak));
    json_object_set_new(merged, "vms", json_integer((json_int_t)nparts));
    return merged;
}
