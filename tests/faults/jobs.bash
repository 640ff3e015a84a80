# The fault injections that boot VMs. Each job_NAME runs one injection and
# leaves its evidence in $FO/NAME/ (log, rc, seconds, out/report.json, and
# whatever the job measured); the tests in faults.bats only read it. They
# run in the background, a few at a time (FAULTS_JOBS), as soon as the suite
# starts, so their boots overlap with each other and with the quick tests.
# Sourced after lib.bash.

# Boot deadline 240 s x this for the silent guest: long enough for a boot
# under load to reach the agent, short enough not to wait minutes.
SILENT_SCALE=${FAULTS_SILENT_SCALE:-0.2}
# How long a job waits for its qemu to appear: the image may have to be
# (re)built first, by this run or another one holding the build lock.
QEMU_WAIT=${FAULTS_QEMU_WAIT:-900}
# Every job in the order it starts: the longest first. FAULTS_RUN_JOBS
# picks some (their tests run, the others' skip), e.g. for a quick look.
ALL_FAULT_JOBS="build_interrupted silent concurrent qemu_faults guest_overlong guest_nul guest_badutf8 guest_claimpass
                guest_root guest_capeff guest_capinh guest_noproof guest_escapes sigkill panic sigint sigterm sigterm_shared"
FAULT_JOBS=${FAULTS_RUN_JOBS-$ALL_FAULT_JOBS}

# 1. A guest that never answers; 3. security: its qemu command lines.
# loglevel=7 (after the harness's quiet): the kernel writes to the console
# from its first moment, so there are last lines to show however far a
# slow boot got by the deadline.
job_silent() {
    pc_start silent --accel "$ACCEL" --agent "$(fake_agent silent)" --kernel-arg loglevel=7 \
        --scenario kernel-cmdline,user-service-http --package "$DEB" --timeout-scale "$SILENT_SCALE" --jobs 1
    # Keep every qemu command line of the run (one without, one with network).
    local q
    while kill -0 "$PC_PID" 2>/dev/null; do
        for q in $(qemu_with "$FO/silent/out"); do
            [ -e "$FO/silent/qemu-$q.cmdline" ] || cp "/proc/$q/cmdline" "$FO/silent/qemu-$q.cmdline" 2>/dev/null
        done
        sleep 0.2
    done
    pc_finish silent
}

# 2. A kernel panic, under the full boot deadline.
job_panic() {
    pc panic --accel "$ACCEL" --agent "$AGENT" --kernel-arg rdinit=/nonexistent --scenario baseline
}

# 3 and 4 in one run of two images, one at a time. bad-kernel: qemu cannot
# start it (its kernel file is text); the next image still runs. There,
# qemu is killed (SIGKILL) while it boots; the next scenario needs a fresh
# VM. The fake build-image hands out the broken image and passes every
# other name to the real one.
job_qemu_faults() {
    local d=$FO/qemu_faults img=$FO/qemu_faults/images/bad-kernel-image q
    rm -rf "$d/images"
    mkdir -p "$img"
    echo "this is not a kernel" > "$img/vmlinuz"
    echo "nor an initramfs" > "$img/fastboot.cpio.gz"
    truncate -s 64M "$img/rootfs.raw"
    jq -n '{schema:1, name:"bad-kernel", recipe_hash:"0", distro:"debian", suite:"bookworm", init:"systemd",
            package_format:"deb", kernel:"none", os:"none", cmdline:"", build_seconds:0}' > "$img/image.json"
    cat > "$d/images/build-image" <<EOF
#!/bin/bash
# fault suite: the image bad-kernel is a directory whose kernel is text.
[ "\$1" = --check ] && { [ "\$2" = bad-kernel ] && exit 0; exec "$VM_IMAGES/build-image" "\$@"; }
[ "\$1" = bad-kernel ] && { echo "$img"; exit 0; }
exec "$VM_IMAGES/build-image" "\$@"
EOF
    chmod +x "$d/images/build-image"
    pc_start qemu_faults --accel "$ACCEL" --agent "$AGENT" --images-dir "$d/images" --image bad-kernel,debian-bookworm \
        --scenario baseline,kernel-cmdline --jobs 1
    if q=$(wait_qemu "$d/out/work/debian-bookworm/" "$QEMU_WAIT"); then
        sleep 2
        kill -9 "$q" && echo "$q" > "$d/killed"
    fi
    pc_finish qemu_faults
}

