#!/usr/bin/env bats
# Fault injection (issue 6): every test injects one fault or bad input and
# asserts what the harness does about it. Faults end in a clear `error`
# with a reason, the next scenario or image still runs, the report is
# written, nothing is left running; bad input is one line naming the thing
# and the fix, exit 2, nothing written. The guest's garbage and lies come
# from fake agents (agents/fake-agent.c, one binary per mode) in real VMs.
#
# The VM injections (jobs.bash) start in setup_file and run in the
# background, FAULTS_JOBS at a time, while the quick tests run; their tests
# wait for them. Everything runs portcheck built with ASan/UBSan
# (harness/build/faults/portcheck-asan). Evidence: out/test-faults/.
# `make faults` runs this file through run-faults, which adds the summary
# line; `make check-faults` through tests/run-suites. About 3 minutes under
# TCG on 2 cores for the VM jobs, but the longest job (build_interrupted)
# builds debian-bookworm twice in a cache of its own, once interrupted: 5 min
# (298 s measured) on a quiet machine, 14-17 min on one busy with other VMs.
# Bad input already covered by tests/cli.bats (unknown scenario and image,
# missing package, non-package file, bad option values, an --out that
# cannot be made, missing agent, recipe with an unknown key or no suite) is
# not repeated here.

bats_require_minimum_version 1.5.0

load lib
load jobs

setup_file() {
    cd "$REPO"
    local f
    for f in "$PC" "$AGENT" "$FAKE" "$(fake_agent silent)" "$(fake_agent noproof)" "$(fake_agent escapes)" "$VERDICT" "$DEB"; do
        [ -e "$f" ] || { echo "missing $f: run make faults-prereqs" >&2; return 1; }
    done
    rm -rf "$FO"
    mkdir -p "$FO"
    : > "$LEDGER"
    host_value > "$FO/host-at-start"
    run_jobs > "$FO/jobs.log" 2>&1 3>&- &
}

teardown_file() {
    # Only after an aborted run can anything of ours still be running.
    sweep suite-teardown "$FO/"
}

setup() {
    cd "$REPO"
    T=$BATS_TEST_TMPDIR
}

# A fake image directory (no boot needed): build-image --check accepts any
# name, and `build-image NAME` hands out a directory whose files exist but
# hold no kernel; NAME nokernel has no vmlinuz at all.
fake_images() {
    local d=$1
    mkdir -p "$d/img" "$d/nokernel"
    echo "not a kernel" > "$d/img/vmlinuz"
    for x in img nokernel; do
        echo "not an initramfs" > "$d/$x/fastboot.cpio.gz"
        truncate -s 64M "$d/$x/rootfs.raw"
        jq -n --arg n "$x" '{schema:1, name:$n, recipe_hash:"0", distro:"debian", suite:"bookworm", init:"systemd",
            package_format:"deb", kernel:"none", os:"none", cmdline:"", build_seconds:0}' > "$d/$x/image.json"
    done
    cat > "$d/build-image" <<EOF
#!/bin/bash
[ "\$1" = --check ] && exit 0
[ "\$1" = nokernel ] && { echo "$d/nokernel"; exit 0; }
echo "$d/img"
EOF
    chmod +x "$d/build-image"
}

# A copy of vm-images with a fake builder (recipe `tiny`): build-image's own
# locking, temp dir and rename, with a build that takes no time, or hangs
# half-way while $FAKE_BUILD_HOLD exists (with proc mounted in its tree, as
# mmdebstrap has it, when $FAKE_BUILD_MOUNT is set).
images_copy() {
    local d=$1
    mkdir -p "$d"
    cp -r "$VM_IMAGES/." "$d/"
    printf 'distro = debian\nsuite = bookworm\ninit = systemd\npackage_format = deb\nbuilder = fake\n' > "$d/recipes/tiny.conf"
    cat > "$d/builders/fake.sh" <<'EOF'
# Fault suite: a builder that fakes an image in moments.
build_image() {
    local work=$1
    echo "$$" >> "$cache/fake-builds"
    truncate -s 16M "$work/rootfs.raw"
    echo "fake kernel" > "$work/vmlinuz"
    if [ -n "${FAKE_BUILD_MOUNT:-}" ]; then
        mkdir -p "$work/root/proc"
        mount -t proc proc "$work/root/proc"
    fi
    if [ -n "${FAKE_BUILD_HOLD:-}" ]; then
        touch "$FAKE_BUILD_HOLD.started"
        while [ -e "$FAKE_BUILD_HOLD" ]; do sleep 0.1; done
    fi
    if [ -n "${FAKE_BUILD_MOUNT:-}" ]; then
        umount "$work/root/proc"
        rm -r "$work/root"
    fi
    sleep "${FAKE_BUILD_SLOW:-0}"
    echo "fake initrd" > "$work/initrd.img"
    echo "fake initramfs" > "$work/fastboot.cpio.gz"
    echo 6.1.0-fake > "$work/kernel-version"
    echo "Fake Debian" > "$work/os-release-name"
}
EOF
}

wait_file() {
    local end=$((SECONDS + $2))
    while [ ! -e "$1" ]; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.05
    done
}

# reject WHAT EXPECT [--images-dir DIR] ARGS...: portcheck run with ARGS is
# refused with one line holding EXPECT, exit 2, and writes nothing.
reject() {
    local what=$1 expect=$2 out=$T/out-$RANDOM
    shift 2
    run -2 timeout 20 "$PC" run --out "$out" --accel tcg --agent "$AGENT" "$@"
    echo "$what -> $output"
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == "portcheck: "*"$expect"* ]]
    [ ! -e "$out" ]
    rejected "$what"
}

# --------------------------------------------------------------- bad input

@test "bad input: a qemu that is not there, by path or by name: one line, exit 2" {
    reject "--qemu missing path" "qemu binary /nonexistent/qemu-system-x86_64 not found: apt-get install qemu-system-x86, or pass --qemu" \
        --qemu /nonexistent/qemu-system-x86_64
    reject "--qemu not on PATH" "qemu binary qemu-system-nothere not found" --qemu qemu-system-nothere
}

@test "bad input: package paths that are no package: directory, empty, truncated .deb, FIFO, two of one format" {
    mkdir "$T/dir.deb"
    : > "$T/empty.deb"
    head -c 300 "$DEB" > "$T/truncated.deb"
    mkfifo "$T/fifo.deb"
    reject "--package directory" "$T/dir.deb" --package "$T/dir.deb"
    reject "--package empty file" "$T/empty.deb is neither a .deb nor an .rpm" --package "$T/empty.deb"
    reject "--package truncated .deb" "cannot read package $T/truncated.deb" --package "$T/truncated.deb"
    [[ "$output" == *"make deb"* ]]
    # A FIFO must be refused, not block the open() forever.
    reject "--package FIFO" "$T/fifo.deb" --package "$T/fifo.deb"
    reject "--old-package not a package" "neither a .deb nor an .rpm" --package "$DEB" --old-package "$T/empty.deb"
    reject "two .deb packages" "two deb packages given to --package" --package "$DEB" --package "$DEB"
}

@test "bad input: --kernel-arg with a space, --mem out of range" {
    reject "--kernel-arg with a space" "--kernel-arg 'quiet init=/bin/sh' must be one argument" --kernel-arg "quiet init=/bin/sh"
    reject "--mem 64" "--mem '64' is not a number from 128 to 16384" --mem 64
}

