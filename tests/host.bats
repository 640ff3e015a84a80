#!/usr/bin/env bats
# portcheck host: the diagnosis of the machine it runs on. The host's own
# sysctls are never touched: every run is in a private network namespace
# (unshare --net), where writing ip_unprivileged_port_start changes that
# namespace only, and the sysctl.d files come from fake trees (--root).
#
# Two namespace set-ups:
#   host_like V  a new network namespace that PID 1 (of a new PID namespace)
#                shares, as on a host; the value there is V
#   own_netns V  a new network namespace that PID 1 does not share (PID 1 is
#                a shell left in the outer one), as with `ip netns exec`
# Run as root (unshare). PORTCHECK=... runs another build (e.g. ASan).

bats_require_minimum_version 1.5.0

setup() {
    cd "$BATS_TEST_DIRNAME/.."
    PORTCHECK=${PORTCHECK:-$PWD/harness/build/portcheck}
    VENDOR=$PWD/sysctl.d/30-unprivileged-ports.conf
    T=$BATS_TEST_TMPDIR
    HOST_VALUE=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
}

teardown() {
    if [ -n "${NOBODY_TREE:-}" ]; then rm -rf "$NOBODY_TREE"; fi
    # Whatever a test did, the host's own value is what it was.
    [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$HOST_VALUE" ]
}

# The environment a container would set is not this test's to inherit.
clean_env=(env -u container -u DISTROBOX_ENTER_PATH)
set_value='echo "$1" > /proc/sys/net/ipv4/ip_unprivileged_port_start && shift && exec "$@"'

host_like() {
    local value=$1
    shift
    run unshare --net --pid --fork --mount-proc "${clean_env[@]}" sh -c "$set_value" sh "$value" "$PORTCHECK" host "$@"
}

own_netns() {
    local value=$1
    shift
    # "; true" keeps the shell alive as PID 1, in the outer network namespace.
    run unshare --pid --fork --mount-proc sh -c \
        'unshare --net "$@"; true' sh "${clean_env[@]}" sh -c "$set_value" sh "$value" "$PORTCHECK" host "$@"
}

# tree NAME: an empty root with systemd as init (so systemd-sysctl's rules apply).
tree() {
    mkdir -p "$T/$1/run/systemd/system" "$T/$1/etc/sysctl.d" "$T/$1/usr/lib/sysctl.d"
    echo "$T/$1"
}

vendor_tree() {
    local r
    r=$(tree "$1")
    cp "$VENDOR" "$r/usr/lib/sysctl.d/"
    echo "$r"
}

json() {
    jq -r "$1" <<<"$output"
}

@test "host, value 1024, nothing configured: install the package" {
    r=$(tree empty)
    host_like 1024 --root "$r"
    [ "$status" -eq 0 ]
    [[ "$output" == *"= 1024 in this network namespace"* ]]
    [[ "$output" == *"the same as PID 1's"* ]]
    [[ "$output" == *"as nobody (uid 65534, no capabilities): tcp 0.0.0.0:80 EACCES, 0.0.0.0:443 EACCES"* ]]
    [[ "$output" == *"CAP_NET_BIND_SERVICE"* ]]
    [[ "$output" == *"no sysctl.d file mentions"* ]]
    [[ "$output" == *"What to do: install unprivileged-ports"* ]]
    [ "$(grep -c '^What to do:' <<<"$output")" -eq 1 ]
}

@test "host, value 80, vendor file: nothing to do; unprivileged binds of 80 and 443 work" {
    r=$(vendor_tree vendor)
    host_like 80 --root "$r" --json
    [ "$status" -eq 0 ]
    [ "$(json .value)" = 80 ]
    [ "$(json .netns.same_as_pid1)" = true ]
    [ "$(json '.binds[] | select(.as == "nobody") | .result' | sort -u)" = ok ]
    [ "$(json .unprivileged_can_bind_80)" = true ]
    [ "$(json .configured.path)" = /usr/lib/sysctl.d/30-unprivileged-ports.conf ]
    [ "$(json .configured.value)" = 80 ]
    [ "$(json .boot_tool)" = systemd-sysctl ]
    [[ "$(json .advice)" == "nothing: an unprivileged process can bind 80 and 443 here" ]]
}

@test "host, value 1024, vendor file: apply it now" {
    r=$(vendor_tree vendor)
    host_like 1024 --root "$r"
    [ "$status" -eq 0 ]
    [[ "$output" == *"/usr/lib/sysctl.d/30-unprivileged-ports.conf:"*" = 80   <- applied last"* ]]
    [[ "$output" == *"What to do: apply the configuration now"*"systemd-sysctl"* ]]
}

@test "host, value 1024, vendor file and an admin override that sorts later: that file and line" {
    r=$(vendor_tree override)
    printf '# keep the default\n\nnet.ipv4.ip_unprivileged_port_start = 1024\n' > "$r/etc/sysctl.d/90-privileged-ports.conf"
    host_like 1024 --root "$r" --json
    [ "$status" -eq 0 ]
    [ "$(json .configured.path)" = /etc/sysctl.d/90-privileged-ports.conf ]
    [ "$(json .configured.line)" = 3 ]
    [ "$(json '[.assignments[] | .path] | join(" ")')" = \
        "/usr/lib/sysctl.d/30-unprivileged-ports.conf /etc/sysctl.d/90-privileged-ports.conf" ]
    [ "$(json '[.assignments[] | .wins] | join(" ")')" = "false true" ]
    [[ "$(json .advice)" == "change or remove /etc/sysctl.d/90-privileged-ports.conf:3, which sets"*"= 1024"* ]]
}

@test "host, value 1024, the vendor file masked with a /dev/null symlink: remove the mask" {
    r=$(vendor_tree mask)
    ln -s /dev/null "$r/etc/sysctl.d/30-unprivileged-ports.conf"
    host_like 1024 --root "$r"
    [ "$status" -eq 0 ]
    [[ "$output" == *"/etc/sysctl.d/30-unprivileged-ports.conf -> /dev/null   MASK"* ]]
    [[ "$output" == *"/usr/lib/sysctl.d/30-unprivileged-ports.conf   not read: hidden by /etc/sysctl.d/30-unprivileged-ports.conf"* ]]
    [[ "$output" == *"What to do: remove the mask /etc/sysctl.d/30-unprivileged-ports.conf"* ]]
    host_like 1024 --root "$r" --json
    [ "$(json '.files[0].state')" = masked ]
    [ "$(json '.files[1].state')" = shadowed ]
    [ "$(json '.assignments[0].applies')" = false ]
    [ "$(json .configured)" = null ]
}

@test "host, value 80 but nothing configured: make it last" {
    r=$(tree runtime)
    host_like 80 --root "$r"
    [ "$status" -eq 0 ]
    [[ "$output" == *"What to do: make it last: 80 holds now, but nothing in sysctl.d sets it"* ]]
}

@test "sysctl.d rules: shadowing, '/' separators, '-' prefix, globs, sysctl.conf, broken links, merged /usr" {
    r=$(vendor_tree rules)
    # A same-name file in /run hides /usr/lib's; it sets 1024 with '/' separators and a '-'.
    mkdir -p "$r/run/sysctl.d" "$r/usr/local/lib/sysctl.d"
    echo '-net/ipv4/ip_unprivileged_port_start=1024' > "$r/run/sysctl.d/30-unprivileged-ports.conf"
    # A glob that matches, sorting last: exact keys win over globs whatever the order.
    echo 'net.ipv4.ip_unprivileged_*_start = 2000' > "$r/usr/local/lib/sysctl.d/99-glob.conf"
    # A later file sets 81 (exact): it is the winner.
    echo '  net.ipv4.ip_unprivileged_port_start   =   81  ' > "$r/etc/sysctl.d/50-mine.conf"
    # Not *.conf, hidden, a comment: ignored.
    echo 'net.ipv4.ip_unprivileged_port_start = 5' > "$r/etc/sysctl.d/60-x.conf.disabled"
    echo 'net.ipv4.ip_unprivileged_port_start = 6' > "$r/etc/sysctl.d/.70-hidden.conf"
    echo '; net.ipv4.ip_unprivileged_port_start = 7' > "$r/etc/sysctl.d/80-comment.conf"
    # A dangling symlink is skipped and hides nothing.
    ln -s /nonexistent.conf "$r/etc/sysctl.d/40-dangling.conf"
    # /etc/sysctl.conf: only procps reads it.
    echo 'net.ipv4.ip_unprivileged_port_start = 3000' > "$r/etc/sysctl.conf"
    # Merged /usr: /lib -> usr/lib shows the same files twice; they are one.
    ln -s usr/lib "$r/lib"
    host_like 1024 --root "$r" --json
    [ "$status" -eq 0 ]
    [ "$(json .configured.path)" = /etc/sysctl.d/50-mine.conf ]
    [ "$(json .configured.value)" = 81 ]
    [ "$(json '.assignments[] | select(.path == "/run/sysctl.d/30-unprivileged-ports.conf") | .applies')" = true ]
    [ "$(json '.assignments[] | select(.path == "/usr/lib/sysctl.d/30-unprivileged-ports.conf") | .applies')" = false ]
    [ "$(json '.assignments[] | select(.path == "/usr/local/lib/sysctl.d/99-glob.conf") | .glob')" = true ]
    [ "$(json '.assignments[] | select(.path == "/etc/sysctl.conf") | .applies')" = false ]
    [ "$(json '.files[] | select(.path == "/etc/sysctl.d/40-dangling.conf") | .state + " " + .error')" = "broken ENOENT" ]
    [ "$(json '[.files[] | select(.path | startswith("/lib/"))] | length')" = 0 ]
    [ "$(json '[.assignments[] | .value] | join(" ")')" = "1024 80 81 2000 3000" ]
    [ "$(json '.files[] | select(.path == "/usr/lib/sysctl.d/30-unprivileged-ports.conf") | .shadowed_by')" = \
        /run/sysctl.d/30-unprivileged-ports.conf ]

    # Without systemd as init, procps reads /etc/sysctl.conf last: it wins.
    rmdir "$r/run/systemd/system"
    host_like 1024 --root "$r" --json
    [ "$(json .boot_tool)" = procps ]
    [ "$(json .configured.path)" = /etc/sysctl.conf ]
    [[ "$(json .advice)" == *"sysctl --system"* ]]

    # Only a glob: it applies.
    r=$(tree glob)
    echo 'net.ipv4.ip_unprivileged_*_start = 80' > "$r/etc/sysctl.d/10-glob.conf"
    echo 'net.ipv4.ip_unprivileged_*_start.x = 1' > "$r/etc/sysctl.d/11-noglob.conf"
    host_like 1024 --root "$r" --json
    [ "$(json .configured.path)" = /etc/sysctl.d/10-glob.conf ]
    [ "$(json '.assignments | length')" = 1 ]
}

@test "own network namespace, not PID 1's: set it in that namespace" {
    r=$(vendor_tree vendor)
    own_netns 1024 --root "$r"
    [ "$status" -eq 0 ]
    [[ "$output" == *"not PID 1's"* ]]
    [[ "$output" == *"What to do: set it in this network namespace, which is not the host's"* ]]
    own_netns 80 --root "$r" --json
    [ "$(json .netns.same_as_pid1)" = false ]
    [ "$(json .unprivileged_can_bind_80)" = true ]
}

@test "a container tree (/run/.containerenv): start the container with --sysctl" {
    r=$(tree container)
    touch "$r/run/.containerenv"
    own_netns 1024 --root "$r" --json
    [ "$status" -eq 0 ]
    [ "$(json .container.kind)" = podman ]
    [ "$(json '.container.evidence | join(",")')" = /run/.containerenv ]
    [[ "$(json .advice)" == "start the container with --sysctl net.ipv4.ip_unprivileged_port_start=80"* ]]
    # $container from the runtime names it when there is no marker file.
    r=$(tree nspawn)
    own_netns 1024 --root "$r" --json
    [ "$(json .container.kind)" = null ]
    run unshare --pid --fork --mount-proc sh -c 'unshare --net env container=systemd-nspawn "$@"; true' sh \
        "$PORTCHECK" host --root "$r" --json
    [ "$(json .container.kind)" = systemd-nspawn ]
}

@test "a toolbox tree (/run/.toolboxenv): install on the HOST, not inside the toolbox" {
    r=$(tree toolbox)
    touch "$r/run/.toolboxenv" "$r/run/.containerenv"
    host_like 1024 --root "$r"
    [ "$status" -eq 0 ]
    [[ "$output" == *"container   toolbox (/run/.toolboxenv, /run/.containerenv): shares the host's network namespace"* ]]
    [[ "$output" == *"What to do: install unprivileged-ports on the HOST, not inside the toolbox: the sysctl is per network namespace"* ]]
    # Even where the value is already 80 inside: nothing to do then.
    host_like 80 --root "$r" --json
    [ "$(json .advice)" = "nothing: an unprivileged process can bind 80 and 443 here" ]
}

@test "as an unprivileged user: its own binds are the answer, and it needs no root" {
    # nobody must reach the tree: bats' own temporary directories are 0700.
    r=$(mktemp -d /tmp/portcheck-host-test.XXXXXX)
    NOBODY_TREE=$r
    chmod 755 "$r"
    mkdir -p "$r/usr/lib/sysctl.d" "$r/run/systemd/system" "$r/etc/sysctl.d"
    cp "$VENDOR" "$r/usr/lib/sysctl.d/"
    # A root-only file: systemd-sysctl reads it at boot, nobody cannot here.
    install -m 0600 /dev/null "$r/etc/sysctl.d/99-secret.conf"
    echo 'net.ipv4.ip_unprivileged_port_start = 1024' > "$r/etc/sysctl.d/99-secret.conf"
    run unshare --net --pid --fork --mount-proc "${clean_env[@]}" sh -c \
        'echo 1024 > /proc/sys/net/ipv4/ip_unprivileged_port_start &&
         exec setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"' sh \
        "$PORTCHECK" host --root "$r" --json
    [ "$status" -eq 0 ]
    [ "$(json .user.uid)" = 65534 ]
    [ "$(json .user.cap_net_bind_service)" = false ]
    [ "$(json '.binds | length')" = 2 ]
    [ "$(json '.binds[0].result')" = EACCES ]
    [ "$(json .unprivileged_can_bind_80)" = false ]
    [ "$(json .nobody_error)" = null ]
    [ "$(json '.files[] | select(.path == "/etc/sysctl.d/99-secret.conf") | .state + " " + .error')" = "read EACCES" ]
    [[ "$(json .advice)" == "run portcheck host as root: /etc/sysctl.d/99-secret.conf is read at boot but cannot be read here"* ]]
}

@test "read-only: the tree and the namespace's value are unchanged" {
    r=$(vendor_tree vendor)
    ln -s /dev/null "$r/etc/sysctl.d/30-unprivileged-ports.conf"
    before=$(find "$r" -printf '%p %y %s %T@ %l\n' | sort | sha256sum)
    run unshare --net --pid --fork --mount-proc "${clean_env[@]}" sh -c \
        'echo 1024 > /proc/sys/net/ipv4/ip_unprivileged_port_start && "$@" > /dev/null &&
         cat /proc/sys/net/ipv4/ip_unprivileged_port_start' sh "$PORTCHECK" host --root "$r"
    [ "$status" -eq 0 ]
    [ "$output" = 1024 ]
    [ "$(find "$r" -printf '%p %y %s %T@ %l\n' | sort | sha256sum)" = "$before" ]
}

@test "bad usage: exit 2 with one line naming the problem" {
    run "$PORTCHECK" host --bogus
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"--bogus"* ]]
    run "$PORTCHECK" host --root
    [ "$status" -eq 2 ]
    run "$PORTCHECK" host --root /nonexistent
    [ "$status" -eq 2 ]
    [[ "$output" == *"/nonexistent"* ]]
    run "$PORTCHECK" host --root relative/dir
    [ "$status" -eq 2 ]
    run "$PORTCHECK" host extra
    [ "$status" -eq 2 ]
    [[ "$output" == *"'extra'"* ]]
}

