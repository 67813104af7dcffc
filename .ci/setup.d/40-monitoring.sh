#!/usr/bin/env bash
# Real receivers for the sink tests (tests/sinks): carbon-cache + graphite-web (Graphite)
# and rsyslog (the newline-JSON receiver standing in for Logstash, which Debian lacks).
# Installs only: the tests start private instances on free loopback ports, so the system
# services must stay down (a policy-rc.d refuses their start during install).
# Idempotent and quiet.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(graphite-carbon graphite-web rsyslog)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    # Wait for a dpkg lock held by another setup step instead of failing at once.
    apt_get=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
    "${apt_get[@]}" install "${missing[@]}" >/dev/null \
        || { "${apt_get[@]}" update && "${apt_get[@]}" install "${missing[@]}" >/dev/null; }
fi
carbon-cache --help >/dev/null
/usr/bin/python3 -c 'import graphite, django; print("graphite-web", graphite.__file__)'
rsyslogd -v | head -n1
