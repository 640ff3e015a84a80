#!/usr/bin/env bats
# The guest-line fuzzer (fuzz_guest_line.c) for a short while, as a TAP
# test for tests/run-suites: FUZZ_SECONDS (default 30 here; make fuzz runs
# it for 600). A crash fails the test; the input is in out/fuzz/artifacts.

@test "fuzz_guest_line: arbitrary guest bytes through channel, parser and checks, no crash" {
    cd "$BATS_TEST_DIRNAME/../.."
    run harness/fuzz/run-fuzz "${FUZZ_SECONDS:-30}"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "${lines[-1]}" == "fuzz: "*", 0 crashes" ]]
}
