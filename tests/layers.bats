#!/usr/bin/env bats
# The harness's layers (harness/harness.mk): no source includes a layer
# beside or above its own, and the check itself fails on a violation.

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    export LAYERS="base probe vm report run cli"
}

@test "no harness source includes upward" {
    run harness/check-layers $LAYERS
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *", 0 violations" ]]
}

copy_harness() {
    COPY=$BATS_TEST_TMPDIR/harness
    cp -a harness "$COPY"
    rm -rf "$COPY/build"
}

@test "negative control: base including run fails, naming the file and both layers" {
    copy_harness
    sed -i '0,/#include/s|#include|#include "run/runner.h"\n#include|' "$COPY/src/base/util.c"
    run "$COPY/check-layers" $LAYERS
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *'src/base/util.c: layer base includes "run/runner.h" from layer run'* ]]
}

@test "negative control: a sibling layer (vm including report) fails" {
    copy_harness
    sed -i '0,/#include/s|#include|#include "report/report.h"\n#include|' "$COPY/src/vm/qemu.c"
    run "$COPY/check-layers" $LAYERS
    [ "$status" -eq 1 ]
    [[ "$output" == *'layer vm includes "report/report.h" from layer report'* ]]
}

@test "negative control: the guest agent including a host layer fails" {
    copy_harness
    sed -i '0,/#include/s|#include|#include "base/util.h"\n#include|' "$COPY/guest/agent.c"
    run "$COPY/check-layers" $LAYERS
    [ "$status" -eq 1 ]
    [[ "$output" == *'guest/agent.c: layer guest includes "base/util.h"'* ]]
}

@test "negative control: a folder under src/ that is no layer fails" {
    copy_harness
    mkdir "$COPY/src/extra"
    run "$COPY/check-layers" $LAYERS
    [ "$status" -eq 1 ]
    [[ "$output" == *"src/extra: not a layer in harness.mk"* ]]
}
