"""The ``cluster`` section: partitions of nodes, the fabric, the Slurm version.

The simulator gets a ClusterInfo; the container cluster (later) gets a ClusterSpec
from ``cluster_spec``. Fabric settings are recorded for real Slurm (topology.conf and
the network the containers get); the simulator has no network and ignores them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from workload.backends.base import ClusterInfo, NodeInfo
from workload.cluster.config import MAX_PER_CONTAINER, SUITES
from workload.errors import InputError
from workload.gres import parse_gpus
from workload.scenario.schema import Key, opt
from workload.slurmconf import PartitionConf, minutes_text_to_s

KEYS = ("name", "nodes", "cpus", "memory_mb", "gpus", "partitions", "fabric", "slurm_version",
        "nodes_per_container")
PARTITION_KEYS = ("name", "nodes", "cpus", "memory_mb", "gpus", "default", "same_nodes_as",
                  # Slurm's partition settings (PartitionName=...), which the simulator honours
                  "PriorityTier", "PriorityJobFactor", "MaxTime", "DefaultTime", "MaxNodes")
FABRIC_KEYS = ("topology", "link_gbps", "oversubscription", "nodes_per_switch")
TOPOLOGIES = ("flat", "fat-tree")       # what workload/fabric builds
NOT_BUILT = ("dragonfly", "torus")      # named by users, built by nothing yet
DEFAULT_CPUS, DEFAULT_MEM = 32, 64_000
# The simulator holds one object per node: a typo'd 10**12 would grow without bound.
MAX_NODES, MAX_CPUS = 100_000, 100_000


@dataclass(frozen=True)
class PartitionDef:
    name: str
    nodes: int
    cpus: int
    memory_mb: int
    default: bool = False
    same_nodes_as: str | None = None    # shares that partition's nodes (has none of its own)
    slurm: PartitionConf | None = None  # PriorityTier, PriorityJobFactor, MaxTime...
    gpus: int = 0                       # per node: ``gpus: 2`` or ``gpus: "4:a100"``
    gpu_type: str | None = None


@dataclass(frozen=True)
class ClusterDef:
    name: str
    partitions: tuple[PartitionDef, ...]
    fabric: dict[str, object] = field(default_factory=dict)
    slurm_version: str | None = None
    # Slurm nodes a container on real Slurm (several slurmd each); None: the container
    # cluster's own choice (cluster.config.per_container_for). The simulator has no
    # containers.
    nodes_per_container: int | None = None

    @property
    def nodes(self) -> int:
        return sum(p.nodes for p in self.partitions if p.same_nodes_as is None)

    def partition_confs(self) -> tuple[PartitionConf, ...]:
        return tuple(p.slurm or PartitionConf(p.name) for p in self.partitions)

    @property
    def default_partition(self) -> str:
        return next((p.name for p in self.partitions if p.default), self.partitions[0].name)

    def info(self) -> ClusterInfo:
        """Nodes named n1, n2... across partitions in order, like the container cluster."""
        nodes, i = [], 0
        for part in self.partitions:
            if part.same_nodes_as is not None:
                continue
            names = (part.name, *(p.name for p in self.partitions
                                  if p.same_nodes_as == part.name))
            for _ in range(part.nodes):
                i += 1
                nodes.append(NodeInfo(f"n{i}", part.cpus, part.memory_mb, names, part.gpus,
                                      part.gpu_type))
        return ClusterInfo(self.name, tuple(nodes), self.default_partition, self.slurm_version)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "slurm_version": self.slurm_version, "fabric": self.fabric,
                "nodes_per_container": self.nodes_per_container,
                "partitions": [{**asdict(p), "slurm": p.slurm and _finite(asdict(p.slurm))}
                               for p in self.partitions]}


def _finite(values: dict[str, object]) -> dict[str, object]:
    """JSON has no Infinity: an unlimited MaxTime is null."""
    return {k: None if v == math.inf else v for k, v in values.items()}


def parse_cluster(key: Key | None) -> ClusterDef:
    if key is None or key.value is None:
        return ClusterDef("sim", (PartitionDef("batch", 8, DEFAULT_CPUS, DEFAULT_MEM, True),))
    keys = key.mapping(KEYS)
    cpus = opt(keys, "cpus", "integer", DEFAULT_CPUS, low=1, high=MAX_CPUS)
    mem = opt(keys, "memory_mb", "integer", DEFAULT_MEM, low=1)
    nodes = opt(keys, "nodes", "integer", None, low=1, high=MAX_NODES)
    gpus = _gpus(keys, (0, None))
    if "partitions" in keys:
        parts = tuple(_partition(k, cpus, mem, gpus) for k in keys["partitions"].items())
        _check_partitions(keys["partitions"], parts, nodes)
    else:
        parts = (PartitionDef("batch", nodes or 8, cpus, mem, True, gpus=gpus[0],
                              gpu_type=gpus[1]),)
    version = opt(keys, "slurm_version", "text", None, choices=tuple(SUITES.values()))
    fabric = _fabric(keys["fabric"]) if "fabric" in keys else {}
    per = opt(keys, "nodes_per_container", "integer", None, low=1, high=MAX_PER_CONTAINER)
    return ClusterDef(opt(keys, "name", "text", "sim"), parts, fabric, version, per)


def _gpus(keys: dict[str, Key], default: tuple[int, str | None]) -> tuple[int, str | None]:
    """``gpus``: GPUs per node, G or "G:TYPE" (issue 16)."""
    if "gpus" not in keys or keys["gpus"].value is None:
        return default
    try:
        return parse_gpus(str(keys["gpus"].scalar()))
    except InputError as err:
        raise keys["gpus"].error(err.rule) from None


def _partition(key: Key, cpus: int, mem: int,
               gpus: tuple[int, str | None] = (0, None)) -> PartitionDef:
    keys = key.mapping(PARTITION_KEYS, required=("name",))
    shared = opt(keys, "same_nodes_as", "text", None)
    if (shared is None) == ("nodes" not in keys):
        raise key.error("give nodes (a count) or same_nodes_as (a partition's name)")
    name = keys["name"].text()
    return PartitionDef(name, keys["nodes"].integer(low=1) if "nodes" in keys else 0,
                        opt(keys, "cpus", "integer", cpus, low=1),
                        opt(keys, "memory_mb", "integer", mem, low=1),
                        opt(keys, "default", "flag", False), shared, _slurm_partition(name, keys),
                        *_gpus(keys, gpus))


def _slurm_partition(name: str, keys: dict[str, Key]) -> PartitionConf:
    def time(field: str) -> float | None:
        if field not in keys:
            return None
        try:
            return minutes_text_to_s(str(keys[field].scalar()), field=field)
        except InputError as err:
            raise keys[field].error(err.rule) from None
    return PartitionConf(name, opt(keys, "PriorityTier", "integer", 1, low=0),
                         opt(keys, "PriorityJobFactor", "integer", 1, low=0),
                         time("MaxTime") or math.inf, time("DefaultTime"),
                         opt(keys, "MaxNodes", "integer", None, low=1))


def _check_partitions(key: Key, parts: tuple[PartitionDef, ...], nodes: int | None) -> None:
    if not parts:
        raise key.error("must list at least one partition")
    names = [p.name for p in parts]
    if len(set(names)) != len(names):
        raise key.error("partition names must be unique")
    if sum(p.default for p in parts) > 1:
        raise key.error("at most one partition may be the default")
    own = sum(p.nodes for p in parts if p.same_nodes_as is None)
    if nodes is not None and nodes != own:
        raise key.error(f"partitions have {own} nodes but "
                        f"cluster.nodes is {nodes}: give one or make them agree")
    owners = {p.name for p in parts if p.same_nodes_as is None}
    for part in parts:
        if part.same_nodes_as is not None and part.same_nodes_as not in owners:
            raise key.error(f"partition {part.name}: same_nodes_as {part.same_nodes_as!r} "
                            "must name a partition with nodes of its own")


def _fabric(key: Key) -> dict[str, object]:
    keys = key.mapping(FABRIC_KEYS)
    if "topology" in keys and keys["topology"].value in NOT_BUILT:
        raise keys["topology"].error(f"{keys['topology'].value} is not built yet: wlgen "
                                     f"builds {' and '.join(TOPOLOGIES)} fabrics")
    return {"topology": opt(keys, "topology", "text", "flat", choices=TOPOLOGIES),
            "link_gbps": opt(keys, "link_gbps", "number", None, positive=True),
            "oversubscription": opt(keys, "oversubscription", "number", 1.0, low=1.0),
            "nodes_per_switch": opt(keys, "nodes_per_switch", "integer", None, low=1)}
