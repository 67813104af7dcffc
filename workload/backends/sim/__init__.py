"""The embedded simulated cluster: the default backend when no Slurm is configured."""

from workload.backends.sim.backend import SimBackend, make_cluster_info

__all__ = ["SimBackend", "make_cluster_info"]
