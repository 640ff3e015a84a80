# Sourced before anything runs mmdebstrap: only stdin, stdout and stderr
# from here on. mmdebstrap hands apt a pipe whose number it writes into a
# dash command line ("cat >&N"), and dash reads one digit only: descriptors
# inherited from the caller (bats, make, run-suites) push N past 9 and the
# build fails with "apt download failed" (dash: "Bad fd number").
# (vm-images/build-image does the same inline: its files are its cache key.)
for only_std_fd in /proc/$$/fd/*; do
    only_std_fd=${only_std_fd##*/}
    case $only_std_fd in 0 | 1 | 2 | 255) ;; *) eval "exec $only_std_fd>&-" 2>/dev/null || true ;; esac
done
unset only_std_fd