@test "--kernel-arg given twice: both reach the boot's command line, in order" {
    fake_images "$T/images"
    # A qemu that only records its argv, one per line, and fails to start.
    printf '#!/bin/sh\nprintf "%%s\\n" "$@" > "%s/qemu-argv"\nexit 1\n' "$T" > "$T/fake-qemu"
    chmod +x "$T/fake-qemu"
    pc twoargs --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img --qemu "$T/fake-qemu" \
        --kernel-arg loglevel=7 --kernel-arg printk.devkmsg=on --scenario baseline
    [ "$(rc_of twoargs)" = 2 ]
    append=$(grep -A1 -x -e -append "$T/qemu-argv" | tail -1)
    echo "$append"
    [[ " $append " == *" loglevel=7 printk.devkmsg=on "* ]]
}

@test "bad input: empty image or scenario names are refused, not taken as the defaults" {
    fake_images "$T/images"
    reject "--scenario ''" "--scenario" --images-dir "$T/images" --qemu /bin/false --scenario ""
    reject "--image ','" "--image" --images-dir "$T/images" --qemu /bin/false --image ","
}

@test "bad input: image names that could escape the recipe directory" {
    reject "--image ../etc" "image name '../etc' may hold only a-z 0-9 . -" --images-dir "$VM_IMAGES" --image ../etc
    reject "--image Debian" "image name 'Debian' may hold only a-z 0-9 . -" --images-dir "$VM_IMAGES" --image Debian
}

@test "bad input: malformed recipes: shell metacharacters, no distro, bad init, not key = value, unknown builder, fedora without release" {
    local d=$T/images
    images_copy "$d"
    printf 'distro = debian\nsuite = bookworm\ninit = systemd\npackage_format = deb\npackages = curl; rm -rf /\n' > "$d/recipes/meta.conf"
    printf 'suite = bookworm\ninit = systemd\npackage_format = deb\n' > "$d/recipes/no-distro.conf"
    printf 'distro = debian\nsuite = bookworm\ninit = upstart\npackage_format = deb\n' > "$d/recipes/bad-init.conf"
    printf 'distro = debian\nsuite bookworm\n' > "$d/recipes/no-equals.conf"
    printf 'distro = debian\nsuite = bookworm\ninit = systemd\npackage_format = deb\nbuilder = nosuch\n' > "$d/recipes/bad-builder.conf"
    printf 'distro = fedora\ninit = systemd\npackage_format = rpm\n' > "$d/recipes/no-release.conf"
    reject "recipe with a shell metacharacter" "value of 'packages' holds a shell metacharacter" --images-dir "$d" --image meta
    reject "recipe without distro" "missing 'distro' (debian or fedora)" --images-dir "$d" --image no-distro
    reject "recipe with init upstart" "init 'upstart' is not systemd or sysvinit" --images-dir "$d" --image bad-init
    reject "recipe line without =" "expected 'key = value', got: suite bookworm" --images-dir "$d" --image no-equals
    reject "recipe with an unknown builder" "builder 'nosuch' has no vm-images/builders/nosuch.sh" --images-dir "$d" --image bad-builder
    reject "fedora recipe without release" "missing 'release'" --images-dir "$d" --image no-release
}

@test "bad input: a cached image without a kernel file: error naming the file, exit 2, no qemu left" {
    fake_images "$T/images"
    mkdir -p "$FO/nokernel"
    host_value > "$FO/nokernel/host-before"
    run "$PC" run --out "$FO/nokernel/out" --accel tcg --agent "$AGENT" --images-dir "$T/images" --image nokernel --scenario baseline
    printf '%s\n' "$output" > "$FO/nokernel/log"
    record_outcome nokernel "$status"
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"baseline: error"*"$T/images/nokernel/vmlinuz"* ]]
    [ -z "$(qemu_with "$FO/nokernel/")" ]
    rejected "image without a kernel file"
}

