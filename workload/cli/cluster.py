"""`wlgen cluster`: a real Slurm cluster in containers (build, up, status, exec, down)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import click

from workload.cli.options import GPUS
from workload.errors import ClusterError

NAME = click.option("--name", default="wlgen", show_default=True,
                    help="Cluster name: Slurm's ClusterName and the container name prefix.")
SUITE = click.option("--slurm", "suite", default="bookworm", show_default=True,
                     type=click.Choice(["bookworm", "trixie", "sid"]),
                     help="Debian suite of the image: Slurm 22.05, 24.11 or 26.05.")
ENGINE = click.option("--engine", default="podman", show_default=True,
                      type=click.Choice(["podman", "docker"]), help="Container engine.")


def _say(message: str) -> None:
    click.echo(f"wlgen cluster: {message}", err=True)


@click.group()
def cluster() -> None:
    """Run a real Slurm cluster as containers on this machine.

    \b
    Examples:
      wlgen cluster up --nodes 8 --cpus 4 --mem 4096
      wlgen cluster up --nodes 2 --monitoring     # + Graphite and a JSON-lines receiver
      wlgen cluster exec ctld -- sinfo
      wlgen cluster status
      wlgen cluster down
    """


@cluster.command()
@SUITE
@ENGINE
@click.option("--base", default=None, metavar="IMAGE",
              help="Base image (e.g. docker.io/library/debian:bookworm-slim); default: "
                   "a local debootstrap base, made when missing.")
@click.option("--rebuild", is_flag=True, help="Build even if the image is up to date.")
@click.option("--monitoring", is_flag=True,
              help="Also build the monitoring image (carbon, graphite-web, rsyslog).")
def build(suite: str, engine: str, base: str | None, rebuild: bool, monitoring: bool) -> None:
    """Build the Slurm image (done automatically by `up` when missing).

    \b
    Example:
      wlgen cluster build --slurm trixie
      wlgen cluster build --monitoring
    """
    from workload.cluster import ensure_image, ensure_monitoring_image, proc
    eng = proc.make_engine(engine)
    start = time.monotonic()
    image = ensure_image(eng, suite, base=base, rebuild=rebuild, progress=_say)
    _say(f"{image} ready ({time.monotonic() - start:.1f} s)")
    if monitoring:
        start = time.monotonic()
        image = ensure_monitoring_image(eng, rebuild=rebuild, progress=_say)
        _say(f"{image} ready ({time.monotonic() - start:.1f} s)")


@cluster.command()
@click.option("--nodes", default=4, show_default=True, type=click.IntRange(1, 4096),
              help="Number of Slurm nodes (n1..nN; above 200 with --nodes-per-container).")
@click.option("--nodes-per-container", "per_container", default=1, show_default=True,
              type=click.IntRange(1, 64),
              help="slurmd daemons per node container (`slurmd -N nK` each, own port "
                   "and spool): 1,024 nodes fit as 64 containers x 16.")
@click.option("--cpus", default=4, show_default=True, type=click.IntRange(1),
              help="CPUs each node advertises (may exceed the host's).")
@click.option("--mem", "mem_mb", default=4096, show_default=True, type=click.IntRange(64),
              help="Memory each node advertises, in MB.")
@click.option("--gpus", type=GPUS, default=None,
              help="GPUs each node advertises, G or G:TYPE (device files, no hardware).")
@SUITE
@ENGINE
@click.option("--conf-extra", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File appended to slurm.conf.")
@NAME
@click.option("--timeout", default=180.0, show_default=True,
              help="Seconds to wait for every node to be idle.")
@click.option("--monitoring", is_flag=True,
              help="Also start Graphite (carbon + graphite-web) and a JSON-lines log "
                   "receiver, and wire runs naming this cluster to them.")
def up(nodes: int, cpus: int, mem_mb: int, suite: str, engine: str, conf_extra: Path | None,
       name: str, timeout: float, monitoring: bool,
       gpus: tuple[int, str | None] | None = None, per_container: int = 1) -> None:
    """Start a cluster and wait until every node is idle (no-op if already up;
    --monitoring on a running cluster adds only the monitoring).

    \b
    Examples:
      wlgen cluster up --nodes 8 --cpus 32 --mem 8192 --slurm bookworm
      wlgen cluster up --nodes 2 --monitoring
      wlgen cluster up --nodes 2 --gpus 2:a100
      wlgen cluster up --nodes 1024 --nodes-per-container 16 --cpus 2 --timeout 900
      wlgen storm --backend slurm --jobs 100   # sinks go to the monitoring of `wlgen`
    """
    from workload.cluster import ClusterSpec
    from workload.cluster import up as start
    spec = ClusterSpec(name=name, nodes=nodes, cpus=cpus, mem_mb=mem_mb, suite=suite,
                       engine=engine, conf_extra=conf_extra.read_text() if conf_extra else "",
                       monitoring=monitoring, gpus=(gpus or (0, None))[0],
                       gpu_type=(gpus or (0, None))[1] or "",
                       nodes_per_container=per_container)
    began = time.monotonic()
    handle = start(spec, timeout=timeout, progress=_say)
    _say(f"{name}: {nodes} nodes idle, Slurm {handle.slurm_version}, slurmrestd at "
         f"{handle.rest_url} ({time.monotonic() - began:.1f} s)")
    if handle.monitoring:
        ends = handle.monitoring
        _say(f"{name}: graphite {ends.graphite}, graphite-web {ends.graphite_web}, "
             f"logstash {ends.logstash()} (and udp), received events in {ends.received}")


@cluster.command()
@NAME
@click.option("--engine", default=None, type=click.Choice(["podman", "docker"]),
              help="Engine to clean up with when the cluster's state is gone.")
@click.option("--stale", is_flag=True,
              help="Instead of NAME, remove every cluster whose owning session (a test "
                   "run, a scenario) died without taking it down.")
def down(name: str, engine: str | None, stale: bool) -> None:
    """Remove the cluster's containers, network and keys (no-op if not up).

    \b
    Examples:
      wlgen cluster down --name wlgen
      wlgen cluster down --stale      # leftovers of test runs killed with SIGKILL
    """
    if stale:
        from workload.cluster import reap
        removed = reap(progress=_say)
        _say(f"removed {len(removed)} stale cluster(s){': ' if removed else ''}"
             f"{', '.join(removed)}")
        return
    from workload.cluster import down as stop
    if not stop(name, engine=engine, progress=_say):
        _say(f"cluster {name} is not up: nothing to do")


@cluster.command()
@NAME
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(name: str, as_json: bool) -> None:
    """Show containers, node states and endpoints; exit 1 if not fully up.

    \b
    Example:
      wlgen cluster status --json
    """
    from workload.cluster import Cluster
    handle = Cluster.load(name)
    ends = handle.monitoring
    info = {"name": name, "engine": handle.spec.engine, "suite": handle.spec.suite,
            "slurm_version": handle.facts.get("slurm_version"),
            "nodes_per_container": handle.spec.nodes_per_container, "rest_url": handle.rest_url,
            "state_dir": str(handle.dir), "containers": handle.container_states(),
            "nodes": handle.node_states() if handle.is_running() else {},
            "monitoring": ends.describe() if ends else None,
            "login": _login_conf(handle)}
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        for key in ("name", "engine", "suite", "slurm_version", "nodes_per_container",
                    "rest_url", "state_dir", "login"):
            click.echo(f"{key:14} {info[key]}")
        for key, value in (info["monitoring"] or {}).items():
            click.echo(f"{key:14} {value}")
        for container, state in sorted(info["containers"].items()):
            click.echo(f"  {container:24} {state}")
        for node, state in info["nodes"].items():
            click.echo(f"  node {node:19} {state}")
    if not handle.is_running():
        raise ClusterError(f"cluster {name} is not fully running")


def _login_conf(handle) -> str | None:
    """SLURM_CONF of this host as the cluster's login node, while its munged runs."""
    from workload.cluster import login
    return str(login.conf_path(handle)) if login.munged_pid(handle) else None


