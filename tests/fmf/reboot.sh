#!/bin/bash
# tmt test: the setting holds after a real reboot. Before rebooting, the
# running value goes back to the kernel default (1024) and the checks must
# then refuse 80 (the negative control); after the reboot only
# systemd-sysctl applying /usr/lib/sysctl.d at boot can make it 80 again.
# The boot id must change, or it was no reboot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
key=/proc/sys/net/ipv4/ip_unprivileged_port_start
# $TMT_TEST_DATA lives on the guest's disk: it survives the reboot.
state=${TMT_TEST_DATA:-/var/tmp}/boot_id.before

case "${TMT_REBOOT_COUNT:-0}" in
    0)
        rpm -q unprivileged-ports
        "$here/check-ports" 80
        cat /proc/sys/kernel/random/boot_id > "$state"
        echo 1024 > "$key"
        echo "reset the running value to 1024; the same checks must now refuse 80"
        "$here/check-ports" 1024
        echo "rebooting (boot id $(cat "$state"))"
        tmt-reboot
        ;;
    1)
        before=$(cat "$state")
        now=$(cat /proc/sys/kernel/random/boot_id)
        echo "boot id before $before, now $now"
        [ "$before" != "$now" ] || { echo "FAIL: the boot id did not change: no reboot happened" >&2; exit 1; }
        exec "$here/check-ports" 80
        ;;
    *)
        echo "FAIL: rebooted $TMT_REBOOT_COUNT times, expected once" >&2
        exit 1
        ;;
esac
