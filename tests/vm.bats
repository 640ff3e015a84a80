#!/usr/bin/env bats
# The real thing: a Debian bookworm VM under qemu (its own kernel, systemd
# and procps) runs every scenario with the package, and a deliberately broken
# package (no sysctl file) makes the positive scenarios fail: the checks can
# fail. Needs what `make check-prereqs` builds. About 10 minutes under TCG.

bats_require_minimum_version 1.5.0

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    export REPO=$PWD PORTCHECK=$PWD/harness/build/portcheck
    export VM_OUT=$PWD/out/test-vm
    export REPORTS=$VM_OUT
    rm -rf "$VM_OUT"
    mkdir -p "$VM_OUT"
    cat /proc/sys/net/ipv4/ip_unprivileged_port_start > "$VM_OUT/host-value-before"
    # One run per package; the tests below read their reports.
    "$PORTCHECK" run --image debian-bookworm --scenario all \
        --package out/unprivileged-ports_0.1.0_all.deb --old-package out/unprivileged-ports_0.0.1_all.deb \
        --out "$VM_OUT/good" > "$VM_OUT/good.log" 2>&1 && rc=0 || rc=$?
    echo "$rc" > "$VM_OUT/good.rc"
    accel=$(jq -r '.runs[0].accel // "auto"' "$VM_OUT/good/report.json" 2>/dev/null || echo auto)
    "$PORTCHECK" run --image debian-bookworm --accel "$accel" \
        --scenario baseline,install,reboot,cold-boot,user-service-http,toolbox-host-netns,nfs-secure-export \
        --package out/broken/unprivileged-ports_0.1.0_all.deb --out "$VM_OUT/broken" > "$VM_OUT/broken.log" 2>&1 && rc=0 || rc=$?
    echo "$rc" > "$VM_OUT/broken.rc"
}

load report_lookup
load procs

@test "with the package, portcheck exits 0 and every scenario passes" {
    cat "$VM_OUT/good.log"
    [ "$(cat "$VM_OUT/good.rc")" = 0 ]
    run -0 jq -e '[.runs[0].scenarios[] | select(.name == "preinstalled" or .name == "docker-netns" | not)
        | .status] | length >= 14 and all(. == "pass")' "$VM_OUT/good/report.json"
    # preinstalled runs only on an image with the package baked in.
    run -0 jq -e '.runs[0].scenarios[] | select(.name == "preinstalled") | .status == "skip" and
        (.reason | startswith("needs an image with the package preinstalled"))' "$VM_OUT/good/report.json"
    # docker.io is in the trixie image only (make matrix): here it skips, naming what is missing.
    run -0 jq -e '.runs[0].scenarios[] | select(.name == "docker-netns") | .status == "skip" and
        (.reason | startswith("the image lacks docker.io"))' "$VM_OUT/good/report.json"
}

@test "distro-default: the upstream line in bookworm-backports' 50-default.conf gives 80; /etc and a later 1024 win" {
    [ "$(status_of good distro-default)" = pass ]
    [ "$(gots_of good distro-default sysctl)" = "80,1024,80,80" ]
    [ "$(gots_of good distro-default tcp4:79)" = "EACCES,EACCES,EACCES,EACCES" ]
    [ "$(status_of good distro-default-order)" = pass ]
    [ "$(gots_of good distro-default-order sysctl)" = "80,1024" ]
}

@test "lifecycle: runtime-only is lost at reboot, override and mask win, remove and purge restore 1024" {
    [ "$(gots_of good runtime-only sysctl)" = "80,1024" ]
    [ "$(got_of good override sysctl)" = 1024 ]
    [ "$(got_of good mask sysctl)" = 1024 ]
    [ "$(gots_of good remove sysctl)" = "80,1024,1024,80,80" ]
    [ "$(got_of good purge run:nothing-left)" = "exit 0" ]
    [ "$(got_of good kernel-cmdline sysctl)" = 80 ]
}

@test "user-service-http: no page without the package, both pages after install and reboot" {
    got=$(jq -r '.runs[0].scenarios[] | select(.name=="user-service-http") | [.checks[] | select(.what|startswith("http")) | .got] | join(",")' "$VM_OUT/good/report.json")
    [[ "$got" == "no page (curl exit "*"),portcheck user-service ok,portcheck user-service ok" ]]
    [ "$(got_of good user-service-http refused-without-package:bind)" = EACCES ]
}

