"""Slurm's job states folded into the few that wlgen's events carry."""

from __future__ import annotations

from workload.event import (CANCELLED, COMPLETED, FAILED, NODE_FAIL, OUT_OF_MEMORY, PENDING,
                            PREEMPTED, REQUEUED, RUNNING, TIMEOUT)

# Slurm's final states -> wlgen's (BOOT_FAIL is a node that never came up for the job).
FINAL = {"COMPLETED": COMPLETED, "FAILED": FAILED, "TIMEOUT": TIMEOUT,
         "CANCELLED": CANCELLED, "NODE_FAIL": NODE_FAIL, "OUT_OF_MEMORY": OUT_OF_MEMORY,
         "PREEMPTED": PREEMPTED, "BOOT_FAIL": NODE_FAIL, "DEADLINE": TIMEOUT,
         "REVOKED": CANCELLED}
ACTIVE = {"RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "STOPPED", "SIGNALING",
          "STAGE_OUT", "RESIZING"}
REQUEUE = {"REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "SPECIAL_EXIT"}


def normalize(raw: str) -> str:
    """One of wlgen's states for a Slurm state as squeue/sacct print it.

    sacct writes "CANCELLED by 0"; a state may carry flags after '+' (newer Slurm)."""
    word = raw.strip().split()[0].split("+")[0].upper() if raw.strip() else ""
    if word in FINAL:
        return FINAL[word]
    if word in ACTIVE:
        return RUNNING
    if word in REQUEUE:
        return REQUEUED
    return PENDING
