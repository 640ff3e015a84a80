# Builder for Fedora recipes: dnf --installroot makes the root tree from the
# release's own packages (kernel-core, systemd, procps-ng, rpm, dnf), then the
# same artifacts as the Debian builder: rootfs.raw (mkfs.ext4 -d, no loop
# devices), vmlinuz, initrd.img, fastboot.cpio.gz, kernel-version,
# os-release-name, with the agent unit and portcheck.target enabled.
# Sourced by build-image; build_image DIR fills DIR.
#
# The mirror: the recipe's `mirror`, else $PORTCHECK_FEDORA_MIRROR, else the
# Fedora master mirror and, for releases past their end of life, its archive.
# A URL is the directory holding releases/ and updates/ (the layout of every
# Fedora mirror). When none answers within a few seconds the build ends with
# exit 3 (portcheck: `skip`) and a one-line reason naming the setting.
#
# Package signatures are checked (gpgcheck) against $PORTCHECK_FEDORA_GPGKEY
# (a key file) when set; otherwise against the key in the release's own
# fedora-gpg-keys package, fetched first from the same mirror (trust on first
# use, over https with the default mirrors).

FEDORA_DEFAULT_MIRRORS="https://dl.fedoraproject.org/pub/fedora/linux https://archives.fedoraproject.org/pub/archive/fedora/linux"

# What every Fedora image has besides the recipe's packages: the release's
# kernel, systemd and procps-ng (sysctl), rpm and dnf (the install scenario
# runs dnf), and the container tooling the container scenarios drive, as on
# Debian.
fedora_base_packages() {
    local pkgs="kernel-core systemd systemd-udev systemd-networkd procps-ng rpm dnf"
    pkgs="$pkgs fedora-release glibc-minimal-langpack util-linux shadow-utils kmod iproute e2fsprogs dracut"
    pkgs="$pkgs systemd-container podman passt"
    echo "$pkgs $R_packages"
}

# The repository paths of a release under a mirror directory.
fedora_release_path() {
    case "$R_release" in
        rawhide) echo "development/rawhide/Everything/x86_64/os" ;;
        *) echo "releases/$R_release/Everything/x86_64/os" ;;
    esac
}

# Print the first mirror that serves this release's repodata, within a few
# seconds each; exit 3 with the reason when none does.
fedora_pick_mirror() {
    local candidates tried="" m
    if [ -n "$R_mirror" ]; then
        candidates=$R_mirror
    elif [ -n "${PORTCHECK_FEDORA_MIRROR:-}" ]; then
        candidates=$PORTCHECK_FEDORA_MIRROR
    else
        candidates=$FEDORA_DEFAULT_MIRRORS
    fi
    for m in $candidates; do
        m=${m%/}
        tried="$tried${tried:+, }$m"
        if curl -fsS -o /dev/null --connect-timeout 3 --max-time 6 --retry 0 \
            "$m/$(fedora_release_path)/repodata/repomd.xml" 2>/dev/null; then
            echo "$m"
            return 0
        fi
    done
    echo "$name: no Fedora mirror reachable (tried $tried): set PORTCHECK_FEDORA_MIRROR=URL or mirror = URL in vm-images/recipes/$name.conf" >&2
    exit 3
}

fedora_need_dnf() {
    command -v dnf >/dev/null 2>&1 && return 0
    # The same way every make target gets its tools; only reached with a mirror.
    if [ -x "$here/../tools/ensure-packages" ]; then
        "$here/../tools/ensure-packages" dnf >&2 || true
    fi
    command -v dnf >/dev/null 2>&1 && return 0
    echo "$name: dnf is not installed on this machine: apt-get install dnf" >&2
    exit 3
}

# dnf from the Debian host into $root: its own repository files only, never
# the host's; rpms kept between builds in $cache/rpms.
fedora_dnf() {
    local root=$1
    shift
    HOME="$FEDORA_HOME" timeout "$(budget 1500)" dnf -y -q \
        --setopt=reposdir="$FEDORA_REPOS" --setopt=cachedir="$FEDORA_RPMS" --setopt=keepcache=True \
        --setopt=install_weak_deps=False --setopt=tsflags=nodocs --setopt=logdir="$FEDORA_HOME" \
        --installroot="$root" --releasever="$R_release" --forcearch=x86_64 "$@" >&2
}

fedora_write_repos() {
    local mirror=$1 gpg=$2 key=$3
    cat > "$FEDORA_REPOS/portcheck-fedora.repo" <<EOF
[fedora]
name=Fedora $R_release
baseurl=$mirror/$(fedora_release_path)/
gpgcheck=$gpg
gpgkey=file://$key
skip_if_unavailable=False
EOF
    [ "$R_release" = rawhide ] || cat >> "$FEDORA_REPOS/portcheck-fedora.repo" <<EOF

[updates]
name=Fedora $R_release updates
baseurl=$mirror/updates/$R_release/Everything/x86_64/
gpgcheck=$gpg
gpgkey=file://$key
skip_if_unavailable=False
EOF
}

