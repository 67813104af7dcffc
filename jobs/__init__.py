"""Job kernels run inside Slurm jobs as ``python3 -m jobs KERNEL ...``."""