@test "bad input: a recipe whose build yields no kernel: build-image names the recipe and the fix, no image is cached" {
    # mmdebstrap, chroot and systemctl stubbed on PATH: a root tree in
    # moments, without /boot/vmlinuz-*; the rest of the real builder runs.
    local d=$T/images stub=$T/stub
    images_copy "$d"
    printf 'distro = debian\nsuite = bookworm\ninit = systemd\npackage_format = deb\n' > "$d/recipes/nokernel.conf"
    mkdir -p "$stub"
    cat > "$stub/mmdebstrap" <<'EOF'
#!/bin/bash
# Fault suite: a root tree without a kernel. The target is the argument after the suite.
for a; do case "$a" in -*) ;; *) args+=("$a") ;; esac; done
root=${args[1]}
mkdir -p "$root"/{boot,etc/systemd/system,etc/systemd/network,etc/sysctl.d,home/portuser,usr/sbin,lib/modules}
printf 'PRETTY_NAME="Fake"\nID=debian\n' > "$root/etc/os-release"
: > "$root/etc/subuid"
: > "$root/etc/subgid"
EOF
    printf '#!/bin/sh\nexit 0\n' > "$stub/chroot"
    printf '#!/bin/sh\nexit 0\n' > "$stub/systemctl"
    chmod +x "$stub"/*
    mkdir -p "$FO/nokernel-build"
    host_value > "$FO/nokernel-build/host-before"
    PATH=$stub:$PATH PORTCHECK_CACHE=$T/cache run "$PC" run --out "$FO/nokernel-build/out" --accel tcg --agent "$AGENT" \
        --images-dir "$d" --image nokernel --scenario baseline
    printf '%s\n' "$output" > "$FO/nokernel-build/log"
    record_outcome nokernel-build "$status"
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"produced no kernel"*"linux-image-amd64"* ]]
    [ "$(jq -r '.runs[0].scenarios[0].reason' "$FO/nokernel-build/out/report.json")" != "" ]
    [[ "$(jq -r '.runs[0].scenarios[0].reason' "$FO/nokernel-build/out/report.json")" == *"no kernel"* ]]
    # Nothing half-made is left for a later run to pick up.
    [ -z "$(ls -A "$T/cache/images" | grep -v -e '^\.nokernel\.lock$' -e '^\.cache\.lock$')" ]
    rejected "recipe that builds no kernel"
}

# ------------------------------------------------- faults without a VM boot

@test "fault: qemu fails to start (it exits 1 with a message): error carries qemu's message, report written" {
    injected qemu-fails-to-start
    fake_images "$T/images"
    printf '#!/bin/sh\necho "fake-qemu: could not open disk image: Permission denied" >&2\nexit 1\n' > "$T/fake-qemu"
    chmod +x "$T/fake-qemu"
    pc qemu_fails --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img --qemu "$T/fake-qemu" --scenario baseline,kernel-cmdline
    cat "$FO/qemu_fails/log"
    [ "$(rc_of qemu_fails)" = 2 ]
    [ "$(scen qemu_fails img baseline status)" = error ]
    [ "$(scen qemu_fails img baseline reason)" = "qemu exited with status 1 at start: fake-qemu: could not open disk image: Permission denied" ]
    # The next scenario tried its own qemu.
    [ "$(scen qemu_fails img kernel-cmdline reason)" = "qemu exited with status 1 at start: fake-qemu: could not open disk image: Permission denied" ]
    jq -e '.complete == true' "$(report_of qemu_fails)"
    [ -s "$FO/qemu_fails/out/report.md" ] && [ -s "$FO/qemu_fails/out/junit.xml" ]
    survived qemu-fails-to-start
}

@test "fault: build-image killed half-way (SIGKILL, SIGTERM) never leaves an image that a later run uses" {
    injected build-image-killed
    local d=$FO/build_killed
    rm -rf "$d"
    mkdir -p "$d"
    images_copy "$d/images"
    export PORTCHECK_CACHE=$d/cache
    # SIGKILL: no trap runs, the half-made temp dir stays behind.
    touch "$d/hold"
    FAKE_BUILD_HOLD=$d/hold setsid "$d/images/build-image" tiny > "$d/kill9.out" 2> "$d/kill9.err" 3>&- &
    local pid=$!
    wait_file "$d/hold.started" 20
    kill -9 -- -"$pid"
    wait "$pid" || true
    run ls -A "$d/cache/images"
    echo "after SIGKILL: $output"
    [ -z "$(ls "$d/cache/images" | grep '^tiny-')" ]
    stale=$(ls -d "$d"/cache/images/.tiny-*.tmp.*)
    [ -e "$stale/rootfs.raw" ] && [ ! -e "$stale/image.json" ]
    # SIGTERM: its trap removes its own temp dir.
    rm -f "$d/hold.started"
    touch "$d/hold"
    FAKE_BUILD_HOLD=$d/hold "$d/images/build-image" tiny > "$d/term.out" 2> "$d/term.err" 3>&- &
    pid=$!
    wait_file "$d/hold.started" 20
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 143 ]
    # Its own temp dir is gone (the stale one may be too, if it cleaned up).
    [ -z "$(ls -d "$d"/cache/images/.tiny-*.tmp.* 2> /dev/null | grep -vxF "$stale")" ]
    [ -z "$(ls "$d/cache/images" | grep '^tiny-')" ]
    # The next build makes a whole image of its own.
    rm -f "$d/hold"
    run -0 "$d/images/build-image" tiny
    final=${lines[-1]}
    [[ "$final" == "$d/cache/images/tiny-"* ]] && [[ "$final" != *.tmp.* ]]
    jq -e '.name == "tiny"' "$final/image.json"
    # A run uses that image and nothing else (its qemu only records -kernel).
    printf '#!/bin/bash\nwhile [ $# -gt 0 ]; do [ "$1" = -kernel ] && echo "$2" > %q; shift; done\necho "fake-qemu: stop" >&2\nexit 1\n' \
        "$d/kernel-used" > "$d/fake-qemu"
    chmod +x "$d/fake-qemu"
    pc build_killed/run --accel tcg --agent "$AGENT" --images-dir "$d/images" --image tiny --qemu "$d/fake-qemu" --scenario baseline
    grep -q "image: $final (kernel 6.1.0-fake" "$d/run/log"
    [ "$(cat "$d/kernel-used")" = "$final/vmlinuz" ]
    survived build-image-killed
}

@test "fault: portcheck stopped (SIGTERM) while it builds an image: build-image gets SIGTERM, not SIGKILL, cleans up; the reason says interrupted" {
    injected build-interrupted-by-portcheck
    local d=$FO/build_stopped
    rm -rf "$d"
    mkdir -p "$d"
    images_copy "$d/images"
    touch "$d/hold"
    PORTCHECK_CACHE=$d/cache FAKE_BUILD_HOLD=$d/hold FAKE_BUILD_MOUNT=1 pc_start build_stopped/run --accel tcg \
        --agent "$AGENT" --images-dir "$d/images" --image tiny --scenario baseline
    wait_file "$d/hold.started" 30
    local t0
    t0=$(now)
    kill -TERM "$PC_PID"
    pc_finish build_stopped/run TERM
    cat "$d/run/log"
    [ "$(rc_of build_stopped/run)" = 2 ]
    # Well before portcheck's SIGKILL (SPAWN_TERM_GRACE_S, 30 s) would come.
    awk -v s="$(elapsed "$t0" "$(now)")" 'BEGIN { exit !(s < 20) }'
    [[ "$(scen build_stopped/run tiny baseline reason)" == "image build interrupted (portcheck got a signal): "* ]]
    # build-image's own clean-up ran: no temporary tree, no mount, no process.
    [ -z "$(ls -A "$d/cache/images" | grep '\.tmp\.')" ]
    [ -z "$(findmnt -n -r -o TARGET | grep -F "$d/")" ]
    [ -z "$(procs_with "$d/images/")" ]
    survived build-interrupted-by-portcheck
}

@test "fault: make image interrupted (SIGTERM) mid-mmdebstrap: no mount or process left; the next make image builds it" {
    injected make-image-interrupted
    # Two image builds, the second a whole one: 14 min were seen on a busy
    # machine; the job's own make runs have their deadlines within this.
    await build_interrupted 2700
    local d=$FO/build_interrupted
    for f in mounted-seen-by seconds-to-mounts host-mounts-at-term first-rc stop-seconds cleanup-seconds mounts-after-term procs-after-term images-after-term \
        second-rc second-seconds mounts-after-second images-after-second; do
        echo "# $f: $(tr '\n' ' ' < "$d/$f")"
    done
    tail -n 5 "$d/first.log" "$d/second.log"
    # The signal came while mmdebstrap had proc mounted in the tree, and the
    # host never saw that mount.
    [ -s "$d/mounted-seen-by" ]
    [ ! -s "$d/host-mounts-at-term" ]
    [ "$(cat "$d/first-rc")" != 0 ]
    # Stopped in time, leaving nothing behind: no mount, no process, not
    # even its own temporary tree.
    awk -v s="$(cat "$d/stop-seconds")" 'BEGIN { exit !(s <= 45) }'
    # build-image's own cleanup after make is gone: within a minute.
    awk -v s="$(cat "$d/cleanup-seconds")" 'BEGIN { exit !(s < 62) }'
    [ ! -s "$d/mounts-after-term" ]
    [ ! -s "$d/procs-after-term" ]
    [ -z "$(grep -e '^debian-bookworm-' -e '\.tmp\.' "$d/images-after-term")" ]
    [ -z "$(grep -E '^rm: |different device' "$d/first.log")" ]
    # The next build makes the whole image, and leaves no mount either.
    [ "$(cat "$d/second-rc")" = 0 ]
    local final
    final=$(tail -n 1 "$d/second.log")
    [[ "$final" == "$d/cache/images/debian-bookworm-"* ]]
    grep -qx "$(basename "$final")" "$d/images-after-second"
    [ -z "$(grep '\.tmp\.' "$d/images-after-second")" ]
    [ ! -s "$d/mounts-after-second" ]
    survived make-image-interrupted
}

@test "fault: two builds of one image at once: one builds, both get the same whole image" {
    injected concurrent-builds
    local d=$T/conc
    images_copy "$d/images"
    export PORTCHECK_CACHE=$d/cache FAKE_BUILD_SLOW=1
    "$d/images/build-image" tiny > "$d/a.out" 2> "$d/a.err" 3>&- &
    local a=$!
    "$d/images/build-image" tiny > "$d/b.out" 2> "$d/b.err" 3>&- &
    local b=$!
    wait "$a"
    wait "$b"
    [ "$(cat "$d/a.out")" = "$(cat "$d/b.out")" ]
    [ "$(wc -l < "$d/cache/fake-builds")" -eq 1 ]
    jq -e '.name == "tiny"' "$(cat "$d/a.out")/image.json"
    [ -z "$(ls -A "$d/cache/images" | grep '\.tmp\.')" ]
    survived concurrent-builds
}

# run_in_tmpfs NAME MOUNT-OPTIONS DIR CMD...: CMD in a private mount
# namespace with a tmpfs on DIR; the tmpfs's listing ends up in $FO/NAME/.
run_in_tmpfs() {
    local name=$1 opts=$2 dir=$3
    shift 3
    mkdir -p "$FO/$name" "$dir"
    host_value > "$FO/$name/host-before"
    local rc=0
    unshare --mount bash -c 'mount -t tmpfs -o "$1" portcheck-faults "$2" || exit 99; dir=$2 save=$3; shift 3
        "$@"; rc=$?; (cd "$dir" && find . | sort) > "$save/tmpfs-listing"
        cp "$dir/out/report.json" "$save/report.json" 2>/dev/null; exit $rc' _ "$opts" "$dir" "$FO/$name" "$@" \
        > "$FO/$name/log" 2>&1 || rc=$?
    record_outcome "$name" "$rc"
    cat "$FO/$name/log"
    return 0
}

@test "fault: --out on a full file system: exit 2, a line naming the cause, no qemu, nothing left in work/" {
    injected out-full
    fake_images "$T/images"
    run_in_tmpfs out_full size=64k "$T/mnt" "$PC" run --out "$T/mnt/out" --accel tcg --agent "$AGENT" \
        --images-dir "$T/images" --image img --scenario baseline
    [ "$(rc_of out_full)" = 2 ]
    grep -q "No space left on device" "$FO/out_full/log"
    [ -z "$(grep 'console.log' "$FO/out_full/tmpfs-listing")" ]
    [ -z "$(grep '^./out/work/.' "$FO/out_full/tmpfs-listing")" ]
    survived out-full
}

@test "fault: --out on a read-only file system: one line, exit 2" {
    injected out-readonly
    run_in_tmpfs out_ro ro,size=64k "$T/mnt" "$PC" run --out "$T/mnt/out" --accel tcg --agent "$AGENT" --scenario baseline
    [ "$(rc_of out_ro)" = 2 ]
    [ "$(wc -l < "$FO/out_ro/log")" -eq 1 ]
    grep -q "^portcheck: output directory $T/mnt/out is not writable (Read-only file system): pass --out" "$FO/out_ro/log"
    survived out-readonly
}

@test "fault: PORTCHECK_CACHE read-only: refused while validating, one line naming the cache and the fix, exit 2, no out dir" {
    injected cache-readonly
    PORTCHECK_CACHE=$T/mnt run_in_tmpfs cache_ro ro,size=64k "$T/mnt" "$PC" run --out "$FO/cache_ro/out" --accel tcg \
        --agent "$AGENT" --images-dir "$VM_IMAGES" --scenario baseline
    [ "$(rc_of cache_ro)" = 2 ]
    [ "$(wc -l < "$FO/cache_ro/log")" -eq 1 ]
    grep -qx "portcheck: build-image: cannot create the image cache $T/mnt/images: set PORTCHECK_CACHE to a writable directory" "$FO/cache_ro/log"
    [ ! -e "$FO/cache_ro/out" ]
    survived cache-readonly
}

@test "bad input: PORTCHECK_CACHE empty or relative: make, build-image and portcheck refuse it, one line, exit 2, nothing removed" {
    mkdir -p "$T/cwd/rel/images/kept"
    local cache what
    for cache in "" rel; do
        what="PORTCHECK_CACHE='$cache'"
        run -2 env PORTCHECK_CACHE="$cache" make -C "$REPO" --no-print-directory clean-images
        echo "make clean-images, $what -> $output"
        [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"PORTCHECK_CACHE='$cache' is not an absolute path: set it to one"* ]]
        run -2 env PORTCHECK_CACHE="$cache" make -C "$REPO" --no-print-directory image
        [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"is not an absolute path"* ]]
        for args in --clean "--check debian-bookworm" debian-bookworm; do
            # shellcheck disable=SC2086 # the options are words
            run -2 bash -c 'cd "$1" && shift && exec "$@"' _ "$T/cwd" env PORTCHECK_CACHE="$cache" "$VM_IMAGES/build-image" $args
            echo "build-image $args, $what -> $output"
            [ "$output" = "build-image: $what is not an absolute path: set it to one (such as /var/cache/portcheck) or unset it" ]
        done
        PORTCHECK_CACHE=$cache reject "portcheck run, $what" "build-image: $what is not an absolute path" \
            --images-dir "$VM_IMAGES" --image debian-bookworm --scenario baseline
        rejected "make clean-images, build-image and portcheck with $what"
    done
    [ -d "$T/cwd/rel/images/kept" ]
}

@test "bad input: an image cache that others may write or another user owns: refused while validating, exit 2, no out dir" {
    mkdir -p "$T/open/images" "$T/theirs/images"
    chmod 0777 "$T/open/images"
    chown 65534 "$T/theirs"
    PORTCHECK_CACHE=$T/open reject "a cache dir of mode 0777" "build-image: the image cache $T/open/images may be written by others (mode 777): chmod go-w it" \
        --images-dir "$VM_IMAGES" --image debian-bookworm --scenario baseline
    PORTCHECK_CACHE=$T/theirs reject "a cache dir of another user" "build-image: the image cache $T/theirs belongs to uid 65534, not to this user (uid 0): chown it" \
        --images-dir "$VM_IMAGES" --image debian-bookworm --scenario baseline
    [ -z "$(ls -A "$T/open/images")" ] && [ -z "$(ls -A "$T/theirs/images")" ]
}

@test "fault: make clean-images during a build waits for it (the cache lock); a mount left in a stale tree is detached, never entered" {
    injected clean-images-under-build
    local d=$T/clean
    images_copy "$d/images"
    export PORTCHECK_CACHE=$d/cache
    touch "$d/hold"
    FAKE_BUILD_HOLD=$d/hold "$d/images/build-image" tiny > "$d/build.out" 2> "$d/build.err" 3>&- &
    local build=$!
    wait_file "$d/hold.started" 20
    make -C "$REPO" --no-print-directory clean-images > "$d/clean.log" 2>&1 3>&- &
    local clean=$!
    sleep 2
    # Still waiting: the build's tree is intact.
    kill -0 "$clean"
    ls -d "$d"/cache/images/.tiny-*.tmp.*/rootfs.raw
    rm -f "$d/hold"
    wait "$build"
    wait "$clean"
    [ -z "$(ls "$d/cache/images")" ]
    # A stale tree from a build that died before its mounts were undone (as
    # builds did before their own mount namespace): a bind mount of a
    # directory elsewhere. clean-images detaches it; what it showed survives.
    local stale=$d/cache/images/.tiny-0123456789abcdef.tmp.dead
    mkdir -p "$stale/root/dev" "$d/elsewhere"
    echo precious > "$d/elsewhere/file"
    run -0 unshare --mount --propagation private bash -c 'mount --bind "$1" "$2/root/dev" &&
        make -C "$3" --no-print-directory clean-images && ! findmnt -n -r -o TARGET | grep -qF "$2"' _ \
        "$d/elsewhere" "$stale" "$REPO"
    [ "$(cat "$d/elsewhere/file")" = precious ]
    [ ! -e "$stale" ]
    survived clean-images-under-build
}

