"""What a cluster is (ClusterSpec) and the Slurm config files it gets: pure rendering."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from workload.errors import ClusterError, ClusterShapeError
from workload.slurmconf.defaults import CONTAINER
from workload.slurmconf.text import is_repeatable, parse_lines

#: Debian suite -> the Slurm major version it packages (the image's Slurm).
SUITES: dict[str, str] = {"bookworm": "22.05", "trixie": "24.11", "sid": "26.05"}
#: Roles that are not compute nodes, in start order; their hostnames are the role names.
SERVICES = ("db", "ctld", "rest")
PARTITION = "batch"
REST_PORT = 6820
MAX_NODES = 200  # one /24 per cluster; the host ARP table also overflows far above this
MAX_CONTAINERS = MAX_NODES  # node containers, whatever each runs (one address each)
MAX_SLURM_NODES = 4096      # with several slurmd per container (--nodes-per-container)
MAX_PER_CONTAINER = 64
# With several slurmd in a container, each listens on its own port (slot 0, 1, ...), and
# its spool dir and pid file are its own (%n: Slurm's node name).
SLURMD_PORT_BASE = 17000
MULTI_SLURMD_CONF = ("SlurmdSpoolDir=/var/lib/slurm/slurmd/%n",
                     "SlurmdPidFile=/run/slurmd-%n.pid")
JWT_KEY = "/var/lib/slurm/jwt_hs256.key"  # inside the containers (entrypoint installs it)
TMPFS = "/var/spool/wlgen/%n/tmp"  # per node: pmix fails when nodes share /tmp
JOBS_PATH = "/opt/wlgen"  # where the image keeps the jobs package (its PYTHONPATH)
# Where job_submit/lua looks (next to slurm.conf; not configurable in Slurm).
JOB_SUBMIT_LUA = "/etc/slurm/job_submit.lua"

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """A cluster's shape and where it lives; saved as JSON in its state dir."""

    name: str = "wlgen"
    nodes: int = 4
    cpus: int = 4
    mem_mb: int = 4096
    suite: str = "bookworm"
    engine: str = "podman"
    subnet: int = 0  # third octet of 10.213.X.0/24, chosen free at `up`
    rest_port: int = 0  # host loopback port of slurmrestd, chosen free at `up`
    conf_extra: str = ""  # appended verbatim to slurm.conf
    monitoring: bool = False  # graphite + log receiver next to it (workload.cluster.monitoring)
    # Host directories bind-mounted read-write at the same path on every node: what a
    # matrix sweep's jobs need (wlgen, its Python, the run directory; sweep_slurm.py).
    shares: tuple[str, ...] = ()
    # A job_submit.lua's text: bind-mounted on the controller at JOB_SUBMIT_LUA, and
    # JobSubmitPlugins=lua unless conf_extra names the plugins itself.
    job_submit_lua: str = ""
    # GPUs per node (issue 16): character devices /dev/nvidia0.. made in each node at
    # start, listed in gres.conf; gpu_type "" for untyped (Gres=gpu:N).
    gpus: int = 0
    gpu_type: str = ""
    # Slurm nodes per node container (issue 18): K slurmd daemons (`slurmd -N nX`) in
    # each; 1 is one node a container, as before.
    nodes_per_container: int = 1
    # The partitions' slurm.conf lines, one a line (a scenario's, rendered from its
    # SlurmConfig by workload.slurmconf.render); "" for the one partition batch on all.
    partitions: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ClusterShapeError(f"cluster name {self.name!r} must match {_NAME.pattern} "
                                    "(it is Slurm's ClusterName and a container name prefix)")
        self._check_size()
        if self.cpus < 1 or self.mem_mb < 64:
            raise ClusterShapeError(f"--cpus must be >= 1 and --mem >= 64 MB, not "
                                    f"{self.cpus} and {self.mem_mb}")
        if not 0 <= self.gpus <= 64 or (self.gpu_type and not self.gpus):
            raise ClusterShapeError(f"--gpus must be 0..64 (a type needs a count), not "
                                    f"{self.gpus}:{self.gpu_type}")
        if self.suite not in SUITES:
            raise ClusterShapeError(f"--slurm must be one of {', '.join(SUITES)}, "
                                    f"not {self.suite!r}")
        _check_partitions(self.partitions)
        plugins = _job_submit_plugins(self.conf_extra)
        if self.job_submit_lua and plugins is not None and "lua" not in plugins:
            raise ClusterShapeError(f"a job_submit.lua is given but conf_extra's JobSubmitPlugins="
                                    f"{','.join(plugins)} does not load lua")

    def _check_size(self) -> None:
        """Like the other shape checks: a ClusterShapeError (exit 2) naming the option and
        the rule."""
        per = self.nodes_per_container
        if not 1 <= per <= MAX_PER_CONTAINER:
            raise ClusterShapeError(f"--nodes-per-container must be 1..{MAX_PER_CONTAINER}, "
                                    f"not {per}")
        if per == 1 and not 1 <= self.nodes <= MAX_NODES:
            raise ClusterShapeError(f"--nodes must be 1..{MAX_NODES}, not {self.nodes}, with one "
                                    "slurmd a container (more need --nodes-per-container)")
        if not 1 <= self.nodes <= MAX_SLURM_NODES or self.containers > MAX_CONTAINERS:
            raise ClusterShapeError(f"--nodes {self.nodes} needs {self.containers} containers at "
                                    f"--nodes-per-container {per}: at most {MAX_CONTAINERS} "
                                    f"containers and {MAX_SLURM_NODES} nodes")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ClusterSpec:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @property
    def mem_per_cpu_mb(self) -> int:
        """Each CPU's share of a node's memory: slurm.conf's DefMemPerCPU, and what the
        backends ask for explicitly (so it holds where a config overrides the default)."""
        return max(1, self.mem_mb // self.cpus)

    @property
    def node_names(self) -> list[str]:
        return [f"n{i}" for i in range(1, self.nodes + 1)]

    @property
    def containers(self) -> int:
        """How many node containers: nodes / nodes_per_container, rounded up."""
        return -(-self.nodes // self.nodes_per_container)

    @property
    def node_hosts(self) -> list[str]:
        """The node containers' host names: the node names (n1..nN) with one slurmd a
        container, else c1..cM, each running nodes_of(cJ)."""
        if self.nodes_per_container == 1:
            return self.node_names
        return [f"c{j}" for j in range(1, self.containers + 1)]

    def node_host(self, node: str) -> str:
        """The node container a Slurm node runs in (itself with one slurmd a container)."""
        if self.nodes_per_container == 1:
            return node
        return f"c{(_index(node) - 1) // self.nodes_per_container + 1}"

    def nodes_of(self, host: str) -> list[str]:
        """The Slurm nodes a node container runs, in order."""
        if self.nodes_per_container == 1:
            return [host]
        first = (int(host[1:]) - 1) * self.nodes_per_container + 1
        return [f"n{i}" for i in range(first, min(first + self.nodes_per_container,
                                                   self.nodes + 1))]

    def slurmd_port(self, node: str) -> int:
        """A Slurm node's slurmd port with several a container: unique in its container."""
        return SLURMD_PORT_BASE + (_index(node) - 1) % self.nodes_per_container

    @property
    def network(self) -> str:
        return f"{self.name}-net"

    @property
    def subnet_cidr(self) -> str:
        return f"10.213.{self.subnet}.0/24"

    def container(self, host: str) -> str:
        """Container name of a role or node (`ctld`, `n3`)."""
        return f"{self.name}-{host}"

    def hosts(self) -> dict[str, str]:
        """container hostname -> fixed address: services at .2-.4, the K-th node
        container (nK, or cK with several slurmd a container) at .(10+K)."""
        prefix = f"10.213.{self.subnet}."
        addrs = {role: prefix + str(2 + i) for i, role in enumerate(SERVICES)}
        addrs.update({n: prefix + str(11 + i) for i, n in enumerate(self.node_hosts)})
        return addrs


def _check_partitions(text: str) -> None:
    """Only PartitionName lines, each one line of checked slurm.conf text."""
    for key, _, number in parse_lines(text, "partitions"):
        if key != "PartitionName":
            raise ClusterShapeError(f"partitions line {number} sets {key}: only "
                                    "PartitionName lines belong there")


def per_container_for(nodes: int) -> int:
    """Slurm nodes a container for a cluster of ``nodes`` when none is asked (scenarios):
    one up to MAX_NODES, else 16 (1,024 nodes: 64 containers), more past 3,200."""
    if nodes <= MAX_NODES:
        return 1
    return max(16, -(-nodes // MAX_CONTAINERS))


def _index(node: str) -> int:
    """nK -> K (ClusterError for a name that is no node's)."""
    if not re.fullmatch(r"n[1-9][0-9]*", node):
        raise ClusterError(f"{node!r} is not a node name (n1, n2, ...)")
    return int(node[1:])


def render_slurm_conf(spec: ClusterSpec) -> str:
    hosts = spec.hosts()
    single = spec.nodes_per_container == 1
    lines = [
        "# Written by wlgen (workload.cluster.config) for this cluster only.",
        f"ClusterName={spec.name}",
        f"SlurmctldHost=ctld({hosts['ctld']})",
        "SlurmUser=slurm",
        "AuthType=auth/munge",
        "AuthAltTypes=auth/jwt",
        f"AuthAltParameters=jwt_key={JWT_KEY}",
        "StateSaveLocation=/var/lib/slurm/slurmctld",
        "SlurmdSpoolDir=/var/lib/slurm/slurmd" if single else MULTI_SLURMD_CONF[0],
        "SlurmctldPidFile=/run/slurmctld.pid",
        "SlurmdPidFile=/run/slurmd.pid" if single else MULTI_SLURMD_CONF[1],
        # No cgroups in the containers: track processes by parent pid.
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/linux",
        "MpiDefault=none",
        "ReturnToService=2",
        "SlurmdTimeout=30",
        "InactiveLimit=0",
        "KillWait=5",
        "MinJobAge=300",
        "MaxJobCount=100000",
        "MaxArraySize=10001",
        # The scheduling settings the simulator also reads (workload.slurmconf.CONTAINER).
        *(f"{key}={value}" for key, value in CONTAINER.items()),
        "AccountingStorageType=accounting_storage/slurmdbd",
        "AccountingStorageHost=db",  # resolved by the --add-host entries, never DNS
        "AccountingStoragePort=6819",
        "JobCompType=jobcomp/none",
        # Nodes advertise the CPUs and memory configured here, not the host's.
        "SlurmdParameters=config_overrides",
        f"TmpFS={TMPFS}",
        # With CR_CPU_Memory a job that asks for no memory takes a whole node's: share
        # each node's memory among its CPUs (a login node's sbatch asks for none).
        f"DefMemPerCPU={spec.mem_per_cpu_mb}",
        f"NodeName=DEFAULT CPUs={spec.cpus} RealMemory={spec.mem_mb} State=UNKNOWN"
        + (f" Gres={gres_name(spec)}:{spec.gpus}" if spec.gpus else ""),
    ]
    if spec.gpus:   # before the node lines; accounting keeps each job's gres/gpu
        typed = f",gres/gpu:{spec.gpu_type}" if spec.gpu_type else ""   # sacct keeps the type
        lines[-1:-1] = ["GresTypes=gpu", f"AccountingStorageTRES=gres/gpu{typed}"]
    lines += _node_lines(spec, hosts)
    lines += [line for line in spec.partitions.splitlines() if line.strip()] or [
        f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP"]
    extra = [f"{k}={v}" for k, v, _ in parse_lines(spec.conf_extra, "--conf-extra")]
    if spec.job_submit_lua and _job_submit_plugins(spec.conf_extra) is None:
        extra.append("JobSubmitPlugins=lua")
    if extra:
        lines, extra = merge_parameters(lines, extra)
        if extra:
            lines += ["# --conf-extra", *extra]
    return "\n".join(lines) + "\n"


def _node_lines(spec: ClusterSpec, hosts: dict[str, str]) -> list[str]:
    """One NodeName line a node; with several slurmd a container, each names its
    container (NodeHostname) and its own port, and spool dir and pid file take %n."""
    if spec.nodes_per_container == 1:
        return [f"NodeName={n} NodeAddr={hosts[n]}" for n in spec.node_names]
    lines = []
    for n in spec.node_names:
        host = spec.node_host(n)
        lines.append(f"NodeName={n} NodeHostname={host} NodeAddr={hosts[host]} "
                     f"Port={spec.slurmd_port(n)}")
    return lines


# Comma-separated option lists: an extra line adds to ours instead of replacing it, so
# e.g. SchedulerParameters=bf_window=60 keeps batch_sched_delay=0.
_MERGED = ("schedulerparameters", "slurmdparameters")


def merge_parameters(lines: list[str], extra: list[str]) -> tuple[list[str], list[str]]:
    """Apply extra ``Key=value`` lines to ours: a key we set is replaced in place (its
    option list merged for SchedulerParameters/SlurmdParameters, the extra values
    winning); repeatable keys (NodeName, PartitionName...) and new keys are returned
    to append, in order. Keys compare case-insensitively, as Slurm reads them."""
    rest: list[str] = []
    for line in extra:
        key, sep, value = line.strip().partition("=")
        index = next((i for i, ours in enumerate(lines)
                      if ours.partition("=")[0].lower() == key.lower()), None)
        if not sep or is_repeatable(key):
            rest.append(line)
            continue
        if index is None:
            index = next((i for i, r in enumerate(rest)
                          if r.partition("=")[0].lower() == key.lower()), None)
            if index is None:
                rest.append(line)
            else:
                rest[index] = line        # set twice in the extra: the last one wins
            continue
        if key.lower() in _MERGED:
            options = dict(_option(o) for o in lines[index].partition("=")[2].split(",") if o)
            options.update(_option(o) for o in value.split(",") if o)
            value = ",".join(k + v for k, v in options.items())
        lines[index] = lines[index].partition("=")[0] + "=" + value
    return lines, rest


def _job_submit_plugins(conf_extra: str) -> list[str] | None:
    """The plugins a JobSubmitPlugins= line of ``conf_extra`` names; None without one."""
    for line in conf_extra.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key == "JobSubmitPlugins":
            return [p.strip().removeprefix("job_submit/") for p in value.split(",")]
    return None


def _option(text: str) -> tuple[str, str]:
    """"bf_window=60" -> ("bf_window", "=60"); a flag "pack_serial_at_end" -> (flag, "")."""
    name, sep, value = text.strip().partition("=")
    return name, sep + value


def gres_name(spec: ClusterSpec) -> str:
    """``gpu`` or ``gpu:TYPE``, as slurm.conf's Gres= and sbatch --gpus name it."""
    return f"gpu:{spec.gpu_type}" if spec.gpu_type else "gpu"


def render_gres_conf(spec: ClusterSpec) -> str:
    """gres.conf for GPUs without hardware: Slurm needs a File= per GPU (a count alone
    leaves the node INVALID), a character device (entrypoint.sh makes /dev/nvidiaN)."""
    files = "/dev/nvidia0" if spec.gpus == 1 else f"/dev/nvidia[0-{spec.gpus - 1}]"
    kind = f" Type={spec.gpu_type}" if spec.gpu_type else ""
    return ("# Written by wlgen (workload.cluster.config) for this cluster only.\n"
            f"AutoDetect=off\nName=gpu{kind} File={files}\n")


def render_slurmdbd_conf(spec: ClusterSpec) -> str:
    # StorageUser slurm logs in through MariaDB's unix socket: there is no password.
    return "\n".join([
        "# Written by wlgen (workload.cluster.config) for this cluster only.",
        "AuthType=auth/munge",
        "AuthAltTypes=auth/jwt",
        f"AuthAltParameters=jwt_key={JWT_KEY}",
        "DbdHost=db",
        "DbdPort=6819",
        "SlurmUser=slurm",
        "PidFile=/run/slurmdbd.pid",
        "StorageType=accounting_storage/mysql",
        "StorageHost=localhost",
        "StorageUser=slurm",
        "StorageLoc=slurm_acct_db",
    ]) + "\n"
