/* Unit tests of the scenario table (harness/src/run/scenarios.c): every
 * `after` names a scenario that exists and runs earlier, no chain of
 * predecessors cycles, every scenario has steps and a summary, the
 * names are unique, and one that drives systemd skips where systemd is not
 * init. A table edited by hand is checked here, not at run
 * time in a VM. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "failf.h"
#include "run/checks.h"
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

/* Output expectations: "KEY=VALUE" with a key, and the check's name
 * (label:KEY, exposure:KEY) and value short enough for a check's fields,
 * or two checks could share a cut name. */
static void test_expect_lines_are_key_value_and_fit_a_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < scenario_count; i++) {
        const struct scenario *sc = &scenarios[i];
        for (size_t k = 0; k < scenario_nsteps(sc); k++) {
            const struct step *st = &sc->steps[k];
            const char *label = st->kind == STEP_EXPOSURE ? "exposure" : st->label;
            for (size_t e = 0; e < STEP_MAX_EXPECT && st->expect_lines[e]; e++) {
                const char *line = st->expect_lines[e], *eq = strchr(line, '=');
                if (st->kind != STEP_RUN && st->kind != STEP_EXPOSURE)
                    failf("scenario %s step %zu: expect_lines on a step that does not read output", sc->name, k);
                if (!label)
                    failf("scenario %s step %zu: expect_lines without a label", sc->name, k);
                if (!eq || eq == line)
                    failf("scenario %s: expect line \"%s\" is not KEY=VALUE", sc->name, line);
                if (strlen(label) + 1 + (size_t)(eq - line) >= sizeof ((struct check *)0)->what)
                    failf("scenario %s: check name %s:%.*s is too long", sc->name, label, (int)(eq - line), line);
                if (strlen(eq + 1) >= sizeof ((struct check *)0)->expect)
                    failf("scenario %s: expected value \"%s\" is too long", sc->name, eq + 1);
            }
            for (size_t o = 0; o < STEP_MAX_OBSERVE && st->observe[o]; o++)
                if (st->kind != STEP_RUN || !st->label || !st->observe[o][0])
                    failf("scenario %s step %zu: observe needs a labelled run step and a key", sc->name, k);
        }
    }
}

/* A step that runs systemctl, journalctl or loginctl fails on a sysvinit
 * image instead of skipping, unless the scenario says it needs systemd. */
static void test_systemd_tools_only_where_systemd_is_required(void **state)
{
    (void)state;
    static const char *const tools[] = {"systemctl", "journalctl", "loginctl"};
    for (size_t i = 0; i < scenario_count; i++) {
        const struct scenario *sc = &scenarios[i];
        if (sc->container || sc->boot.target || sc->needs_systemd)
            continue;
        for (size_t k = 0; k < scenario_nsteps(sc); k++)
            for (size_t a = 0; a < STEP_MAX_ARGS && sc->steps[k].argv[a]; a++)
                for (size_t t = 0; t < sizeof tools / sizeof *tools; t++)
                    if (strstr(sc->steps[k].argv[a], tools[t]))
                        failf("scenario %s step %zu runs %s: set needs_systemd so it skips on other inits",
                              sc->name, k, tools[t]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_after_resolves_to_an_earlier_scenario),
        cmocka_unit_test(test_no_chain_cycles),
        cmocka_unit_test(test_steps_summaries_and_unique_names),
        cmocka_unit_test(test_expect_lines_are_key_value_and_fit_a_check),
        cmocka_unit_test(test_systemd_tools_only_where_systemd_is_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
