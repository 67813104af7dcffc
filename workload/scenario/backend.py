"""A scenario's backend: the simulator, or real Slurm in a container cluster.

For ``slurm``: the scenario becomes a ClusterSpec (``cluster_spec``: shape, Slurm
version, its partitions as slurm.conf lines, slurm.conf overrides as ``conf_extra``),
which lives for the ``with`` as a ``workload.cluster.session`` (up, or reused when one
of the same name and shape runs; the run's jobs cancelled at exit; down when the session
made it, unless ``keep``). The scenario's fabric is shaped on it, its QOS are created
with their limits and its ``accounts`` become Slurm accounts with their users and default
QOS (``workload.cluster.qos``, ``Cluster.add_accounts``; a ``job_submit: {lua: FILE}``
came with the spec and is mounted on the controller), and the one backend factory
(``workload.backends.select.make_backend``) builds the backend on it by name, with the
Slurm fault driver for the scenario's faults.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from workload.backends.base import Backend
from workload.backends.select import make_backend
from workload.cluster.config import PARTITION, SUITES, ClusterSpec, per_container_for
from workload.errors import ClusterShapeError, InputError
from workload.backends.sim.calibrate import TEXTBOOK
from workload.backends.sim.slurm import ignored as sim_ignored
from workload.scenario.accounts import account_confs
from workload.scenario.faults import sim_faults
from workload.scenario.cluster import ClusterDef, PartitionDef
from workload.scenario.model import Scenario
from workload.slurmconf import PartitionConf
from workload.slurmconf.render import node_range, partition_line

SUITE_OF = {version: suite for suite, version in SUITES.items()}
FABRIC_KINDS = {"flat": "flat", "fat-tree": "fattree"}


def make_scenario_backend(scenario: Scenario, kind: str) -> Backend:
    """The simulator for ``sim``; for ``slurm`` use ``scenario_backend`` (it owns a cluster)."""
    if kind != "sim":
        raise InputError("a Slurm backend needs its cluster's lifetime: use scenario_backend")
    return make_backend("sim", scenario.cluster.info(), policy=scenario.slurm.policy,
                        faults=sim_faults(scenario.faults, str(scenario.file)),
                        requeue=scenario.slurm.requeue, calibration=scenario.sim,
                        slurm=scenario.slurm_config())


@contextmanager
def scenario_backend(scenario: Scenario, kind: str, *, cluster: str = "wlgen",
                     fresh: bool = False, keep: bool = False) -> Iterator[Backend]:
    """The backend for a run; on Slurm the cluster ``cluster`` lives for the ``with``."""
    if kind == "sim":
        yield make_scenario_backend(scenario, kind)
        return
    with slurm_session(scenario, cluster, fresh=fresh, keep=keep) as backend:
        yield backend


@contextmanager
def slurm_session(scenario: Scenario, name: str, *, fresh: bool = False,
                  keep: bool = False) -> Iterator[Backend]:
    """Real Slurm in containers, shaped and configured by the scenario."""
    from workload.cluster import session

    with session(cluster_spec(scenario, name), fresh=fresh, keep=keep) as current:
        _apply_fabric(current.cluster, scenario)
        apply_accounts(current.cluster, scenario)
        backend = make_backend("slurm", current.cluster.describe(), cluster=name,
                               faults=scenario.faults)
        try:
            yield backend
        finally:
            prefix = getattr(backend, "prefix", None)   # the run's job names (tags.py)
            if prefix:
                current.track_prefix(prefix)


def apply_accounts(cluster, scenario: Scenario) -> None:
    """The scenario's QOS (with their limits), its accounts and fair-share shares, and
    each account's ``qos`` as its jobs' default, as the simulator has them; jobs name
    their account (JobSpec.account from ``transforms.accounts``), the others run under
    the cluster's `wlgen`."""
    from workload.cluster.qos import apply_qos, default_qos

    apply_qos(cluster, scenario.qos)
    if not scenario.accounts:
        return
    confs = account_confs(scenario.accounts)
    cluster.add_accounts({account.name: (account.shares, list(account.users))
                          for account in confs})
    for account in confs:
        if account.qos:
            default_qos(cluster, account.name, account.users, account.qos)


def _scalar(fabric: Mapping[str, object], key: str, default: float) -> int | float | str:
    """A number setting of ``cluster.fabric`` as parsed (``default`` when absent or 0)."""
    value = fabric.get(key) or default
    if not isinstance(value, (int, float, str)):
        raise TypeError(f"cluster.fabric.{key} is {value!r}, not a number")
    return value


def _apply_fabric(cluster, scenario: Scenario) -> None:
    """Shape the cluster's links as the scenario's fabric says (needs root and tc)."""
    fabric = scenario.cluster.fabric
    if not fabric:
        return
    from workload.fabric import apply

    rate = int(float(_scalar(fabric, "link_gbps", 1.0)) * 1e9)
    shape = {}
    if fabric["topology"] == "fat-tree":
        shape = {"leaf_size": int(_scalar(fabric, "nodes_per_switch", 2)),
                 "oversubscription": float(_scalar(fabric, "oversubscription", 1.0))}
    topo = apply.topology_for(cluster, FABRIC_KINDS[str(fabric["topology"])], rate, **shape)
    apply.apply(cluster, topo)


