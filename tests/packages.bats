#!/usr/bin/env bats
# Tests of the unprivileged-ports packages: the release tarball and the
# source packages, contents, metadata, linters, reproducibility, and the
# behaviour of the maintainer scripts (Debian postinst/postrm, rpm
# post/postun).
#
# Why stubs: the maintainer scripts change a live kernel setting, and these
# tests must never touch the host kernel. So the scripts run
#   - with PATH holding only stub ischroot/sysctl commands (and sed) that
#     record their arguments in a log,
#   - inside `unshare --mount --net`, where a private tmpfs over /run fakes a
#     booted system (/run/systemd/system or /run/initctl), private tmpfs
#     over the sysctl.d directories stage admin overrides, a file bound over
#     /proc/cmdline stages the kernel command line, and a stub is bound over
#     /usr/lib/systemd/systemd-sysctl (the real sysctl binaries are covered
#     by a stub that fails the test if called). The private network
#     namespace adds a last guard: the setting is per network namespace, so
#     the scripts' own write to /proc and even a real tool can only change a
#     throwaway namespace's copy. The stubs record the namespace's value when
#     called, so the tests see what was written before the tool re-applied.
# The "real tools" tests run the real procps sysctl / systemd-sysctl on
# purpose, but only inside such a throwaway network namespace, with only the
# staged files visible. The last test checks the host's value is unchanged.
# The real image-build path complements the chroot stubs below, it does not
# replace them: tests/preinstalled.bats has mmdebstrap install the .deb in
# its chroot and checks the host's value and what the guards saw there; only
# the stubs reach each guard alone (DPKG_ROOT, ischroot's own answer, no
# init running outside a chroot) and the branches that do apply the key.
#
# Needs root (unshare). setup_file builds everything with
# `make dist source deb rpm deb-broken` (a no-op when up to date).

bats_require_minimum_version 1.5.0

KEY=net.ipv4.ip_unprivileged_port_start
PROC=/proc/sys/net/ipv4/ip_unprivileged_port_start
CONF_NAME=30-unprivileged-ports.conf
SYSTEMD_SYSCTL=/usr/lib/systemd/systemd-sysctl