@cluster.command()
@NAME
def env(name: str) -> None:
    """Print `export WLGEN_...=` lines for the sinks of cluster NAME's monitoring.

    Runs that name the cluster (`--cluster NAME`, default wlgen) use its monitoring
    without this; these lines wire anything else (another cluster's runs, scripts).

    \b
    Example:
      eval "$(wlgen cluster env --name mycluster)"
    """
    from workload.cluster import Cluster
    ends = Cluster.load(name).monitoring
    if ends is None:
        raise ClusterError(f"cluster {name} has no monitoring: start it with "
                           f"`wlgen cluster up --name {name} --monitoring`")
    click.echo("\n".join(ends.env_lines()))


@cluster.command()
@NAME
def login(name: str) -> None:
    """Make this host a login node of cluster NAME; print `export` lines for its shell.

    Starts a munged with the cluster's key on a private socket (stopped by `down`) and
    writes a slurm.conf for this host's Slurm clients, which must be of the cluster's
    release (Debian: apt-get install slurm-client munge; bookworm's 22.05 matches
    `--slurm bookworm`). The lines set SLURM_CONF and what the cluster's jobs need
    (sbatch exports them to the job). Root only: the key stays in the 0700 state dir.

    \b
    Example:
      eval "$(wlgen cluster login --name wlgen)"
      sinfo; wlgen storm --jobs 100 --backend slurm   # SLURM_CONF: this host's clients
    """
    from workload.cluster import Cluster
    from workload.cluster.login import start
    handle = Cluster.load(name)
    if not handle.is_running():
        raise ClusterError(f"cluster {name} is not running: `wlgen cluster up --name {name}`")
    env = start(handle)
    click.echo("\n".join(f"export {key}={shlex.quote(value)}" for key, value in env.items()))