@test "fault: PORTCHECK_CACHE on a full file system: a line naming the cause, exit 2, no image left" {
    injected cache-full
    PORTCHECK_CACHE=$T/mnt run_in_tmpfs cache_full size=64k,mode=0755 "$T/mnt" "$PC" run --out "$FO/cache_full/out" --accel tcg \
        --agent "$AGENT" --images-dir "$VM_IMAGES" --scenario baseline
    [ "$(rc_of cache_full)" = 2 ]
    [ -z "$(grep '/images/debian-bookworm-' "$FO/cache_full/tmpfs-listing")" ]
    grep -qE "No space left on device|MiB free|free space" "$FO/cache_full/log"
    survived cache-full
}

# ------------------------------------------------- host-side control, static

@test "control: the fake agent's lies fail the host's own parser and checks where they lie, and only there (no VM)" {
    facts() { printf '{"cmd":"facts","id":7}\n' | FAKE_SYSCTL=$2 "$FAKE" "$1" 2> /dev/null | "$VERDICT" "$2"; }
    run -0 facts perfect 80
    [ "${lines[1]}" = "facts pass" ]
    run -0 facts perfect 1024
    [ "${lines[1]}" = "facts pass" ]
    for mode in root capeff capinh; do
        run -0 facts "$mode" 80
        echo "$output"
        [ "${lines[1]}" = "facts fail 29" ]
        [[ "${lines[2]}" == "  - unprivileged expected "* ]]
        # Every other failing check failed for want of proof alone.
        [ "$(printf '%s\n' "${lines[@]:3}" | awk '$4 != $6' | wc -l)" -eq 0 ]
    done
    # One privilege at a time, in a line that is otherwise the perfect one.
    local perfect
    perfect=$(printf '{"cmd":"facts","id":7}\n' | FAKE_SYSCTL=80 "$FAKE" perfect 2> /dev/null | tail -n 1)
    for lie in '"groups":1' '"no_new_privs":0' '"gid":0' '"uid":0'; do
        key=${lie%%:*}
        line=$(sed "s/$key:[0-9]*/$lie/" <<< "$perfect")
        run -0 "$VERDICT" 80 <<< "$line"
        [ "${lines[0]}" = "facts fail 29" ]
    done
    # Each capability set: CAP_NET_BIND_SERVICE in any of the four that must
    # be empty fails; in the bounding set alone it is reported, not required;
    # uppercase (not what the kernel prints) or a missing set is a protocol error.
    for set in cap_prm cap_inh cap_eff cap_amb cap_bnd; do
        run -0 "$VERDICT" 80 <<< "$(sed "s/\"$set\":\"0*\"/\"$set\":\"0000000000000400\"/" <<< "$perfect")"
        if [ "$set" = cap_bnd ]; then [ "${lines[0]}" = "facts pass" ]; else [ "${lines[0]}" = "facts fail 29" ]; fi
        run -0 "$VERDICT" 80 <<< "$(sed "s/\"$set\":\"0*\"/\"$set\":\"0000000000000C00\"/" <<< "$perfect")"
        [ "${lines[0]}" = "error: field '$set' is not 16 hex digits" ]
        run -0 "$VERDICT" 80 <<< "$(sed "s/\"$set\":\"0*\",//" <<< "$perfect")"
        [ "${lines[0]}" = "error: field '$set' missing or not a string" ]
    done
    run -0 facts claimpass 1024
    [[ "${lines[1]}" == "facts fail "* ]] && [[ "${lines[2]}" == "  - sysctl expected 1024 got 80" ]]
    run -0 facts noproof 80
    [ "${lines[1]}" = "error: field 'proof' missing or not an object" ]
    run -0 facts nul 80
    [ "${lines[1]}" = "error: line holds a NUL byte" ]
    run -0 facts badutf8 80
    [[ "${lines[1]}" == "error: not JSON: unable to decode byte 0xff"* ]]
    run -0 facts overlong 80
    [ "${lines[1]}" = "error: line over 65536 bytes" ]
}