def cluster_spec(scenario: Scenario, name: str = "wlgen") -> ClusterSpec:
    """The container cluster for a scenario: its nodes (one shape), and its partitions
    as slurm.conf lines rendered from the scenario's partition settings."""
    where = str(scenario.file)
    topology = scenario.cluster.fabric.get("topology")
    if topology is not None and topology not in FABRIC_KINDS:
        raise InputError(f"workload.fabric shapes {' and '.join(FABRIC_KINDS)} links; "
                         f"not {topology}", file=where, field="cluster.fabric.topology")
    part = _node_shape(scenario.cluster.partitions, where)
    nodes = scenario.cluster.nodes
    suite = SUITE_OF.get(scenario.cluster.slurm_version or "", "bookworm")
    per = scenario.cluster.nodes_per_container or per_container_for(nodes)
    try:
        return ClusterSpec(name=name, nodes=nodes, cpus=part.cpus, mem_mb=part.memory_mb,
                           suite=suite, conf_extra=scenario.slurm.conf_lines(),
                           job_submit_lua=_job_submit_text(scenario), gpus=part.gpus,
                           gpu_type=part.gpu_type or "", nodes_per_container=per,
                           partitions=partition_lines(scenario.cluster))
    except ClusterShapeError as err:    # the rule, said of the scenario's keys
        raise InputError(f"the container cluster cannot hold it: {err}", file=where,
                         field="cluster.nodes_per_container", value=per) from None


def _node_shape(parts: tuple[PartitionDef, ...], where: str) -> PartitionDef:
    """The one node shape of the container cluster (every node has the same CPUs,
    memory and GPUs): the first partition's, which every other must share."""
    first = parts[0]
    for part in parts[1:]:
        if part.same_nodes_as is None and _shape(part) != _shape(first):
            raise InputError(f"the container cluster's nodes have one shape; partition "
                             f"{part.name} differs from {first.name} (cpus, memory_mb, "
                             f"gpus): run it with --backend sim", file=where,
                             field="cluster.partitions", value=part.name)
    return first


def _shape(part: PartitionDef) -> tuple[int, int, int, str | None]:
    return part.cpus, part.memory_mb, part.gpus, part.gpu_type


def partition_lines(cluster: ClusterDef) -> str:
    """The PartitionName lines of the scenario's partitions, with the nodes the
    simulator gives them (ClusterDef.info: n1.. in partition order; a partition with
    ``same_nodes_as`` gets that one's), "" for the single default ``batch`` partition
    on every node (the container cluster's own line)."""
    parts = cluster.partitions
    default = cluster.default_partition
    if len(parts) == 1 and parts[0].name == PARTITION and parts[0].slurm in (
            None, PartitionConf(PARTITION)):
        return ""
    ranges, first = {}, 1
    for part in parts:
        if part.same_nodes_as is None:
            ranges[part.name] = node_range(first, part.nodes)
            first += part.nodes
    lines = [partition_line(part.slurm or PartitionConf(part.name),
                            ranges[part.same_nodes_as or part.name],
                            default=part.name == default) for part in parts]
    return "\n".join(lines) + "\n"


def _job_submit_text(scenario: Scenario) -> str:
    """The job_submit.lua's text ("" without one; checked UTF-8 at load): it travels in
    the ClusterSpec, so a changed script never reuses a cluster running the old one."""
    path = scenario.slurm.job_submit_lua
    return path.read_text(encoding="utf-8") if path is not None else ""


def slurm_notes(scenario: Scenario) -> list[str]:
    """What of the scenario the container cluster records but does not apply."""
    notes = []
    if any(f.action == "slow_node" for f in scenario.faults) and \
            scenario.workload.payload[0] == "sleep":
        notes.append("slow_node throttles CPU; the sleep payload does not notice")
    return notes


def sim_notes(scenario: Scenario) -> list[str]:
    """What of the scenario the simulator records but does not model (said once per run)."""
    notes = [f"{f.where}: {f.action} skipped on the simulator (on_sim: skip)"
             for f in scenario.faults if f.action not in ("node_down", "node_up")]
    if scenario.slurm.job_submit_lua or scenario.slurm.job_submit_plugin:
        notes.append("job_submit: recorded for real Slurm; the simulator does not apply it")
    conf = scenario.slurm_config()
    if conf is not None and sim_ignored(conf):
        notes.append(f"slurm: not modelled by the simulator: {', '.join(sim_ignored(conf))}")
    if conf is not None and scenario.sim.to_dict() != TEXTBOOK.to_dict():
        notes.append("sim: calibration applies to textbook EASY; with slurm keys the "
                     "simulator runs Slurm's own scheduler")
    if scenario.cluster.fabric:
        notes.append("cluster.fabric: recorded for real Slurm; the simulator has no network")
    if scenario.accounts and conf is None:
        notes.append("accounts: fair-share needs a slurm section (the simulator runs "
                     "textbook EASY without one)")
    return notes
