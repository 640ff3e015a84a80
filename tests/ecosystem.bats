#!/usr/bin/env bats
# The package's place in each ecosystem, checked without the ecosystem's
# own runners where this machine has none:
#   - Debian autopkgtest: debian/tests/control parses as autopkgtest parses
#     it, and the shared checker passes and fails where it must (in private
#     network namespaces; `make autopkgtest` runs the real thing in a VM)
#   - Fedora tmt/fmf: every .fmf file is YAML with the keys tmt needs, the
#     test scripts parse, and the checker behaves like the Debian one
#   - portcheck(1): renders without warnings, matches --help option for
#     option, and `make install` lays out bin, libexec and man1
# Run as root (unshare).

bats_require_minimum_version 1.5.0

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    REPO=$PWD
    PORTCHECK=${PORTCHECK:-$PWD/harness/build/portcheck}
    MAN=$PWD/harness/man/portcheck.1
    # Debian's python3, whose modules are Debian packages (python3-yaml,
    # python3-debian), whatever python3 comes first on PATH.
    PY=/usr/bin/python3
}

teardown() {
    if [ -n "${NOBODY_DIR:-}" ]; then rm -rf "$NOBODY_DIR"; fi
}

# in_netns VALUE CMD...: CMD in a private network namespace where the
# setting is VALUE (the host's own value is never touched).
in_netns() {
    local value=$1
    shift
    run unshare --net sh -c 'echo "$1" > /proc/sys/net/ipv4/ip_unprivileged_port_start && shift && exec "$@"' \
        sh "$value" "$@"
}

# --- Debian autopkgtest ------------------------------------------------------

@test "autopkgtest: debian/tests/control parses as autopkgtest reads it, with the restrictions we rely on" {
    [ -f /usr/share/autopkgtest/lib/testdesc.py ] || {
        echo "autopkgtest is missing: tools/ensure-packages autopkgtest" >&2
        return 1
    }
    run -0 "$PY" - "$REPO/packaging/debian" <<'EOF'
import sys
sys.path.insert(0, "/usr/share/autopkgtest/lib")
import testdesc
# What autopkgtest-virt-qemu offers: it runs every test here.
caps = ["isolation-machine", "isolation-container", "reboot", "root-on-testbed", "revert", "revert-full-testbed"]
tests, _ = testdesc.parse_debian_source(sys.argv[1] + "/..", caps, "amd64",
                                       control_path=sys.argv[1] + "/tests/control")
for t in tests:
    print(t.name, ",".join(sorted(t.restrictions)), ",".join(t.depends))
EOF
    [[ "$output" == *"installed isolation-machine,needs-root unprivileged-ports"* ]]
    [[ "$output" == *"reboot isolation-machine,needs-reboot,needs-root unprivileged-ports"* ]]
}

@test "autopkgtest: the test scripts are executable POSIX sh that parses" {
    for t in installed reboot check-ports; do
        f=packaging/debian/tests/$t
        [ -x "$f" ]
        [ "$(head -n 1 "$f")" = "#!/bin/sh" ]
        run -0 sh -n "$f"
    done
}

@test "autopkgtest: check-ports holds at 80 and at 1024, and fails where the value is not the one expected" {
    checker=$REPO/packaging/debian/tests/check-ports
    in_netns 80 "$checker" 80
    [ "$status" -eq 0 ]
    [[ "$output" == *"binding as: uid=65534/65534 gid=65534/65534 groups=\"\" CapEff=0000000000000000 NoNewPrivs=1"* ]]
    [ "$(grep -c ' ok$' <<<"$output")" -eq 28 ]
    in_netns 1024 "$checker" 1024
    [ "$status" -eq 0 ]
    # Negative controls: the wrong value, and binds that do not match it.
    in_netns 1024 "$checker" 80
    [ "$status" -eq 1 ]
    in_netns 443 sh -c 'sed "s/^got=.*/got=80/" "$1" > "$2" && chmod +x "$2" && exec "$2" 80' sh "$checker" \
        "$BATS_TEST_TMPDIR/lying-check-ports"
    [ "$status" -eq 1 ]
    [[ "$output" == *"tcp4:80        expected ok      got EACCES     FAIL"* ]]
}