@test "security: no system() or popen() in the harness (argv arrays only)" {
    run grep -rnIE --include='*.c' --include='*.h' '\b(system|popen)[[:space:]]*\(' harness/
    # Comments may name them; code may not.
    code=$(printf '%s\n' "$output" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
    echo "$code"
    [ -z "$code" ]
}

@test "security: the build targets leave the host's ip_unprivileged_port_start alone" {
    before=$(host_value)
    run make -s portcheck deb deb-broken rpm faults-prereqs
    echo "$output"
    after=$(host_value)
    [ "$after" = "$before" ] || ledger host-change make-targets "$before" "$after"
    [ "$status" -eq 0 ]
    [ "$after" = "$before" ]
}

# -------------------------------------------------------- faults in a VM

@test "fault: a guest that never answers: error after the deadline with the console's last lines; the next scenario still runs" {
    injected silent-guest
    await silent
    cat "$FO/silent/log"
    deadline=$(awk -v s="$SILENT_SCALE" 'BEGIN { printf "%.0f", 240 * s }')
    [ "$(rc_of silent)" = 2 ]
    for sc in kernel-cmdline user-service-http; do
        [ "$(scen silent debian-bookworm "$sc" status)" = error ]
        reason=$(scen silent debian-bookworm "$sc" reason)
        echo "$sc: $reason"
        [[ "$reason" == "no answer from the guest after $deadline s; console: "* ]]
        # The state the run ended in is explicit in report.json, not only prose.
        [ "$(scen silent debian-bookworm "$sc" ended_by)" = timeout ]
        secs=$(scen silent debian-bookworm "$sc" seconds)
        awk -v s="$secs" -v d="$deadline" 'BEGIN { exit !(s >= d && s < d + 20) }'
        # The reason ends with the console's last line, whatever the boot reached.
        console=$FO/silent/out/$(scen silent debian-bookworm "$sc" console_log)
        last=$(sed 's/\x1b\[[0-9;]*m//g' "$console" | tr -cd '\n\40-\176' | grep -v '^[[:space:]]*$' | tail -n 1 || true)
        [ -n "$last" ]
        [[ "$(tail -n 1 <<< "$reason")" == *"$last"* ]]
        # Lines, not a line: the tail of the console, as far as the boot got.
        [ "$(wc -l <<< "$reason")" -ge 4 ]
    done
    # The second scenario ran on its own VM, with its own console log.
    [ "$(scen silent debian-bookworm user-service-http console_log)" = logs/debian-bookworm/02-user-service-http.console.log ]
    jq -e '.complete == true' "$(report_of silent)"
    [ -s "$FO/silent/out/report.md" ] && [ -s "$FO/silent/out/junit.xml" ]
    [ "$(cat "$FO/silent/leftovers")" = 0 ]
    survived silent-guest
}

@test "security: qemu has no host network but user-mode with restrict=on, forwards only from 127.0.0.1, no host mount" {
    await silent
    local files=("$FO"/silent/qemu-*.cmdline) with_net=0 without_net=0 f a i v
    [ "${#files[@]}" -eq 2 ]
    for f in "${files[@]}"; do
        mapfile -d '' a < "$f"
        echo "${a[*]}"
        [[ " ${a[*]} " == *" -nodefaults "* ]]
        local net=0
        for ((i = 0; i < ${#a[@]}; i++)); do
            v=${a[i + 1]:-}
            case "${a[i]}" in
                -netdev)
                    net=1
                    [[ "$v" == user,* && ",$v," == *,restrict=on,* ]]
                    [[ "$v" != *guestfwd* && "$v" != *smb=* ]]
                    # Every forward listens on 127.0.0.1 only.
                    [ "$(grep -o 'hostfwd=[^,]*' <<< "$v" | grep -vc '^hostfwd=tcp:127\.0\.0\.1:[0-9]*-:[0-9]*$')" -eq 0 ] ;;
                -net | -nic | -virtfs | -fsdev | -hda | -hdb | -cdrom | -smb | -incoming | -qmp | -gdb | -s)
                    echo "forbidden option ${a[i]}"
                    return 1 ;;
                -device) [[ "$v" != *9p* && "$v" != *vhost* && "$v" != *vfio* && "$v" != *usb-host* ]] ;;
                -chardev) [[ "$v" =~ ^socket,id=[a-z]+,fd=[0-9]+$ ]] ;;
                -drive) [[ "$v" == "file=$FO/silent/out/work/"* ]] ;;
            esac
        done
        if [ "$net" = 1 ]; then with_net=$((with_net + 1)); else without_net=$((without_net + 1)); fi
    done
    # kernel-cmdline boots without any network device, user-service-http with the forwards.
    [ "$with_net" -eq 1 ] && [ "$without_net" -eq 1 ]
}

