# Shared by the .ci/setup.d steps: install Debian packages that are missing, quietly.
# Waits for a dpkg lock held by another step instead of failing, and refreshes the package
# lists only when they are absent or an install fails on a stale list.
# APT_NO_RECOMMENDS=1 apt_install ... leaves recommended packages out.

apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
    [ "${APT_NO_RECOMMENDS:-}" = 1 ] && apt+=(--no-install-recommends)
    [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit)" ] \
        || "${apt[@]}" update
    "${apt[@]}" install "${missing[@]}" >/dev/null \
        || { "${apt[@]}" update && "${apt[@]}" install "${missing[@]}" >/dev/null; }
}
