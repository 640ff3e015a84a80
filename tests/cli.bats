#!/usr/bin/env bats
# The portcheck command line: help, bad input (one line naming the thing and
# the fix, exit 2, nothing written), and re-rendering a saved report. No VM
# boots here; see vm.bats for that.

bats_require_minimum_version 1.5.0

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    PORTCHECK=$PWD/harness/build/portcheck
    DEB=$PWD/out/unprivileged-ports_0.1.0_all.deb
    OUTDIR=$BATS_TEST_TMPDIR/out
}

one_line_exit_2() {
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [ ! -e "$OUTDIR/report.json" ]
}

@test "--help lists the commands and exits 0" {
    run -0 "$PORTCHECK" --help
    [[ "$output" == *"portcheck run"* ]]
    [[ "$output" == *"portcheck report"* ]]
    [[ "$output" == *"--scenario"* ]]
}

@test "--version prints the package version" {
    run -0 "$PORTCHECK" --version
    [ "$output" = "portcheck $(cat packaging/VERSION)" ]
}

@test "no command: one line, exit 2" {
    run "$PORTCHECK"
    one_line_exit_2
}

@test "an unknown command is named" {
    run "$PORTCHECK" frobnicate
    one_line_exit_2
    [[ "$output" == *"frobnicate"* ]]
}

@test "an unknown scenario is named with the known ones" {
    run "$PORTCHECK" run --scenario nope --package "$DEB" --out "$OUTDIR"
    one_line_exit_2
    [[ "$output" == *"'nope'"* && "$output" == *baseline* ]]
}

@test "an unknown image names the recipe to add" {
    run "$PORTCHECK" run --image no-such-image --package "$DEB" --out "$OUTDIR"
    one_line_exit_2
    [[ "$output" == *"vm-images/recipes/no-such-image.conf"* ]]
}

@test "an image with the package baked in, and no .deb given: one line naming --package, exit 2" {
    # Set outside, the variable is not taken: the run's own --package is.
    PORTCHECK_PREINSTALL_DEB=$DEB run "$PORTCHECK" run --image debian-bookworm-preinstalled --out "$OUTDIR"
    one_line_exit_2
    [[ "$output" == *"bakes in the package: pass --package with a .deb"* ]]
    [ ! -e "$OUTDIR" ]
}

@test "a missing package file is named with the fix" {
    run "$PORTCHECK" run --package /nonexistent.deb --out "$OUTDIR"
    one_line_exit_2
    [[ "$output" == *"/nonexistent.deb"* && "$output" == *"make deb"* ]]
}

@test "a file that is not a package is refused" {
    echo hello > "$BATS_TEST_TMPDIR/fake.deb"
    run "$PORTCHECK" run --package "$BATS_TEST_TMPDIR/fake.deb" --out "$OUTDIR"
    one_line_exit_2
    [[ "$output" == *"neither a .deb nor an .rpm"* ]]
}

@test "bad option values are refused: --accel, --jobs, --timeout-scale, unknown option" {
    run "$PORTCHECK" run --accel warp --out "$OUTDIR"
    one_line_exit_2
    run "$PORTCHECK" run --jobs 0 --out "$OUTDIR"
    one_line_exit_2
    run "$PORTCHECK" run --timeout-scale x --out "$OUTDIR"
    one_line_exit_2
    run "$PORTCHECK" run --bogus --out "$OUTDIR"
    one_line_exit_2
}

@test "an output directory that cannot be made is one clear line" {
    run "$PORTCHECK" run --package "$DEB" --out /etc/hostname/sub
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"--out"* ]]
}

@test "a missing guest agent is named with the fix" {
    run "$PORTCHECK" run --package "$DEB" --agent /nonexistent/agent --out "$OUTDIR"
    one_line_exit_2
    [[ "$output" == *"make portcheck"* ]]
}

@test "a malformed recipe is refused before anything starts: unknown key, missing suite" {
    dir=$BATS_TEST_TMPDIR/images
    mkdir -p "$dir/recipes"
    cp -r vm-images/build-image vm-images/recipe.sh vm-images/builders "$dir/"
    printf 'distro = debian\nsuite = bookworm\ninit = systemd\npackage_format = deb\ncolour = blue\n' > "$dir/recipes/bad-key.conf"
    printf 'distro = debian\ninit = systemd\npackage_format = deb\n' > "$dir/recipes/no-suite.conf"
    run "$PORTCHECK" run --images-dir "$dir" --image bad-key --package "$DEB" --out "$OUTDIR"
    one_line_exit_2
    [[ "$output" == *"unknown key 'colour'"* ]]
    run "$PORTCHECK" run --images-dir "$dir" --image no-suite --package "$DEB" --out "$OUTDIR"
    one_line_exit_2
    [[ "$output" == *"missing 'suite'"* ]]
}

@test "report re-renders a saved report.json as md, junit and tap" {
    run -0 "$PORTCHECK" report tests/fixtures/report.json --format md
    [[ "$output" == *"| debian-bookworm |"* ]]
    run -0 "$PORTCHECK" report tests/fixtures/report.json --format junit --output "$BATS_TEST_TMPDIR/junit.xml"
    run -0 xmllint --noout "$BATS_TEST_TMPDIR/junit.xml"
    run -0 "$PORTCHECK" report tests/fixtures/report.json --format tap
    [[ "${lines[1]}" == "1..3" ]]
    [[ "$output" == *"ok 1 - debian-bookworm baseline"* ]]
}

@test "report refuses a file that is not a report" {
    echo '{"x":1}' > "$BATS_TEST_TMPDIR/not-report.json"
    run "$PORTCHECK" report "$BATS_TEST_TMPDIR/not-report.json" --format md
    [ "$status" -eq 2 ]
    run "$PORTCHECK" report tests/fixtures/report.json --format pdf
    [ "$status" -eq 2 ]
}
