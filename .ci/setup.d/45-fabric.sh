#!/usr/bin/env bash
# Host tools of the simulated fabric (workload/fabric): tc and ip (iproute2) shape and cut
# the links, nsenter (util-linux) enters the node containers' network namespaces so the
# node image needs none of them, ethtool turns TSO/GSO off for exact shaping and counters.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
apt_install iproute2 ethtool util-linux
modprobe ifb numifbs=0 2>/dev/null || true   # leaf uplinks; built in on some kernels
tc -V
