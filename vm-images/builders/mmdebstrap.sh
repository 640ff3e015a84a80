# Builder for Debian recipes: mmdebstrap makes the root tree from the
# distribution's own packages (kernel, init, procps), mkfs.ext4 -d turns it
# into a disk image without loop devices or host mounts.
# Sourced by build-image; build_image DIR fills DIR.

# What every Debian image has besides the recipe's packages: the distro's
# kernel and init, procps (sysctl), and the container tooling the container
# scenarios drive inside the VM.
debian_base_packages() {
    local pkgs="linux-image-amd64 kmod procps iproute2 udev"
    case "$R_init" in
        systemd) pkgs="$pkgs systemd systemd-sysv dbus libpam-systemd systemd-container podman uidmap slirp4netns" ;;
        sysvinit) pkgs="$pkgs sysvinit-core orphan-sysvinit-scripts" ;;
    esac
    [ "$R_package_format" = rpm ] && pkgs="$pkgs rpm"
    local b
    for b in $R_backports; do pkgs="$pkgs $b/$R_suite-backports"; done
    echo "$pkgs $R_packages"
}

# Documentation, manuals and translations are never read in a test VM; not
# unpacking them makes every build faster and every image smaller
# (mmdebstrap(1) shows the same options).
DPKG_SLIM=(
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-include=/usr/share/locale/locale.alias'
    # An image is written once and then copied by mkfs: no fsync per file.
    --dpkgopt='force-unsafe-io'
)

# Further sources for mmdebstrap after the suite's mirror (build_image sets it).
BACKPORTS_MIRROR=()