# --- Fedora tmt / fmf --------------------------------------------------------

# fmf_lint DIR: every .fmf file under DIR parsed as YAML, the fmf tree built
# (a file is a node, "/name" keys are children, children inherit), and each
# leaf checked as a tmt test (test, summary) or plan (summary, discover,
# execute). Unknown keys are errors: tmt would reject or ignore them.
fmf_lint() {
    "$PY" - "$1" <<'EOF'
import os, re, sys, yaml
root = sys.argv[1]
TEST = {"summary", "description", "test", "framework", "require", "recommend", "duration", "tag", "tier",
        "component", "environment", "path", "enabled", "order", "link", "contact", "result", "check", "adjust",
        "id", "manual", "restart-on-exit-code", "restart-max-count", "restart-with-reboot"}
PLAN = {"summary", "description", "discover", "provision", "prepare", "execute", "report", "finish",
        "environment", "context", "enabled", "link", "adjust", "id", "tag", "tier", "contact", "gate"}
errors = []
if open(os.path.join(root, ".fmf/version")).read().strip() != "1":
    errors.append(".fmf/version: not 1")
nodes = {}
for d, dirs, files in os.walk(root):
    dirs[:] = [x for x in dirs if x not in (".git", "out", "build") and not x.startswith(".")]
    for f in files:
        if f.endswith(".fmf"):
            path = os.path.join(d, f)
            rel = "/" + os.path.relpath(d, root).replace(".", "").strip("/")
            name = rel.rstrip("/") + ("" if f == "main.fmf" else "/" + f[:-4])
            try:
                data = yaml.safe_load(open(path)) or {}
            except yaml.YAMLError as e:
                errors.append("%s: not YAML: %s" % (path, e))
                continue
            if not isinstance(data, dict):
                errors.append("%s: not a mapping" % path)
                continue
            nodes[name or "/"] = (data, d)

def inherited(name):
    """The data a file node gets from main.fmf files of the directories above."""
    out, parts = {}, name.strip("/").split("/")
    for i in range(len(parts)):
        parent = "/" + "/".join(parts[:i])
        if parent in nodes and parent != name:
            out.update({k: v for k, v in nodes[parent][0].items() if not k.startswith("/")})
    return out

leaves = []
def walk(name, data, base, d):
    merged = dict(base)
    merged.update({k: v for k, v in data.items() if not k.startswith("/")})
    kids = {k: v for k, v in data.items() if k.startswith("/")}
    for k, v in kids.items():
        walk(name.rstrip("/") + k, v or {}, merged, d)
    if not kids:
        leaves.append((name, merged, d))

for name, (data, d) in nodes.items():
    walk(name, data, inherited(name), d)

tests = plans = 0
for name, m, d in leaves:
    is_plan = "execute" in m or name.startswith("/plans")
    allowed = PLAN if is_plan else TEST
    for k in sorted(set(m) - allowed):
        errors.append("%s: unknown key %r" % (name, k))
    if not isinstance(m.get("summary"), str) or not m["summary"].strip():
        errors.append("%s: no summary" % name)
    if is_plan:
        plans += 1
        if not isinstance(m.get("discover"), dict) or m["discover"].get("how") not in ("fmf", "shell"):
            errors.append("%s: discover.how must be fmf or shell" % name)
        if not isinstance(m.get("execute"), dict) or m["execute"].get("how") != "tmt":
            errors.append("%s: execute.how must be tmt" % name)
        prov = m.get("provision", {})
        if prov and prov.get("how") not in ("virtual", "container", "connect", "local", "artemis", "beaker", "minute"):
            errors.append("%s: provision.how %r unknown" % (name, prov.get("how")))
        for step in m.get("prepare", []):
            if not isinstance(step, dict) or step.get("how") not in ("install", "shell", "ansible", "feature"):
                errors.append("%s: a prepare step without a known how" % name)
            elif step["how"] == "install" and not step.get("package"):
                errors.append("%s: prepare install without package" % name)
    else:
        tests += 1
        if not isinstance(m.get("test"), str) or not m["test"].strip():
            errors.append("%s: no test" % name)
            continue
        if m.get("framework", "shell") not in ("shell", "beakerlib"):
            errors.append("%s: framework %r" % (name, m.get("framework")))
        if "duration" in m and not re.fullmatch(r"(\d+[smhd]?\s*)+", str(m["duration"])):
            errors.append("%s: duration %r" % (name, m["duration"]))
        for r in m.get("require", []):
            if not isinstance(r, str):
                errors.append("%s: require entry %r is not a string" % (name, r))
        script = m["test"].split()[0]
        if script.startswith("./"):
            p = os.path.join(d, script)
            if not os.access(p, os.X_OK):
                errors.append("%s: test script %s missing or not executable" % (name, p))
            else:
                print("script", p)
for e in errors:
    print("ERROR", e)
print("%d tests, %d plans" % (tests, plans))
sys.exit(1 if errors or not tests or not plans else 0)
EOF
}

