"""wlgen: a Slurm job workload generator and scheduler-plugin test harness."""

__version__ = "0.1.0"