# debian_mmdebstrap TARGET INCLUDE MIRROR DEBS TIMEOUT [KEEP [OPTION...]]:
# a minbase tree of the recipe's suite. The .debs are kept between builds in
# DEBS (the sync-in/sync-out idiom from mmdebstrap(1)): a rebuild after a
# recipe change downloads only what changed. KEEP, when given, receives the
# log of the try that succeeded; OPTIONs go to mmdebstrap as they are.
debian_mmdebstrap() {
    local target=$1 include=$2 mirror=$3 debs=$4 limit=$5 keep=${6:-}
    shift 5
    [ $# -eq 0 ] || shift
    # One build at a time per .deb cache: a sync-out copying into it while
    # another build's sync-in reads it hands apt half-copied files.
    # A mirror that drops connections fails the whole run, and such spells
    # pass: up to 4 tries, waiting longer each time. apt's own errors are
    # kept in a log and shown when a try fails.
    local try log="$target.mmdebstrap.log"
    for try in 1 2 3 4; do
        rm -rf --one-file-system "$target"
        # flock --close, 8>&- and 9>&-: no lock descriptor reaches mmdebstrap
        # (see build-image on why its descriptors must stay few).
        flock --close -w "$(budget 1800)" "$debs.lock" timeout "$(budget "$limit")" mmdebstrap --mode=root --variant=minbase \
        --include="$include" \
        --aptopt='Acquire::Retries "3"' \
        --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
        --setup-hook="sync-in $debs /var/cache/apt/archives/" \
        --customize-hook="sync-out /var/cache/apt/archives $debs" \
        --skip=essential/unlink \
        "${DPKG_SLIM[@]}" \
        --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
        "$@" \
        "$R_suite" "$target" "$mirror" "${BACKPORTS_MIRROR[@]}" > "$log" 2>&1 8>&- 9>&- && { [ -z "$keep" ] || cp "$log" "$keep"; rm -f "$log"; return 0; }
        grep -E '^(E|W|Err):' "$log" | grep -v '^E: apt download failed: E: apt-get' | tail -n 5 >&2
        log "mmdebstrap failed (try $try of 4)"
        [ "$try" = 4 ] && break
        over_deadline && { log "no more tries: the build's deadline ($deadline s) has passed"; break; }
        sleep "$(budget $((try * try * 5)))"
    done
    rm -f "$log"
    return 1
}

build_image() {
    local work=$1 root="$1/root" debs="$cache/debs/$R_suite"
    local mirror=${R_mirror:-${PORTCHECK_DEBIAN_MIRROR:-http://deb.debian.org/debian}}
    local include
    include=$(debian_base_packages | tr -s ' ' ',' | sed 's/^,//; s/,$//')
    mkdir -p "$debs"

    # The container tree is a second, independent mmdebstrap: it runs
    # beside the image's own (each dpkg mostly keeps one core busy), with
    # its own .deb cache so neither waits for the other's lock.
    local tree_pid=
    if [ "${R_container_tree:-no}" = yes ]; then
        log "container tree (in parallel)"
        mkdir -p "$debs-container"
        debian_container_tree "$work/container-tree" "$mirror" "$debs-container" &
        tree_pid=$!
    fi

    # A recipe's backports come from a second source, for the image's own
    # tree only: set after the container tree's build has forked.
    [ -z "$R_backports" ] || BACKPORTS_MIRROR=("deb $mirror $R_suite-backports main")

    # A package baked in (preinstall = deb): mmdebstrap installs the local
    # .deb with the rest, in its chroot, as an image vendor's build would.
    # dpkg inside the chroot opens the path apt hands it: mmdebstrap's own
    # file-mirror-automount hooks copy the .deb in there and out again.
    local extra=()
    if [ -n "$R_preinstall" ]; then
        include="$include,$preinstall_deb"
        # --verbose: mmdebstrap shows apt's and dpkg's own output, so the
        # log holds whatever the postinst printed.
        extra=("$work/mmdebstrap.log" --verbose --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount
            "--customize-hook=$(preinstall_guards_hook "$work/preinstall-guards")"
            "--customize-hook=$(preinstall_dpkg_log_hook "$work/preinstall-dpkg.log")")
        log "baking in $preinstall_name $preinstall_version (${preinstall_deb##*/})"
    fi

    log "mmdebstrap $R_suite ($R_init) from $mirror"
    debian_mmdebstrap "$root" "$include" "$mirror" "$debs" 1500 "${extra[@]}" || { [ -z "$tree_pid" ] || wait "$tree_pid"; return 1; }
    if [ -n "$R_preinstall" ]; then
        # What the build log shows of the package: the lines naming it, and
        # whatever its postinst printed (the lines after "Setting up" until
        # dpkg's next one; it prints nothing when it leaves the kernel
        # alone). The whole log stays beside the image.
        awk -v p="$preinstall_name" '
            index($0, "Setting up " p " ") == 1 { on = 1; print; next }
            on && /^(Setting up|Processing triggers|Unpacking|Selecting|Preparing) / { on = 0 }
            on || index($0, p) { print }' "$work/mmdebstrap.log" > "$work/preinstall.log"
        sed 's/^/    /' "$work/preinstall.log" "$work/preinstall-dpkg.log" "$work/preinstall-guards" >&2
    fi

    log "customizing"
    customize_guest "$root"

    if [ -n "$tree_pid" ]; then
        wait "$tree_pid" || { echo "build-image: the container tree of $name failed (see above)" >&2; return 1; }
        mkdir -p "$root/var/lib/portcheck"
        mv "$work/container-tree" "$root/var/lib/portcheck/container-tree"
        log "container tree in place"
    fi

    local kver
    kver=$(cd "$root/boot" 2>/dev/null && ls vmlinuz-* 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n 1) || true
    [ -n "$kver" ] || { echo "build-image: recipe $recipe produced no kernel in /boot: add linux-image-amd64" >&2; exit 1; }
    cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
    cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
    echo "$kver" > "$work/kernel-version"
    (. "$root/etc/os-release" && echo "${PRETTY_NAME:-$ID}") > "$work/os-release-name"

    finish_image "$work" "$root" "$kver"
}

# preinstall_guards_hook FILE: a mmdebstrap customize hook that writes into
# FILE what the package's postinst guards on, as seen in the chroot where
# apt ran it: ischroot -t, a running systemd (/run/systemd/system), a
# running sysvinit (/run/initctl).
preinstall_guards_hook() {
    local out
    out=$(printf '%q' "$1")
    echo 'chroot "$1" /bin/sh -c '"'"'if ischroot -t; then echo "ischroot -t: a chroot"; else echo "ischroot -t: not a chroot"; fi; if [ -d /run/systemd/system ]; then echo "/run/systemd/system: present"; else echo "/run/systemd/system: absent"; fi; if [ -p /run/initctl ]; then echo "/run/initctl: present"; else echo "/run/initctl: absent"; fi'"'"' > '"$out"
}

# preinstall_dpkg_log_hook FILE: a mmdebstrap customize hook that copies
# dpkg's own record of the package (configured, "status installed": its
# postinst exited 0) into FILE before mmdebstrap's clean-up removes
# /var/log/dpkg.log.
preinstall_dpkg_log_hook() {
    echo "grep -F $(printf '%q' " $preinstall_name:") \"\$1/var/log/dpkg.log\" > $(printf '%q' "$1") || true"
}

# The container scenarios' root tree, inside the image: a minimal bookworm
# with systemd (for systemd-nspawn -b) and busybox (httpd for the publish
# scenario), from the same mirror and .deb cache as the image itself. No
# registry is ever needed: podman runs it with --rootfs.
# debian_container_tree TREE MIRROR DEBS
debian_container_tree() {
    local tree=$1 mirror=$2 debs=$3
    debian_mmdebstrap "$tree" systemd,systemd-sysv,procps,busybox "$mirror" "$debs" 900 || return 1
    mkdir -p "$tree/srv/www"
    echo 'portcheck container ok' > "$tree/srv/www/index.html"
    echo portcheck-ctr > "$tree/etc/hostname"
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' > "$tree/etc/hosts"
    : > "$tree/etc/resolv.conf"
    # Rootless podman runs this root-owned tree with --rootfs: its root (the
    # user's uid) may not create files in it, so every mount point podman or
    # a scenario binds must already exist (crun: "open `.../run/.containerenv`:
    # No such file or directory"). /portcheck-agent: -v /run/portcheck/agent:/portcheck-agent:ro
    touch "$tree/run/.containerenv" "$tree/portcheck-agent"
    # systemd-nspawn -b ... systemd.unit=portcheck-container.target: the
    # container boots sysinit.target (systemd-sysctl among it), writes the
    # agent's facts to the bound /run/portcheck-out, and powers off.
    install -m 0644 "$here/guest/container/portcheck-container.target" \
        "$here/guest/container/portcheck-container-facts.service" "$tree/etc/systemd/system/"
}
