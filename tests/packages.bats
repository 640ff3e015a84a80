#!/usr/bin/env bats
# Tests of the unprivileged-ports packages: contents, metadata, linters, and
# the behaviour of the maintainer scripts (Debian postinst/postrm, rpm
# post/postun).
#
# Why stubs: the maintainer scripts change a live kernel setting, and these
# tests must never touch the host kernel. So the scripts run
#   - with PATH holding only stub ischroot/systemd-detect-virt/systemd-sysctl/
#     sysctl commands that record their arguments in a log, and
#   - inside `unshare --mount --net`, where a private tmpfs over /run fakes a
#     booted system (/run/systemd/system or /run/initctl) and private tmpfs
#     over the sysctl.d directories stage admin overrides; the real
#     systemd-sysctl and sysctl binaries are covered by a stub that fails the
#     test if called. The private network namespace adds a last guard: the
#     setting is per network namespace, so even a real tool could only change
#     a throwaway namespace's copy.
# The "real tools" tests run the real procps sysctl / systemd-sysctl on
# purpose, but only inside such a throwaway network namespace, with only the
# staged files visible. The last test checks the host's value is unchanged.
#
# Needs root (unshare). setup_file builds the packages with
# `make deb rpm deb-broken` (a no-op when they are up to date).

bats_require_minimum_version 1.5.0

KEY=net.ipv4.ip_unprivileged_port_start
PROC=/proc/sys/net/ipv4/ip_unprivileged_port_start
CONF_NAME=30-unprivileged-ports.conf

