#!/usr/bin/env bats
# The README's promise: on a bare Debian 12 machine the make targets install
# everything they need. A minbase bookworm root plus make and git
# (tools/bare-root-image, cached by date) gets a fresh clone of this tree
# (the working tree's tracked files, as `git stash create` records them) and
# runs what every README target sets up: `make check-prereqs` covers the
# harness, deb and rpm builds, the image tools and what the suites need.
# Each run is a throwaway overlay (tools/bare-root-run); downloaded .debs are
# cached: about 4 minutes warm on a quiet 2-core machine (251 s measured),
# 9 to 13 when other jobs load it.

bats_require_minimum_version 1.5.0

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    [ "$(id -u)" -eq 0 ] || return 0
    [ ! -e /etc/portcheck-bare-root ] || return 0
    tools/ensure-packages mmdebstrap >&2
    BARE_ROOT=$(tools/bare-root-image)
    export BARE_ROOT
}

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    [ "$(id -u)" -eq 0 ] || skip "needs root: mmdebstrap, mounts and chroot"
    # An overlay's upper dir cannot be on an overlay: and this run is the proof.
    [ ! -e /etc/portcheck-bare-root ] || skip "this run is itself in a bare root (tools/bare-root-run)"
    REV=$(git stash create)
    REV=${REV:-HEAD}
}

teardown() {
    # Whatever happened inside, no mount of a throwaway root is left here
    # (the mount point, field 5: an overlay's options name its upper dir).
    [ -z "$(awk 'index($5, "/tmp/bare-root.") == 1' /proc/self/mountinfo)" ]
}

@test "bare root: / is a mount point, unshare --mount --net works, the clone is this tree" {
    run -0 tools/bare-root-run "$BARE_ROOT" . "$REV" \
        sh -c 'mountpoint -q / && unshare --mount --net true && git rev-parse HEAD'
    [ "${lines[-1]}" = "$(git rev-parse "$REV")" ]
}

@test "bare root: make check-prereqs from a fresh clone installs what it needs and builds everything" {
    run tools/bare-root-run "$BARE_ROOT" . "$REV" sh -c \
        'make check-prereqs && ls out/*.deb out/*.rpm out/broken/*.deb harness/build/portcheck harness/build/fuzz_guest_line'
    # On failure, what went wrong inside: the end of the run.
    [ "$status" -eq 0 ] || { tail -n 25 <<<"$output"; false; }
    [[ "$output" == *"ensure-packages: installing "*"build dependencies of ./packaging"* ]]
    [[ "$output" == *harness/build/fuzz_guest_line* ]]
    # The lint ran with trixie's lintian, as on the host: its root could be made.
    [[ "$output" != *"using the host's lintian"* ]]
}

@test "negative control: without libc6-dev in the harness's list, the harness build fails in the bare root" {
    run tools/bare-root-run "$BARE_ROOT" . "$REV" sh -c \
        'sed -i "s/ libc6-dev / /" harness/harness.mk && ! grep -q libc6-dev harness/harness.mk && make portcheck'
    [ "$status" -eq 2 ] || { tail -n 25 <<<"$output"; false; }
    [[ "$output" == *"stdio.h: No such file or directory"* ]]
}