build_image() {
    local work=$1 root="$1/root"
    [ "$R_init" = systemd ] || { echo "build-image: recipe $recipe: Fedora images boot systemd only (init = systemd)" >&2; exit 2; }
    case "$R_release" in
        rawhide|[1-9][0-9]) ;;
        *) echo "build-image: recipe $recipe: release '$R_release' is not a Fedora release number or rawhide" >&2; exit 2 ;;
    esac
    local mirror
    mirror=$(fedora_pick_mirror) || exit $?
    fedora_need_dnf

    FEDORA_RPMS="$cache/rpms/fedora-$R_release" FEDORA_REPOS="$work/repos.d" FEDORA_HOME="$work/home"
    mkdir -p "$FEDORA_RPMS" "$FEDORA_REPOS" "$FEDORA_HOME" "$root/usr/lib/sysimage/rpm" "$root/var/lib"
    # Fedora keeps its rpm database in /usr/lib/sysimage/rpm, with /var/lib/rpm
    # a link to it; the host's rpm (Debian's) would write /var/lib/rpm. The
    # macro and the link make both mean the one place.
    printf '%%_dbpath /usr/lib/sysimage/rpm\n' > "$FEDORA_HOME/.rpmmacros"
    ln -s ../../usr/lib/sysimage/rpm "$root/var/lib/rpm"

    local key=${PORTCHECK_FEDORA_GPGKEY:-}
    if [ -z "$key" ]; then
        log "fetching fedora-gpg-keys from $mirror (trust on first use)"
        fedora_write_repos "$mirror" 0 /dev/null
        fedora_dnf "$work/keyroot" install fedora-gpg-keys
        key="$work/keyroot/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$R_release-primary"
        [ "$R_release" != rawhide ] || key=$(ls "$work"/keyroot/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-[0-9]*-primary | sort -V | tail -n 1)
        [ -f "$key" ] || { echo "build-image: fedora-gpg-keys from $mirror has no $key: set PORTCHECK_FEDORA_GPGKEY=FILE" >&2; exit 1; }
    fi
    fedora_write_repos "$mirror" 1 "$key"

    log "dnf --installroot Fedora $R_release ($R_init) from $mirror"
    # shellcheck disable=SC2046 # the package list is words
    fedora_dnf "$root" install $(fedora_base_packages)
    # The database in the guest's own format, by the guest's own rpm.
    chroot "$root" rpm --rebuilddb >&2 || true

    log "customizing"
    fedora_customize "$root"

    local kver
    kver=$(cd "$root/usr/lib/modules" && ls | sort -V | tail -n 1)
    [ -n "$kver" ] && [ -f "$root/usr/lib/modules/$kver/vmlinuz" ] || { echo "build-image: recipe $recipe produced no kernel in /usr/lib/modules: add kernel-core" >&2; exit 1; }
    [ -s "$root/usr/lib/modules/$kver/modules.dep" ] || depmod -b "$root" "$kver"
    cp "$root/usr/lib/modules/$kver/vmlinuz" "$work/vmlinuz"
    fedora_initrd "$root" "$kver" "$work/initrd.img"
    echo "$kver" > "$work/kernel-version"
    (. "$root/usr/lib/os-release" && echo "${PRETTY_NAME:-$ID}") > "$work/os-release-name"

    rm -rf --one-file-system "$work/keyroot"
    finish_image "$work" "$root" "$kver"
}

# The distribution's own initramfs, as the Debian images carry theirs (the
# harness boots its fast one): kernel-install's, else dracut's in a private
# mount namespace, so no mount is ever left on the host.
fedora_initrd() {
    local root=$1 kver=$2 out=$3 f
    for f in "$root/boot/initramfs-$kver.img" "$root"/boot/*/"$kver"/initrd; do
        if [ -s "$f" ]; then cp "$f" "$out"; return 0; fi
    done
    log "dracut (no initramfs from kernel-install)"
    unshare --mount --propagation private sh -euc '
        root=$1 kver=$2
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --rbind /dev "$root/dev"
        chroot "$root" dracut --quiet --force --no-hostonly --no-hostonly-cmdline --kver "$kver" /boot/portcheck-initrd.img
    ' sh "$root" "$kver" >&2
    mv "$root/boot/portcheck-initrd.img" "$out"
}

# What a Fedora guest needs besides every guest's set-up (build-image's
# customize_guest).
fedora_customize() {
    local root=$1
    # The image's files carry no SELinux labels (mkfs.ext4 -d): a policy that
    # loaded would deny the boot. The checks concern the sysctl, not SELinux.
    if [ -d "$root/etc/selinux" ]; then
        printf 'SELINUX=disabled\nSELINUXTYPE=targeted\n' > "$root/etc/selinux/config"
    fi
    # No first-boot questions on the console.
    systemctl --root="$root" mask systemd-firstboot.service >&2
    customize_guest "$root"
}
