"""`wlgen cluster dashboard`: the cluster's graphite-web dashboard, as a URL or one PNG.

The command joins the `cluster` group of workload/cli/cluster.py from here (its own
module, one concept); workload/cli/main.py loads the group through this module, so the
group is complete whichever way it is reached.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from workload.cli.cluster import NAME, cluster
from workload.errors import ClusterError, InputError

# Graphite's relative times (-30min, -2h, -1d ...) and epoch seconds.
_WHEN = re.compile(r"^(-\d+(s|sec|secs|seconds?|min|mins|minutes?|h|hours?|d|days?|w|weeks?)"
                   r"|\d{9,11})$")

__all__ = ["cluster", "dashboard"]


def check_when(text: str, field: str) -> str:
    if not _WHEN.match(text):
        raise InputError("expected a Graphite time: -30min, -2h, -1d or epoch seconds",
                         field=field, value=text)
    return text


@cluster.command()
@NAME
@click.option("--png", "png_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the graphs as one PNG here instead of the URL.")
@click.option("--from", "since", default="-30min", show_default=True,
              help="Start of the graphs (Graphite time: -30min, -2h, epoch seconds).")
@click.option("--until", default="now", show_default=True,
              help="End of the graphs (Graphite time, or now).")
def dashboard(name: str, png_file: Path | None, since: str, until: str) -> None:
    """Print the URL of cluster NAME's graphite-web dashboard, or write it as a PNG.

    `cluster up --monitoring` saves the dashboard: jobs per partition with job failures
    and faults, CPU per node, fabric port rate per node, scheduler cycles and backfill
    depth, and the runs' submit latency.

    \b
    Examples:
      wlgen cluster dashboard --name wlgen
      wlgen cluster dashboard --png cluster.png --from -30min
    """
    from workload.cluster import Cluster
    from workload.cluster import dashboard as board
    from workload.cluster.config import PARTITION
    check_when(since, "from")
    if until != "now":
        check_when(until, "until")
    handle = Cluster.load(name)
    ends = handle.monitoring
    if ends is None:
        raise ClusterError(f"cluster {name} has no monitoring: "
                           f"`wlgen cluster up --name {name} --monitoring`")
    nodes = handle.spec.node_hosts   # what the CPU and fabric layers are named by
    if png_file is None:
        # Saved again (`up` saved it): a cluster brought up by an older wlgen gets it, or
        # gets this version's graphs.
        click.echo(board.save(ends.graphite_web, handle.name, nodes, [PARTITION]))
        return
    image = board.png(ends.graphite_web, handle.name, nodes, [PARTITION], since, until)
    try:
        png_file.write_bytes(image)
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror}", file=str(png_file)) from None
    click.echo(f"wrote {png_file} ({len(image)} bytes, "
               f"{len(board.graphs(handle.name, nodes, [PARTITION]))} graphs)")
