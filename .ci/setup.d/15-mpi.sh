#!/usr/bin/env bash
# Open MPI for the jobs/ kernels (mpi4py's wheels load the system libmpi at run time)
# and for the `mpirun -np 2` tests in tests/jobs.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
apt_install openmpi-bin libopenmpi-dev
mpirun --version | head -n1
