#!/usr/bin/env bash
# Headless Chromium for the report tests (tests/harness): they render `wlgen report`
# output with --dump-dom/--screenshot and check what the page shows. Idempotent: skips
# apt when installed; waits for a dpkg lock held by another setup step.
set -euo pipefail
if [ "$(dpkg-query -W -f='${Status}' chromium 2>/dev/null)" != "install ok installed" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt_get=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
    "${apt_get[@]}" install --no-install-recommends chromium fonts-dejavu-core >/dev/null \
        || { "${apt_get[@]}" update \
             && "${apt_get[@]}" install --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
fi
chromium --version
