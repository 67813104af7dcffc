"""`up` and `down`: a cluster's containers, network, configs and keys, from nothing and back.

up: image (built if missing) -> network with a free /24 -> configs + fresh keys in the
state dir -> db container, then ctld, rest and nodes at once (their entrypoints wait for
what they need) -> with monitoring, its two containers (they boot while Slurm does) ->
wait until slurmdbd, slurmctld, every slurmd and slurmrestd answer, then carbon,
graphite-web and the log receiver.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from workload.cluster import images, monitoring, multislurmd, proc, state
from workload.cluster.cluster import LABEL, Cluster
from workload.cluster.config import JOB_SUBMIT_LUA, REST_PORT, ClusterSpec
from workload.cluster.engine import ContainerSpec, Engine
from workload.cluster.files import job_submit_path, write_files
from workload.cluster.ports import free_port
from workload.cluster.readiness import wait_ready
from workload.errors import ClusterError

Progress = Callable[[str], None]

# Jobs inherit these from the submitting shell (sbatch exports the environment).
JOB_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_mpi_yield_when_idle": "1",  # more ranks than cores: don't spin
    "OMPI_MCA_btl_vader_single_copy_mechanism": "none",  # no CMA/ptrace in containers
    # Nodes advertise more CPUs than the host has cores: binding ranks to cores fails
    # (Open MPI 5 refuses to map) and is wrong anyway when every node shares them.
    "OMPI_MCA_hwloc_base_binding_policy": "none",
    "PRTE_MCA_hwloc_default_binding_policy": "none",
}


def up(spec: ClusterSpec, *, timeout: float = 180, base: str | None = None,
       progress: Progress = lambda msg: None) -> Cluster:
    """Start ``spec`` and wait until it is usable; a no-op when it is already up."""
    existing = state.load(spec.name)
    if existing is not None:
        cluster = Cluster(ClusterSpec.from_dict(existing["spec"]), existing.get("facts"))
        if cluster.is_running():
            _require_same_shape(cluster.spec, spec)
            if spec.monitoring and not cluster.spec.monitoring:
                progress(f"cluster {spec.name} is up: adding its monitoring ...")
                monitoring.start(cluster, timeout=timeout, progress=progress)
            else:
                progress(f"cluster {spec.name} is already up")
            _start_collector(cluster, progress)
            return cluster
        progress(f"cluster {spec.name} is half up: removing it first")
        down(spec.name, progress=progress)
    engine = proc.make_engine(spec.engine)
    image = images.ensure_image(engine, spec.suite, base=base, progress=progress)
    multislurmd.require(engine, image, spec.suite, spec.nodes_per_container)
    # Always bookworm, on its own base: --base names the Slurm image's suite.
    watch = images.ensure_monitoring_image(engine, progress=progress) if spec.monitoring \
        else None
    spec = dataclasses.replace(spec, subnet=_create_network(engine, spec), rest_port=free_port())
    cluster = Cluster(spec)
    _write_state(cluster)
    progress(f"starting {_shape(spec)}{' and monitoring' if watch else ''} ...")
    _start_containers(cluster, image)
    ends = monitoring.launch(cluster, watch) if watch else None
    wait_ready(cluster, timeout)
    if ends:
        monitoring.wait_ready(cluster, ends, timeout)
    cluster.remember_slurm_version()
    _start_collector(cluster, progress)
    return cluster


def _shape(spec: ClusterSpec) -> str:
    if spec.nodes_per_container == 1:
        return f"{spec.nodes} nodes"
    return (f"{spec.nodes} nodes in {spec.containers} containers "
            f"({spec.nodes_per_container} slurmd each)")


def down(name: str = "wlgen", *, engine: str | None = None,
         progress: Progress = lambda msg: None) -> bool:
    """Remove every container and network of ``name`` and its state dir (keys included).

    Returns False (and does nothing) when there was nothing to remove."""
    saved = state.load(name)
    if saved:
        _clear_fabric(name)
    _stop_login(name)
    _stop_collector(name)
    eng = proc.make_engine(engine or (saved["spec"]["engine"] if saved else "podman"))
    label = f"{LABEL}={name}"
    containers = list(eng.parse_containers(proc.text(eng, eng.list_containers(label))))
    networks = proc.text(eng, eng.network_list(label)).split()
    if containers:
        _remove(eng, eng.remove(containers),
                lambda: eng.parse_containers(proc.text(eng, eng.list_containers(label))))
    if networks:
        _remove(eng, eng.network_remove(networks),
                lambda: proc.text(eng, eng.network_list(label)).split())
    found = bool(containers or networks or saved or state.cluster_dir(name).exists())
    state.remove(name)
    if found:
        progress(f"cluster {name} removed ({len(containers)} containers)")
    return found


def _remove(engine: Engine, argv: list[str], left: Callable[[], object]) -> None:
    """Run a remove command; a failure is one only if something is left afterwards (two
    downs of one cluster at once, e.g. two test sessions reaping the same leftover, race
    to remove the same containers and network: "no such network" means it is gone)."""
    done = proc.run(engine, argv, check=False)
    if done.returncode != 0 and left():
        raise proc.failure(argv, done)


def _start_collector(cluster: Cluster, progress: Progress) -> None:
    """With monitoring, the layers' collector runs in the background until `down`."""
    if not cluster.spec.monitoring:
        return
    from workload.cluster.collect import background
    pid = background.start(cluster.name, cluster.dir)
    progress(f"collector {pid} sends the cluster's layers to its graphite every 5 s "
             f"(log: {monitoring.output_dir(cluster.dir) / background.LOG_FILE})")


