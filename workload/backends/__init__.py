"""Backends run job specs: the embedded simulator, or real Slurm (CLI, REST)."""
