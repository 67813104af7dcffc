"""A scenario: one validated file's cluster, Slurm config, workload, faults and checks."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from workload.backends.sim.calibrate import TEXTBOOK, Calibration
from workload.scenario.checkspec import ChecksDef
from workload.scenario.cluster import ClusterDef
from workload.fault import Fault
from workload.scenario.accounts import account_confs
from workload.scenario.slurmconf import SlurmDef
from workload.slurmconf import QosConf, SlurmConfig
from workload.scenario.workloads import WorkloadDef


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    file: Path
    cluster: ClusterDef
    slurm: SlurmDef
    workload: WorkloadDef
    faults: tuple[Fault, ...] = ()
    checks: ChecksDef = field(default_factory=ChecksDef)
    accounts: dict[str, dict[str, object]] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()    # the --set KEY=VALUE it was loaded with
    sim: Calibration = TEXTBOOK        # the simulator's optional Slurm-like behaviour
    qos: tuple[QosConf, ...] = ()

    def slurm_config(self) -> SlurmConfig | None:
        """What the simulator schedules with: the container cluster's settings for the
        scenario's release, its ``slurm`` keys, partitions, QOS and accounts; None (textbook
        EASY/FCFS) for a scenario that sets no Slurm key."""
        if not self.slurm.faithful:
            return None
        return self.slurm.config(self.cluster.slurm_version,
                                 partitions=self.cluster.partition_confs(), qos=self.qos,
                                 accounts=account_confs(self.accounts))

    def describe(self) -> dict[str, object]:
        """What the run directory records (settings.json) about the scenario."""
        return {"name": self.name, "file": str(self.file), "overrides": list(self.overrides),
                "cluster": self.cluster.to_dict(), "slurm": self.slurm.to_dict(),
                "faults": [f.to_dict() for f in self.faults], "accounts": self.accounts,
                "qos": [{k: None if v == math.inf else v for k, v in asdict(q).items()}
                        for q in self.qos],
                "sim": self.sim.to_dict(),
                "checks": {"invariants": self.checks.invariants,
                           "metrics": self.checks.metrics}}
