#!/usr/bin/env bats
# The image recipes and build-image around them, without building a real
# image: every recipe validates; a bad recipe is one line and exit 2; a
# Fedora build without a mirror ends at once with exit 3 and the setting to
# fix; the cache key follows the recipe; the build lock. Builds that must
# run use a stub builder in a private copy of vm-images/ and a private cache.

bats_require_minimum_version 1.5.0

setup_file() {
    cd "$BATS_TEST_DIRNAME/.."
    # A private copy: bad recipes and the stub builder never touch the tree.
    export COPY=$BATS_FILE_TMPDIR/copy
    mkdir -p "$COPY"
    cp -a vm-images "$COPY/"
    cat > "$COPY/vm-images/builders/stub.sh" <<'EOF'
# A builder that makes a fake image in a moment; $STUB_LOG counts its runs.
build_image() {
    local work=$1
    echo "$name $$" >> "$STUB_LOG"
    sleep "${STUB_SLEEP:-0}"
    : > "$work/rootfs.raw"
    : > "$work/vmlinuz"
    : > "$work/initrd.img"
    : > "$work/fastboot.cpio.gz"
    echo 6.1.0-stub > "$work/kernel-version"
    echo "Stub Linux" > "$work/os-release-name"
}
EOF
    # Two tiny .debs that differ only in content, for recipes with
    # preinstall = deb (the real package is not needed to check the cache).
    for v in 1 2; do
        mkdir -p "$BATS_FILE_TMPDIR/deb$v/DEBIAN"
        printf 'Package: stub-pkg\nVersion: 0.%s\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: stub\n' \
            "$v" > "$BATS_FILE_TMPDIR/deb$v/DEBIAN/control"
        dpkg-deb -b --root-owner-group "$BATS_FILE_TMPDIR/deb$v" "$BATS_FILE_TMPDIR/stub-$v.deb" >/dev/null
    done
    export STUB_DEB1=$BATS_FILE_TMPDIR/stub-1.deb STUB_DEB2=$BATS_FILE_TMPDIR/stub-2.deb
    printf 'distro = debian\nsuite = bookworm\ninit = systemd\npackage_format = deb\nbuilder = stub\npreinstall = deb\n' \
        > "$COPY/vm-images/recipes/stub-pre.conf"
    for n in a b; do
        printf 'distro = debian\nsuite = bookworm\ninit = systemd\npackage_format = deb\nbuilder = stub\n' \
            > "$COPY/vm-images/recipes/stub-$n.conf"
    done
}

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    export PORTCHECK_CACHE=$BATS_TEST_TMPDIR/cache
    export STUB_LOG=$BATS_TEST_TMPDIR/stub.log
    BUILD=$COPY/vm-images/build-image
}

# A recipe in the private copy from the given lines.
recipe() {
    local name=$1
    shift
    printf '%s\n' "$@" > "$COPY/vm-images/recipes/$name.conf"
}

one_line_exit_2() {
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
}