setup_file() {
    REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    VERSION=$(cat "$REPO/packaging/VERSION")
    local out=${OUT:-out}
    case $out in /*) ;; *) out=$REPO/$out ;; esac
    export REPO VERSION
    export DEB=$out/unprivileged-ports_${VERSION}_all.deb
    export RPM=$out/unprivileged-ports-${VERSION}-1.noarch.rpm
    export BROKEN_DEB=$out/broken/unprivileged-ports_${VERSION}_all.deb
    export SPEC=$REPO/packaging/rpm/unprivileged-ports.spec
    export CONF=$REPO/sysctl.d/$CONF_NAME
    export HOST_VALUE_FILE=$BATS_FILE_TMPDIR/host-value
    cat "$PROC" >"$HOST_VALUE_FILE"

    # The packages' own tools are ensured by make; cpio is the tests' own.
    "$REPO/tools/ensure-packages" cpio
    if ! make -C "$REPO" deb rpm deb-broken PKG_VERSION="$VERSION" \
        >"$BATS_FILE_TMPDIR/make.log" 2>&1; then
        cat "$BATS_FILE_TMPDIR/make.log" >&2
        return 1
    fi

    # The maintainer scripts exactly as shipped.
    export SCRIPTS=$BATS_FILE_TMPDIR/scripts
    mkdir -p "$SCRIPTS/deb"
    dpkg-deb -e "$DEB" "$SCRIPTS/deb"
    export POSTINST=$SCRIPTS/deb/postinst POSTRM=$SCRIPTS/deb/postrm
    export RPM_POST=$SCRIPTS/rpm-post RPM_POSTUN=$SCRIPTS/rpm-postun
    rpm -qp --qf '%{POSTIN}' "$RPM" >"$RPM_POST"
    rpm -qp --qf '%{POSTUN}' "$RPM" >"$RPM_POSTUN"

    # Stands in for the real systemd-sysctl and sysctl inside the namespace.
    export FORBIDDEN=$BATS_FILE_TMPDIR/forbidden
    cat >"$FORBIDDEN" <<'EOF'
#!/bin/sh
echo "FORBIDDEN real tool called: $0 $*" >>"$STUB_LOG"
exit 97
EOF
    chmod +x "$FORBIDDEN"

    # Runs as `unshare --mount --net sh ns-driver BOOT SNIPPET`. unshare makes
    # the mount namespace private: none of these mounts is seen outside.
    export NS_DRIVER=$BATS_FILE_TMPDIR/ns-driver
    cat >"$NS_DRIVER" <<'EOF'
set -eu
boot=$1 snippet=$2
mount -t tmpfs tmpfs /run
for d in /etc/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
    if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; fi
done
if [ -e /etc/sysctl.conf ]; then
    : >"$BATS_TEST_TMPDIR/sysctl.conf"
    mount --bind "$BATS_TEST_TMPDIR/sysctl.conf" /etc/sysctl.conf
fi
if [ "${REAL_TOOLS:-0}" != 1 ]; then
    for t in /usr/lib/systemd/systemd-sysctl /lib/systemd/systemd-sysctl \
        /usr/sbin/sysctl /sbin/sysctl; do
        if [ -e "$t" ]; then mount --bind "$FORBIDDEN" "$t"; fi
    done
fi
case $boot in
    systemd) mkdir -p /run/systemd/system ;;
    sysv) mkfifo /run/initctl ;;
    none) ;;
    *) echo "ns-driver: unknown boot $boot" >&2; exit 2 ;;
esac
eval "$snippet"
EOF
}

setup() {
    unset DPKG_ROOT REAL_TOOLS
    export BIN=$BATS_TEST_TMPDIR/bin
    mkdir -p "$BIN"
    # The scripts need grep besides shell builtins; nothing else is on PATH.
    ln -s "$(command -v grep)" "$BIN/grep"
    export STUB_LOG=$BATS_TEST_TMPDIR/calls.log
    : >"$STUB_LOG"
}

# stub NAME [EXIT]: a command that appends "NAME ARGS..." to $STUB_LOG.
stub() {
    printf '#!/bin/sh\necho "%s $*" >>"$STUB_LOG"\nexit %s\n' "$1" "${2:-0}" >"$BIN/$1"
    chmod +x "$BIN/$1"
}

# probe NAME EXIT: ischroot or systemd-detect-virt answering EXIT (0: chroot).
probe() {
    printf '#!/bin/sh\nexit %s\n' "$2" >"$BIN/$1"
    chmod +x "$BIN/$1"
}

# A booted system as the probes see it: not a chroot, both tools present.
booted_stubs() {
    probe ischroot 1
    stub systemd-sysctl
    stub sysctl
}

require_ns() {
    [ "$(id -u)" -eq 0 ] || skip "needs root for unshare"
    unshare --mount --net true 2>/dev/null || skip "unshare --mount --net not permitted here"
}

# in_ns BOOT SNIPPET: run SNIPPET (sh) in a throwaway mount and network
# namespace with BOOT (systemd|sysv|none) faked and empty sysctl.d dirs.
in_ns() {
    require_ns
    run unshare --mount --net /bin/sh "$NS_DRIVER" "$@"
}

# Run a maintainer script with only the stubs on PATH.
script() { echo "PATH=\$BIN /bin/sh $*"; }

calls() { cat "$STUB_LOG"; }

# refute CMD...: fail if CMD succeeds (a bare "! CMD" does not fail a test).
refute() { if "$@"; then return 1; fi; }

assert_calls() {
    local want=$1
    if [ "$(calls)" != "$want" ]; then
        printf 'calls:\n%s\nwanted:\n%s\nscript output:\n%s\n' "$(calls)" "$want" "$output" >&2
        return 1
    fi
}

# The lines of a file that are not comments or blank.
settings() { grep -Ev '^[[:space:]]*([#;]|$)' "$1"; }

# Body of the shell block shared by all maintainer scripts.
shared_block() { sed -n '/^# >>> unprivileged-ports shared block >>>$/,/^# <<< unprivileged-ports shared block <<<$/p' "$1"; }

# --- the policy file -------------------------------------------------------

@test "conf: sets exactly one key, net.ipv4.ip_unprivileged_port_start = 80, with the '-' prefix" {
    run settings "$CONF"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" =~ ^-net\.ipv4\.ip_unprivileged_port_start[[:space:]]*=[[:space:]]*80[[:space:]]*$ ]]
}

@test "conf: file name has a two-digit NN- prefix between 10 and 40" {
    [[ "$CONF_NAME" =~ ^([0-9]{2})-.+\.conf$ ]]
    local nn=$((10#${BASH_REMATCH[1]}))
    [ "$nn" -ge 10 ]
    [ "$nn" -le 40 ]
}

@test "conf: documents the trade-off and both ways to opt out" {
    grep -q '/dev/null' "$CONF"
    grep -q '1024' "$CONF"
    grep -Eq '\b22\b' "$CONF"
    grep -Eq '\b631\b' "$CONF"
    grep -qi 'namespace' "$CONF"
    # The measured NFS finding (scenario nfs-secure-export) and its way out.
    grep -q 'NFS export' "$CONF"
    grep -q 'sec=krb5' "$CONF"
}

# --- versions and metadata -------------------------------------------------

@test "version: packaging/VERSION, debian/changelog, the spec and both packages agree" {
    [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
    [ "$(dpkg-parsechangelog -l "$REPO/packaging/debian/changelog" -S Version)" = "$VERSION" ]
    [ "$(rpmspec -q --qf '%{VERSION}\n' "$SPEC" 2>/dev/null)" = "$VERSION" ]
    [ "$(dpkg-deb -f "$DEB" Version)" = "$VERSION" ]
    [ "$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$RPM")" = "$VERSION-1" ]
}

@test "deb: package unprivileged-ports, Architecture all, no Depends beyond misc" {
    [ "$(dpkg-deb -f "$DEB" Package)" = unprivileged-ports ]
    [ "$(dpkg-deb -f "$DEB" Architecture)" = all ]
    [ -z "$(dpkg-deb -f "$DEB" Depends Pre-Depends)" ]
}

@test "rpm: package unprivileged-ports, noarch, license MIT" {
    [ "$(rpm -qp --qf '%{NAME} %{ARCH} %{LICENSE}' "$RPM")" = "unprivileged-ports noarch MIT" ]
}

@test "deb: Description states the security trade-off and how to opt out" {
    run dpkg-deb -f "$DEB" Description
    [[ "$output" == *"80-1023"* ]]
    [[ "$output" == *"before the real"* ]]
    [[ "$output" == *"/dev/null /etc/sysctl.d/$CONF_NAME"* ]]
    [[ "$output" == *"NFS export"*"sec=krb5"* ]]
    run rpm -qp --qf '%{DESCRIPTION}' "$RPM"
    [[ "$output" == *"NFS export"*"sec=krb5"* ]]
}

# --- payload ---------------------------------------------------------------

@test "deb: payload is exactly the sysctl file in /usr/lib/sysctl.d plus copyright and changelog" {
    run bash -c "dpkg-deb -c '$DEB' | awk '\$1 !~ /^d/ {print \$1, \$2, \$6}' | sort"
    [ "$status" -eq 0 ]
    [ "$output" = "-rw-r--r-- root/root ./usr/lib/sysctl.d/$CONF_NAME
-rw-r--r-- root/root ./usr/share/doc/unprivileged-ports/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/unprivileged-ports/copyright" ]
}

@test "deb: shipped sysctl file is byte-identical to sysctl.d/30-unprivileged-ports.conf" {
    dpkg-deb -x "$DEB" "$BATS_TEST_TMPDIR/x"
    cmp "$CONF" "$BATS_TEST_TMPDIR/x/usr/lib/sysctl.d/$CONF_NAME"
}

@test "rpm: payload is the sysctl file in /usr/lib/sysctl.d plus the license" {
    run bash -c "rpm -qpl '$RPM' | grep -v '^/usr/share/licenses/'"
    [ "$output" = "/usr/lib/sysctl.d/$CONF_NAME" ]
    rpm -qpl "$RPM" | grep -q '^/usr/share/licenses/.*/LICENSE$'
}