@test "the real machine: a diagnosis in both formats, exit 0, valid JSON" {
    run unshare --net "$PORTCHECK" host
    [ "$status" -eq 0 ]
    [[ "$output" == *"What to do: "* ]]
    run unshare --net "$PORTCHECK" host --json
    [ "$status" -eq 0 ]
    jq -e '.schema == 1 and (.advice | length > 0) and (.value | type == "number")' <<<"$output"
}

# nfs_tree NAME: the vendor file, an export to this machine with the default
# sec=sys and secure, exports that do not trust a reserved port (krb5,
# insecure, another host), and NFS mounts with sec=sys and with krb5.
nfs_tree() {
    local r
    r=$(vendor_tree "$1")
    mkdir -p "$r/proc"
    printf '%s\n' '/srv/share 127.0.0.1(ro,secure,root_squash,no_subtree_check)' '/srv/k 127.0.0.1(ro,sec=krb5)' \
        '/srv/i localhost(ro,insecure)' '/srv/o 192.0.2.7(ro)' > "$r/etc/exports"
    printf '%s\n' 'srv:/home /home nfs4 rw,sec=sys 0 0' 'srv:/k /k nfs sec=krb5p 0 0' '/dev/vda / ext4 defaults 0 1' \
        > "$r/etc/fstab"
    printf '%s\n' 'srv:/data /data nfs rw,vers=3,sec=sys,addr=192.0.2.9 0 0' > "$r/proc/mounts"
    echo "$r"
}

