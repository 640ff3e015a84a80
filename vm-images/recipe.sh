# Recipe reader shared by build-image and the tests: a recipe is `key = value`
# lines and comments, nothing executable, so a recipe can never run code.
# recipe_load FILE sets R_<key> for every known key, or prints one line
# naming the problem and returns 2.

RECIPE_KEYS="distro suite release init package_format packages backports cmdline builder mirror description container_tree preinstall"

recipe_load() {
    local file=$1 line key value n=0
    R_distro= R_suite= R_release= R_init= R_package_format= R_packages= R_backports= R_cmdline= R_builder= R_mirror= R_description= R_container_tree= R_preinstall=
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        case "$line" in ''|'#'*) continue ;; esac
        if [[ ! "$line" =~ ^([a-z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
            echo "recipe $file:$n: expected 'key = value', got: $line" >&2
            return 2
        fi
        key=${BASH_REMATCH[1]}
        value=${BASH_REMATCH[2]%"${BASH_REMATCH[2]##*[![:space:]]}"}
        case " $RECIPE_KEYS " in
            *" $key "*) ;;
            *) echo "recipe $file:$n: unknown key '$key' (known: $RECIPE_KEYS)" >&2; return 2 ;;
        esac
        if [[ "$value" == *[\'\"\`\$\;\&\|\<\>\\]* ]]; then
            echo "recipe $file:$n: value of '$key' holds a shell metacharacter; recipes are data" >&2
            return 2
        fi
        printf -v "R_$key" '%s' "$value"
    done < "$file"
    : "${R_builder:=$( [ "$R_distro" = fedora ] && echo dnf || echo mmdebstrap )}"
    local required
    case "$R_distro" in
        debian) required="suite init package_format" ;;
        fedora) required="release init package_format" ;;
        '') echo "recipe $file: missing 'distro' (debian or fedora)" >&2; return 2 ;;
        *) echo "recipe $file: distro '$R_distro' is not debian or fedora" >&2; return 2 ;;
    esac
    for key in $required; do
        value="R_$key"
        if [ -z "${!value}" ]; then
            echo "recipe $file: missing '$key'" >&2
            return 2
        fi
    done
    case "$R_init" in systemd|sysvinit) ;; *) echo "recipe $file: init '$R_init' is not systemd or sysvinit" >&2; return 2 ;; esac
    case "${R_container_tree:-no}" in yes|no) ;; *) echo "recipe $file: container_tree '$R_container_tree' is not yes or no" >&2; return 2 ;; esac
    case "$R_package_format" in deb|rpm) ;; *) echo "recipe $file: package_format '$R_package_format' is not deb or rpm" >&2; return 2 ;; esac
    # backports = PKG...: Debian packages taken from SUITE-backports.
    if [ -n "$R_backports" ] && [ "$R_distro" != debian ]; then
        echo "recipe $file: backports is for Debian recipes (SUITE-backports), not $R_distro" >&2
        return 2
    fi
    # preinstall = deb: the image builder installs this project's .deb in
    # its chroot (build-image takes it from PORTCHECK_PREINSTALL_DEB).
    case "$R_preinstall" in
        '') ;;
        deb) [ "$R_package_format" = deb ] || { echo "recipe $file: preinstall = deb needs package_format = deb" >&2; return 2; } ;;
        *) echo "recipe $file: preinstall '$R_preinstall' is not deb (the Debian builder bakes in a .deb; no rpm route yet)" >&2; return 2 ;;
    esac
    return 0
}
