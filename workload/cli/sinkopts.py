"""The sink options of `wlgen storm` and `wlgen replay`, resolved into ``SinkOptions``.

The options live here (cli/ owns every option); which sinks a run gets, and from where
(option > environment > the cluster's monitoring > config file), is workload.sinks.config.
The run's cluster comes in explicitly, from the collected Slurm options (``slurm``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from workload.sinks.annotations import FILTERS
from workload.sinks.config import SinkOptions, cluster_monitoring, resolve

OPTIONS = [
    click.option("--graphite", metavar="HOST:PORT",
                 help="Send run metrics to carbon (plaintext). Env: WLGEN_GRAPHITE."),
    click.option("--graphite-web", metavar="URL",
                 help="Post job events as Graphite annotations. Env: WLGEN_GRAPHITE_WEB."),
    click.option("--logstash", metavar="tcp://HOST:PORT|udp://HOST:PORT",
                 help="Send job events as JSON lines. Env: WLGEN_LOGSTASH."),
    click.option("--annotate", type=click.Choice(FILTERS),
                 help="Which events become annotations [default: all]."),
    click.option("--graphite-prefix", metavar="PREFIX",
                 help="Metric prefix [default: wlgen.<run_id>.]."),
    click.option("--metrics-interval", type=float, metavar="SECONDS",
                 help="Run time between metric points [default: 10]."),
    click.option("--sink-buffer-max", "buffer_max", type=click.IntRange(min=0), metavar="N",
                 help="Drop records beyond N parked per sink [default: no bound]."),
    click.option("--sink-deadline", "deadline", type=float, metavar="SECONDS",
                 help="How long to flush sinks at the end of a run [default: 30]."),
    click.option("--config", "sink_config", type=click.Path(dir_okay=False, path_type=Path),
                 help="YAML config file [default: ~/.config/wlgen/config.yaml]."),
]
KEYS = ("graphite", "graphite_web", "logstash", "annotate", "graphite_prefix",
        "metrics_interval", "buffer_max", "deadline")


def run_cluster(slurm: Mapping[str, object]) -> str | None:
    """The container cluster a run means: ``--cluster`` as given, else the default one
    (None for this host's Slurm, see backends.select.target_cluster)."""
    from workload.backends.select import target_cluster
    chosen = slurm.get("cluster")
    return target_cluster(None if chosen is None else str(chosen))


def say_wired(name: str | None, offered: Mapping[str, str], options: SinkOptions) -> None:
    used = [f"{key}={value}" for key, value in offered.items()
            if getattr(options, key) == value]
    if used:
        click.echo(f"wlgen: sinks from cluster {name}'s monitoring: {', '.join(used)}",
                   err=True)


def sink_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Click decorator: adds the sink options; the command receives ``sinks: SinkOptions``.
    The cluster whose monitoring may feed them is the ``slurm`` argument's ``cluster``
    (put there by cli.options' Slurm options, applied above this decorator).

    \b
    Example:
      @click.command()
      @slurm_options
      @sink_options
      def replay(trace, slurm, sinks): ... build_sinks(sinks, run_dir) ...
    """
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cli = {key: kwargs.pop(key) for key in KEYS}
        name = run_cluster(kwargs.get("slurm") or {})
        offered = cluster_monitoring(name) if name else {}
        kwargs["sinks"] = resolve(cli, config=kwargs.pop("sink_config"), cluster=offered)
        say_wired(name, offered, kwargs["sinks"])
        return command(*args, **kwargs)

    for option in reversed(OPTIONS):
        wrapper = option(wrapper)
    return wrapper
