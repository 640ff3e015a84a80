#!/usr/bin/env bats
# The package as image vendors ship it: baked into debian-bookworm-preinstalled
# by mmdebstrap in its chroot (recipe key preinstall = deb), never installed
# at runtime. The build must leave the host's value alone (it shares the
# host's netns: a postinst that applied the key would change it), the first
# boot gives 80, the admin's mask gives 1024 after a reboot, and every other
# scenario skips on that image saying why (vm.bats and matrix.bats check the
# converse: preinstalled skips on the images without the package baked in). Needs `make portcheck deb`; builds
# the image on first use and again only when the .deb changes.

bats_require_minimum_version 1.5.0

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    export PORTCHECK=$PWD/harness/build/portcheck
    export P_OUT=$PWD/out/test-preinstalled
    export REPORTS=$P_OUT
    rm -rf "$P_OUT"
    mkdir -p "$P_OUT"
    cat /proc/sys/net/ipv4/ip_unprivileged_port_start > "$P_OUT/host-value-before"
    "$PORTCHECK" run --image debian-bookworm-preinstalled --scenario all --jobs 1 \
        --package out/unprivileged-ports_0.1.0_all.deb --out "$P_OUT/good" > "$P_OUT/good.log" 2>&1 && rc=0 || rc=$?
    echo "$rc" > "$P_OUT/good.rc"
}

load report_lookup

POSTINST_SILENT='.preinstalled.build_log | (map(startswith("Setting up unprivileged-ports ")) | index(true)) as $i
    | $i != null and (.[$i + 1:] | all(contains("unprivileged-ports")))'

image_json() {
    local dir
    dir=$(PORTCHECK_PREINSTALL_DEB=$PWD/out/unprivileged-ports_0.1.0_all.deb vm-images/build-image debian-bookworm-preinstalled 2>/dev/null)
    cat "$dir/image.json"
}

@test "preinstalled: exit 0, the scenario passes, every other one skips saying why" {
    cat "$P_OUT/good.log"
    [ "$(cat "$P_OUT/good.rc")" = 0 ]
    [ "$(status_of good preinstalled)" = pass ]
    run -0 jq -e '[.runs[0].scenarios[] | select(.name != "preinstalled")] | length >= 12 and
        all(.status == "skip" and .reason == "the package is baked into this image: only the preinstalled scenario runs here")' \
        "$P_OUT/good/report.json"
}

@test "preinstalled: 80 at the first boot with every bind check, 1024 after the mask and a real reboot" {
    [ "$(gots_of good preinstalled sysctl)" = "80,1024" ]
    [ "$(gots_of good preinstalled tcp4:80)" = ok,EACCES ]
    [ "$(gots_of good preinstalled udp6:443)" = ok,EACCES ]
    [ "$(gots_of good preinstalled tcp4:22)" = EACCES,EACCES ]
    [ "$(got_of good preinstalled run:package-installed)" = "exit 0" ]
    [ "$(got_of good preinstalled boot_id)" = changed ]
}

@test "preinstalled: the build left the host's value alone, and the image holds the run's own .deb" {
    before=$(cat "$P_OUT/host-value-before")
    [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$before" ]
    [ "$(got_of good preinstalled build_host_port_start)" = "$before" ]
    [ "$(got_of good preinstalled preinstalled_sha256)" = "$(sha256sum out/unprivileged-ports_0.1.0_all.deb | cut -d' ' -f1)" ]
}

@test "preinstalled: the postinst ran in a chroot with no init running, and the build log shows it printed nothing" {
    run -0 image_json
    json=$output
    jq -e '.preinstalled.chroot == ["ischroot -t: a chroot", "/run/systemd/system: absent", "/run/initctl: absent"]' <<<"$json"
    jq -e '.preinstalled.build_log | any(startswith("Setting up unprivileged-ports"))' <<<"$json"
    jq -e '.preinstalled.dpkg_log | any(test("status installed unprivileged-ports:all"))' <<<"$json"
    # The build log keeps what follows "Setting up" until dpkg's next line:
    # the postinst's own output. Every line kept after it names the package
    # (the .deb's unmount), so the postinst printed nothing.
    jq -e "$POSTINST_SILENT" <<<"$json"
    # The negative control: a line the postinst printed would be seen.
    run ! jq -e "$POSTINST_SILENT" <<<'{"preinstalled": {"build_log": ["Setting up unprivileged-ports (0.1.0-1) ...", "applied net.ipv4"]}}'

}
