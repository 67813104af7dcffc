"""Load a scenario file: YAML, then --set overrides, then validation into a Scenario."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workload.backends.sim.calibrate import TEXTBOOK, Calibration
from workload.scenario.checkspec import parse_checks
from workload.scenario.cluster import parse_cluster
from workload.scenario.faults import parse_faults
from workload.scenario.model import Scenario
from workload.scenario.overrides import apply_overrides
from workload.scenario.schema import Key, opt
from workload.scenario.slurmconf import parse_slurm
from workload.scenario.workloads import parse_workload
from workload.safeyaml import read_yaml
from workload.scenario.accounts import parse_accounts, parse_qos

TOP = ("name", "description", "cluster", "slurm", "job_submit", "accounts", "qos",
       "workload", "faults", "checks", "sim")
SIM_KEYS = ("time_limit_round_s", "bf_interval_s")


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """The validated scenario in ``path``; InputError names file, key path and rule."""
    path = Path(path)
    data = read_yaml(str(path), what="scenario")
    if overrides:
        data = apply_overrides(data if isinstance(data, dict) else {}, list(overrides))
    return parse_scenario(data, path, tuple(overrides))


def parse_scenario(data: object, path: Path, overrides: tuple[str, ...] = ()) -> Scenario:
    keys = Key(data, "", str(path)).mapping(TOP, required=("workload",))
    base = path.parent
    cluster = parse_cluster(keys.get("cluster"))
    node_names = {n.name for n in cluster.info().nodes}
    return Scenario(
        name=opt(keys, "name", "text", path.stem),
        description=opt(keys, "description", "text", ""),
        file=path,
        cluster=cluster,
        slurm=parse_slurm(keys.get("slurm"), keys.get("job_submit"), base),
        workload=parse_workload(keys["workload"], base),
        faults=parse_faults(keys.get("faults"), node_names),
        checks=parse_checks(keys.get("checks")),
        accounts=parse_accounts(keys.get("accounts")),
        overrides=overrides,
        sim=_sim(keys.get("sim")),
        qos=parse_qos(keys.get("qos")))


def _sim(key: Key | None) -> Calibration:
    """``sim``: the simulator's Slurm-like options (workload/backends/sim/calibrate.py)."""
    if key is None or key.value is None:
        return TEXTBOOK
    keys = key.mapping(SIM_KEYS)
    return Calibration(**{name: keys[name].number(low=0.0) for name in SIM_KEYS
                          if name in keys and keys[name].value is not None})
