# Shared by tests/faults/faults.bats and tests/faults/run-faults: where
# things are, running portcheck with its outcome recorded, finding (and
# killing) only the processes this suite started, and the ledger the
# summary line is computed from.
#
# Every process the suite starts carries a path under $FO in its command
# line (qemu: its overlay under --out; portcheck: --out), so the suite finds
# its own processes by that path and never touches anyone else's qemu.

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FO=${FAULTS_OUT:-$REPO/out/test-faults}
# The harness under ASan/UBSan: a memory error on an error path is a crash.
PC=${FAULTS_PORTCHECK:-$REPO/harness/build/faults/portcheck-asan}
AGENT=$REPO/harness/build/portcheck-agent
FAKE=$REPO/harness/build/faults/fake-agent
# fake_agent MODE: the fake agent built to misbehave that way.
fake_agent() { echo "$REPO/harness/build/faults/fake-agent-$1"; }
VERDICT=$REPO/harness/build/faults/verdict
DEB=$REPO/out/unprivileged-ports_$(cat "$REPO/packaging/VERSION")_all.deb
ACCEL=${FAULTS_ACCEL:-tcg}
# The image tooling under test (a patched copy can stand in for it).
VM_IMAGES=${FAULTS_VM_IMAGES:-$REPO/vm-images}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

LEDGER=$FO/ledger

# control_bytes FILE
source "$REPO/tests/control_bytes.bash"

# ledger KIND WORDS...: one line per event; run-faults and the last tests
# of faults.bats count them. Kinds: injected survived rejected run crash
# host-change leftover.
ledger() { printf '%s\n' "$*" >> "$LEDGER"; }
injected() { ledger injected "$*"; }
survived() { ledger survived "$*"; }
rejected() { ledger rejected "$*"; }

host_value() { cat /proc/sys/net/ipv4/ip_unprivileged_port_start; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# procs_with and qemu_with: tests/procs.bash.
source "$REPO/tests/procs.bash"

# wait_qemu TEXT SECONDS: the first qemu of that run, once it is up.
wait_qemu() {
    local end=$((SECONDS + $2)) q
    while [ $SECONDS -lt $end ]; do
        q=$(qemu_with "$1" | head -n 1)
        if [ -n "$q" ]; then
            echo "$q"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# gone_within SECONDS PID...: true once none of them is alive.
gone_within() {
    local end=$(($(date +%s%N) + ${1%.*} * 1000000000)) p alive
    shift
    while :; do
        alive=
        for p in "$@"; do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && alive=1; done
        [ -z "$alive" ] && return 0
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# sweep NAME DIR: every process still mentioning DIR is a leftover of the
# harness: record it, then kill it (they are ours: DIR is this suite's).
sweep() {
    local name=$1 dir=$2 p n=0
    for p in $(procs_with "$dir"); do
        ledger leftover "$name" "$p" "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-160)"
        n=$((n + 1))
    done
    for p in $(qemu_with "$dir") $(procs_with "$dir"); do kill -9 "$p" 2> /dev/null || true; done
    mkdir -p "$FO/$name"
    echo "$n" > "$FO/$name/leftovers"
    return 0
}

# pc_start NAME [--setsid] ARGS...: portcheck run ARGS in the background,
# with --out $FO/NAME/out and its output in $FO/NAME/log; PC_PID is its pid.
pc_start() {
    local name=$1 setsid=
    shift
    if [ "${1:-}" = --setsid ]; then setsid=setsid; shift; fi
    mkdir -p "$FO/$name"
    rm -rf "$FO/$name/out"
    host_value > "$FO/$name/host-before"
    now > "$FO/$name/t-start"
    $setsid "$PC" run --out "$FO/$name/out" "$@" > "$FO/$name/log" 2>&1 3>&- &
    PC_PID=$!
    echo "$PC_PID" > "$FO/$name/pid"
}

# pc_finish NAME [SIGNAL]: wait for it and record its outcome. SIGNAL: the
# one the test sent it (see record_outcome).
pc_finish() {
    local name=$1 rc=0
    wait "$(cat "$FO/$name/pid")" || rc=$?
    now > "$FO/$name/t-end"
    elapsed "$(cat "$FO/$name/t-start")" "$(cat "$FO/$name/t-end")" > "$FO/$name/seconds"
    record_outcome "$name" "$rc" "${2:-}"
}

# record_outcome NAME RC [SIGNAL]: rc, crash and host change of the run
# whose files are in $FO/NAME (log, host-before, out/). A crash: an exit
# status portcheck never returns, death by a signal the test did not send,
# a sanitizer report, a lost per-image child, an unreadable report.json.
record_outcome() {
    local name=$1 rc=$2 sent=${3:-} crash=
    echo "$rc" > "$FO/$name/rc"
    host_value > "$FO/$name/host-after"
    ledger run "$name" "$rc"
    if ! cmp -s "$FO/$name/host-before" "$FO/$name/host-after"; then
        ledger host-change "$name" "$(cat "$FO/$name/host-before")" "$(cat "$FO/$name/host-after")"
    fi
    case "$rc" in
        0|1|2) ;;
        130) [ "$sent" = INT ] || crash="exit 130 without SIGINT" ;;
        *) if [ "$rc" -gt 128 ]; then
               [ "$sent" = KILL ] || crash="died of signal $((rc - 128))"
           else
               crash="exit status $rc"
           fi ;;
    esac
    if grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|Segmentation fault|died without a result' \
        "$FO/$name/log"; then
        crash="${crash:+$crash; }$(grep -m1 -E 'Sanitizer|runtime error|Segmentation|died without' "$FO/$name/log" | cut -c1-120)"
    fi
    if [ "$sent" != KILL ] && [ -e "$FO/$name/out/report.json" ] &&
        ! jq -e .runs "$FO/$name/out/report.json" > /dev/null 2>&1; then
        crash="${crash:+$crash; }report.json unreadable"
    fi
    [ -z "$crash" ] || ledger crash "$name" "$crash"
    return 0
}

# pc NAME ARGS...: portcheck run in the foreground, recorded.
pc() {
    local name=$1
    shift
    pc_start "$name" "$@"
    pc_finish "$name"
}

# Reading a run's results.
rc_of() { cat "$FO/$1/rc"; }
report_of() { echo "$FO/$1/out/report.json"; }
# scen NAME IMAGE SCENARIO FIELD
scen() { jq -r --arg i "$2" --arg s "$3" ".runs[] | select(.image==\$i) | .scenarios[] | select(.name==\$s) | .$4" "$(report_of "$1")"; }