@test "rpm: shipped sysctl file is byte-identical to sysctl.d/30-unprivileged-ports.conf" {
    mkdir "$BATS_TEST_TMPDIR/x"
    (cd "$BATS_TEST_TMPDIR/x" && rpm2cpio "$RPM" | cpio -idm --quiet)
    cmp "$CONF" "$BATS_TEST_TMPDIR/x/usr/lib/sysctl.d/$CONF_NAME"
}

@test "deb-broken: the negative-control package ships no sysctl file" {
    [ "$(dpkg-deb -f "$BROKEN_DEB" Package Version)" = "Package: unprivileged-ports
Version: $VERSION" ]
    run dpkg-deb -c "$BROKEN_DEB"
    [ "$status" -eq 0 ]
    [[ "$output" != *sysctl* ]]
}

# --- linters ---------------------------------------------------------------

@test "lintian: no errors or warnings on the deb" {
    run lintian --fail-on error,warning "$DEB"
    [ "$status" -eq 0 ]
    refute grep -Eq '^[EW]: ' <<<"$output"
}

@test "rpmlint: 0 errors on the spec and the rpm" {
    run rpmlint -r "$REPO/packaging/rpm/unprivileged-ports.rpmlintrc" "$SPEC" "$RPM"
    [ "$status" -eq 0 ]
    [[ "$output" == *" 0 errors,"* ]]
}

# --- maintainer scripts: shape ---------------------------------------------

@test "scripts: postinst, postrm and the rpm scriptlets carry one identical shared block" {
    local ref
    ref=$(shared_block "$POSTINST")
    [ "$(wc -l <<<"$ref")" -gt 20 ]
    for f in "$POSTRM" "$RPM_POST" "$RPM_POSTUN"; do
        diff <(echo "$ref") <(shared_block "$f")
    done
}

@test "scripts: Debian scripts are POSIX sh with set -e, as shipped by debhelper" {
    for f in "$POSTINST" "$POSTRM"; do
        [ "$(head -1 "$f")" = "#!/bin/sh" ]
        grep -qx 'set -e' "$f"
        refute grep -q '#DEBHELPER#' "$f"
        dash -n "$f"
    done
    dash -n "$RPM_POST"
    dash -n "$RPM_POSTUN"
}

# --- postinst (stubs) ------------------------------------------------------

@test "postinst: booted systemd applies the key with systemd-sysctl --prefix" {
    booted_stubs
    in_ns systemd "$(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    assert_calls "systemd-sysctl --prefix=$KEY"
}

@test "postinst: booted sysvinit applies the key with sysctl --pattern before --system" {
    booted_stubs
    in_ns sysv "$(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    run -0 calls
    [[ "$output" =~ ^sysctl\ -q\ --pattern\ (.*)\ --system$ ]]
    local re=${BASH_REMATCH[1]}
    # The pattern selects the key however a sysctl.d line spells it...
    grep -Eq "$re" <<<"-$KEY = 80"
    grep -Eq "$re" <<<"  net/ipv4/ip_unprivileged_port_start=80"
    # ...and nothing else.
    refute grep -Eq "$re" <<<"net.ipv4.ip_default_ttl = 64"
    refute grep -Eq "$re" <<<"# $KEY = 80"
    refute grep -Eq "$re" <<<"${KEY}_other = 80"
}

@test "postinst: in a chroot (ischroot) it calls nothing" {
    booted_stubs
    probe ischroot 0
    in_ns systemd "$(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "postinst: with DPKG_ROOT set it calls nothing" {
    booted_stubs
    in_ns systemd "DPKG_ROOT=/srv/image $(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "postinst: without a running init (container or image build) it calls nothing" {
    booted_stubs
    in_ns none "$(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "postinst: without ischroot, systemd-detect-virt --chroot is the chroot probe" {
    stub systemd-sysctl
    probe systemd-detect-virt 0
    in_ns systemd "$(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "postinst: other actions (abort-upgrade) call nothing" {
    booted_stubs
    in_ns systemd "$(script "$POSTINST" abort-upgrade 0.0.1)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "postinst: a failing apply still exits 0 and prints exactly one warning line" {
    probe ischroot 1
    printf '#!/bin/sh\necho "systemd-sysctl $*" >>"$STUB_LOG"\necho noise >&2\nexit 1\n' >"$BIN/systemd-sysctl"
    chmod +x "$BIN/systemd-sysctl"
    in_ns systemd "$(script "$POSTINST" configure) 2>&1"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == "unprivileged-ports: warning: "* ]]
    assert_calls "systemd-sysctl --prefix=$KEY"
}

