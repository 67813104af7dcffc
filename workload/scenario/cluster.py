"""The ``cluster`` section: partitions of nodes, the fabric, the Slurm version.

The simulator gets a ClusterInfo; the container cluster (later) gets a ClusterSpec
from ``cluster_spec``. Fabric settings are recorded for real Slurm (topology.conf and
the network the containers get); the simulator has no network and ignores them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from workload.backends.base import ClusterInfo, NodeInfo
from workload.cluster.config import SUITES
from workload.scenario.schema import Key, opt

KEYS = ("name", "nodes", "cpus", "memory_mb", "partitions", "fabric", "slurm_version")
PARTITION_KEYS = ("name", "nodes", "cpus", "memory_mb", "default")
FABRIC_KEYS = ("topology", "link_gbps", "oversubscription", "nodes_per_switch")
TOPOLOGIES = ("flat", "fat-tree", "dragonfly", "torus")
DEFAULT_CPUS, DEFAULT_MEM = 32, 64_000


@dataclass(frozen=True)
class PartitionDef:
    name: str
    nodes: int
    cpus: int
    memory_mb: int
    default: bool = False


@dataclass(frozen=True)
class ClusterDef:
    name: str
    partitions: tuple[PartitionDef, ...]
    fabric: dict[str, object] = field(default_factory=dict)
    slurm_version: str | None = None

    @property
    def nodes(self) -> int:
        return sum(p.nodes for p in self.partitions)

    @property
    def default_partition(self) -> str:
        return next((p.name for p in self.partitions if p.default), self.partitions[0].name)

    def info(self) -> ClusterInfo:
        """Nodes named n1, n2... across partitions in order, like the container cluster."""
        nodes, i = [], 0
        for part in self.partitions:
            for _ in range(part.nodes):
                i += 1
                nodes.append(NodeInfo(f"n{i}", part.cpus, part.memory_mb, (part.name,)))
        return ClusterInfo(self.name, tuple(nodes), self.default_partition, self.slurm_version)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "slurm_version": self.slurm_version, "fabric": self.fabric,
                "partitions": [asdict(p) for p in self.partitions]}


def parse_cluster(key: Key | None) -> ClusterDef:
    if key is None or key.value is None:
        return ClusterDef("sim", (PartitionDef("batch", 8, DEFAULT_CPUS, DEFAULT_MEM, True),))
    keys = key.mapping(KEYS)
    cpus = opt(keys, "cpus", "integer", DEFAULT_CPUS, low=1)
    mem = opt(keys, "memory_mb", "integer", DEFAULT_MEM, low=1)
    nodes = opt(keys, "nodes", "integer", None, low=1)
    if "partitions" in keys:
        parts = tuple(_partition(k, cpus, mem) for k in keys["partitions"].items())
        _check_partitions(keys["partitions"], parts, nodes)
    else:
        parts = (PartitionDef("batch", nodes or 8, cpus, mem, True),)
    version = opt(keys, "slurm_version", "text", None, choices=tuple(SUITES.values()))
    fabric = _fabric(keys["fabric"]) if "fabric" in keys else {}
    return ClusterDef(opt(keys, "name", "text", "sim"), parts, fabric, version)


def _partition(key: Key, cpus: int, mem: int) -> PartitionDef:
    keys = key.mapping(PARTITION_KEYS, required=("name", "nodes"))
    return PartitionDef(keys["name"].text(), keys["nodes"].integer(low=1),
                        opt(keys, "cpus", "integer", cpus, low=1),
                        opt(keys, "memory_mb", "integer", mem, low=1),
                        opt(keys, "default", "flag", False))


def _check_partitions(key: Key, parts: tuple[PartitionDef, ...], nodes: int | None) -> None:
    if not parts:
        raise key.error("must list at least one partition")
    names = [p.name for p in parts]
    if len(set(names)) != len(names):
        raise key.error("partition names must be unique")
    if sum(p.default for p in parts) > 1:
        raise key.error("at most one partition may be the default")
    if nodes is not None and nodes != sum(p.nodes for p in parts):
        raise key.error(f"partitions have {sum(p.nodes for p in parts)} nodes but "
                        f"cluster.nodes is {nodes}: give one or make them agree")


def _fabric(key: Key) -> dict[str, object]:
    keys = key.mapping(FABRIC_KEYS)
    return {"topology": opt(keys, "topology", "text", "flat", choices=TOPOLOGIES),
            "link_gbps": opt(keys, "link_gbps", "number", None, positive=True),
            "oversubscription": opt(keys, "oversubscription", "number", 1.0, low=1.0),
            "nodes_per_switch": opt(keys, "nodes_per_switch", "integer", None, low=1)}