@test "every recipe in vm-images/recipes passes build-image --check" {
    n=0
    for f in vm-images/recipes/*.conf; do
        name=$(basename "$f" .conf)
        PORTCHECK_PREINSTALL_DEB=$STUB_DEB1 run vm-images/build-image --check "$name"
        echo "$name: $output"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        n=$((n + 1))
    done
    [ "$n" -ge 8 ]
}

@test "the matrix has the Debian releases, sysvinit, rpm and Fedora" {
    for name in debian-bullseye debian-bookworm debian-trixie debian-sid debian-bookworm-sysvinit \
        debian-bookworm-rpm fedora-44 fedora-45; do
        [ -f "vm-images/recipes/$name.conf" ]
    done
    grep -qx 'init = sysvinit' vm-images/recipes/debian-bookworm-sysvinit.conf
    grep -qx 'package_format = rpm' vm-images/recipes/debian-bookworm-rpm.conf
}

@test "a Fedora build with no reachable mirror exits 3 at once, naming PORTCHECK_FEDORA_MIRROR" {
    # Port 9 on loopback refuses at once: unreachable on any machine.
    SECONDS=0
    PORTCHECK_FEDORA_MIRROR=http://127.0.0.1:9/fedora run --separate-stderr vm-images/build-image fedora-44
    [ "$SECONDS" -le 15 ]
    [ "$status" -eq 3 ]
    [ -z "$output" ]
    last=${stderr_lines[-1]}
    echo "$last"
    [[ "$last" == "fedora-44: no Fedora mirror reachable (tried http://127.0.0.1:9/fedora): "* ]]
    [[ "$last" == *"set PORTCHECK_FEDORA_MIRROR=URL"* ]]
    [[ "$last" == *"vm-images/recipes/fedora-44.conf"* ]]
    [ -z "$(ls -A "$PORTCHECK_CACHE/images" | grep -v -e '^\.fedora-44\.lock$' -e '^\.cache\.lock$')" ]
}

@test "a Fedora build with the default mirrors exits 3 within 15 s when they are unreachable" {
    if curl -fsS -o /dev/null --connect-timeout 3 --max-time 6 \
        https://dl.fedoraproject.org/pub/fedora/linux/releases/42/Everything/x86_64/os/repodata/repomd.xml 2>/dev/null; then
        skip "a Fedora mirror is reachable here: a real build would run"
    fi
    unset PORTCHECK_FEDORA_MIRROR
    SECONDS=0
    run --separate-stderr vm-images/build-image fedora-45
    [ "$SECONDS" -le 15 ]
    [ "$status" -eq 3 ]
    [[ "${stderr_lines[-1]}" == "fedora-45: no Fedora mirror reachable (tried https://"*"PORTCHECK_FEDORA_MIRROR=URL"* ]]
}

@test "a Fedora recipe with a release that is not a number exits 2" {
    recipe fedora-bad 'distro = fedora' 'release = forty' 'init = systemd' 'package_format = rpm'
    run -0 "$BUILD" --check fedora-bad    # generic checks only
    PORTCHECK_FEDORA_MIRROR=http://127.0.0.1:9 run --separate-stderr "$BUILD" fedora-bad
    [ "$status" -eq 2 ]
    [[ "${stderr_lines[-1]}" == *"release 'forty' is not a Fedora release number"* ]]
}

@test "a recipe with an unknown key: exit 2, one line naming the key" {
    recipe bad-key 'distro = debian' 'suite = bookworm' 'init = systemd' 'package_format = deb' 'colour = blue'
    run "$BUILD" --check bad-key
    one_line_exit_2
    [[ "$output" == *"unknown key 'colour'"* ]]
    run "$BUILD" bad-key
    one_line_exit_2
}

@test "backports in a Fedora recipe: exit 2, one line; a Debian recipe with backports passes the check" {
    recipe fedora-backports 'distro = fedora' 'release = 45' 'init = systemd' 'package_format = rpm' 'backports = foo'
    run "$BUILD" --check fedora-backports
    one_line_exit_2
    [[ "$output" == *"backports is for Debian recipes"* ]]
    recipe debian-backports 'distro = debian' 'suite = bookworm' 'init = systemd' 'package_format = deb' \
        'backports = linux-sysctl-defaults'
    run -0 "$BUILD" --check debian-backports
}

@test "a Debian recipe without suite, a Fedora one without release: exit 2, one line" {
    recipe no-suite 'distro = debian' 'init = systemd' 'package_format = deb'
    run "$BUILD" --check no-suite
    one_line_exit_2
    [[ "$output" == *"missing 'suite'"* ]]
    recipe no-release 'distro = fedora' 'init = systemd' 'package_format = rpm'
    run "$BUILD" --check no-release
    one_line_exit_2
    [[ "$output" == *"missing 'release'"* ]]
}

@test "a recipe with a bad init or package format: exit 2, one line" {
    recipe bad-init 'distro = debian' 'suite = bookworm' 'init = openrc' 'package_format = deb'
    run "$BUILD" --check bad-init
    one_line_exit_2
    [[ "$output" == *"init 'openrc' is not systemd or sysvinit"* ]]
    recipe bad-format 'distro = debian' 'suite = bookworm' 'init = systemd' 'package_format = apk'
    run "$BUILD" --check bad-format
    one_line_exit_2
}

@test "a recipe with shell metacharacters is refused: exit 2, one line, nothing run" {
    for value in 'nginx$(touch PWNED)' 'nginx; touch PWNED' 'nginx`touch PWNED`' 'a | b' 'a && b' "a'b"; do
        recipe meta 'distro = debian' 'suite = bookworm' 'init = systemd' 'package_format = deb' "packages = $value"
        run "$BUILD" --check meta
        one_line_exit_2
        [[ "$output" == *"shell metacharacter"* ]]
    done
    [ ! -e PWNED ] && [ ! -e "$COPY/PWNED" ]
}

@test "a line that is not key = value, or an unknown image: exit 2, one line" {
    recipe not-kv 'distro = debian' 'suite bookworm'
    run "$BUILD" --check not-kv
    one_line_exit_2
    run "$BUILD" --check no-such-image
    one_line_exit_2
    [[ "$output" == *"no recipe for image 'no-such-image'"* ]]
}

@test "the image hash changes with its recipe, not with another recipe" {
    run -0 --separate-stderr "$BUILD" stub-a
    first=$output
    [[ "$first" == "$PORTCHECK_CACHE/images/stub-a-"* ]]
    [ -f "$first/image.json" ]
    # Unchanged: the cached image, no second build.
    run -0 --separate-stderr "$BUILD" stub-a
    [ "$output" = "$first" ]
    [ "$(wc -l < "$STUB_LOG")" -eq 1 ]
    # Another recipe changes: same hash.
    echo 'description = changed' >> "$COPY/vm-images/recipes/stub-b.conf"
    run -0 --separate-stderr "$BUILD" stub-a
    [ "$output" = "$first" ]
    # Its own recipe changes: a new hash, a new build.
    cp "$COPY/vm-images/recipes/stub-a.conf" "$BATS_TEST_TMPDIR/saved.conf"
    echo 'packages = curl' >> "$COPY/vm-images/recipes/stub-a.conf"
    run -0 --separate-stderr "$BUILD" stub-a
    cp "$BATS_TEST_TMPDIR/saved.conf" "$COPY/vm-images/recipes/stub-a.conf"
    [[ "$output" == "$PORTCHECK_CACHE/images/stub-a-"* ]]
    [ "$output" != "$first" ]
    [ "$(wc -l < "$STUB_LOG")" -eq 2 ]
}

@test "two concurrent builds of one image: one build, both print the same directory" {
    STUB_SLEEP=2 "$BUILD" stub-a > "$BATS_TEST_TMPDIR/1.out" 2>/dev/null &
    p1=$!
    STUB_SLEEP=2 "$BUILD" stub-a > "$BATS_TEST_TMPDIR/2.out" 2>/dev/null &
    p2=$!
    wait "$p1"
    wait "$p2"
    [ -s "$BATS_TEST_TMPDIR/1.out" ]
    [ "$(cat "$BATS_TEST_TMPDIR/1.out")" = "$(cat "$BATS_TEST_TMPDIR/2.out")" ]
    [ "$(wc -l < "$STUB_LOG")" -eq 1 ]
    # And once cached, two at once still agree, with no build at all.
    "$BUILD" stub-a > "$BATS_TEST_TMPDIR/3.out" 2>/dev/null &
    p3=$!
    "$BUILD" stub-a > "$BATS_TEST_TMPDIR/4.out" 2>/dev/null &
    p4=$!
    wait "$p3"
    wait "$p4"
    [ "$(cat "$BATS_TEST_TMPDIR/3.out")" = "$(cat "$BATS_TEST_TMPDIR/1.out")" ]
    [ "$(cat "$BATS_TEST_TMPDIR/4.out")" = "$(cat "$BATS_TEST_TMPDIR/1.out")" ]
    [ "$(wc -l < "$STUB_LOG")" -eq 1 ]
    # No half-made image or temporary directory is left.
    [ -z "$(find "$PORTCHECK_CACHE/images" -maxdepth 1 -name '.*.tmp.*')" ]
}

@test "the sysvinit agent script: valid sh, LSB header after procps, mounts vdb read-only" {
    f=vm-images/guest/portcheck-agent.init
    sh -n "$f"
    grep -Eq '^# Required-Start:.*\<procps\>' "$f"
    grep -Eq '^# Default-Start:[[:space:]]+2 3 4 5$' "$f"
    grep -Eq '^# Default-Stop:[[:space:]]+0 1 6$' "$f"
    grep -q 'mount -o ro "\$DEVICE" "\$MNT"' "$f"
}

@test "the builders are valid bash" {
    for f in vm-images/builders/*.sh vm-images/build-image vm-images/recipe.sh; do
        bash -n "$f"
    done
}

@test "preinstall = deb without a usable .deb: exit 2, one line naming the fix" {
    PORTCHECK_PREINSTALL_DEB= run "$BUILD" --check stub-pre
    one_line_exit_2
    [[ "$output" == *"pass --package with a .deb to portcheck run"* ]]
    PORTCHECK_PREINSTALL_DEB=$BATS_TEST_TMPDIR/none.deb run "$BUILD" --check stub-pre
    one_line_exit_2
    [[ "$output" == *"no such file"* ]]
    echo 'not a deb' > "$BATS_TEST_TMPDIR/junk.deb"
    PORTCHECK_PREINSTALL_DEB=$BATS_TEST_TMPDIR/junk.deb run "$BUILD" --check stub-pre
    one_line_exit_2
    [[ "$output" == *"not a .deb dpkg-deb can read"* ]]
    cp "$STUB_DEB1" "$BATS_TEST_TMPDIR/with,comma.deb"
    PORTCHECK_PREINSTALL_DEB="$BATS_TEST_TMPDIR/with,comma.deb" run "$BUILD" --check stub-pre
    one_line_exit_2
    # The positive control: the same recipe with a real .deb validates.
    PORTCHECK_PREINSTALL_DEB=$STUB_DEB1 run -0 "$BUILD" --check stub-pre
    # And only a deb image can bake one in.
    recipe pre-rpm 'distro = debian' 'suite = bookworm' 'init = systemd' 'package_format = rpm' 'preinstall = deb'
    PORTCHECK_PREINSTALL_DEB=$STUB_DEB1 run "$BUILD" --check pre-rpm
    one_line_exit_2
    [[ "$output" == *"preinstall = deb needs package_format = deb"* ]]
}

@test "a baked-in package's sha256 is in the image hash and in image.json; the host value is recorded" {
    PORTCHECK_PREINSTALL_DEB=$STUB_DEB1 run -0 --separate-stderr "$BUILD" stub-pre
    first=$output
    jq -e --arg sha "$(sha256sum "$STUB_DEB1" | cut -d' ' -f1)" \
        '.preinstalled.sha256 == $sha and .preinstalled.name == "stub-pkg" and .preinstalled.version == "0.1"
         and .preinstalled.host_port_start_before == .preinstalled.host_port_start_after' "$first/image.json"
    [ "$(jq .preinstalled.host_port_start_after "$first/image.json")" = "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" ]
    # The same package: the cached image.
    PORTCHECK_PREINSTALL_DEB=$STUB_DEB1 run -0 --separate-stderr "$BUILD" stub-pre
    [ "$output" = "$first" ]
    [ "$(wc -l < "$STUB_LOG")" -eq 1 ]
    # Another package: another hash, a new build.
    PORTCHECK_PREINSTALL_DEB=$STUB_DEB2 run -0 --separate-stderr "$BUILD" stub-pre
    [[ "$output" == "$PORTCHECK_CACHE/images/stub-pre-"* ]]
    [ "$output" != "$first" ]
    [ "$(wc -l < "$STUB_LOG")" -eq 2 ]
    # An image without preinstall records none.
    run -0 --separate-stderr "$BUILD" stub-a
    [ "$(jq .preinstalled "$output/image.json")" = null ]
}
