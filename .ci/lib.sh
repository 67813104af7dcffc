# Shared by the .ci/setup.d steps: install Debian packages that are missing, quietly.
# Waits for a dpkg lock held by another step instead of failing, and refreshes the package
# lists only when they are absent or an install fails on a stale list.
# APT_NO_RECOMMENDS=1 apt_install ... leaves recommended packages out.
# APT_NO_START=1 apt_install ... keeps the packages' system services from starting (a
# policy-rc.d refuses them during the install): tests start private instances instead.

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
    local policy=/usr/sbin/policy-rc.d made_policy=
    if [ "${APT_NO_START:-}" = 1 ] && [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT   # also when the step is interrupted
    fi
    local rc=0
    "${apt[@]}" install "${missing[@]}" >/dev/null \
        || { "${apt[@]}" update && "${apt[@]}" install "${missing[@]}" >/dev/null; } || rc=$?
    [ -n "$made_policy" ] && rm -f "$policy"
    return "$rc"
}