@test "fault: a kernel panic is seen on the console at once, well before the boot deadline" {
    injected kernel-panic
    await panic
    cat "$FO/panic/log"
    [ "$(rc_of panic)" = 2 ]
    [ "$(scen panic debian-bookworm baseline status)" = error ]
    [[ "$(scen panic debian-bookworm baseline reason)" == "console: "*"Kernel panic - not syncing"* ]]
    # The boot deadline is 240 s; the panic comes a few seconds into the boot.
    awk -v s="$(scen panic debian-bookworm baseline seconds)" 'BEGIN { exit !(s < 60) }'
    [ "$(cat "$FO/panic/leftovers")" = 0 ]
    survived kernel-panic
}

@test "fault: qemu cannot load an image's kernel: error with qemu's own message; the next image still runs" {
    injected bad-image
    await qemu_faults
    cat "$FO/qemu_faults/log"
    [ "$(rc_of qemu_faults)" = 2 ]
    [[ "$(scen qemu_faults bad-kernel baseline reason)" == "qemu exited with status 1"*": "*kernel* ]]
    jq -e '.runs[1].image == "debian-bookworm"' "$(report_of qemu_faults)"
    [ "$(scen qemu_faults debian-bookworm kernel-cmdline status)" = pass ]
    survived bad-image
}

@test "fault: qemu killed (SIGKILL) mid-boot: error naming the signal; the next scenario passes on a fresh VM" {
    injected qemu-killed
    await qemu_faults
    [ -s "$FO/qemu_faults/killed" ]
    [ ! -d "/proc/$(cat "$FO/qemu_faults/killed")" ]
    [ "$(scen qemu_faults debian-bookworm baseline status)" = error ]
    [[ "$(scen qemu_faults debian-bookworm baseline reason)" == "qemu killed by signal 9 (Killed)"* ]]
    [ "$(scen qemu_faults debian-bookworm kernel-cmdline status)" = pass ]
    [ "$(scen qemu_faults debian-bookworm kernel-cmdline console_log)" = logs/debian-bookworm/02-kernel-cmdline.console.log ]
    jq -e '.complete == true and (.runs[1].boots | length) == 1' "$(report_of qemu_faults)"
    [ "$(cat "$FO/qemu_faults/leftovers")" = 0 ]
    survived qemu-killed
}

# guest_outcome JOB SCENARIO STATUS REASON-PREFIX: how the fake agent's
# scenario ended (error or fail, never pass), and why.
guest_outcome() {
    local job=$1 scenario=$2 status=$3 reason=$4
    await "$job"
    cat "$FO/$job/log"
    [ "$(scen "$job" debian-bookworm "$scenario" status)" = "$status" ]
    [[ "$(scen "$job" debian-bookworm "$scenario" reason)" == "$reason"* ]]
    [ "$(cat "$FO/$job/leftovers")" = 0 ]
}

@test "fault: the guest sends a line over 64 KiB: error (protocol)" {
    injected guest-overlong
    guest_outcome guest_overlong baseline error "guest sent a line over 65536 bytes"
    survived guest-overlong
}

@test "fault: the guest sends a NUL byte: error (protocol)" {
    injected guest-nul
    guest_outcome guest_nul baseline error "guest broke the protocol: line holds a NUL byte"
    survived guest-nul
}

@test "fault: the guest sends invalid UTF-8: error (protocol)" {
    injected guest-badutf8
    guest_outcome guest_badutf8 baseline error "guest broke the protocol: not JSON: unable to decode byte 0xff"
    survived guest-badutf8
}

@test "fault: facts that say \"status\":\"pass\" and claim every port: fail, the host decides" {
    injected guest-claims-pass
    guest_outcome guest_claimpass baseline fail "sysctl: expected 1024, got 80"
    jq -e '[.runs[0].scenarios[0].checks[] | select(.what == "tcp4:22")][0].ok == false' "$(report_of guest_claimpass)"
    survived guest-claims-pass
}

# The proof check failed with got starting GOT, and every other failed check
# is a bind that failed only for want of proof (its value was right).
fails_on_privilege_alone() {
    local job=$1 got=$2
    guest_outcome "$job" kernel-cmdline fail \
        "unprivileged: expected uid!=0 gid!=0 groups=0 capprm=0 capinh=0 capeff=0 capamb=0 capbnd=any nnp=1, got $got"
    jq -e '[.runs[0].scenarios[0].checks[] | select(.ok | not) | select(.what != "unprivileged" and .got != .expect)] | length == 0' \
        "$(report_of "$job")"
}

@test "fault: facts exactly right but bound as uid 0 with every capability: fail on privilege alone" {
    injected guest-root
    fails_on_privilege_alone guest_root "uid=0 gid=0 groups=0 capprm=000001ffffffffff capinh=0000000000000000 capeff=000001ffffffffff"
    jq -e '[.runs[0].scenarios[0].checks[] | select(.what == "tcp4:80")][0] | .got == "ok" and .ok == false' "$(report_of guest_root)"
    survived guest-root
}

@test "fault: facts exactly right but with CAP_NET_BIND_SERVICE effective: fail on privilege alone" {
    injected guest-capeff
    fails_on_privilege_alone guest_capeff "uid=65534 gid=65534 groups=0 capprm=0000000000000000 capinh=0000000000000000 capeff=0000000000000400 capamb=0000000000000000 capbnd=0000000000000000 nnp=1"
    survived guest-capeff
}

@test "fault: facts exactly right but with CAP_NET_BIND_SERVICE inheritable: fail on privilege alone" {
    injected guest-capinh
    fails_on_privilege_alone guest_capinh "uid=65534 gid=65534 groups=0 capprm=0000000000000000 capinh=0000000000000400 capeff=0000000000000000 capamb=0000000000000000 capbnd=0000000000000000 nnp=1"
    survived guest-capinh
}

@test "fault: facts without proof of no privilege: error (protocol), never pass" {
    injected guest-noproof
    guest_outcome guest_noproof kernel-cmdline error "guest broke the protocol: field 'proof' missing"
    survived guest-noproof
}

@test "fault: the guest sends terminal escapes (OSC title, clear screen, reset, C1 CSI): none reach stdout, stderr or a report" {
    injected guest-escapes
    guest_outcome guest_escapes install fail "install: "
    local d=$FO/guest_escapes
    # The negative control: the guest did send them, and report.json keeps
    # them as evidence, as JSON escapes (it is ASCII only).
    jq -e '.runs[0].scenarios[0].reason | contains("\u001b]0;pwned\u0007\u001b[2J\u001b[H\u001bc\u009b2J")' \
        "$d/out/report.json"
    [ "$(control_bytes "$d/out/report.json")" = 0 ]
    # stdout and stderr (the log holds both: progress lines and the matrix) and every rendered report.
    for f in log out/report.md out/report.html out/junit.xml; do
        echo "$f: $(control_bytes "$d/$f") line(s) with control bytes"
        [ "$(control_bytes "$d/$f")" = 0 ]
    done
    # What is left of the sequences is inert text, and it did get there.
    grep -qF 'install: fail in' "$d/log"
    grep -qF ']0;pwned[2J[Hc2Jdpkg: fake failure' "$d/log"
    grep -qF ']0;pwned[2J[Hc2Jdpkg: fake failure' "$d/out/report.md"
    grep -qF ']0;pwned[2J[Hc2Jdpkg: fake failure' "$d/out/report.html"
    survived guest-escapes
}