@cluster.command(name="exec", context_settings={"ignore_unknown_options": True})
@NAME
@click.argument("host")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(name: str, host: str, command: tuple[str, ...]) -> None:
    """Run COMMAND in HOST (db, ctld, rest, n1..nN, graphite, logs); exits with its
    exit code.

    \b
    Examples:
      wlgen cluster exec ctld -- sbatch -N2 --wrap hostname
      wlgen cluster exec n1 -- cat /etc/slurm/slurm.conf
    """
    from workload.cluster import Cluster
    handle = Cluster.load(name)
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    argv = handle.exec_argv(host, command, interactive=True, tty=tty)
    sys.exit(subprocess.call(argv, env=handle.exec_env()))


@cluster.command(name="add-users")
@NAME
@click.argument("users", nargs=-1, required=True)
def add_users(name: str, users: tuple[str, ...]) -> None:
    """Create USERS on every host (same uid everywhere) and in Slurm's accounting.

    \b
    Example:
      wlgen cluster add-users alice bob
    """
    from workload.cluster import Cluster
    uids = Cluster.load(name).add_users(users)
    for user, uid in uids.items():
        click.echo(f"{user} {uid}")


@cluster.command()
@NAME
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.5),
              help="Seconds between samples (carbon keeps wlgen.cluster.* in 5 s slots).")
@click.option("--count", default=None, type=click.IntRange(1),
              help="Stop after this many samples (default: until Ctrl-C).")
def monitor(name: str, interval: float, count: int | None) -> None:
    """Collect the cluster's layers (scheduler, partitions, nodes) into its Graphite.

    Runs in the foreground, one line per sample; metrics go to
    wlgen.cluster.NAME.* of the carbon that `cluster up --monitoring` started.

    \b
    Example:
      wlgen cluster monitor --name wlgen --interval 5 --count 12
    """
    from workload.cluster import Cluster
    from workload.cluster.collect.collector import monitor as collect
    handle = Cluster.load(name)
    if not handle.is_running():
        raise ClusterError(f"cluster {name} is not running: `wlgen cluster up --name {name}`")
    collect(handle, interval, count, say=_say)