@test "fmf: every .fmf file is YAML, and every test and plan has the keys tmt needs" {
    run -0 fmf_lint "$REPO"
    [[ "${lines[-1]}" == "2 tests, 1 plans" ]]
    [[ "$output" == *"script $REPO/tests/fmf/./installed.sh"* ]]
    [[ "$output" == *"script $REPO/tests/fmf/./reboot.sh"* ]]
}

@test "fmf: the lint fails on a typo, a missing test and broken YAML (negative controls)" {
    t=$BATS_TEST_TMPDIR/tree
    mkdir -p "$t"
    cp -r .fmf plans tests "$t/"
    sed -i 's/^summary:/sumary:/' "$t/plans/main.fmf"
    run fmf_lint "$t"
    [ "$status" -eq 1 ]
    [[ "$output" == *"unknown key 'sumary'"* ]]
    cp plans/main.fmf "$t/plans/main.fmf"
    sed -i 's|^    test: ./reboot.sh|    tset: ./reboot.sh|' "$t/tests/fmf/main.fmf"
    run fmf_lint "$t"
    [ "$status" -eq 1 ]
    [[ "$output" == *"/tests/fmf/reboot: no test"* ]]
    printf 'summary: [unclosed\n' > "$t/tests/fmf/main.fmf"
    run fmf_lint "$t"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not YAML"* ]]
}

@test "fmf: the test scripts parse (bash -n) and use tmt's reboot interface" {
    for f in tests/fmf/installed.sh tests/fmf/reboot.sh; do
        [ "$(head -n 1 "$f")" = "#!/bin/bash" ]
        run -0 bash -n "$f"
    done
    run -0 "$PY" -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' tests/fmf/check-ports
    grep -q 'tmt-reboot' tests/fmf/reboot.sh
    grep -q 'TMT_REBOOT_COUNT' tests/fmf/reboot.sh
}

@test "fmf: the Fedora checker holds at 80 and 1024 and fails on the wrong value, like the Debian one" {
    # It re-runs itself as nobody, who must reach it: not so in a clone under
    # /root (0700), nor in bats' own temporary directories (0700).
    d=$(mktemp -d /tmp/portcheck-fmf-test.XXXXXX)
    NOBODY_DIR=$d
    chmod 755 "$d"
    install -m 0755 "$REPO/tests/fmf/check-ports" "$d/"
    checker=$d/check-ports
    in_netns 80 "$checker" 80
    [ "$status" -eq 0 ]
    [ "$(grep -c ' ok$' <<<"$output")" -eq 28 ]
    in_netns 1024 "$checker" 1024
    [ "$status" -eq 0 ]
    in_netns 1024 "$checker" 80
    [ "$status" -eq 1 ]
    # The bind half alone, told the wrong value: every port it disagrees on fails.
    in_netns 443 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
        --no-new-privs "$checker" --binds 80
    [ "$status" -eq 1 ]
    [[ "$output" == *"tcp4:80        expected ok      got EACCES     FAIL"* ]]
}