@test "containers: host netns follows the host package, private netns stay at 1024, nspawn applies its own" {
    [ "$(got_of good toolbox-host-netns host-netns-without:tcp4:80)" = EACCES ]
    [ "$(got_of good toolbox-host-netns host-netns-with:tcp4:80)" = ok ]
    [ "$(got_of good toolbox-inside-only toolbox:sysctl)" = 1024 ]
    [ "$(got_of good podman-private-netns private-netns:sysctl)" = 1024 ]
    [ "$(got_of good podman-private-netns private-netns:tcp4:80)" = EACCES ]
    [ "$(got_of good podman-private-netns private-netns-root:tcp4:80)" = ok ]
    [ "$(got_of good userns-unshare userns:tcp4:80)" = EACCES ]
    [ "$(got_of good userns-unshare userns-root:tcp4:80)" = ok ]
    [ "$(got_of good nspawn-boot nspawn-without-package:sysctl)" = 1024 ]
    [ "$(got_of good nspawn-boot nspawn-with-package:sysctl)" = 80 ]
    [ "$(got_of good nspawn-boot nspawn-with-package:tcp4:80)" = ok ]
    [ "$(got_of good podman-publish run:publish-refused)" != "exit 0" ]
    [ "$(got_of good podman-publish http:80)" = "portcheck container ok" ]
}

@test "reuseport-hijack: root's SO_REUSEPORT port 80 is refused to a user, EACCES without the package, EADDRINUSE with it" {
    [ "$(status_of good reuseport-hijack)" = pass ]
    [ "$(got_of good reuseport-hijack reuseport-without:user-tcp)" = EACCES ]
    [ "$(got_of good reuseport-hijack reuseport-with:user-tcp)" = EADDRINUSE ]
    [ "$(got_of good reuseport-hijack reuseport-with:user-udp)" = EADDRINUSE ]
    [ "$(got_of good reuseport-hijack reuseport-with:user-free-tcp)" = ok ]
    [ "$(got_of good reuseport-hijack reuseport-8080:user-tcp)" = EADDRINUSE ]
}

@test "nfs-secure-export (the finding): secure refuses the user without the package; with it nfs-cat reads the file" {
    [ "$(status_of good nfs-secure-export)" = pass ]
    [ "$(got_of good nfs-secure-export nfs-cat-without:read)" = refused ]
    [ "$(got_of good nfs-secure-export mountd-without:verdict)" = illegal-port ]
    [ "$(got_of good nfs-secure-export nfs-cat-with:read)" = the-file ]
    [ "$(got_of good nfs-secure-export mountd-with:verdict)" = authenticated ]
    run -0 jq -e '.objections[] | select(.scenario == "nfs-secure-export") | .measured[0].with | contains("portcheck nfs secret")' "$VM_OUT/good/report.json"
}

@test "exposure: the table names root's nginx on 80 and the names any user may bind; report.md shows it" {
    [ "$(status_of good exposure)" = pass ]
    [ "$(got_of good exposure exposure:tcp4:80)" = "0 nginx.service" ]
    run -0 jq -e '.runs[0].scenarios[] | select(.name == "exposure") | .exposure | (.services.ok | index("https/443/tcp")) and (.listen | length) >= 1' "$VM_OUT/good/report.json"
    grep -q '^## Objections, measured' "$VM_OUT/good/report.md"
    grep -q '^| 80 | tcp4 | ' "$VM_OUT/good/report.md"
}

@test "squat-before-service: the user's nginx takes 80 and the system's fails; a PID 1 socket on 80 wins 3 reboots" {
    [ "$(status_of good squat-before-service)" = pass ]
    [ "$(got_of good squat-before-service user-first:state)" = active ]
    [ "$(got_of good squat-before-service system-nginx:bind)" = EADDRINUSE ]
    [ "$(gots_of good squat-before-service boot_id)" = "changed,changed,changed" ]
    for n in 1 2 3; do [ "$(got_of good squat-before-service held-$n:bind)" = EADDRINUSE ]; done
}

@test "report.html is written beside the other reports" {
    [ -s "$VM_OUT/good/report.html" ]
    grep -q 'debian-bookworm' "$VM_OUT/good/report.html"
}

@test "baseline shows the kernel default: 1024 and EACCES on 80 and 443" {
    [ "$(got_of good baseline sysctl)" = 1024 ]
    [ "$(got_of good baseline tcp4:80)" = EACCES ]
    [ "$(got_of good baseline tcp6:443)" = EACCES ]
    [ "$(got_of good baseline udp4:80)" = EACCES ]
}

@test "after install: 80 at once, 80/443 bind over tcp4 tcp6 udp4 udp6, 22 25 53 79 stay EACCES" {
    [ "$(got_of good install sysctl)" = 80 ]
    for fam in tcp4 tcp6 udp4 udp6; do
        for port in 80 443 1023; do [ "$(got_of good install $fam:$port)" = ok ]; done
        for port in 22 25 53 79; do [ "$(got_of good install $fam:$port)" = EACCES ]; done
    done
}