setup_file() {
    REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    VERSION=$(cat "$REPO/packaging/VERSION")
    local out=${OUT:-out}
    case $out in /*) ;; *) out=$REPO/$out ;; esac
    export REPO VERSION OUTDIR=$out
    export DEB=$out/unprivileged-ports_${VERSION}_all.deb
    export RPM=$out/unprivileged-ports-${VERSION}-1.noarch.rpm
    export SRPM=$out/unprivileged-ports-${VERSION}-1.src.rpm
    export DSC=$out/unprivileged-ports_${VERSION}-1.dsc
    export DIST=$out/unprivileged-ports-${VERSION}.tar.gz
    export CHANGES=$out/build/deb-$VERSION/unprivileged-ports_${VERSION}-1_$(dpkg --print-architecture).changes
    export BROKEN_DEB=$out/broken/unprivileged-ports_${VERSION}_all.deb
    export SPEC=$REPO/packaging/rpm/unprivileged-ports.spec
    export RPMLINTRC=$REPO/packaging/rpm/unprivileged-ports.rpmlintrc
    export CONF=$REPO/sysctl.d/$CONF_NAME
    export HOST_VALUE_FILE=$BATS_FILE_TMPDIR/host-value
    cat "$PROC" >"$HOST_VALUE_FILE"

    # The packages' own tools are ensured by make; cpio is the tests' own.
    "$REPO/tools/ensure-packages" cpio python3-yaml
    if ! make -C "$REPO" dist source deb rpm deb-broken PKG_VERSION="$VERSION" \
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
    # $CMDLINE (default: none of ours) is bound over /proc/cmdline.
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
echo "${CMDLINE:-BOOT_IMAGE=/vmlinuz root=/dev/vda ro quiet}" >"$BATS_TEST_TMPDIR/cmdline"
mount --bind "$BATS_TEST_TMPDIR/cmdline" /proc/cmdline
if [ "${REAL_TOOLS:-0}" != 1 ]; then
    for t in /usr/sbin/sysctl /sbin/sysctl; do
        if [ -e "$t" ]; then mount --bind "$FORBIDDEN" "$t"; fi
    done
    if [ -e "$BIN/systemd-sysctl" ]; then
        mount --bind "$BIN/systemd-sysctl" /usr/lib/systemd/systemd-sysctl
    else
        mount --bind "$FORBIDDEN" /usr/lib/systemd/systemd-sysctl
    fi
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
    unset DPKG_ROOT REAL_TOOLS CMDLINE
    export BIN=$BATS_TEST_TMPDIR/bin
    mkdir -p "$BIN"
    # The scripts need sed besides shell builtins; nothing else is on PATH.
    ln -s "$(command -v sed)" "$BIN/sed"
    export STUB_LOG=$BATS_TEST_TMPDIR/calls.log PROBE_LOG=$BATS_TEST_TMPDIR/probes.log
    : >"$STUB_LOG"
    : >"$PROBE_LOG"
}

# stub NAME [EXIT]: a command that appends "NAME ARGS... (at VALUE)" to
# $STUB_LOG, VALUE being the namespace's ip_unprivileged_port_start then.
stub() {
    # cat, not the shell's read: dash reads a byte at a time, and /proc/sys
    # answers a read at a nonzero offset with end of file.
    printf '#!/bin/sh\necho "%s $* (at $(%s %s))" >>"$STUB_LOG"\nexit %s\n' "$1" "$(command -v cat)" "$PROC" "${2:-0}" >"$BIN/$1"
    chmod +x "$BIN/$1"
}

# probe NAME EXIT: ischroot answering EXIT (0: chroot); logs its arguments.
probe() {
    printf '#!/bin/sh\necho "%s $*" >>"$PROBE_LOG"\nexit %s\n' "$1" "$2" >"$BIN/$1"
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
    [ -x "$SYSTEMD_SYSCTL" ] || skip "no $SYSTEMD_SYSCTL to stand a stub in for"
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

# The shell lines of a script: not the #! line, comments or blank lines.
shell_lines() { grep -Ev '^[[:space:]]*(#|$)' "$1"; }

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

# --- the release tarball and the source packages ---------------------------

@test "dist: one top directory, every tracked file, owner root, mtimes the commit date; the .sha256 verifies" {
    (cd "$OUTDIR" && sha256sum -c "$(basename "$DIST").sha256")
    run -0 tar -tzvf "$DIST"
    local epoch
    epoch=$(git -C "$REPO" log -1 --format=%ct)
    refute grep -v " 0/0 " <<<"$output"
    refute grep -v " $(date -u -d "@$epoch" '+%Y-%m-%d %H:%M') unprivileged-ports-$VERSION/" <<<"$(TZ=UTC tar -tzvf "$DIST")"
    diff <(git -C "$REPO" ls-files | sort) <(tar -tzf "$DIST" | sed "s,^unprivileged-ports-$VERSION/,," | sort)
    # gzip -n: no name, no time stamp in the gzip header (bytes 4-7 zero).
    [ "$(od -An -tx1 -j4 -N4 "$DIST" | tr -d ' \n')" = 00000000 ]
}

@test "dist: the same commit and tree give the same bytes" {
    local again=$BATS_TEST_TMPDIR/out
    make -C "$REPO" dist OUT="$again" PKG_VERSION="$VERSION" >/dev/null
    cmp "$DIST" "$again/$(basename "$DIST")"
}

@test "source: a 3.0 (quilt) .dsc whose .orig.tar.gz is the release tarball and whose debian/ is packaging/debian" {
    [ "$(sed -n 's/^Format: //p' "$DSC")" = "3.0 (quilt)" ]
    [ "$(sed -n 's/^Version: //p' "$DSC")" = "$VERSION-1" ]
    cmp "$DIST" "$OUTDIR/unprivileged-ports_$VERSION.orig.tar.gz"
    local x=$BATS_TEST_TMPDIR/x
    dpkg-source --no-check -x "$DSC" "$x" >/dev/null
    # The version in the changelog is the only difference (PKG_VERSION builds).
    diff -r -x changelog "$REPO/packaging/debian" "$x/debian"
    [ "$(dpkg-parsechangelog -l "$x/debian/changelog" -S Version)" = "$VERSION-1" ]
}

@test "source: the .src.rpm holds the release tarball and the spec" {
    run -0 rpm -qpl "$SRPM"
    [ "$output" = "unprivileged-ports-$VERSION.tar.gz
unprivileged-ports.spec" ]
    mkdir "$BATS_TEST_TMPDIR/x"
    (cd "$BATS_TEST_TMPDIR/x" && rpm2cpio "$SRPM" | cpio -idm --quiet)
    cmp "$DIST" "$BATS_TEST_TMPDIR/x/unprivileged-ports-$VERSION.tar.gz"
    cmp "$SPEC" "$BATS_TEST_TMPDIR/x/unprivileged-ports.spec"
}

@test "reproducible: a second build elsewhere gives the same .deb and .rpm, byte for byte; the .src.rpm at the same path" {
    local again=$BATS_TEST_TMPDIR/out
    make -C "$REPO" deb rpm OUT="$again" PKG_VERSION="$VERSION" >"$BATS_TEST_TMPDIR/make.log" 2>&1 ||
        { cat "$BATS_TEST_TMPDIR/make.log" >&2; return 1; }
    for f in "$DEB" "$RPM"; do
        [ "$(sha256sum <"$f")" = "$(sha256sum <"$again/$(basename "$f")")" ]
    done
    # The .src.rpm records %prep and %install expanded, with the build
    # directory in them (Fedora's builders use one fixed path): rebuilt at
    # the same path it is the same, elsewhere it differs only there.
    diff <(rpm -qp --xml "$SRPM" | grep -v "$OUTDIR\|<integer>[0-9]*</integer>\|<base64>\|<string>[0-9a-f]*</string>") \
        <(rpm -qp --xml "$again/$(basename "$SRPM")" | grep -v "$again\|<integer>[0-9]*</integer>\|<base64>\|<string>[0-9a-f]*</string>")
    rm "$again/$(basename "$SRPM")"
    make -C "$REPO" "$again/$(basename "$SRPM")" OUT="$again" PKG_VERSION="$VERSION" >/dev/null 2>&1
    cp "$again/$(basename "$SRPM")" "$BATS_TEST_TMPDIR/first.src.rpm"
    rm "$again/$(basename "$SRPM")"
    make -C "$REPO" "$again/$(basename "$SRPM")" OUT="$again" PKG_VERSION="$VERSION" >/dev/null 2>&1
    cmp "$BATS_TEST_TMPDIR/first.src.rpm" "$again/$(basename "$SRPM")"
    # The rpm's build host is the fixed one, its build time the day of the
    # top %changelog entry (rpm keeps that entry's time at noon).
    local host built logged
    read -r host built logged < <(rpm -qp --qf '%{BUILDHOST} %{BUILDTIME} [%{CHANGELOGTIME} ]\n' "$RPM")
    [ "$host" = reproducible ]
    [ "$built" -le "$logged" ] && [ $((logged - built)) -lt 86400 ]
}

# --- versions and metadata -------------------------------------------------

@test "version: packaging/VERSION, debian/changelog, the spec and every package agree" {
    [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
    [ "$(dpkg-parsechangelog -l "$REPO/packaging/debian/changelog" -S Version)" = "$VERSION-1" ]
    [ "$(rpmspec -q --qf '%{VERSION}-%{RELEASE}\n' "$SPEC" 2>/dev/null)" = "$VERSION-1" ]
    [ "$(dpkg-deb -f "$DEB" Version)" = "$VERSION-1" ]
    [ "$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$RPM")" = "$VERSION-1" ]
    [ "$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$SRPM")" = "$VERSION-1" ]
}

# changelog_entries FILE: "VERSION|DAY|TEXT" per entry of debian/changelog
# or of the spec's %changelog, TEXT the entry's lines joined by spaces with
# the list markers ("* ", "- ") dropped.
changelog_entries() {
    case $1 in
        *.spec)
            sed -n '/^%changelog$/,$p' "$1" | tail -n +2 | awk '
                /^\* / { if (v != "") print v "|" d "|" t; d = $3 " " $4 " " $5; v = $NF; t = ""; next }
                /^- / { sub(/^- /, ""); t = t (t == "" ? "" : " ") $0; next }
                /^  / { sub(/^ +/, ""); t = t " " $0 }
                END { if (v != "") print v "|" d "|" t }' ;;
        *)
            dpkg-parsechangelog -l "$1" --all --format rfc822 | awk '
                /^Version: / { v = $2 }
                /^Date: / { split($0, a, " "); d = a[3] " " a[4] " " a[5] }
                /^Changes:/ { inch = 1; t = ""; next }
                inch && /^ \./ { next }
                inch && /^ / { l = $0; sub(/^ +/, "", l); if (l ~ /^unprivileged-ports \(/) next
                    sub(/^\* /, "", l); t = t (t == "" ? "" : " ") l; next }
                inch && !/^ / { inch = 0 }
                /^$/ { if (v != "") print v "|" d "|" t; v = "" }
                END { if (v != "") print v "|" d "|" t }' ;;
    esac
}

@test "changelog: debian/changelog and the spec's %changelog carry the same versions, days and entries" {
    run -0 changelog_entries "$REPO/packaging/debian/changelog"
    local deb=$output
    [ -n "$deb" ]
    run -0 changelog_entries "$SPEC"
    local spec=$output
    # %changelog days are "Mon DD YYYY", Debian's "DD Mon YYYY".
    spec=$(awk -F'|' '{ split($2, d, " "); print $1 "|" d[2] " " d[1] " " d[3] "|" $3 }' <<<"$spec")
    deb=$(awk -F'|' '{ split($2, d, " "); printf "%s|%02d %s %s|%s\n", $1, d[1], d[2], d[3], $3 }' <<<"$deb")
    if [ "$deb" != "$spec" ]; then
        printf 'debian/changelog:\n%s\n%%changelog:\n%s\n' "$deb" "$spec" >&2
        return 1
    fi
    # The negative control: one changed word is a difference.
    sed 's/Initial release/First release/' "$SPEC" >"$BATS_TEST_TMPDIR/x.spec"
    run -0 changelog_entries "$BATS_TEST_TMPDIR/x.spec"
    [ "$(awk -F'|' '{print $3}' <<<"$output")" != "$(awk -F'|' '{print $3}' <<<"$deb")" ]
}

@test "deb: package unprivileged-ports, Architecture all, Multi-Arch foreign, no Depends beyond misc" {
    [ "$(dpkg-deb -f "$DEB" Package)" = unprivileged-ports ]
    [ "$(dpkg-deb -f "$DEB" Architecture)" = all ]
    [ "$(dpkg-deb -f "$DEB" Multi-Arch)" = foreign ]
    [ -z "$(dpkg-deb -f "$DEB" Depends Pre-Depends)" ]
}

@test "debian/control: Standards-Version 4.7.2, Rules-Requires-Root no, no invented Vcs-* or Homepage" {
    local c=$REPO/packaging/debian/control
    grep -qx 'Standards-Version: 4.7.2' "$c"
    grep -qx 'Rules-Requires-Root: no' "$c"
    grep -qx 'Multi-Arch: foreign' "$c"
    refute grep -Eiq '^(Vcs-[a-z]+|Homepage):' "$c"
    refute grep -Eiq '^(Repository|Bug-Database|Homepage):' "$REPO/packaging/debian/upstream/metadata"
    refute grep -Eq '^URL:' "$SPEC"
}

@test "debian/upstream/metadata is YAML; salsa-ci.yml includes Salsa CI's standard pipeline" {
    run -0 /usr/bin/python3 -c '
import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
assert m["Name"] == "unprivileged-ports", m
c = yaml.safe_load(open(sys.argv[2]))
assert c["include"] == ["https://salsa.debian.org/salsa-ci-team/pipeline/raw/master/recipes/debian.yml"], c
' "$REPO/packaging/debian/upstream/metadata" "$REPO/packaging/debian/salsa-ci.yml"
}

@test "autopkgtest: a smoke test without isolation-machine, and no Essential package in any Depends" {
    run -0 awk '/^Tests: smoke$/ { s = 1 } s && /^Restrictions:/ { print; exit }' "$REPO/packaging/debian/tests/control"
    [[ "$output" != *isolation-machine* ]]
    local d essential
    for d in $(sed -n 's/^Depends: //p' "$REPO/packaging/debian/tests/control" | tr ',' '\n' | tr -d ' ' | sort -u); do
        [ "$d" = @ ] && continue
        essential=$(dpkg-query -W -f '${Essential}' "$d" 2>/dev/null || true)
        [ "$essential" != yes ] || { echo "Essential package $d in a test's Depends" >&2; return 1; }
    done
    # The negative control: perl-base is Essential here, so it would be caught.
    [ "$(dpkg-query -W -f '${Essential}' perl-base)" = yes ]
}

@test "autopkgtest smoke: passes on the installed file with no init, fails when postinst changes the value" {
    require_ns
    local smoke=$REPO/packaging/debian/tests/smoke
    # Run the smoke test against the staged file and the shipped postinst:
    # dpkg-query and the postinst's path are pointed at the test's copies.
    sed -e "s,/var/lib/dpkg/info/unprivileged-ports.postinst,$POSTINST," \
        -e 's,\$(dpkg-query -S "\$conf"),unprivileged-ports: $conf,' "$smoke" >"$BATS_TEST_TMPDIR/smoke"
    probe ischroot 1
    stub systemd-sysctl
    in_ns none "cp '$CONF' /usr/lib/sysctl.d/; echo 1024 >$PROC; PATH=\$BIN:/usr/bin:/bin sh '$BATS_TEST_TMPDIR/smoke'"
    [ "$status" -eq 0 ]
    [[ "$output" == *"no init: postinst left the running value at 1024"* ]]
    # Negative control: a postinst that applies without an init fails it.
    printf '#!/bin/sh\necho 80 >%s\n' "$PROC" >"$BATS_TEST_TMPDIR/bad-postinst"
    chmod +x "$BATS_TEST_TMPDIR/bad-postinst"
    sed -i "s,$POSTINST,$BATS_TEST_TMPDIR/bad-postinst," "$BATS_TEST_TMPDIR/smoke"
    in_ns none "cp '$CONF' /usr/lib/sysctl.d/; echo 1024 >$PROC; PATH=\$BIN:/usr/bin:/bin sh '$BATS_TEST_TMPDIR/smoke'"
    [ "$status" -eq 1 ]
    [[ "$output" == *"FAIL: postinst changed the running value from 1024 to 80"* ]]
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

@test "deb: payload is exactly the sysctl file in /usr/lib/sysctl.d plus copyright, changelog and the lintian override" {
    run bash -c "dpkg-deb -c '$DEB' | awk '\$1 !~ /^d/ {print \$1, \$2, \$6}' | sort"
    [ "$status" -eq 0 ]
    [ "$output" = "-rw-r--r-- root/root ./usr/lib/sysctl.d/$CONF_NAME
-rw-r--r-- root/root ./usr/share/doc/unprivileged-ports/changelog.Debian.gz
-rw-r--r-- root/root ./usr/share/doc/unprivileged-ports/copyright
-rw-r--r-- root/root ./usr/share/lintian/overrides/unprivileged-ports" ]
}

@test "deb: shipped sysctl file is byte-identical to sysctl.d/30-unprivileged-ports.conf" {
    dpkg-deb -x "$DEB" "$BATS_TEST_TMPDIR/x"
    cmp "$CONF" "$BATS_TEST_TMPDIR/x/usr/lib/sysctl.d/$CONF_NAME"
}

@test "rpm: payload is the sysctl file in /usr/lib/sysctl.d plus the license and README" {
    run bash -c "rpm -qpl '$RPM' | grep -v '^/usr/share/licenses/\|^/usr/share/doc/'"
    [ "$output" = "/usr/lib/sysctl.d/$CONF_NAME" ]
    rpm -qpl "$RPM" | grep -q '^/usr/share/licenses/.*/LICENSE$'
    rpm -qpl "$RPM" | grep -q '^/usr/share/doc/.*/README.md$'
}

