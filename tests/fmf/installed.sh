#!/bin/bash
# tmt test: right after installation, %post has applied the setting to the
# running system: an unprivileged process binds 80 and 443, not 22-79.
set -euo pipefail
conf=/usr/lib/sysctl.d/30-unprivileged-ports.conf

rpm -q unprivileged-ports
grep -Eq '^-?net[./]ipv4[./]ip_unprivileged_port_start[[:space:]]*=[[:space:]]*80$' "$conf" ||
    { echo "FAIL: $conf does not set ip_unprivileged_port_start = 80" >&2; exit 1; }
echo "$conf sets 80"
exec "$(dirname "$0")/check-ports" 80