@test "after a real reboot (boot_id changed) the setting still holds" {
    [ "$(got_of good reboot boot_id)" = changed ]
    [ "$(got_of good reboot sysctl)" = 80 ]
    [ "$(got_of good reboot tcp4:80)" = ok ]
    [ "$(got_of good reboot tcp4:22)" = EACCES ]
}

@test "bind results come with proof of no privilege" {
    run -0 jq -e '[.runs[0].scenarios[].checks[] | select(.what=="unprivileged") | .got | startswith("uid=65534 gid=65534 groups=0 capprm=0000000000000000 capinh=0000000000000000 capeff=0000000000000000 capamb=0000000000000000 capbnd=0000000000000000 nnp=1")] | all' "$VM_OUT/good/report.json"
}

@test "report.json has the documented shape and boot times" {
    run -0 jq -e '.schema == 1 and (.runs[0] | .image == "debian-bookworm" and .distro == "debian" and (.kernel|length) > 0 and .init == "systemd" and (.accel == "tcg" or .accel == "kvm") and .package.format == "deb" and (.boots | length) >= 2 and all(.boots[]; .seconds_to_hello > 0 and (.boot | length) > 0) and ([.boots[] | select(.seconds_to_verdict > 0)] | length) >= 2)' "$VM_OUT/good/report.json"
}

@test "junit.xml is well-formed and report.md has the matrix" {
    run -0 xmllint --noout "$VM_OUT/good/junit.xml"
    grep -q '^| debian-bookworm | .* | pass | pass | pass |$' "$VM_OUT/good/report.md"
}

@test "the broken package (no sysctl file) makes every positive scenario fail, exit 1" {
    cat "$VM_OUT/broken.log"
    [ "$(cat "$VM_OUT/broken.rc")" = 1 ]
    [ "$(status_of broken baseline)" = pass ]
    [ "$(status_of broken install)" = fail ]
    [ "$(status_of broken reboot)" = fail ]
    [ "$(status_of broken cold-boot)" = fail ]
    [ "$(status_of broken user-service-http)" = fail ]
    [ "$(status_of broken toolbox-host-netns)" = fail ]
    [ "$(got_of broken toolbox-host-netns host-netns-with:tcp4:80)" = EACCES ]
    [ "$(got_of broken install sysctl)" = 1024 ]
    [ "$(got_of broken reboot tcp4:80)" = EACCES ]
    # The NFS negative control: no file, no low source port, so `secure` still refuses the user.
    [ "$(status_of broken nfs-secure-export)" = fail ]
    [ "$(gots_of broken nfs-secure-export tcp4:1023)" = "EACCES,EACCES" ]
    [ "$(got_of broken nfs-secure-export nfs-cat-with:read)" = refused ]
    [ "$(got_of broken nfs-secure-export mountd-with:verdict)" = illegal-port ]
}

# One round of the three kinds (about 80 s under TCG on a loaded 2-core
# host); before the no-qemu check, which then covers the floor's qemu too.
@test "bench --runs 1: harness, reference and floor boots, the closing line and bench.json" {
    accel=$(jq -r '.runs[0].accel // "auto"' "$VM_OUT/good/report.json" 2>/dev/null || echo auto)
    run -0 "$PORTCHECK" bench --image debian-bookworm --runs 1 --accel "$accel" --out "$VM_OUT/bench"
    echo "$output"
    num='[0-9]+\.[0-9]{2}'
    line="^bench: harness median $num s, reference median $num s, floor median $num s, speedup $num, over floor $num\$"
    [[ "$(tail -n 1 <<<"$output")" =~ $line ]]
    run -0 jq -e '[.samples[].way] == ["harness", "reference", "floor"] and .floor.median > 0 and
        .floor.median < .harness.median and .over_floor > 1 and
        ([.samples[] | select(.way == "floor") | .port_start] == [1024])' "$VM_OUT/bench/bench.json"
}

@test "no qemu process is left behind" {
    assert_no_qemu_of "$VM_OUT/"
}

# The check above is only worth something if it can fail: a process named
# like qemu (comm cut to qemu-system-x86) with this run's out dir in its
# command line must be found.
@test "negative control: a live qemu of the run makes the no-qemu check fail" {
    no_qemu_check_can_fail "$VM_OUT/"
}

@test "the host's own ip_unprivileged_port_start is unchanged" {
    [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$(cat "$VM_OUT/host-value-before")" ]
}