# interrupted NAME SIGNAL RC: the run stopped at once, cleaned up and wrote
# a partial report.
interrupted() {
    local job=$1 sig=$2 want_rc=$3
    await "$job"
    cat "$FO/$job/log"
    echo "teardown took $(cat "$FO/$job/teardown-seconds") s"
    [ "$(rc_of "$job")" = "$want_rc" ]
    # Every process of the run (portcheck, its child, qemu) gone within 5 s.
    awk -v s="$(cat "$FO/$job/teardown-seconds")" 'BEGIN { exit !(s <= 5) }'
    [ ! -d "/proc/$(cat "$FO/$job/qemu")" ]
    # No overlay, payload or result file left in work/.
    [ -z "$(find "$FO/$job/out/work" -mindepth 1)" ]
    jq -e '.complete == false' "$(report_of "$job")"
    [ "$(scen "$job" debian-bookworm baseline status)" = error ]
    [[ "$(scen "$job" debian-bookworm baseline reason)" == "interrupted by signal "* ]]
    [ "$(scen "$job" debian-bookworm kernel-cmdline reason)" = "interrupted before it started" ]
    [ -s "$FO/$job/out/report.md" ] && [ -s "$FO/$job/out/junit.xml" ]
    [ "$(cat "$FO/$job/leftovers")" = 0 ]
}

@test "fault: SIGINT (Ctrl-C, to the process group) mid-boot: qemu gone, work/ cleaned, partial report, exit 130" {
    injected sigint
    interrupted sigint INT 130
    survived sigint
}

@test "fault: SIGTERM (to portcheck alone) mid-boot: qemu gone, work/ cleaned, partial report, exit 2" {
    injected sigterm
    interrupted sigterm TERM 2
    survived sigterm
}

@test "fault: SIGTERM while two VMs share the scenarios: both qemus gone, both scenarios interrupted, exit 2" {
    injected sigterm-shared
    await sigterm_shared
    cat "$FO/sigterm_shared/log"
    grep -q '2 VMs share the scenarios of 1 image' "$FO/sigterm_shared/log"
    [ "$(wc -w < "$FO/sigterm_shared/qemus")" = 2 ]
    [ "$(rc_of sigterm_shared)" = 2 ]
    awk -v s="$(cat "$FO/sigterm_shared/teardown-seconds")" 'BEGIN { exit !(s <= 5) }'
    for q in $(cat "$FO/sigterm_shared/qemus"); do [ ! -d "/proc/$q" ]; done
    [ -z "$(find "$FO/sigterm_shared/out/work" -mindepth 1)" ]
    jq -e '.complete == false' "$(report_of sigterm_shared)"
    for sc in baseline kernel-cmdline; do
        [ "$(scen sigterm_shared debian-bookworm "$sc" status)" = error ]
        [[ "$(scen sigterm_shared debian-bookworm "$sc" reason)" == "interrupted by signal "* ]]
    done
    [ "$(cat "$FO/sigterm_shared/leftovers")" = 0 ]
    survived sigterm-shared
}

@test "fault: SIGKILL of portcheck mid-boot: its qemu and children die with it (PR_SET_PDEATHSIG)" {
    injected sigkill
    await sigkill
    echo "still alive after kill -9: $(cat "$FO/sigkill/survivors")"
    [ ! -s "$FO/sigkill/survivors" ]
    awk -v s="$(cat "$FO/sigkill/teardown-seconds")" 'BEGIN { exit !(s <= 5) }'
    survived sigkill
}

@test "fault: two runs at once share the image cache: both pass, same image, nothing half-made left" {
    injected concurrent-runs
    await concurrent
    cat "$FO/concurrent/a/log" "$FO/concurrent/b/log"
    [ "$(rc_of concurrent/a)" = 0 ] && [ "$(rc_of concurrent/b)" = 0 ]
    [ "$(scen concurrent/a debian-bookworm baseline status)" = pass ]
    [ "$(scen concurrent/b debian-bookworm baseline status)" = pass ]
    dir=$(cat "$FO/concurrent/image-dir-a")
    [ -n "$dir" ] && [ "$dir" = "$(cat "$FO/concurrent/image-dir-b")" ]
    jq -e '.name == "debian-bookworm"' "$dir/image.json"
    [ ! -s "$FO/concurrent/tmp-dirs" ]
    # At most one of them built it.
    [ "$(cat "$FO/concurrent/a/log" "$FO/concurrent/b/log" | grep -c '\] built in ')" -le 1 ]
    [ "$(cat "$FO/concurrent/leftovers")" = 0 ]
    survived concurrent-runs
}

# ------------------------------------------- reliability, round two (issue 15)

# A qemu that starts, never boots and writes nothing: the run waits on it.
# Its arguments carry the out dir, so the suite finds (and sweeps) it.
# Named like qemu, so that its comm (qemu-system-x86) is found as one.
sleepy_qemu() {
    printf '#!/bin/bash\n# a qemu that never boots\nwhile :; do sleep 0.2; done\n' > "$1"
    chmod +x "$1"
}

# unit_child_of PID: the unit process portcheck PID forked (the parent of
# the run's first qemu), once that qemu is up.
unit_child_of_qemu() { awk '{print $4}' "/proc/$1/stat"; }

@test "fault: a stale unit result from an earlier run is never read as this run's pass (unit child SIGKILLed)" {
    injected stale-unit-result
    fake_images "$T/images"
    sleepy_qemu "$T/qemu-system-x86_64"
    pc_start stale --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img --qemu "$T/qemu-system-x86_64" \
        --scenario baseline --jobs 1 --timeout-scale 0.5
    # What a killed earlier run would have left under the unit's name (run
    # 1's child wrote its pass, then died), planted after this run's fork;
    # then this run's unit dies mid-boot. The old code read it as a pass.
    q=$(wait_qemu "$FO/stale/out/work" 60)
    unit=$(unit_child_of_qemu "$q")
    [ -n "$unit" ] && [ "$unit" != "$PC_PID" ]
    jq -n '{image:"img", scenarios:[{name:"baseline", status:"pass", seconds:1, reason:"", checks:[]}], boots:[]}' \
        > "$FO/stale/out/work/img.vm1.result.json"
    kill -9 "$unit"
    pc_finish stale
    cat "$FO/stale/log"
    [ "$(rc_of stale)" = 2 ]
    [ "$(scen stale img baseline status)" = error ]
    [[ "$(scen stale img baseline reason)" == *"killed by signal 9"* ]]
    # Only what was asked for: no row from the planted file.
    [ "$(jq '[.runs[0].scenarios[].name] == ["baseline"]' "$(report_of stale)")" = true ]
    [ ! -e "$FO/stale/out/work/img.vm1.result.json" ]
    gone_within 5 "$q"
    survived stale-unit-result
}

@test "fault: a result file of another run (a foreign nonce) is ignored even after a clean exit" {
    injected foreign-unit-result
    fake_images "$T/images"
    sleepy_qemu "$T/qemu-system-x86_64"
    # The unit writes its own stamped result at the end; replace it, between
    # its write and the parent's read, with one stamped by another run. The
    # window is made wide by a qemu that never boots and a short deadline:
    # the file appears only at the end, so a watcher swaps it as it appears.
    pc_start foreign --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img --qemu "$T/qemu-system-x86_64" \
        --scenario baseline --jobs 1 --timeout-scale 0.03
    f=$FO/foreign/out/work/img.vm1.result.json
    # Right for image, shard and scenarios; wrong only in its nonce.
    jq -n '{nonce:"0000000000000000000000000000dead", image:"img", shard:0, scenarios:["baseline"],
            result:{image:"img", boots:[], scenarios:[{name:"baseline", status:"pass", seconds:1, reason:"", checks:[]}]}}' \
        > "$T/foreign.json"
    swapped=
    # Builtins only while waiting: the parent reads the file within 0.2 s
    # of the unit's exit, and the swap must come first.
    while [ -z "$swapped" ] && kill -0 "$PC_PID" 2>/dev/null; do
        [ -e "$f" ] && mv -f "$T/foreign.json" "$f" && swapped=1
    done
    pc_finish foreign
    cat "$FO/foreign/log"
    [ -n "$swapped" ]
    [ "$(scen foreign img baseline status)" = error ]
    [[ "$(scen foreign img baseline reason)" == *"not this run's (stale or foreign)"* ]]
    survived foreign-unit-result
}

