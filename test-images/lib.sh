# Shared helpers for the test-images scripts. Source it; do not run it.
# Everything built here is cached outside the repository, under $ONDEMANDD_CACHE.

ONDEMANDD_CACHE="${ONDEMANDD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ondemandd}"

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
# unavailable MESSAGE — what this script needs cannot be had here (no root to install, no network): exit 77,
# which the kernel tests report as a skip with this message rather than a failure.
EXIT_UNAVAILABLE=77
unavailable() { printf '%s: unavailable: %s\n' "${0##*/}" "$*" >&2; exit "$EXIT_UNAVAILABLE"; }

# need_pkgs PKG... — installs the Debian packages that are missing (root only; the scripts are meant for root).
need_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || unavailable "missing packages ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
    log "installing ${missing[*]}"
    # A stale package list makes installs fail with 404s on a new machine; refresh once and retry.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } \
        || unavailable "could not install ${missing[*]} (apt-get failed: network or mirror?)"
}

# hash_of STRING... — short content hash used as a cache key.
hash_of() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

# lock_or_wait FILE — takes an exclusive lock on FILE for the rest of the script (fd 9), so concurrent builds of
# one cache entry wait for each other instead of racing on the same directory.
lock_or_wait() {
    mkdir -p "$(dirname "$1")"
    exec 9>"$1"
    flock -n 9 || { log "waiting for another build holding $1"; flock 9; }
}

# private_apt NAME "deb|deb-src URI SUITE COMPONENT" — sets the array APT_PRIVATE to apt options that use only
# that one source, with package lists of their own under the cache: the host's apt configuration and lists
# are left untouched. The lists are fetched when missing (or with ONDEMANDD_REFRESH=1).
private_apt() {
    local dir="$ONDEMANDD_CACHE/apt-$1"
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/none"
    local line="${2/ / [signed-by=\/usr\/share\/keyrings\/debian-archive-keyring.gpg] }"
    echo "$line" >"$dir/sources.list"
    APT_PRIVATE=(
        -o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/none"
        -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "APT::Get::List-Cleanup=0"
        -o "APT::Sandbox::User=root"
    )
    if ! ls "$dir/lists/"*_InRelease >/dev/null 2>&1 || [ "${ONDEMANDD_REFRESH:-0}" = 1 ]; then
        log "fetching the package list of '$2' (private, in $dir)"
        apt-get "${APT_PRIVATE[@]}" -q update >&2 || unavailable "apt-get update for '$2' failed: is the mirror reachable?"
    fi
}

DEBIAN_MIRROR="${ONDEMANDD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