def _stop_collector(name: str) -> None:
    """Stop the background collector; like the login munged, it never stops the down."""
    from workload.cluster.collect import background
    try:
        background.stop(state.cluster_dir(name))
    except ClusterError as err:
        print(f"wlgen cluster down: could not stop the collector of {name} ({err})",
              file=sys.stderr)


def _stop_login(name: str) -> None:
    """Stop this host's login munged of ``name`` (`wlgen cluster login`): its state dir
    goes with the cluster. Like the fabric, it never stops the down."""
    from workload.cluster import login   # login imports this module
    try:
        login.stop(state.cluster_dir(name))
    except ClusterError as err:
        print(f"wlgen cluster down: could not stop the login munged of {name} ({err})",
              file=sys.stderr)


def _clear_fabric(name: str) -> None:
    """Undo `wlgen fabric apply` and stop `wlgen fabric ibsim` while the nodes still run:
    the leaves' ifb devices and the simulator live on the host and would outlive them.
    A failure here is reported on stderr and never stops the down."""
    from workload.fabric import apply, ibcluster
    cluster_dir = state.cluster_dir(name)
    if not (cluster_dir / apply.STATE_FILE).exists() and not ibcluster.has_state(cluster_dir):
        return
    try:
        cluster = Cluster.load(name)
        ibcluster.stop(cluster)
        if apply.load(cluster) is not None:
            apply.clear(cluster)
    except Exception as err:  # noqa: BLE001 - whatever broke, the containers must go
        print(f"wlgen cluster down: could not clear the fabric of {name} ({err}); "
              f"check for leftover `ip link show type ifb` devices", file=sys.stderr)


def _require_same_shape(running: ClusterSpec, wanted: ClusterSpec) -> None:
    keys = ("nodes", "cpus", "mem_mb", "suite", "engine", "conf_extra", "job_submit_lua",
            "gpus", "gpu_type", "nodes_per_container", "partitions")
    if any(getattr(running, k) != getattr(wanted, k) for k in keys):
        raise ClusterError(
            f"cluster {running.name} is already up with {running.nodes} nodes x "
            f"{running.cpus} CPUs, {running.mem_mb} MB, {running.suite}: run "
            f"`wlgen cluster down --name {running.name}` first to change it")


def _create_network(engine: Engine, spec: ClusterSpec) -> int:
    """Create the cluster's network on the first free 10.213.X.0/24; returns X."""
    start = sum(spec.name.encode()) % 256  # stable per name, so clusters rarely collide
    for i in range(256):
        subnet = (start + i) % 256
        attempt = dataclasses.replace(spec, subnet=subnet)
        argv = engine.network_create(spec.network, attempt.subnet_cidr, {LABEL: spec.name})
        done = proc.run(engine, argv, check=False)
        if done.returncode == 0:
            return subnet
        if b"already" not in done.stderr.lower() and b"overlap" not in done.stderr.lower():
            raise ClusterError(f"cannot create network {spec.network}: "
                               f"{proc.last_line(done.stderr)}")
    raise ClusterError("no free 10.213.X.0/24 subnet left for a cluster network")


def _write_state(cluster: Cluster) -> None:
    """cluster.json, the rendered configs and fresh keys (0600) in the state dir."""
    cluster.dir.mkdir(parents=True, exist_ok=True)
    cluster.save()
    write_files(cluster.spec, cluster.dir)


def container_specs(cluster: Cluster, image: str) -> list[ContainerSpec]:
    """Every container of the cluster, db first (the others wait for it)."""
    spec, root = cluster.spec, cluster.dir
    hosts = spec.hosts()
    mounts = ((str(root / "etc"), "/run/wlgen/etc", True),
              (str(root / "secrets"), "/run/wlgen/secrets", True))
    out = []
    for host in cluster.hosts:
        role = host if host in ("db", "ctld", "rest") else "node"
        out.append(ContainerSpec(
            name=spec.container(host), image=image, hostname=host, network=spec.network,
            ip=hosts[host], command=_command(spec, host, role), hosts=hosts, env=JOB_ENV,
            mounts=mounts + _role_mounts(cluster, role) + _shares(cluster, role),
            labels={LABEL: spec.name, "wlgen.role": role},
            publish=(("127.0.0.1", spec.rest_port, REST_PORT),) if role == "rest" else (),
            shm_size="256m" if role == "node" else None))
    return out


def _command(spec: ClusterSpec, host: str, role: str) -> tuple[str, ...]:
    """The entrypoint's arguments: the role, and with several slurmd a container the
    Slurm nodes this one runs (`slurmd -N` each)."""
    if role != "node" or spec.nodes_per_container == 1:
        return (role,)
    return (role, *spec.nodes_of(host))


def _role_mounts(cluster: Cluster, role: str) -> tuple[tuple[str, str, bool], ...]:
    """The job_submit.lua, on the controller only (slurmctld alone runs the plugin). A
    mount, not a copy: it must exist before slurmctld starts (a missing script is fatal
    with JobSubmitPlugins=lua) and survives a controller restart."""
    if role != "ctld" or not cluster.spec.job_submit_lua:
        return ()
    return ((str(job_submit_path(cluster.dir)), JOB_SUBMIT_LUA, True),)


def _shares(cluster: Cluster, role: str) -> tuple[tuple[str, str, bool], ...]:
    """The spec's shared host directories, on the nodes (where jobs run) only."""
    return tuple((p, p, False) for p in cluster.spec.shares) if role == "node" else ()


def _start_containers(cluster: Cluster, image: str) -> None:
    engine = cluster.engine
    first, *rest = container_specs(cluster, image)
    proc.run(engine, engine.run(first))
    # `podman run` is mostly waiting on runc and conmon: a few at a time overlap well.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for done in pool.map(lambda c: proc.run(engine, engine.run(c)), rest):
            del done