@test "fault: two runs on one out dir: the second is refused (one line naming the lock and the holder), the first is untouched" {
    injected two-runs-one-out
    fake_images "$T/images"
    sleepy_qemu "$T/qemu-system-x86_64"
    pc_start twoA --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img --qemu "$T/qemu-system-x86_64" \
        --scenario baseline --jobs 1 --timeout-scale 0.2
    q=$(wait_qemu "$FO/twoA/out/work" 60)
    overlay=$FO/twoA/out/work/img/disk.qcow2
    [ -e "$overlay" ]
    run -2 timeout 20 "$PC" run --out "$FO/twoA/out" --accel tcg --agent "$AGENT" --images-dir "$T/images" \
        --image img --qemu "$T/qemu-system-x86_64" --scenario baseline
    echo "$output"
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == "portcheck: output directory $FO/twoA/out is in use by another run (pid $PC_PID, started "*"; lock $FO/twoA/out/.portcheck.lock): wait for it or pass another --out" ]]
    # B deleted nothing of A's.
    [ -e "$overlay" ] && [ -d "/proc/$q" ]
    kill -TERM "$PC_PID"
    pc_finish twoA TERM
    gone_within 5 "$q"
    rejected two-runs-one-out
    survived two-runs-one-out
}

@test "fault: a symlink planted in the out dir is never written through; unsafe out dirs are refused" {
    injected planted-symlink
    fake_images "$T/images"
    printf '#!/bin/sh\necho "fake-qemu: no" >&2\nexit 1\n' > "$T/qemu"
    chmod +x "$T/qemu"
    victim=$T/victim
    echo "precious" > "$victim"
    out=$FO/symlink/out
    rm -rf "$FO/symlink"
    mkdir -p "$out/logs/img" "$out/work"
    chmod 0755 "$out" "$out/logs" "$out/logs/img" "$out/work"
    ln -s "$victim" "$out/logs/img/01-baseline.console.log"
    ln -s "$victim" "$out/report.json"
    run -2 timeout 60 "$PC" run --out "$out" --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img \
        --qemu "$T/qemu" --scenario baseline
    [ "$(cat "$victim")" = precious ]
    jq -e '.runs[0].scenarios[0].status == "error"' "$out/report.json"
    [[ "$(jq -r '.runs[0].scenarios[0].reason' "$out/report.json")" == *"console log"*"symbolic links"* ]]
    [ ! -L "$out/report.json" ]
    # Directories others may write into, or another user's, are refused before anything starts.
    for how in group world; do
        d=$T/out-$how
        mkdir -p "$d"
        [ $how = group ] && chmod 0775 "$d" || chmod 0757 "$d"
        run -2 timeout 20 "$PC" run --out "$d" --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img \
            --qemu "$T/qemu" --scenario baseline
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"output directory $d is writable by group or others: pass --out with a directory of your own"* ]]
        [ ! -e "$d/work" ] && [ ! -e "$d/report.json" ]
        rejected "unsafe out dir ($how-writable)"
    done
    d=$T/out-nobody
    mkdir -p "$d/logs"
    chown nobody "$d/logs"
    run -2 timeout 20 "$PC" run --out "$d" --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img \
        --qemu "$T/qemu" --scenario baseline
    [[ "$output" == *"output directory $d/logs is owned by another user"* ]]
    rejected "out dir owned by another user"
    survived planted-symlink
}

@test "fault: a guest flooding its console: the log stops at 16 MiB and the reason says so" {
    injected console-flood
    fake_images "$T/images"
    # qemu's console is fd 3: 40 MiB of text there, then silence.
    printf '#!/bin/bash\n# %s\nhead -c 41943040 /dev/zero | tr "\\0" "x" >&3\nwhile :; do sleep 0.2; done\n' "$T/qemu" > "$T/qemu"
    chmod +x "$T/qemu"
    pc flood --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img --qemu "$T/qemu" \
        --scenario baseline --jobs 1 --timeout-scale 0.05
    log=$FO/flood/out/$(scen flood img baseline console_log)
    size=$(stat -c %s "$log")
    echo "console log: $size bytes; reason: $(scen flood img baseline reason)"
    [ "$size" -le $((16 * 1024 * 1024 + 4096)) ]
    [ "$size" -ge $((16 * 1024 * 1024 - 8192)) ]
    tail -n 1 "$log" | grep -q "console log cut at 16 MiB"
    [[ "$(scen flood img baseline reason)" == *"console log cut at 16 MiB (the guest flooded it)"* ]]
    survived console-flood
}

@test "fault: a unit stuck outside every guest deadline (SIGSTOPped) is killed at the unit's own deadline" {
    injected stuck-unit
    fake_images "$T/images"
    sleepy_qemu "$T/qemu-system-x86_64"
    pc_start stuck --accel tcg --agent "$AGENT" --images-dir "$T/images" --image img --qemu "$T/qemu-system-x86_64" \
        --scenario baseline --jobs 1 --timeout-scale 0.02
    q=$(wait_qemu "$FO/stuck/out/work" 60)
    unit=$(unit_child_of_qemu "$q")
    kill -STOP "$unit"
    pc_finish stuck
    cat "$FO/stuck/log"
    [ "$(rc_of stuck)" = 2 ]
    [[ "$(scen stuck img baseline reason)" == *"killed by signal 9 at its deadline"* ]]
    # Deadline (60 + 330) x 0.02 = 7.8 s, then the 2 s grace: well under a minute.
    awk -v s="$(cat "$FO/stuck/seconds")" 'BEGIN { exit !(s < 40) }'
    gone_within 5 "$q"
    survived stuck-unit
}

@test "fault: a no-qemu check that cannot fail: none is left (an exact pgrep of the 18-character name never matches), and the /proc scan fails with a live qemu of the run" {
    injected no-qemu-check
    # The kernel cuts comm to 15 characters: an exact pgrep of qemu's full name matches nothing, ever.
    run grep -rnE --include=*.bats --include=*.bash -e 'pgrep -x qemu-system-x86_6[4]' tests harness
    echo "$output"
    [ "$status" -eq 1 ]
    no_qemu_check_can_fail "$FO/no-qemu-check/"
    survived no-qemu-check
}

@test "security: every fork of the harness goes through spawn_fork (PDEATHSIG, then the parent re-checked)" {
    run grep -rn --include=*.c -E '\bfork\(\)' harness/src
    echo "$output"
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == harness/src/base/spawn.c:* ]]
    grep -q 'prctl(PR_SET_PDEATHSIG, deathsig) != 0 || getppid() != parent' harness/src/base/spawn.c
}

# ------------------------------------------------------------- the ledger

@test "every fault job finished; no portcheck run crashed" {
    for job in $FAULT_JOBS; do await "$job"; done
    grep '^crash ' "$LEDGER" || true
    [ "$(grep -c '^run ' "$LEDGER")" -gt 0 ]
    [ "$(grep -c '^crash ' "$LEDGER")" -eq 0 ]
}

@test "the host's ip_unprivileged_port_start never changed" {
    grep '^host-change ' "$LEDGER" || true
    [ "$(grep -c '^host-change ' "$LEDGER")" -eq 0 ]
    [ "$(host_value)" = "$(cat "$FO/host-at-start")" ]
}

@test "no process of the suite outlived its test (qemu, portcheck, build-image)" {
    for job in $FAULT_JOBS; do await "$job"; done
    sweep suite "$FO/"
    grep '^leftover ' "$LEDGER" || true
    [ "$(grep -c '^leftover ' "$LEDGER")" -eq 0 ]
}
