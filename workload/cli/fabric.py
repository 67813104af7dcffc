"""`wlgen fabric`: shape a container cluster's network as an interconnect, break it, watch it."""

from __future__ import annotations

import json
from pathlib import Path

import click

CLUSTER = click.option("--cluster", "name", default="wlgen", show_default=True,
                       metavar="NAME", help="The container cluster (`wlgen cluster up`).")


def _load(name: str):
    from workload.cluster import Cluster
    return Cluster.load(name)


def _say(event: dict) -> None:
    click.echo(json.dumps(event))


@click.group()
def fabric() -> None:
    """A simulated interconnect on a container cluster: htb-shaped links (no latency
    emulation: the kernel has no netem), faults and InfiniBand-style port counters.

    \b
    Examples:
      wlgen fabric apply --cluster fab --topology fattree --rate 1gbit --leaf-size 2 \\
          --oversubscription 2
      wlgen fabric status --cluster fab
      wlgen fabric unplug n2 --cluster fab --for 60
      wlgen fabric watch --cluster fab --interval 1 --out runs/fabric
    """


@fabric.command("apply")
@CLUSTER
@click.option("--topology", "kind", type=click.Choice(["flat", "fattree"]), default="flat",
              show_default=True, help="One switch, or leaf switches under a spine.")
@click.option("--rate", default="1gbit", show_default=True,
              help="Node port rate per direction (tc units: 100mbit, 1gbit).")
@click.option("--leaf-size", default=2, show_default=True, type=click.IntRange(1),
              help="Nodes per leaf switch (fattree).")
@click.option("--oversubscription", default=1.0, show_default=True, type=float,
              help="Leaf bandwidth down / up: the uplink is leaf-size x rate / this.")
@click.option("--queue", default="512kb", show_default=True,
              help="Queue per shaped link (256kb-1mb keeps TCP steady).")
@click.option("--keep-offloads", is_flag=True,
              help="Leave TSO/GSO on: faster in total, but shaping and packet counts "
                   "see 64 KB segment trains.")
def apply_cmd(name: str, kind: str, rate: str, leaf_size: int, oversubscription: float,
              queue: str, keep_offloads: bool) -> None:
    """Shape the cluster's links (replaces an earlier fabric).

    \b
    Example:
      wlgen fabric apply --cluster fab --topology fattree --rate 500mbit --leaf-size 2
    """
    from workload.fabric import apply
    from workload.fabric.topology import format_rate, parse_rate, parse_size
    cluster = _load(name)
    topo = apply.topology_for(cluster, kind, parse_rate(rate), leaf_size=leaf_size,
                              oversubscription=oversubscription, queue_bytes=parse_size(queue))
    apply.apply(cluster, topo, offloads_off=not keep_offloads)
    leaves = "; ".join(f"{leaf.name}: {','.join(leaf.nodes)} uplink "
                       f"{format_rate(leaf.uplink_bps)}" for leaf in topo.leaves)
    click.echo(f"wlgen fabric: {cluster.name}: {kind}, {len(topo.nodes)} ports at "
               f"{format_rate(topo.rate_bps)}" + (f"; {leaves}" if leaves else ""), err=True)


@fabric.command()
@CLUSTER
def clear(name: str) -> None:
    """Remove the shaping and the leaves' ifb devices.

    \b
    Example:
      wlgen fabric clear --cluster fab
    """
    from workload.fabric import apply
    apply.clear(_load(name))


@fabric.command()
@CLUSTER
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def status(name: str, as_json: bool) -> None:
    """Per-port counters (PortXmitData/PortRcvData in 4-byte words, as InfiniBand).

    \b
    Example:
      wlgen fabric status --cluster fab --json
    """
    from workload.fabric.status import fabric_status, render
    info = fabric_status(_load(name))
    click.echo(json.dumps(info, indent=2) if as_json else render(info))


@fabric.command()
@click.argument("node")
@click.argument("state", type=click.Choice(["down", "up"]))
@CLUSTER
def link(node: str, state: str, name: str) -> None:
    """Pull (down) or plug back (up) NODE's cable at its switch.

    \b
    Example:
      wlgen fabric link n2 down --cluster fab
    """
    from workload.fabric import faults
    _say(faults.link(_load(name), node, up=state == "up"))


@fabric.command()
@click.argument("node")
@CLUSTER
@click.option("--for", "seconds", type=click.FloatRange(0), default=None,
              help="Plug it back after this many seconds (default: leave it unplugged).")
