# Finding the processes of one run, shared by the fault suite and the VM
# suites. A run's processes carry its out dir in their command lines (qemu:
# its overlay; portcheck: --out), so a suite finds its own and never anyone
# else's. The kernel cuts a process name to 15 characters, so qemu is found
# by its comm prefix (qemu-system-x86), never by `pgrep -x
# qemu-system-x86_64`, which can never match.

# procs_with TEXT: pids (other than this shell) whose command line holds
# TEXT. Reads /proc with builtins only, so no helper process matches itself.
procs_with() {
    local text=$1 p args
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = "$BASHPID" ] && continue
        args=()
        { mapfile -d '' args < "$p/cmdline"; } 2> /dev/null || continue
        [ ${#args[@]} -gt 0 ] || continue
        [[ "${args[*]}" == *"$text"* ]] && echo "${p#/proc/}"
    done
    return 0
}

# qemu_with TEXT: the qemu processes among them.
qemu_with() {
    local p comm
    for p in $(procs_with "$1"); do
        comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
        [[ "$comm" == qemu-system* ]] && echo "$p"
    done
    return 0
}

# assert_no_qemu_of DIR: fails, naming them, if a qemu of that run lives.
assert_no_qemu_of() {
    local left
    left=$(qemu_with "$1")
    if [ -n "$left" ]; then
        echo "qemu still running for $1: $left"
        return 1
    fi
}

# no_qemu_check_can_fail DIR: the negative control of assert_no_qemu_of: a
# process named like qemu (its comm cut to qemu-system-x86) with DIR in its
# command line must make the check fail, naming it.
no_qemu_check_can_fail() {
    local dir=$1 fake=$BATS_TEST_TMPDIR/qemu-system-x86_64 pid
    # Debian's perl under qemu's name: it sleeps, with DIR in its argv.
    cp /usr/bin/perl "$fake"
    "$fake" -e 'sleep 30' "${dir}work/fake-overlay" &
    pid=$!
    local n=0
    while [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != qemu-system-x86 ] && [ $n -lt 100 ]; do
        sleep 0.05
        n=$((n + 1))
    done
    run assert_no_qemu_of "$dir"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    [ "$status" -eq 1 ]
    [[ "$output" == *"qemu still running for $dir: $pid"* ]]
}
