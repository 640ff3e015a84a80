#!/usr/bin/env bats
# tests/run-suites: a test skipped for a missing tool or permission counts as
# failed and is named at the top of the summary; a plain skip stays a skip.

bats_require_minimum_version 1.5.0

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    F=tests/fixtures/run-suites
    export TEST_LOG_DIR=$BATS_TEST_TMPDIR/logs
}

@test "environment skips: one MISSING line each at the top of the summary, counted as failed, exit 1" {
    run -1 tests/run-suites bats:$F/env-skips.bats
    summary=$(sed -n '/^=== summary$/,$p' <<<"$output")
    [ "$(sed -n 2p <<<"$summary")" = "MISSING: unshare --mount --net not permitted here: 2 tests not run, counted as failed (env-skips.bats 2)" ]
    [ "$(sed -n 3p <<<"$summary")" = "MISSING: needs frobnicate: 1 tests not run, counted as failed (env-skips.bats 1)" ]
    [[ "$summary" == *"--- env-skips.bats: 1 passed, 3 failed, 1 skipped (3 of the failed skipped for a missing tool or permission)"* ]]
    [ "${lines[-1]}" = "1 passed, 3 failed, 1 skipped" ]
}

@test "negative control: plain skips alone stay skips, no MISSING line, exit 0" {
    run -0 tests/run-suites bats:$F/green.bats
    [[ "$output" != *MISSING* ]]
    [ "${lines[-1]}" = "1 passed, 0 failed, 1 skipped" ]
}
