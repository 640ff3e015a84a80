/* Unit tests of the scenario table (harness/src/run/scenarios.c): every
 * `after` names a scenario that exists and runs earlier, no chain of
 * predecessors cycles, every scenario has steps and a summary, and the
 * names are unique. A table edited by hand is checked here, not at run
 * time in a VM. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "failf.h"
#include "run/scenarios.h"

#include <string.h>

static void test_every_after_resolves_to_an_earlier_scenario(void **state)
{
    (void)state;
    for (size_t i = 0; i < scenario_count; i++) {
        const struct scenario *sc = &scenarios[i];
        if (!sc->after)
            continue;
        const struct scenario *p = scenario_find(sc->after);
        if (!p)
            failf("scenario %s: after = \"%s\", which is no scenario", sc->name, sc->after);
        if (scenario_index(p) >= i)
            failf("scenario %s: after = \"%s\", which runs later in the table", sc->name, sc->after);
    }
}

static void test_no_chain_cycles(void **state)
{
    (void)state;
    for (size_t i = 0; i < scenario_count; i++) {
        size_t depth = 0;
        for (const struct scenario *p = &scenarios[i]; p->after; p = scenario_find(p->after)) {
            if (!scenario_find(p->after))
                break;
            if (++depth > scenario_count)
                failf("scenario %s: its chain of `after` never ends", scenarios[i].name);
        }
    }
}

static void test_steps_summaries_and_unique_names(void **state)
{
    (void)state;
    if (scenario_count > SCENARIOS_MAX)
        failf("%zu scenarios, more than SCENARIOS_MAX %d", scenario_count, SCENARIOS_MAX);
    for (size_t i = 0; i < scenario_count; i++) {
        const struct scenario *sc = &scenarios[i];
        if (scenario_nsteps(sc) == 0)
            failf("scenario %s has no steps", sc->name);
        if (!sc->summary || !sc->summary[0])
            failf("scenario %s has no summary", sc->name);
        for (size_t k = 0; k < i; k++)
            if (strcmp(scenarios[k].name, sc->name) == 0)
                failf("scenario name %s is used twice", sc->name);
        /* A step after the first STEP_END would be silently skipped. */
        for (size_t k = scenario_nsteps(sc); k < SCENARIO_MAX_STEPS; k++)
            if (sc->steps[k].kind != STEP_END)
                failf("scenario %s: step %zu comes after the end marker", sc->name, k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_after_resolves_to_an_earlier_scenario),
        cmocka_unit_test(test_no_chain_cycles),
        cmocka_unit_test(test_steps_summaries_and_unique_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
