#!/usr/bin/env bats
# The guest agent (harness/guest) tested on the host: built static with the
# documented command and again with ASan+UBSan, and both builds driven
# inside private network namespaces (unshare --net), so the host's own
# net.ipv4.ip_unprivileged_port_start is read, never written.
# Needs root (unshare, the privilege drop), cc, libjansson-dev, jq, python3,
# setpriv (util-linux).

bats_require_minimum_version 1.5.0

SYSCTL=/proc/sys/net/ipv4/ip_unprivileged_port_start
ZERO_CAPS=0000000000000000

setup_file() {
    [ "$(id -u)" = 0 ] || skip "needs root: unshare --net and the agent's privilege drop"
    ROOT=$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)
    "$ROOT/tools/ensure-packages" jq libjansson-dev strace >&2
    export STATIC="$BATS_FILE_TMPDIR/portcheck-agent"
    export ASAN="$BATS_FILE_TMPDIR/portcheck-agent-asan"
    # The release build, exactly as documented (cwd: the repository root).
    (cd "$ROOT" && cc -std=c11 -O2 -Wall -Wextra -Werror -Iharness -static -o "$STATIC" harness/guest/*.c -ljansson)
    (cd "$ROOT" && cc -std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
        -fno-sanitize-recover=undefined -Wall -Wextra -Werror -Iharness -o "$ASAN" harness/guest/*.c -ljansson)
    # Any report makes the sanitized agent fail; drive.py and
    # no_sanitizer_report also look for the text.
    export ASAN_OPTIONS=detect_leaks=1:exitcode=86
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export HOST_SYSCTL_BEFORE
    HOST_SYSCTL_BEFORE=$(cat "$SYSCTL")
}

# The facts of a fresh network namespace (sysctl at its default, 1024).
facts_fresh() {
    run --separate-stderr unshare --net -- "$1" --facts
    no_sanitizer_report
    [ "$status" -eq 0 ]
    jq -e '.msg == "facts" and .id == 0 and .sysctl == "1024"
        and (.binds | length) == 28 and ([.binds[]] | all(. == "EACCES"))
        and .proof == {"uid": 65534, "gid": 65534, "groups": 0,
                       "cap_prm": $z, "cap_inh": $z, "cap_eff": $z, "cap_amb": $z, "cap_bnd": $z,
                       "no_new_privs": 1}' --arg z "$ZERO_CAPS" <<<"$output"
}

# --as-is keeps what root has: the same five sets, not empty. The control
# for the drop above (the proof would show privilege if there were any).
facts_as_is() {
    run --separate-stderr unshare --net -- "$1" --facts --as-is
    no_sanitizer_report
    [ "$status" -eq 0 ]
    echo "$output" | jq -c .proof
    jq -e '.proof.uid == 0 and .proof.no_new_privs == 0
        and ([.proof.cap_prm, .proof.cap_eff, .proof.cap_bnd] | all(. != $z and test("^[0-9a-f]{16}$")))
        and ([.proof.cap_inh, .proof.cap_amb] | all(test("^[0-9a-f]{16}$")))' --arg z "$ZERO_CAPS" <<<"$output"
}

# Inheritable and ambient CAP_NET_BIND_SERVICE handed down by the parent
# (setpriv): the drop empties them too; setuid() alone would keep the
# inheritable one. With --as-is they show, so the test could see them.
facts_handed_down_caps() {
    local nbs=0000000000000400
    run --separate-stderr setpriv --inh-caps +net_bind_service --ambient-caps +net_bind_service -- \
        unshare --net -- "$1" --facts --as-is
    no_sanitizer_report
    [ "$status" -eq 0 ]
    jq -e '.proof.cap_inh == $nbs and .proof.cap_amb == $nbs' --arg nbs "$nbs" <<<"$output"
    run --separate-stderr setpriv --inh-caps +net_bind_service --ambient-caps +net_bind_service -- \
        unshare --net -- "$1" --facts
    no_sanitizer_report
    [ "$status" -eq 0 ]
    echo "$output" | jq -c .proof
    jq -e '.proof.uid == 65534 and ([.proof.cap_prm, .proof.cap_inh, .proof.cap_eff, .proof.cap_amb, .proof.cap_bnd]
        | all(. == $z))' --arg z "$ZERO_CAPS" <<<"$output"
}

# The facts of a namespace set to the policy value, 80.
facts_at_80() {
    run --separate-stderr unshare --net -- sh -c \
        "echo 80 > $SYSCTL && exec \"\$0\" --facts" "$1"
    no_sanitizer_report
    [ "$status" -eq 0 ]
    jq -e '.sysctl == "80" and (.binds | length) == 28
        and ([.binds | to_entries[] | select(.key | test(":(80|443|1023)$")) | .value] | all(. == "ok") and length == 12)
        and ([.binds | to_entries[] | select(.key | test(":(22|25|53|79)$")) | .value] | all(. == "EACCES") and length == 16)
        and .proof.uid == 65534 and .proof.cap_eff == $z and .proof.cap_inh == $z' --arg z "$ZERO_CAPS" <<<"$output"
}

no_sanitizer_report() {
    if grep -E 'Sanitizer|runtime error:' <<<"$stderr"; then
        return 1
    fi
}

# --reuseport in a fresh namespace: root holds PORT, nobody asks for it.
# At 1024 the kernel refuses 80 to the user for the privilege (EACCES),
# at 80 for the uid (EADDRINUSE), and 8080 for the uid alone.
reuseport_probe() {
    local value=$2 port=$3 user=$4 free=$5
    run --separate-stderr unshare --net -- sh -c "echo $value > $SYSCTL && exec \"\$0\" --reuseport $port" "$1"
    no_sanitizer_report
    [ "$status" -eq 0 ]
    grep -qx "root-tcp=ok" <<<"$output"
    grep -qx "root-again-udp=ok" <<<"$output"
    grep -qx "proof=uid=65534 gid=65534 groups=0 capprm=0000000000000000 capinh=0000000000000000 capeff=0000000000000000 capamb=0000000000000000 nnp=1" <<<"$output"
    grep -qx "user-tcp=$user" <<<"$output"
    grep -qx "user-udp=$user" <<<"$output"
    grep -qx "user-free-tcp=$free" <<<"$output"
}

# --exposure: a listener root starts on 127.0.0.1:443 (the agent's own
# --reuseport would close it: python holds it) is in the table with uid 0,
# and at 80 nobody may bind https/443/udp but not https/443/tcp (held).
exposure_probe() {
    run --separate-stderr unshare --net -- sh -c "ip link set lo up && echo 80 > $SYSCTL &&
        python3 -c 'import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\", 443)); s.listen(); time.sleep(5)' &
        for i in \$(seq 100); do grep -q ':01BB 00000000:0000 0A' /proc/net/tcp && break; sleep 0.1; done
        \"\$0\" --exposure 80-1023" "$1"
    no_sanitizer_report
    [ "$status" -eq 0 ]
    jq -e '(.listen | map(select(.[0] == "tcp4" and .[1] == "127.0.0.1" and .[2] == 443 and .[3] == 0 and .[5] == "python3")) | length) == 1
        and (.services.EADDRINUSE | split(" ") | index("https/443/tcp")) != null
        and (.services.ok | split(" ") | index("https/443/udp")) != null
        and .proof.uid == 65534' <<<"$output"
}

@test "bad probe options: exit 2 with one line" {
    for args in "--reuseport 0" "--reuseport 65535" "--reuseport x" "--exposure 90-80" "--exposure 80" "--exposure 80-1023 --facts" "--reuseport 80 --exposure 80-90"; do
        run --separate-stderr "$STATIC" $args
        [ "$status" -eq 2 ]
        [ "$(wc -l <<<"$stderr")" -eq 1 ]
    done
}

# A FIFO channel carries commands only; the answers come on stdout.
fifo_channel() {
    local dir=$BATS_TEST_TMPDIR
    mkfifo "$dir/cmds"
    # Hold a writer open so the agent does not read EOF before we write
    # (fd 3 is bats' own).
    exec 7<>"$dir/cmds"
    unshare --net -- "$1" --channel "$dir/cmds" --reopen 0 >"$dir/answers" 2>"$dir/stderr" 7>&- &
    local pid=$!
    printf '%s\n' '{"cmd":"facts","id":2}' '{"cmd":"run","id":3,"argv":["echo","hi"]}' >&7
    sleep 2
    exec 7>&-
    local rc=0 i
    # EOF must end it (--reopen 0); a hang is a failure, not a stuck run.
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        echo "the agent did not exit at end of file" >&2
        return 1
    fi
    wait "$pid" || rc=$?
    cat "$dir/stderr"
    stderr=$(cat "$dir/stderr")
    no_sanitizer_report
    [ "$rc" -eq 0 ]
    jq -e -s '[.[].msg] == ["hello", "facts", "ran"] and .[1].id == 2
        and .[2].output == "hi\n"' "$dir/answers"
}

drive() {
    run unshare --net -- python3 "$BATS_TEST_DIRNAME/drive.py" "$1" "$2"
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "static build: the documented command gives a static binary" {
    run file "$STATIC"
    [[ "$output" == *"statically linked"* ]]
}

@test "options: --help exits 0; bad options exit 2 with one line naming the fix" {
    run --separate-stderr "$STATIC" --help
    [ "$status" -eq 0 ]
    [[ "$output" == Usage:* ]]
    for bad in --bogus --channel "--reopen x" "--facts --channel /x" extra; do
        # shellcheck disable=SC2086
        run --separate-stderr "$STATIC" $bad
        [ "$status" -eq 2 ]
        [ "${#stderr_lines[@]}" -eq 1 ]
        [[ "$stderr" == "portcheck-agent: "*"see portcheck-agent --help" ]]
    done
}

@test "static: --facts in a fresh netns: sysctl 1024, every bind EACCES, proof unprivileged" { facts_fresh "$STATIC"; }
@test "static: --facts in a netns at 80: 80/443/1023 ok, 22/25/53/79 EACCES" { facts_at_80 "$STATIC"; }
@test "static: --facts --as-is as root: the proof shows root's capability sets" { facts_as_is "$STATIC"; }
@test "static: inheritable and ambient capabilities handed down are gone after the drop" { facts_handed_down_caps "$STATIC"; }
@test "static: hello" { drive "$STATIC" hello; }
@test "static: facts over the channel" { drive "$STATIC" facts; }
@test "static: run: exit status, signal, output" { drive "$STATIC" run-exit; }
@test "static: run: timeout kills the process group" { drive "$STATIC" run-timeout; }
@test "static: run: missing binary" { drive "$STATIC" run-missing; }
@test "static: run: clean environment, stdin, cwd, session" { drive "$STATIC" run-env; }
@test "static: run: user switch" { drive "$STATIC" run-user; }
@test "static: run: invalid UTF-8 and NUL in output, 4096-byte tail" { drive "$STATIC" run-output; }
@test "static: run: malformed run commands" { drive "$STATIC" run-bad; }
@test "static: garbage lines get errors and the agent keeps working" { drive "$STATIC" garbage; }
@test "static: line limit, pipelined and split commands" { drive "$STATIC" line-limit; }
@test "static: reboot (--dry-run-power) answers bye" { drive "$STATIC" reboot; }
@test "static: poweroff (--dry-run-power) answers bye" { drive "$STATIC" poweroff; }
@test "static: reopens the channel after the host reconnects" { drive "$STATIC" reopen; }
@test "static: a FIFO channel: commands in, answers on stdout" { fifo_channel "$STATIC"; }

@test "asan: --facts in a fresh netns" { facts_fresh "$ASAN"; }
@test "asan: --facts in a netns at 80" { facts_at_80 "$ASAN"; }
@test "asan: --facts --as-is as root" { facts_as_is "$ASAN"; }
@test "asan: inheritable and ambient capabilities handed down are gone after the drop" { facts_handed_down_caps "$ASAN"; }
@test "asan: hello" { drive "$ASAN" hello; }
@test "asan: facts over the channel" { drive "$ASAN" facts; }
@test "asan: run: exit status, signal, output" { drive "$ASAN" run-exit; }
@test "asan: run: timeout kills the process group" { drive "$ASAN" run-timeout; }
@test "asan: run: missing binary" { drive "$ASAN" run-missing; }
@test "asan: run: clean environment, stdin, cwd, session" { drive "$ASAN" run-env; }
@test "asan: run: user switch" { drive "$ASAN" run-user; }
@test "asan: run: invalid UTF-8 and NUL in output, 4096-byte tail" { drive "$ASAN" run-output; }
@test "asan: run: malformed run commands" { drive "$ASAN" run-bad; }
@test "asan: garbage lines get errors and the agent keeps working" { drive "$ASAN" garbage; }
@test "asan: line limit, pipelined and split commands" { drive "$ASAN" line-limit; }
@test "asan: reboot (--dry-run-power) answers bye" { drive "$ASAN" reboot; }
@test "asan: poweroff (--dry-run-power) answers bye" { drive "$ASAN" poweroff; }
@test "asan: reopens the channel after the host reconnects" { drive "$ASAN" reopen; }
@test "asan: a FIFO channel: commands in, answers on stdout" { fifo_channel "$ASAN"; }

@test "static: --reuseport 80 at 1024: EACCES for the user" { reuseport_probe "$STATIC" 1024 80 EACCES EACCES; }
@test "static: --reuseport 80 at 80: EADDRINUSE for the user, the free port ok" { reuseport_probe "$STATIC" 80 80 EADDRINUSE ok; }
@test "static: --reuseport 8080 at 1024: EADDRINUSE (the uid rule alone)" { reuseport_probe "$STATIC" 1024 8080 EADDRINUSE ok; }
@test "static: --exposure lists root's listener and what nobody may bind" { exposure_probe "$STATIC"; }
@test "asan: --reuseport 80 at 80" { reuseport_probe "$ASAN" 80 80 EADDRINUSE ok; }
@test "asan: --exposure" { exposure_probe "$ASAN"; }

# Every read the agent makes of the kernel's random pool, traced: one line
# per /dev/urandom or /dev/random open and per getrandom() without
# GRND_INSECURE or GRND_NONBLOCK. Either waits for the pool in a guest with
# no entropy device (jansson's own seed cost 1.1-1.3 s a boot under TCG).
# The status is the traced command's (strace passes it on).
pool_waits() {
    local rc=0
    strace -f -qq -e trace=openat,getrandom -o "$BATS_TEST_TMPDIR/trace" "$@" > /dev/null 2>&1 || rc=$?
    grep -E '"/dev/u?random"|getrandom\([^)]*, [0-9]+, 0\)' "$BATS_TEST_TMPDIR/trace" || true
    return "$rc"
}

@test "static: the agent never waits for the random pool (jansson's seed is set first)" {
    run pool_waits unshare --net -- "$STATIC" --facts
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    # It does ask: the seed comes from getrandom(GRND_INSECURE).
    grep -q 'GRND_INSECURE' "$BATS_TEST_TMPDIR/trace"
}

@test "the pool check can fail: it sees a /dev/urandom read and a blocking getrandom()" {
    run pool_waits head -c 1 /dev/urandom
    [[ "$output" == *'"/dev/urandom"'* ]]
    run pool_waits python3 -c 'import os; os.getrandom(1)'
    [[ "$output" == *'getrandom('*', 1, 0)'* ]]
}

@test "the host's own sysctl was not touched" {
    [ "$(cat "$SYSCTL")" = "$HOST_SYSCTL_BEFORE" ]
}
