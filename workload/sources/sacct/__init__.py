"""Slurm accounting as a workload: sacct -P/-p and --json dumps, sacctmgr assoc and QOS.

``SacctSource`` reads a dump (``sniff`` tells which kind a file is); ``load_assoc`` and
``load_qos`` read ``sacctmgr -P show assoc`` / ``show qos`` for the account tree, shares
and QOS a replay on real Slurm creates first.
"""

from workload.sources.sacct.assoc import Association, load_assoc
from workload.sources.sacct.qos import Qos, load_qos
from workload.sources.sacct.sniff import FORMATS, sniff
from workload.sources.sacct.source import SacctSource

__all__ = ["Association", "FORMATS", "Qos", "SacctSource", "load_assoc", "load_qos", "sniff"]
