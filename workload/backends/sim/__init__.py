"""The embedded simulated cluster: the default backend when no Slurm is configured."""

from workload.backends.sim.backend import SimBackend, make_cluster_info, slurm_policy
from workload.backends.sim.calibrate import Calibration

__all__ = ["Calibration", "SimBackend", "make_cluster_info", "slurm_policy"]
