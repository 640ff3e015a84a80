#!/usr/bin/env bats
# Beyond the default image, in CI: Debian bookworm with sysvinit (procps's
# init script applies sysctl.d at boot, no systemd anywhere) runs every
# scenario that needs no systemd, with the .deb and with a broken .deb; a
# Fedora image, which this machine cannot build (no mirror), ends `skip`
# with the setting to fix. Needs what `make check-prereqs` builds; builds
# the sysvinit image on first use (about a minute), then reuses it.

bats_require_minimum_version 1.5.0

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    export PORTCHECK=$PWD/harness/build/portcheck
    export M_OUT=$PWD/out/test-matrix
    export REPORTS=$M_OUT
    rm -rf "$M_OUT"
    mkdir -p "$M_OUT"
    "$PORTCHECK" run --image debian-bookworm-sysvinit --scenario all \
        --package out/unprivileged-ports_0.1.0_all.deb --old-package out/unprivileged-ports_0.0.1_all.deb \
        --out "$M_OUT/good" > "$M_OUT/good.log" 2>&1 && rc=0 || rc=$?
    echo "$rc" > "$M_OUT/good.rc"
    accel=$(jq -r '.runs[0].accel // "auto"' "$M_OUT/good/report.json" 2>/dev/null || echo auto)
    "$PORTCHECK" run --image debian-bookworm-sysvinit --accel "$accel" --scenario baseline,install,reboot,cold-boot \
        --package out/broken/unprivileged-ports_0.1.0_all.deb --out "$M_OUT/broken" > "$M_OUT/broken.log" 2>&1 \
        && rc=0 || rc=$?
    echo "$rc" > "$M_OUT/broken.rc"
    PORTCHECK_FEDORA_MIRROR=http://127.0.0.1:9/fedora "$PORTCHECK" run --image fedora-45 --accel "$accel" \
        --scenario baseline,install,reboot --package out/unprivileged-ports-0.1.0-1.noarch.rpm \
        --out "$M_OUT/fedora" > "$M_OUT/fedora.log" 2>&1 && rc=0 || rc=$?
    echo "$rc" > "$M_OUT/fedora.rc"
}

load report_lookup
load procs

@test "sysvinit: exit 0; every scenario that needs no systemd passes, the others skip saying so" {
    cat "$M_OUT/good.log"
    [ "$(cat "$M_OUT/good.rc")" = 0 ]
    jq -e '.runs[0].init == "sysvinit"' "$M_OUT/good/report.json"
    for sc in baseline install reboot cold-boot override mask remove purge runtime-only upgrade kernel-cmdline; do
        [ "$(status_of good "$sc")" = pass ] || { echo "$sc: $(status_of good "$sc")"; false; }
    done
    run -0 jq -r '.runs[0].scenarios[] | select(.status=="skip") | .reason' "$M_OUT/good/report.json"
    [ "${#lines[@]}" -ge 1 ]
    for l in "${lines[@]}"; do
        [[ "$l" == "needs systemd in the image"* || "$l" == "this image has no /usr/lib/sysctl.d/50-default.conf"* ||
            "$l" == "needs an image with the package preinstalled"* ]]
    done
}

@test "sysvinit: 1024 and EACCES before, 80 after install, after a real reboot and a cold boot" {
    [ "$(got_of good baseline sysctl)" = 1024 ]
    [ "$(got_of good baseline tcp4:80)" = EACCES ]
    [ "$(got_of good install sysctl)" = 80 ]
    [ "$(got_of good install tcp6:443)" = ok ]
    [ "$(got_of good install tcp4:22)" = EACCES ]
    [ "$(got_of good reboot boot_id)" = changed ]
    [ "$(got_of good reboot sysctl)" = 80 ]
    [ "$(got_of good cold-boot sysctl)" = 80 ]
    [ "$(gots_of good runtime-only sysctl)" = "80,1024" ]
}

@test "sysvinit: the broken package fails install, reboot and cold-boot (exit 1)" {
    cat "$M_OUT/broken.log"
    [ "$(cat "$M_OUT/broken.rc")" = 1 ]
    [ "$(status_of broken baseline)" = pass ]
    for sc in install reboot cold-boot; do [ "$(status_of broken "$sc")" = fail ]; done
    [ "$(got_of broken reboot tcp4:80)" = EACCES ]
}

@test "fedora without a mirror: skip, with the setting that points at one, exit 0" {
    cat "$M_OUT/fedora.log"
    [ "$(cat "$M_OUT/fedora.rc")" = 0 ]
    run -0 jq -r '.runs[0].scenarios[] | "\(.status) \(.reason)"' "$M_OUT/fedora/report.json"
    [ "${#lines[@]}" = 3 ]
    for l in "${lines[@]}"; do [[ "$l" == "skip "*"PORTCHECK_FEDORA_MIRROR"* ]]; done
    grep -q '^| fedora-45 | .* | skip | skip | skip |$' "$M_OUT/fedora/report.md"
}

@test "no qemu left behind" {
    assert_no_qemu_of "$M_OUT/"
}

# The check above is only worth something if it can fail: a process named
# like qemu (comm cut to qemu-system-x86) with this run's out dir in its
# command line must be found.
@test "negative control: a live qemu of the run makes the no-qemu check fail" {
    no_qemu_check_can_fail "$M_OUT/"
}
