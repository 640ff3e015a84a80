#!/usr/bin/env bats
# The patches in packaging/upstream/ against the real file, as the distro
# installed it in the image: read out of the cached image's rootfs.raw with
# debugfs (no boot), then `git apply --check`. A patch that no longer
# applies fails here with git's own line naming the file and the hunk
# ("patch failed: sysctl.d/50-default.conf:44").
# vm-images/build-image builds an image that is not cached yet (trixie and
# sid take a few minutes each); an image this machine cannot build (exit 3,
# e.g. no mirror) is a skip with its reason.

bats_require_minimum_version 1.5.0

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    SYSTEMD_PATCH=$PWD/packaging/upstream/systemd-50-default.patch
    DEBIAN_PATCH=$PWD/packaging/upstream/linux-sysctl-defaults.patch
    CONF=/usr/lib/sysctl.d/50-default.conf
}

# image_rootfs NAME: the rootfs.raw of NAME's cached image (built if need be).
image_rootfs() {
    local dir rc=0
    dir=$(vm-images/build-image "$1" 2>"$BATS_TEST_TMPDIR/build.err" | tail -n 1) || rc=$?
    if [ "$rc" -eq 3 ]; then
        skip "$1 cannot be built here: $(tail -n 1 "$BATS_TEST_TMPDIR/build.err")"
    fi
    [ "$rc" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/build.err" >&2; return 1; }
    ROOTFS=$dir/rootfs.raw
    [ -f "$ROOTFS" ]
}

# rootfs_has ROOTFS PATH: PATH is a regular file in the ext4 image.
rootfs_has() {
    debugfs -R "stat $2" "$1" 2>/dev/null | grep -q '^Inode: .*Type: regular'
}

# tree_from ROOTFS DIR: DIR laid out as the source trees are (systemd and
# src:linux-base both keep the file at sysctl.d/50-default.conf), from the
# file in the image.
tree_from() {
    local rootfs=$1 dir=$2
    mkdir -p "$dir/sysctl.d"
    rootfs_has "$rootfs" "$CONF" || {
        echo "$CONF is not in $rootfs: is linux-sysctl-defaults in the recipe's packages?" >&2
        return 1
    }
    debugfs -R "cat $CONF" "$rootfs" >"$dir/sysctl.d/50-default.conf" 2>/dev/null
    grep -q '^-net.ipv4.ping_group_range' "$dir/sysctl.d/50-default.conf"
}

# installed_version ROOTFS PACKAGE: the version the image's dpkg status records.
installed_version() {
    debugfs -R "cat /var/lib/dpkg/status" "$1" 2>/dev/null |
        awk -v want="$2" '/^Package: /{p = ($2 == want)} p && /^Version: /{print $2; exit}'
}

# changelog_from ROOTFS SUITE DIR: DIR/debian/changelog, linux-base's, as
# the package the image installed ships it. Images leave out /usr/share/doc,
# so it is read from that package's .deb in the build's apt cache, the
# version the image's dpkg status records.
changelog_from() {
    local rootfs=$1 suite=$2 dir=$3 version deb
    version=$(installed_version "$rootfs" linux-sysctl-defaults)
    [ -n "$version" ] || { echo "linux-sysctl-defaults is not installed in $rootfs" >&2; return 1; }
    deb=${PORTCHECK_CACHE:-/var/cache/portcheck}/debs/$suite/linux-sysctl-defaults_${version/:/%3a}_all.deb
    [ -f "$deb" ] || { echo "$deb is missing: rebuild the $suite image (it keeps its packages)" >&2; return 1; }
    mkdir -p "$dir/debian"
    dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/linux-sysctl-defaults/changelog.gz | zcat >"$dir/debian/changelog"
    head -n 1 "$dir/debian/changelog" | grep -q "^linux-base ($version)"
}

# apply_check DIR PATCH [GIT-APPLY-OPTION...]: git apply --check in DIR,
# which must not be taken for a part of any repository above it.
apply_check() {
    local dir=$1 patch=$2
    shift 2
    (cd "$dir" && GIT_CEILING_DIRECTORIES=$(dirname "$dir") git apply --check --verbose "$@" "$patch")
}

@test "upstream: the systemd patch applies to debian-bookworm's 50-default.conf, which comes from bookworm-backports" {
    image_rootfs debian-bookworm
    tree_from "$ROOTFS" "$BATS_TEST_TMPDIR/bookworm"
    run -0 apply_check "$BATS_TEST_TMPDIR/bookworm" "$SYSTEMD_PATCH"
    # bookworm's systemd 252 leaves the file out: it is the backport's.
    debugfs -R 'cat /var/lib/dpkg/info/linux-sysctl-defaults.list' "$ROOTFS" 2>/dev/null | grep -qxF "$CONF"
    [[ "$(installed_version "$ROOTFS" linux-sysctl-defaults)" == *"~bpo12"* ]]
}

@test "upstream: the systemd patch applies to debian-trixie's installed 50-default.conf" {
    image_rootfs debian-trixie
    tree_from "$ROOTFS" "$BATS_TEST_TMPDIR/trixie"
    run -0 apply_check "$BATS_TEST_TMPDIR/trixie" "$SYSTEMD_PATCH"
}

@test "upstream: the systemd patch applies to debian-sid's installed 50-default.conf" {
    image_rootfs debian-sid
    tree_from "$ROOTFS" "$BATS_TEST_TMPDIR/sid"
    run -0 apply_check "$BATS_TEST_TMPDIR/sid" "$SYSTEMD_PATCH"
}

@test "upstream: the linux-sysctl-defaults patch applies to debian-sid's file and changelog, both hunks" {
    image_rootfs debian-sid
    tree_from "$ROOTFS" "$BATS_TEST_TMPDIR/sid"
    changelog_from "$ROOTFS" sid "$BATS_TEST_TMPDIR/sid"
    run -0 apply_check "$BATS_TEST_TMPDIR/sid" "$DEBIAN_PATCH"
    [[ "$output" == *"Checking patch debian/changelog"* ]]
    [[ "$output" == *"Checking patch sysctl.d/50-default.conf"* ]]
}

@test "upstream: the linux-sysctl-defaults patch's 50-default.conf hunk applies to debian-trixie (its changelog is sid's)" {
    image_rootfs debian-trixie
    tree_from "$ROOTFS" "$BATS_TEST_TMPDIR/trixie"
    run -0 apply_check "$BATS_TEST_TMPDIR/trixie" "$DEBIAN_PATCH" --include=sysctl.d/50-default.conf
    # The whole patch does not: its changelog hunk names sid's 4.17 entry,
    # which trixie's changelog lacks (a real negative control).
    changelog_from "$ROOTFS" trixie "$BATS_TEST_TMPDIR/trixie"
    run ! apply_check "$BATS_TEST_TMPDIR/trixie" "$DEBIAN_PATCH"
    [[ "$output" == *"patch failed: debian/changelog:1"* ]]
}

@test "upstream: a file whose context moved fails the check, with the hunk named (negative control)" {
    local dir=$BATS_TEST_TMPDIR/moved
    mkdir -p "$dir/sysctl.d"
    # The hunk's own context, with the line before the insertion changed.
    sed -n '/^@@/,$p' "$SYSTEMD_PATCH" | sed -n 's/^ //p' |
        sed 's/^-net.ipv4.ping_group_range = .*/-net.ipv4.ping_group_range = 1 0/' >"$dir/sysctl.d/50-default.conf"
    run ! apply_check "$dir" "$SYSTEMD_PATCH"
    [[ "$output" == *"patch failed: sysctl.d/50-default.conf:44"* ]]
    # And the unchanged context does apply: the control fails for its change alone.
    sed -n '/^@@/,$p' "$SYSTEMD_PATCH" | sed -n 's/^ //p' >"$dir/sysctl.d/50-default.conf"
    run -0 apply_check "$dir" "$SYSTEMD_PATCH"
}