@test "rpm: shipped sysctl file is byte-identical to sysctl.d/30-unprivileged-ports.conf" {
    mkdir "$BATS_TEST_TMPDIR/x"
    (cd "$BATS_TEST_TMPDIR/x" && rpm2cpio "$RPM" | cpio -idm --quiet)
    cmp "$CONF" "$BATS_TEST_TMPDIR/x/usr/lib/sysctl.d/$CONF_NAME"
}

@test "deb-broken: the negative-control package ships no sysctl file" {
    [ "$(dpkg-deb -f "$BROKEN_DEB" Package Version)" = "Package: unprivileged-ports
Version: $VERSION-1" ]
    run dpkg-deb -c "$BROKEN_DEB"
    [ "$status" -eq 0 ]
    [[ "$output" != *sysctl* ]]
}

# --- linters ---------------------------------------------------------------

@test "lintian (trixie's): no errors or warnings on the .dsc, the .changes and the .deb" {
    run "$REPO/packaging/lintian-newest" "$DSC" "$CHANGES" "$DEB"
    [ "$status" -eq 0 ]
    refute grep -Eq '^[EW]: ' <<<"$output"
}

@test "lintian (trixie's): the negative control, an unknown Standards-Version, fails" {
    local x=$BATS_TEST_TMPDIR/src
    mkdir "$x"
    cp "$OUTDIR/unprivileged-ports_$VERSION.orig.tar.gz" "$x/"
    dpkg-source --no-check -x "$DSC" "$x/unprivileged-ports-$VERSION" >/dev/null
    sed -i 's/^Standards-Version: .*/Standards-Version: 9.9.9/' "$x/unprivileged-ports-$VERSION/debian/control"
    (cd "$x" && dpkg-source -b "unprivileged-ports-$VERSION" >/dev/null)
    run "$REPO/packaging/lintian-newest" "$x/unprivileged-ports_$VERSION-1.dsc"
    [ "$status" -ne 0 ]
    [[ "$output" == *"newer-standards-version"* ]]
}

@test "rpmlint --strict: 0 errors and 0 warnings on the spec, the .src.rpm and the rpm" {
    run rpmlint --strict -r "$RPMLINTRC" "$SPEC" "$SRPM" "$RPM"
    [ "$status" -eq 0 ]
    [[ "$output" == *" 0 errors, 0 warnings,"* ]]
}

@test "rpmlint: every filter gives its reason, and without the filter file the same run fails" {
    # Each addFilter line follows a comment line (or another filter).
    run -0 awk '/^addFilter/ && prev !~ /^(#|addFilter)/ { print FILENAME ":" NR; bad = 1 } { prev = $0 } END { exit bad }' "$RPMLINTRC"
    run rpmlint "$SPEC" "$SRPM" "$RPM"
    [ "$status" -ne 0 ]
    [[ "$output" == *"E: no-signature"* ]]
}

# --- packit ----------------------------------------------------------------

@test "packit: .packit.yaml builds the spec in Copr and runs the tmt plan in Testing Farm on the two newest Fedora releases" {
    # Offline, by schema: Debian has no Packit client for validate-config
    # (its "packit" package is a packet generator).
    run -0 /usr/bin/python3 "$REPO/tests/packit_schema.py" "$REPO/.packit.yaml" "$REPO"
    # The negative controls: jobs without targets, an unknown key, one release.
    sed '/targets:/,/- fedora-/d' "$REPO/.packit.yaml" >"$BATS_TEST_TMPDIR/bad.yaml"
    run -1 /usr/bin/python3 "$REPO/tests/packit_schema.py" "$BATS_TEST_TMPDIR/bad.yaml" "$REPO"
    sed 's/^specfile_path:/spec_file_path:/' "$REPO/.packit.yaml" >"$BATS_TEST_TMPDIR/bad.yaml"
    run -1 /usr/bin/python3 "$REPO/tests/packit_schema.py" "$BATS_TEST_TMPDIR/bad.yaml" "$REPO"
    sed 's/- fedora-stable/- fedora-latest-stable/' "$REPO/.packit.yaml" >"$BATS_TEST_TMPDIR/bad.yaml"
    run -1 /usr/bin/python3 "$REPO/tests/packit_schema.py" "$BATS_TEST_TMPDIR/bad.yaml" "$REPO"
}

# --- maintainer scripts: shape ---------------------------------------------

@test "scripts: at most 15 lines of shell each, and none re-derives sysctl.d precedence" {
    local f n
    for f in "$POSTINST" "$POSTRM" "$RPM_POST" "$RPM_POSTUN"; do
        n=$(shell_lines "$f" | grep -cv '^#!')
        echo "$(basename "$f"): $n lines of shell"
        [ "$n" -le 15 ]
        # The tools read the sysctl.d directories; the scripts name none.
        refute grep -q 'sysctl\.d' <(shell_lines "$f" | sed 's/30-unprivileged-ports\.conf//')
    done
    # The negative control: the old shared block's directory walk is caught.
    printf 'for d in /etc/sysctl.d /usr/lib/sysctl.d; do :; done\n' >"$BATS_TEST_TMPDIR/walk"
    grep -q 'sysctl\.d' <(shell_lines "$BATS_TEST_TMPDIR/walk")
}

@test "scripts: Debian scripts are POSIX sh with set -e, as shipped by debhelper; rpm scriptlets parse" {
    for f in "$POSTINST" "$POSTRM"; do
        [ "$(head -1 "$f")" = "#!/bin/sh" ]
        grep -qx 'set -e' "$f"
        refute grep -q '#DEBHELPER#' "$f"
        dash -n "$f"
    done
    dash -n "$RPM_POST"
    dash -n "$RPM_POSTUN"
}

@test "scripts: postinst says which of its call and the trixie triggers it relies on" {
    grep -q 'bookworm has no dpkg trigger' "$POSTINST"
    grep -q 'trixie and later' "$POSTINST"
    grep -q 'interest-noawait /usr/lib/sysctl.d' "$POSTINST"
}

# --- postinst (stubs) ------------------------------------------------------

@test "postinst: booted systemd applies the key with systemd-sysctl --prefix, and prints nothing" {
    booted_stubs
    in_ns systemd "$(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    assert_calls "systemd-sysctl --prefix=$KEY (at 1024)"
}

@test "postinst: booted sysvinit applies the key with sysctl --pattern before --system" {
    booted_stubs
    in_ns sysv "$(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    run -0 calls
    [[ "$output" =~ ^sysctl\ -q\ --pattern\ (.*)\ --system\ \(at\ 1024\)$ ]]
    local re=${BASH_REMATCH[1]}
    # The pattern selects the key however a sysctl.d line spells it...
    grep -Eq "$re" <<<"-$KEY = 80"
    grep -Eq "$re" <<<"  net/ipv4/ip_unprivileged_port_start=80"
    grep -Eq "$re" <<<"$KEY"
    # ...and nothing else.
    refute grep -Eq "$re" <<<"net.ipv4.ip_default_ttl = 64"
    refute grep -Eq "$re" <<<"# $KEY = 80"
    refute grep -Eq "$re" <<<"${KEY}_other = 80"
}

@test "postinst: asks ischroot with -t (an unknown answer counts as a chroot)" {
    booted_stubs
    in_ns systemd "$(script "$POSTINST" configure)"
    [ "$(cat "$PROBE_LOG")" = "ischroot -t" ]
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
    [ -z "$(cat "$PROBE_LOG")" ]
}

@test "postinst: without a running init (container or image build) it calls nothing" {
    booted_stubs
    in_ns none "$(script "$POSTINST" configure)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "postinst: other actions (abort-upgrade) call nothing" {
    booted_stubs
    in_ns systemd "$(script "$POSTINST" abort-upgrade 0.0.1)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "postinst: a failing apply still exits 0 and adds nothing to the tool's own message" {
    probe ischroot 1
    printf '#!/bin/sh\necho "systemd-sysctl $*" >>"$STUB_LOG"\necho "noise from the tool" >&2\nexit 1\n' >"$BIN/systemd-sysctl"
    chmod +x "$BIN/systemd-sysctl"
    in_ns systemd "$(script "$POSTINST" configure) 2>&1"
    [ "$status" -eq 0 ]
    [ "$output" = "noise from the tool" ]
    assert_calls "systemd-sysctl --prefix=$KEY"
}

@test "postinst: under sysvinit without procps it exits 0" {
    probe ischroot 1
    in_ns sysv "$(script "$POSTINST" configure) 2>/dev/null"
    [ "$status" -eq 0 ]
    assert_calls ""
}

# --- postrm (stubs) --------------------------------------------------------

@test "postrm: remove writes the default 1024 first, then systemd-sysctl --prefix re-applies" {
    booted_stubs
    in_ns systemd "echo 80 >$PROC; $(script "$POSTRM" remove); cat $PROC"
    [ "$status" -eq 0 ]
    [ "$output" = 1024 ]
    assert_calls "systemd-sysctl --prefix=$KEY (at 1024)"
}

@test "postrm: remove under sysvinit writes 1024 first, then sysctl --pattern --system re-applies" {
    booted_stubs
    in_ns sysv "echo 80 >$PROC; $(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    run -0 calls
    [[ "$output" =~ ^sysctl\ -q\ --pattern\ .*\ --system\ \(at\ 1024\)$ ]]
}

@test "postrm: a sysctl.$KEY= on the kernel command line is the value restored, the last one winning" {
    booted_stubs
    CMDLINE="root=/dev/vda sysctl.$KEY=100 quiet sysctl.$KEY=443" in_ns systemd \
        "echo 80 >$PROC; $(script "$POSTRM" remove)"
    [ "$status" -eq 0 ]
    assert_calls "systemd-sysctl --prefix=$KEY (at 443)"
    : >"$STUB_LOG"
    CMDLINE="sysctl.$KEY=90" in_ns sysv "echo 80 >$PROC; $(script "$POSTRM" remove)"
    [[ "$(calls)" == *" (at 90)" ]]
}

@test "postrm: look-alikes on the kernel command line do not count, so 1024 is written" {
    booted_stubs
    for c in "xsysctl.$KEY=443" "sysctl.$KEY=" "sysctl.${KEY}_x=443" "sysctl.$KEY=44x3" "foo=sysctl.$KEY=443"; do
        : >"$STUB_LOG"
        CMDLINE="quiet $c" in_ns systemd "echo 80 >$PROC; $(script "$POSTRM" remove)"
        [ "$status" -eq 0 ]
        assert_calls "systemd-sysctl --prefix=$KEY (at 1024)"
    done
}

@test "postrm: purge, upgrade and failed-upgrade call nothing and leave the value" {
    booted_stubs
    for action in purge upgrade failed-upgrade; do
        in_ns systemd "echo 80 >$PROC; $(script "$POSTRM" "$action" 0.2.0); cat $PROC"
        [ "$status" -eq 0 ]
        [ "$output" = 80 ]
    done
    assert_calls ""
}

@test "postrm: remove in a chroot, with DPKG_ROOT or without a running init calls nothing and leaves the value" {
    booted_stubs
    in_ns systemd "echo 80 >$PROC; DPKG_ROOT=/srv/image $(script "$POSTRM" remove); cat $PROC"
    [ "$status" -eq 0 ]
    [ "$output" = 80 ]
    in_ns none "echo 80 >$PROC; $(script "$POSTRM" remove); cat $PROC"
    [ "$output" = 80 ]
    probe ischroot 0
    in_ns systemd "echo 80 >$PROC; $(script "$POSTRM" remove); cat $PROC"
    [ "$status" -eq 0 ]
    [ "$output" = 80 ]
    assert_calls ""
}

@test "postrm: with /proc/sys read-only (a container) and a failing tool, remove still exits 0" {
    probe ischroot 1
    stub systemd-sysctl 1
    in_ns systemd "mount --bind -o ro /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys
        $(script "$POSTRM" remove) 2>&1"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    assert_calls "systemd-sysctl --prefix=$KEY (at 1024)"
}

# --- rpm scriptlets (stubs) ------------------------------------------------

@test "rpm post: booted systemd applies the file with systemd-sysctl (%sysctl_apply), install and upgrade" {
    booted_stubs
    in_ns systemd "$(script "$RPM_POST" 1); $(script "$RPM_POST" 2)"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    assert_calls "systemd-sysctl $CONF_NAME (at 1024)
systemd-sysctl $CONF_NAME (at 1024)"
}

@test "rpm post: without a running systemd (chroot, image or container build) it calls nothing" {
    booted_stubs
    in_ns none "$(script "$RPM_POST" 1)"
    [ "$status" -eq 0 ]
    in_ns sysv "$(script "$RPM_POST" 1)"
    [ "$status" -eq 0 ]
    assert_calls ""
}

@test "rpm post and postun: print nothing even when the tool fails noisily" {
    probe ischroot 1
    printf '#!/bin/sh\necho "systemd-sysctl $*" >>"$STUB_LOG"\necho noise; echo noise >&2\nexit 1\n' >"$BIN/systemd-sysctl"
    chmod +x "$BIN/systemd-sysctl"
    in_ns systemd "$(script "$RPM_POST" 1) 2>&1; echo \"post \$?\"
        mount --bind -o ro /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys
        $(script "$RPM_POSTUN" 0) 2>&1; echo \"postun \$?\""
    [ "$status" -eq 0 ]
    [ "$output" = "post 0
postun 0" ]
}

@test "rpm postun: erase (argument 0) writes 1024, or the kernel command line's value, then re-applies" {
    booted_stubs
    in_ns systemd "echo 80 >$PROC; $(script "$RPM_POSTUN" 0)"
    [ "$status" -eq 0 ]
    assert_calls "systemd-sysctl --prefix=$KEY (at 1024)"
    : >"$STUB_LOG"
    CMDLINE="ro sysctl.$KEY=443" in_ns systemd "echo 80 >$PROC; $(script "$RPM_POSTUN" 0)"
    assert_calls "systemd-sysctl --prefix=$KEY (at 443)"
}

@test "rpm postun: upgrade (argument 1) and erase without a running systemd call nothing" {
    booted_stubs
    in_ns systemd "echo 80 >$PROC; $(script "$RPM_POSTUN" 1); cat $PROC"
    [ "$status" -eq 0 ]
    [ "$output" = 80 ]
    in_ns none "echo 80 >$PROC; $(script "$RPM_POSTUN" 0); cat $PROC"
    [ "$output" = 80 ]
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

@test "real procps sysctl (sysvinit): on remove, /etc/sysctl.conf and another package's file still set the key" {
    command -v sysctl >/dev/null || skip "procps not installed"
    [ -e /etc/sysctl.conf ] || skip "no /etc/sysctl.conf to stage over"
    export REAL_TOOLS=1
    probe ischroot 1
    in_ns sysv "echo 80 >$PROC
        echo '$KEY = 85' >/etc/sysctl.conf
        $(real_path) /bin/sh '$POSTRM' remove
        cat $PROC
        : >/etc/sysctl.conf
        echo '-net/ipv4/ip_unprivileged_port_start=443' >/usr/lib/sysctl.d/40-other.conf
        $(real_path) /bin/sh '$POSTRM' remove
        cat $PROC"
    [ "$status" -eq 0 ]
    [ "${lines[*]}" = "85 443" ]
}

@test "real systemd-sysctl (systemd): postinst sets 80; postrm remove keeps an /etc override's value" {
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

@test "real systemd-sysctl: on remove a distro default wins, its /etc mask does not, and the kernel command line is kept" {
    export REAL_TOOLS=1
    probe ischroot 1
    in_ns systemd "echo '$KEY = 443' >/usr/lib/sysctl.d/50-default.conf
        echo 80 >$PROC
        $(real_path) /bin/sh '$POSTRM' remove
        cat $PROC
        ln -s /dev/null /etc/sysctl.d/50-default.conf
        echo 80 >$PROC
        $(real_path) /bin/sh '$POSTRM' remove
        cat $PROC"
    [ "$status" -eq 0 ]
    [ "${lines[*]}" = "443 1024" ]
    CMDLINE="quiet sysctl.$KEY=600" in_ns systemd "echo 80 >$PROC
        $(real_path) /bin/sh '$POSTRM' remove
        cat $PROC"
    [ "$status" -eq 0 ]
    [ "$output" = 600 ]
}

@test "real systemd-sysctl: rpm post applies the file, and not over an /etc mask; postun erase keeps an /etc file's value" {
    export REAL_TOOLS=1
    in_ns systemd "$(stage_conf)
        $(real_path) /bin/sh '$RPM_POST' 1
        cat $PROC
        echo 1024 >$PROC
        ln -s /dev/null /etc/sysctl.d/$CONF_NAME
        $(real_path) /bin/sh '$RPM_POST' 1
        cat $PROC
        rm /etc/sysctl.d/$CONF_NAME /usr/lib/sysctl.d/$CONF_NAME
        echo '$KEY = 85' >/etc/sysctl.d/90-local.conf
        echo 80 >$PROC
        $(real_path) /bin/sh '$RPM_POSTUN' 0
        cat $PROC"
    [ "$status" -eq 0 ]
    [ "${lines[*]}" = "80 1024 85" ]
}

# --- the host ----------------------------------------------------------------

@test "host: net.ipv4.ip_unprivileged_port_start is unchanged by these tests" {
    [ "$(cat "$PROC")" = "$(cat "$HOST_VALUE_FILE")" ]
}