# Garbage and lies from the guest: the fake agent in the VM.
guest_job() {
    local mode=$1 scenario=$2
    pc "guest_$mode" --accel "$ACCEL" --agent "$(fake_agent "$mode")" --scenario "$scenario"
}
job_guest_overlong() { guest_job overlong baseline; }
job_guest_nul() { guest_job nul baseline; }
job_guest_badutf8() { guest_job badutf8 baseline; }
job_guest_claimpass() { guest_job claimpass baseline; }
# kernel-cmdline expects 80: the lies below report exactly that, minus proof.
job_guest_root() { guest_job root kernel-cmdline; }
job_guest_capeff() { guest_job capeff kernel-cmdline; }
job_guest_capinh() { guest_job capinh kernel-cmdline; }
job_guest_noproof() { guest_job noproof kernel-cmdline; }
# install's dpkg "fails" with terminal escapes in its output, which the
# reason quotes: in the progress line, report.md and report.html.
job_guest_escapes() {
    pc guest_escapes --accel "$ACCEL" --agent "$(fake_agent escapes)" --scenario install --package "$DEB"
}

# 5. The harness interrupted mid-boot. SIGINT as a terminal's Ctrl-C sends
# it: to the whole process group (main process and per-image children).
# SIGTERM as kill(1) sends it: to the main process only.
interrupt_job() {
    local name=$1 sig=$2 target=$3 q t0
    pc_start "$name" --setsid --accel "$ACCEL" --agent "$AGENT" --scenario baseline,kernel-cmdline --jobs 1
    if q=$(wait_qemu "$FO/$name/out" "$QEMU_WAIT"); then
        echo "$q" > "$FO/$name/qemu"
        sleep 3
        t0=$(now)
        if [ "$target" = group ]; then kill -"$sig" -- -"$PC_PID"; else kill -"$sig" "$PC_PID"; fi
        # How long until every process of the run is gone.
        local end=$((SECONDS + 30))
        while [ -n "$(procs_with "$FO/$name/out")" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
        elapsed "$t0" "$(now)" > "$FO/$name/teardown-seconds"
    fi
    pc_finish "$name" "$sig"
}
job_sigint() { interrupt_job sigint INT group; }

# SIGTERM while two VMs share one image's scenarios (--jobs 2): both qemus
# and both shard processes must go, and both scenarios say why.
job_sigterm_shared() {
    local q t0
    pc_start sigterm_shared --setsid --accel "$ACCEL" --agent "$AGENT" --scenario baseline,kernel-cmdline --jobs 2
    if q=$(wait_qemu "$FO/sigterm_shared/out" "$QEMU_WAIT"); then
        sleep 3
        qemu_with "$FO/sigterm_shared/out" > "$FO/sigterm_shared/qemus"
        t0=$(now)
        kill -TERM "$PC_PID"
        local end=$((SECONDS + 30))
        while [ -n "$(procs_with "$FO/sigterm_shared/out")" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
        elapsed "$t0" "$(now)" > "$FO/sigterm_shared/teardown-seconds"
    fi
    pc_finish sigterm_shared TERM
}
job_sigterm() { interrupt_job sigterm TERM main; }

# The harness killed outright (SIGKILL, no chance to clean up): qemu is
# documented to die with it (PR_SET_PDEATHSIG), so nothing may outlive it.
job_sigkill() {
    local q t0
    pc_start sigkill --setsid --accel "$ACCEL" --agent "$AGENT" --scenario baseline
    if q=$(wait_qemu "$FO/sigkill/out" "$QEMU_WAIT"); then
        sleep 2
        t0=$(now)
        kill -9 "$PC_PID"
        local end=$((SECONDS + 10))
        while [ -n "$(procs_with "$FO/sigkill/out")" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
        elapsed "$t0" "$(now)" > "$FO/sigkill/teardown-seconds"
        procs_with "$FO/sigkill/out" > "$FO/sigkill/survivors"
    fi
    pc_finish sigkill KILL
}

# 6. Two runs at once on the same image cache, each with its own --out.
job_concurrent() {
    local cache=${PORTCHECK_CACHE:-/var/cache/portcheck}/images dir
    pc_start concurrent/a --accel "$ACCEL" --agent "$AGENT" --scenario baseline
    pc_start concurrent/b --accel "$ACCEL" --agent "$AGENT" --scenario baseline
    pc_finish concurrent/a
    pc_finish concurrent/b
    # The image each run used, and the cache's state after both.
    for run in a b; do
        sed -n 's/.*image: \(\/[^ ]*\) (kernel.*/\1/p' "$FO/concurrent/$run/log" | head -n 1 > "$FO/concurrent/image-dir-$run"
    done
    dir=$(cat "$FO/concurrent/image-dir-a")
    if [ -n "$dir" ]; then
        ls -a "$cache" | grep -F ".$(basename "$dir").tmp." > "$FO/concurrent/tmp-dirs" || true
    fi
}

# mounts_under DIR: the mount points under DIR this shell's namespace sees.
mounts_under() {
    findmnt -n -r -o TARGET | awk -v d="$1/" 'index($0, d) == 1'
}

# 7. A real make image interrupted: SIGTERM to its process group (as Ctrl-C
# or a stopped make check sends) while mmdebstrap has proc, sys and dev
# mounted in the tree, then the next make image of the same image. A cache
# of its own makes it a fresh build, with the shared .deb caches linked in
# so nothing is downloaded again. Whatever it leaves is recorded, then
# undone here, so that no later rm -rf walks into a mount.
job_build_interrupted() {
    local d=$FO/build_interrupted shared=${PORTCHECK_CACHE:-/var/cache/portcheck} s p mounted= t0 rc=0
    local cache=$d/cache
    rm -rf "$cache"
    mkdir -p "$cache/debs"
    for s in bookworm bookworm-container; do
        [ ! -d "$shared/debs/$s" ] || cp -al "$shared/debs/$s" "$cache/debs/$s"
    done
    now > "$d/t-start"
    PORTCHECK_CACHE=$cache setsid make -C "$REPO" --no-print-directory image IMAGE=debian-bookworm \
        > "$d/first.log" 2>&1 3>&- &
    local pid=$! end=$((SECONDS + 900))
    # Mid-mmdebstrap: a process of the build sees proc mounted in the tree
    # (in whichever mount namespace it runs).
    while [ -z "$mounted" ] && [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
        for p in $(procs_with "$cache/images/.debian-bookworm-"); do
            if grep -qE " $cache/images/\.debian-bookworm-[^ ]*/root/proc " "/proc/$p/mountinfo" 2>/dev/null; then
                mounted=$p
                break
            fi
        done
        sleep 0.5
    done
    echo "$mounted" > "$d/mounted-seen-by"
    elapsed "$(cat "$d/t-start")" "$(now)" > "$d/seconds-to-mounts"
    sleep 3
    # What of those mounts the host sees (none, once a build has its own
    # mount namespace).
    mounts_under "$cache" > "$d/host-mounts-at-term"
    t0=$(now)
    kill -TERM -- -"$pid"
    gone_within 90 "$pid" || kill -KILL -- -"$pid"
    wait "$pid" || rc=$?
    echo "$rc" > "$d/first-rc"
    elapsed "$t0" "$(now)" > "$d/stop-seconds"
    # make exits at once on SIGTERM; build-image, in its own namespaces, is
    # still stopping its build and removing the half-made tree (up to its
    # 15 s grace plus the rm, longer under load). Wait for that, with a
    # deadline: what is still there after it has outlived its cleanup.
    local left end=$((SECONDS + 60))
    sleep 2
    while left=$(procs_with "$cache/") && [ -n "$left" ] && [ $SECONDS -lt $end ]; do sleep 0.5; done
    elapsed "$t0" "$(now)" > "$d/cleanup-seconds"
    mounts_under "$cache" > "$d/mounts-after-term"
    procs_with "$cache/" > "$d/procs-after-term"
    ls -A "$cache/images" > "$d/images-after-term"
    t0=$(now)
    rc=0
    PORTCHECK_CACHE=$cache timeout 1800 make -C "$REPO" --no-print-directory image IMAGE=debian-bookworm \
        > "$d/second.log" 2>&1 3>&- || rc=$?
    echo "$rc" > "$d/second-rc"
    elapsed "$t0" "$(now)" > "$d/second-seconds"
    mounts_under "$cache" > "$d/mounts-after-second"
    ls -A "$cache/images" > "$d/images-after-second"
    # Undo what a broken build left: its processes, then its mounts.
    for p in $(procs_with "$cache/"); do kill -KILL "$p" 2>/dev/null || true; done
    mounts_under "$cache" | LC_ALL=C sort -r | while IFS= read -r p; do umount --lazy "$p" || true; done
    rm -rf --one-file-system "$cache"
}

# Run every job, FAULTS_JOBS at a time; $FO/NAME/done marks each finished.
run_jobs() {
    # Started from setup_file, which runs under errexit: a job's failing
    # command must not end the job, let alone the scheduler.
    set +e
    local max=${FAULTS_JOBS:-4} job
    for job in $FAULT_JOBS; do
        while [ "$(jobs -rp | wc -l)" -ge "$max" ]; do wait -n; done
        mkdir -p "$FO/$job"
        (
            now > "$FO/$job/job-start"
            "job_$job" > "$FO/$job/job.log" 2>&1
            now > "$FO/$job/job-end"
            # Whatever still mentions this job's directory outlived it.
            sweep "$job" "$FO/$job/"
            touch "$FO/$job/done"
        ) &
    done
    wait
}

# await NAME [SECONDS]: in a test, wait for that job (up to SECONDS, else
# FAULTS_JOB_TIMEOUT s).
await() {
    [[ " $(echo $FAULT_JOBS) " == *" $1 "* ]] || skip "job $1 not in FAULTS_RUN_JOBS"
    local end=$((SECONDS + ${2:-${FAULTS_JOB_TIMEOUT:-900}}))
    while [ ! -e "$FO/$1/done" ]; do
        if [ $SECONDS -ge $end ]; then
            echo "job $1 did not finish" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "# job $1: $(cat "$FO/$1/job.log" 2>/dev/null | tail -n 3)" >&2
}