@click.option("--wait-slurm", default=120.0, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait for Slurm to notice each change (0: don't wait).")
def unplug(node: str, name: str, seconds: float | None, wait_slurm: float) -> None:
    """Unplug NODE until Slurm sees it down, and optionally replug it.

    \b
    Example:
      wlgen fabric unplug n2 --cluster fab --for 60
    """
    from workload.fabric import faults
    faults.unplug(_load(name), node, seconds, wait_slurm=wait_slurm, say=_say)


@fabric.command()
@click.argument("node")
@CLUSTER
@click.option("--wait-slurm", default=120.0, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait for Slurm to take the node back (0: link only).")
def replug(node: str, name: str, wait_slurm: float) -> None:
    """Plug NODE back and return it to service in Slurm.

    \b
    Example:
      wlgen fabric replug n2 --cluster fab
    """
    from workload.fabric import faults
    faults.replug(_load(name), node, wait_slurm=wait_slurm, say=_say)


@fabric.command()
@click.argument("node")
@click.option("--cpus", type=click.FloatRange(0), required=True,
              help="CPU cores the node's container may use (0 lifts the limit).")
@CLUSTER
def slow(node: str, cpus: float, name: str) -> None:
    """Throttle NODE's CPU through the container engine (cgroup quota).

    \b
    Example:
      wlgen fabric slow n3 --cpus 0.25 --cluster fab
    """
    from workload.fabric import faults
    _say(faults.slow(_load(name), node, cpus))


@fabric.command()
@CLUSTER
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05),
              help="Seconds between samples.")
@click.option("--graphite", metavar="HOST:PORT", default=None,
              help="carbon's plaintext port; without it samples go to DIR/fabric.jsonl.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory for fabric.jsonl [runs/fabric-<cluster>].")
@click.option("--count", type=click.IntRange(1), default=None,
              help="Stop after this many samples (default: until Ctrl-C).")
def watch(name: str, interval: float, graphite: str | None, out: Path | None,
          count: int | None) -> None:
    """Sample the port counters every INTERVAL and publish them.

    \b
    Examples:
      wlgen fabric watch --cluster fab --interval 1 --graphite 127.0.0.1:2003
      wlgen fabric watch --cluster fab --out runs/fab --count 60
    """
    from workload.fabric.watch import GraphitePublisher, JsonlPublisher, watch as run_watch
    cluster = _load(name)
    if graphite:
        publisher: GraphitePublisher | JsonlPublisher = GraphitePublisher(
            graphite, cluster.name, interval)
        where = f"graphite {graphite}"
    else:
        directory = out or Path("runs") / f"fabric-{cluster.name}"
        jsonl = JsonlPublisher(directory, cluster.name)
        publisher, where = jsonl, str(jsonl.path)
    click.echo(f"wlgen fabric: sampling {cluster.name} every {interval:g} s into {where}",
               err=True)
    samples = run_watch(cluster, publisher, interval, count)
    click.echo(f"wlgen fabric: {samples} samples", err=True)


@fabric.group("ibsim")
def ibsim_group() -> None:
    """An InfiniBand view of the fabric: ibsim + opensm with the links' counters mirrored,
    so ibnetdiscover, ibstat, iblinkinfo and perfquery see it (under libumad2sim).

    \b
    Example:
      wlgen fabric ibsim start --cluster fab
      eval "$(wlgen fabric ibsim env --cluster fab)"
      ibnetdiscover; perfquery -x -G 0x0002c90100000003 1
      wlgen fabric ibsim stop --cluster fab
    """


@ibsim_group.command("start")
@CLUSTER
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.1),
              help="Seconds between counter mirrors.")
def ibsim_start(name: str, interval: float) -> None:
    """Start ibsim + opensm for the applied fabric and mirror it every INTERVAL.

    \b
    Example:
      wlgen fabric ibsim start --cluster fab --interval 2
    """
    from workload.fabric import ibcluster
    state = ibcluster.start(_load(name), interval)
    click.echo(f"wlgen fabric: IB view of {name} running (ibsim {state['ibsim']}, opensm "
               f"{state['opensm']}); tools need: wlgen fabric ibsim env --cluster {name}",
               err=True)


@ibsim_group.command("stop")
@CLUSTER
def ibsim_stop(name: str) -> None:
    """Stop the IB view (its mirror, opensm and ibsim).

    \b
    Example:
      wlgen fabric ibsim stop --cluster fab
    """
    from workload.fabric import ibcluster
    if not ibcluster.stop(_load(name)):
        click.echo(f"wlgen fabric: no IB view running for {name}", err=True)


@ibsim_group.command("status")
@CLUSTER
def ibsim_status(name: str) -> None:
    """Whether it runs, the tools' environment, and each port's GUID (JSON).

    \b
    Example:
      wlgen fabric ibsim status --cluster fab | jq .running
    """
    from workload.fabric import ibcluster
    click.echo(json.dumps(ibcluster.status(_load(name)), indent=2))


@ibsim_group.command("env")
@CLUSTER
def ibsim_env(name: str) -> None:
    """Shell exports for the tools (ibnetdiscover, perfquery...).

    \b
    Example:
      eval "$(wlgen fabric ibsim env --cluster fab)" && ibnetdiscover
    """
    import shlex

    from workload.fabric import ibcluster
    for key, value in ibcluster.env(_load(name)).items():
        click.echo(f"export {key}={shlex.quote(value)}")