# --- portcheck(1) and make install --------------------------------------------

@test "man: portcheck.1 renders without a warning" {
    run -0 --separate-stderr env MANWIDTH=80 man --warnings -l "$MAN"
    [ -z "$stderr" ]
    [[ "$output" == *"portcheck host"* ]]
    run -0 --separate-stderr groff -man -ww -z "$MAN"
    [ -z "$stderr" ]
}

@test "man: every long option of --help is in the man page, and every one there is in --help" {
    run -0 "$PORTCHECK" --help
    help_opts=$(grep -oE -- '--[a-z][a-z-]*' <<<"$output" | sort -u)
    # The man page's options: the tag line after each .TP, and the synopsis.
    man_opts=$(awk '/^\.TP/ { tp = 1; next } tp { print; tp = 0 } /^\.SH SYNOPSIS/, /^\.SH DESCRIPTION/' "$MAN" |
        grep -oE -- '\\-\\-[a-z][a-z\\-]*' | sed 's/\\-/-/g' | sort -u)
    echo "only in --help: $(comm -23 <(echo "$help_opts") <(echo "$man_opts") | tr '\n' ' ')"
    echo "only in the man page: $(comm -13 <(echo "$help_opts") <(echo "$man_opts") | tr '\n' ' ')"
    [ "$help_opts" = "$man_opts" ]
    # And the commands.
    for cmd in run report list host bench; do
        grep -Eq "^(Usage:)? *portcheck $cmd( |$)" <<<"$("$PORTCHECK" --help)"
        MANWIDTH=200 man -l "$MAN" 2>/dev/null | grep -q "portcheck $cmd"
    done
}

# The top Makefile includes harness/install.mk; until it does, name it.
make_install() {
    if grep -q '^include harness/install.mk' Makefile; then
        make -s "$@"
    else
        make -s -f Makefile -f harness/install.mk "$@"
    fi
}

@test "make install PREFIX=DIR: bin, libexec and man1, and the installed portcheck finds its agent" {
    p=$BATS_TEST_TMPDIR/prefix
    run -0 make_install install PREFIX="$p"
    [ -L "$p/bin/portcheck" ]
    [ "$(readlink "$p/bin/portcheck")" = "$p/libexec/portcheck/portcheck" ]
    [ -x "$p/libexec/portcheck/portcheck" ]
    [ -x "$p/libexec/portcheck/portcheck-agent" ]
    [ "$(stat -c %a "$p/share/man/man1/portcheck.1")" = 644 ]
    run -0 "$p/bin/portcheck" --version
    [ "$output" = "portcheck $(cat packaging/VERSION)" ]
    # The default agent is found through the symlink: the next check is qemu.
    run "$p/bin/portcheck" run --qemu /nonexistent/qemu --out "$BATS_TEST_TMPDIR/o"
    [ "$status" -eq 2 ]
    [[ "$output" == *"qemu binary /nonexistent/qemu not found"* ]]
    run -0 env MANPATH="$p/share/man" man -w portcheck
    [ "$output" = "$p/share/man/man1/portcheck.1" ]
}

@test "make install DESTDIR=STAGE PREFIX=/usr: staged files point at the final paths; uninstall removes them" {
    s=$BATS_TEST_TMPDIR/stage
    run -0 make_install install DESTDIR="$s" PREFIX=/usr
    [ "$(readlink "$s/usr/bin/portcheck")" = /usr/libexec/portcheck/portcheck ]
    [ -x "$s/usr/libexec/portcheck/portcheck-agent" ]
    [ -f "$s/usr/share/man/man1/portcheck.1" ]
    run -0 make_install uninstall DESTDIR="$s" PREFIX=/usr
    [ -z "$(find "$s" -type f -o -type l)" ]
}
