#!/usr/bin/env bash
# Host tools of the simulated fabric (workload/fabric): tc and ip (iproute2) shape and cut
# the links, nsenter (util-linux) enters the node containers' network namespaces so the
# node image needs none of them, ethtool turns TSO/GSO off for exact shaping and counters.
# ibsim-utils (ibsim + libumad2sim), opensm and infiniband-diags: the InfiniBand view
# (workload/fabric/ibsim.py), all user space, no RDMA hardware or kernel module needed.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
apt_install iproute2 ethtool util-linux ibsim-utils opensm infiniband-diags
modprobe ifb numifbs=0 2>/dev/null || true   # leaf uplinks; built in on some kernels
tc -V