@test "postinst: with neither systemd-sysctl nor sysctl it exits 0 with one warning" {
    probe ischroot 1
    in_ns sysv "$(script "$POSTINST" configure) 2>&1"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == "unprivileged-ports: warning: "* ]]
    assert_calls ""
}

# --- postrm (stubs) --------------------------------------------------------

@test "postrm: remove with no other file setting the key writes the default 1024" {
    booted_stubs
    in_ns systemd "$(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    assert_calls "sysctl -q -w $KEY=1024"
}

@test "postrm: remove with an /etc/sysctl.d file setting the key re-applies instead" {
    booted_stubs
    in_ns systemd "echo '$KEY = 85' >/etc/sysctl.d/90-local.conf
        $(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    assert_calls "systemd-sysctl --prefix=$KEY"
}

@test "postrm: remove with another package's /usr/lib/sysctl.d file setting the key re-applies (sysvinit: sysctl --system)" {
    booted_stubs
    in_ns sysv "echo '-net/ipv4/ip_unprivileged_port_start=443' >/usr/lib/sysctl.d/40-other.conf
        $(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    run -0 calls
    [[ "$output" =~ ^sysctl\ -q\ --pattern\ .*\ --system$ ]]
}

@test "postrm: a file masked by an /etc symlink to /dev/null does not count, so 1024 is written" {
    booted_stubs
    in_ns systemd "echo '$KEY = 85' >/usr/lib/sysctl.d/50-other.conf
        ln -s /dev/null /etc/sysctl.d/50-other.conf
        echo '# $KEY = 85' >/etc/sysctl.d/60-comment.conf
        $(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    assert_calls "sysctl -q -w $KEY=1024"
}

@test "postrm: /etc/sysctl.conf counts for procps (sysvinit) but not for systemd-sysctl" {
    [ -e /etc/sysctl.conf ] || skip "no /etc/sysctl.conf to stage over"
    booted_stubs
    in_ns sysv "echo '$KEY = 85' >/etc/sysctl.conf; $(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    [[ "$(calls)" == "sysctl -q --pattern "*" --system" ]]
    : >"$STUB_LOG"
    in_ns systemd "echo '$KEY = 85' >/etc/sysctl.conf; $(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    assert_calls "sysctl -q -w $KEY=1024"
}

@test "postrm: purge, upgrade and failed-upgrade call nothing" {
    booted_stubs
    for action in purge upgrade failed-upgrade; do
        in_ns systemd "$(script "$POSTRM" "$action" 0.2.0)"
        [ "$status" -eq 0 ]
    done
    assert_calls ""
}

@test "postrm: remove in a chroot or with DPKG_ROOT calls nothing" {
    booted_stubs
    in_ns systemd "DPKG_ROOT=/srv/image $(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    probe ischroot 0
    in_ns systemd "$(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "postrm: a failing restore still exits 0 and prints exactly one warning line" {
    probe ischroot 1
    stub sysctl 1
    in_ns sysv "$(script "$POSTRM" remove) 2>&1"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == "unprivileged-ports: warning: "* ]]
}

# --- rpm scriptlets (stubs) ------------------------------------------------

@test "rpm post: booted systemd applies the key with systemd-sysctl --prefix (install and upgrade)" {
    booted_stubs
    in_ns systemd "$(script "$RPM_POST" 1); $(script "$RPM_POST" 2)"
    [ "$status" -eq 0 ]
    assert_calls "systemd-sysctl --prefix=$KEY
systemd-sysctl --prefix=$KEY"
}

@test "rpm post: in a chroot (systemd-detect-virt --chroot, no ischroot) it calls nothing" {
    stub systemd-sysctl
    stub sysctl
    probe systemd-detect-virt 0
    in_ns systemd "$(script "$RPM_POST" 1)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "rpm post: without a running init (image build) it calls nothing" {
    booted_stubs
    in_ns none "$(script "$RPM_POST" 1)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "rpm postun: erase (argument 0) with no other file setting the key writes 1024" {
    booted_stubs
    in_ns systemd "$(script "$RPM_POSTUN" 0)"
    [ "$status" -eq 0 ]
    assert_calls "sysctl -q -w $KEY=1024"
}

@test "rpm postun: erase with an /etc/sysctl.d file setting the key re-applies instead" {
    booted_stubs
    in_ns systemd "echo '$KEY = 85' >/etc/sysctl.d/90-local.conf
        $(script "$RPM_POSTUN" 0)"
    [ "$status" -eq 0 ]
    assert_calls "systemd-sysctl --prefix=$KEY"
}

@test "rpm postun: upgrade (argument 1) calls nothing" {
    booted_stubs
    in_ns systemd "$(script "$RPM_POSTUN" 1)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

# --- real tools, in a throwaway network namespace --------------------------

# Snippet: install the packaged file into the namespace's /usr/lib/sysctl.d.
stage_conf() { echo "cp '$CONF' /usr/lib/sysctl.d/"; }
real_path() { echo "PATH=\$BIN:/usr/sbin:/usr/bin:/sbin:/bin"; }

@test "real procps sysctl (sysvinit): postinst sets 80 and touches no other key; postrm remove restores 1024" {
    command -v sysctl >/dev/null || skip "procps not installed"
    export REAL_TOOLS=1
    probe ischroot 1
    in_ns sysv "$(stage_conf)
        echo 'net.ipv4.ip_default_ttl = 33' >/usr/lib/sysctl.d/31-other.conf
        $(real_path) /bin/sh '$POSTINST' configure
        cat $PROC /proc/sys/net/ipv4/ip_default_ttl
        rm /usr/lib/sysctl.d/$CONF_NAME
        $(real_path) /bin/sh '$POSTRM' remove
        cat $PROC"
    [ "$status" -eq 0 ]
    [ "${lines[*]}" = "80 64 1024" ]
}

@test "real procps sysctl: a later-sorting /etc file and an /etc mask both beat the packaged file" {
    command -v sysctl >/dev/null || skip "procps not installed"
    export REAL_TOOLS=1
    probe ischroot 1
    in_ns sysv "$(stage_conf)
        echo '$KEY = 1024' >/etc/sysctl.d/90-privileged-ports.conf
        $(real_path) /bin/sh '$POSTINST' configure
        cat $PROC
        rm /etc/sysctl.d/90-privileged-ports.conf
        ln -s /dev/null /etc/sysctl.d/$CONF_NAME
        $(real_path) /bin/sh '$POSTINST' configure
        cat $PROC"
    [ "$status" -eq 0 ]
    [ "${lines[*]}" = "1024 1024" ]
}

@test "real systemd-sysctl (systemd): postinst sets 80; postrm remove keeps an /etc override's value" {
    [ -x /usr/lib/systemd/systemd-sysctl ] || [ -x /lib/systemd/systemd-sysctl ] ||
        skip "systemd-sysctl not installed"
    export REAL_TOOLS=1
    probe ischroot 1
    in_ns systemd "$(stage_conf)
        $(real_path) /bin/sh '$POSTINST' configure
        cat $PROC
        echo '$KEY = 85' >/etc/sysctl.d/90-local.conf
        rm /usr/lib/sysctl.d/$CONF_NAME
        echo 80 >$PROC
        $(real_path) /bin/sh '$POSTRM' remove
        cat $PROC"
    [ "$status" -eq 0 ]
    [ "${lines[*]}" = "80 85" ]
}

@test "postrm without any sysctl tool writes 1024 to /proc directly" {
    probe ischroot 1
    in_ns sysv "echo 80 >$PROC
        $(script "$POSTRM" remove)
        cat $PROC"
    [ "$status" -eq 0 ]
    [ "$output" = 1024 ]
    assert_calls ""
}

# --- the host ----------------------------------------------------------------

@test "host: net.ipv4.ip_unprivileged_port_start is unchanged by these tests" {
    [ "$(cat "$PROC")" = "$(cat "$HOST_VALUE_FILE")" ]
}