@test "host, value 80: an NFS export with sec=sys and secure to this machine is warned about, with the mitigation" {
    r=$(nfs_tree nfs-export)
    host_like 80 --root "$r" --json
    [ "$status" -eq 0 ]
    [ "$(json '[.warnings[] | select(.kind == "nfs-export") | .where] | join(" ")')" = "$r/etc/exports:1" ]
    [[ "$(json '.warnings[] | select(.kind == "nfs-export") | .text')" == *"sec=krb5 on the export, or keep 1024 here"* ]]
}

@test "host, value 80: NFS mounts with sec=sys (fstab and /proc/mounts) are warned about, krb5 ones are not" {
    r=$(nfs_tree nfs-mount)
    host_like 80 --root "$r"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Warning: $r/etc/fstab:1 mounts srv:/home on /home"*"Mitigation: sec=krb5, or keep 1024"* ]]
    [[ "$output" == *"Warning: $r/proc/mounts:1 mounts srv:/data on /data"* ]]
    [ "$(grep -c '^Warning:' <<<"$output")" -eq 3 ]
    [[ "$output" != *"/k "* ]]
}

@test "host, value 1024 and nothing configured: the same NFS trees give no warning (the trust still holds)" {
    r=$(tree nfs-closed)
    cp "$(nfs_tree nfs-src)/etc/exports" "$r/etc/exports"
    host_like 1024 --root "$r" --json
    [ "$status" -eq 0 ]
    [ "$(json '.warnings | length')" = 0 ]
}
