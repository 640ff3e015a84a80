/* Unit tests of harness/src/shards.c: how one image's scenarios are shared
 * among VMs that run at once, and how their results are put back together.
 *
 * What this proves, on the real scenario table:
 *  - every wanted scenario lands in exactly one shard, each shard keeps the
 *    run order, and a chain of scenarios that continue each other's VM is
 *    never split (splitting would replay its boots);
 *  - the heaviest chains are spread out: with 2 shards for every scenario
 *    the two loads differ by less than the heaviest single chain;
 *  - one shard, or fewer chains than shards, degrade as they should;
 *  - merging puts the scenarios back in run order whatever order the parts
 *    came in, concatenates the boots, keeps the largest qemu peak, and a
 *    scenario no part has is an error with the reason given;
 *  - merging nothing gives NULL.
 * No VM and no process is started. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run/scenarios.h"
#include "run/shards.h"

#include <string.h>

static size_t all_scenarios(const struct scenario **wanted)
{
    for (size_t i = 0; i < scenario_count; i++)
        wanted[i] = &scenarios[i];
    return scenario_count;
}

static size_t find_in(const struct shard *sh, const struct scenario *sc)
{
    for (size_t i = 0; i < sh->nwanted; i++)
        if (sh->wanted[i] == sc)
            return i;
    return SIZE_MAX;
}

static void test_every_scenario_once_in_order_chains_whole(void **state)
{
    (void)state;
    const struct scenario *wanted[SHARD_SCENARIOS_MAX] = {NULL};
    size_t n = all_scenarios(wanted);
    for (size_t max = 1; max <= 4; max++) {
        struct shard parts[SHARDS_MAX];
        size_t k = shards_plan(wanted, n, max, parts);
        assert_true(k >= 1 && k <= max);
        for (size_t i = 0; i < n; i++) {
            size_t owners = 0, owner = 0;
            for (size_t s = 0; s < k; s++)
                if (find_in(&parts[s], wanted[i]) != SIZE_MAX)
                    owners++, owner = s;
            assert_int_equal(owners, 1);
            /* It continues its predecessor: same shard, right after it. */
            if (i > 0 && wanted[i]->after && strcmp(wanted[i]->after, wanted[i - 1]->name) == 0)
                assert_int_equal(find_in(&parts[owner], wanted[i]), find_in(&parts[owner], wanted[i - 1]) + 1);
        }
        for (size_t s = 0; s < k; s++)
            for (size_t j = 1; j < parts[s].nwanted; j++)
                assert_true(scenario_index(parts[s].wanted[j - 1]) < scenario_index(parts[s].wanted[j]));
    }
}

static void test_two_shards_balance(void **state)
{
    (void)state;
    const struct scenario *wanted[SHARD_SCENARIOS_MAX] = {NULL};
    size_t n = all_scenarios(wanted);
    struct shard parts[SHARDS_MAX];
    assert_int_equal(shards_plan(wanted, n, 2, parts), 2);
    double heaviest = 0, chain = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        bool continues = i > 0 && wanted[i]->after && strcmp(wanted[i]->after, wanted[i - 1]->name) == 0;
        chain = continues ? chain + shards_cost(wanted[i]) : shards_cost(wanted[i]);
        if (chain > heaviest)
            heaviest = chain;
        total += shards_cost(wanted[i]);
    }
    double diff = parts[0].cost - parts[1].cost;
    assert_true((diff < 0 ? -diff : diff) < heaviest);
    assert_true(parts[0].cost + parts[1].cost > total - 1e-9 && parts[0].cost + parts[1].cost < total + 1e-9);
}

static void test_fewer_chains_than_shards(void **state)
{
    (void)state;
    /* baseline, install, reboot: one chain, so one shard however many are offered. */
    const struct scenario *wanted[] = {scenario_find("baseline"), scenario_find("install"), scenario_find("reboot")};
    struct shard parts[SHARDS_MAX];
    assert_int_equal(shards_plan(wanted, 3, 4, parts), 1);
    assert_int_equal(parts[0].nwanted, 3);
    /* install alone starts its own chain (its VM replays baseline). */
    const struct scenario *two[] = {scenario_find("install"), scenario_find("kernel-cmdline")};
    assert_int_equal(shards_plan(two, 2, 2, parts), 2);
    assert_int_equal(shards_plan(two, 0, 2, parts), 0);
    /* A reboot weighs a boot: a boot and a reboot more than a boot alone. */
    assert_true(shards_cost(scenario_find("user-service-http")) > shards_cost(scenario_find("kernel-cmdline")));
}

static json_t *part(const char *names, double rss)
{
    json_t *o = json_pack("{s:s, s:[], s:[], s:f}", "image", "debian-bookworm", "boots", "scenarios",
                          "qemu_peak_rss_mib", rss);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", names);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        json_array_append_new(json_object_get(o, "scenarios"), json_pack("{s:s, s:s}", "name", t, "status", "pass"));
        json_array_append_new(json_object_get(o, "boots"), json_pack("{s:s}", "of", t));
    }
    return o;
}

static void test_merge(void **state)
{
    (void)state;
    const struct scenario *wanted[] = {scenario_find("baseline"), scenario_find("install"),
                                       scenario_find("kernel-cmdline"), scenario_find("podman-publish")};
    json_t *parts[3] = {part("kernel-cmdline", 300.5), NULL, part("baseline,install", 512.25)};
    json_t *m = shards_merge(parts, 3, wanted, 4, "gone");
    assert_non_null(m);
    json_t *list = json_object_get(m, "scenarios");
    assert_int_equal(json_array_size(list), 4);
    const char *order[] = {"baseline", "install", "kernel-cmdline", "podman-publish"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "name")), order[i]);
    json_t *missing = json_array_get(list, 3);
    assert_string_equal(json_string_value(json_object_get(missing, "status")), "error");
    assert_string_equal(json_string_value(json_object_get(missing, "reason")), "gone");
    assert_int_equal(json_array_size(json_object_get(m, "boots")), 3);
    assert_true(json_number_value(json_object_get(m, "qemu_peak_rss_mib")) > 512.0);
    assert_int_equal(json_integer_value(json_object_get(m, "vms")), 3);
    json_decref(m);
    json_decref(parts[0]);
    json_decref(parts[2]);
    json_t *none[2] = {NULL, NULL};
    assert_null(shards_merge(none, 2, wanted, 4, "gone"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_scenario_once_in_order_chains_whole),
        cmocka_unit_test(test_two_shards_balance),
        cmocka_unit_test(test_fewer_chains_than_shards),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
