"""The simulator in Slurm-faithful mode: Slurm's priority, main scheduler and backfill."""

from workload.backends.sim.slurm.engine import SlurmEngine
from workload.backends.sim.slurm.settings import ignored

__all__ = ["SlurmEngine", "ignored"]
