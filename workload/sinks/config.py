"""Which sinks a run gets: options, environment, the cluster's monitoring, a config file.

Precedence, per setting: option > environment variable > cluster monitoring > config
file > default. Cluster monitoring: when the cluster the run names (``--cluster NAME``,
default ``wlgen``) was started with ``wlgen cluster up --monitoring`` and its carbon
answers, its graphite, graphite-web and log receiver (tcp) addresses are used. The
config file is ``--config FILE`` or ``$XDG_CONFIG_HOME/wlgen/config.yaml``
(``~/.config/wlgen/config.yaml``); every key is checked and a broken rule is reported as
``file: field key.path=value: rule``. Example::

    graphite:
      address: 127.0.0.1:2003        # carbon plaintext (--graphite, WLGEN_GRAPHITE)
      web: http://127.0.0.1:8080     # graphite-web events API (--graphite-web, WLGEN_GRAPHITE_WEB)
      annotate: failures             # all | startend | failures (--annotate)
      prefix: wlgen.mytest.          # metric prefix (--graphite-prefix)
      interval: 10                   # seconds of run time between metric points
    logstash:
      url: tcp://127.0.0.1:5000      # or udp:// (--logstash, WLGEN_LOGSTASH)
    sinks:
      buffer_max: 1000000            # drop beyond this many parked records (--sink-buffer-max)
      deadline: 30                   # flush deadline at the end of a run (--sink-deadline)
      spool_dir: /var/tmp/wlgen      # where parked records wait (default: RUN_DIR/spool)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml

from workload.errors import InputError
from workload.sinks.annotations import FILTERS, AnnotationSink
from workload.sinks.base import Sink
from workload.sinks.graphite import GraphiteSink, parse_hostport
from workload.sinks.logstash import LogstashSink, parse_endpoint

ENV = {"graphite": "WLGEN_GRAPHITE", "graphite_web": "WLGEN_GRAPHITE_WEB",
       "logstash": "WLGEN_LOGSTASH"}


@dataclass(frozen=True)
class SinkOptions:
    """Resolved sink settings for one run; ``None`` means that sink is off."""

    graphite: str | None = None          # HOST:PORT of carbon's plaintext receiver
    graphite_web: str | None = None      # base URL of graphite-web
    logstash: str | None = None          # tcp://HOST:PORT or udp://HOST:PORT
    annotate: str = "all"
    graphite_prefix: str | None = None   # default wlgen.<run_id>.
    metrics_interval: float = 10.0
    buffer_max: int | None = None
    deadline: float = 30.0
    spool_dir: Path | None = None


# Config file layout: section -> key -> (SinkOptions field, accepted type).
_SCHEMA: dict[str, dict[str, tuple[str, type | tuple[type, ...]]]] = {
    "graphite": {"address": ("graphite", str), "web": ("graphite_web", str),
                 "annotate": ("annotate", str), "prefix": ("graphite_prefix", str),
                 "interval": ("metrics_interval", (int, float))},
    "logstash": {"url": ("logstash", str)},
    "sinks": {"buffer_max": ("buffer_max", int), "deadline": ("deadline", (int, float)),
              "spool_dir": ("spool_dir", str)},
}


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "wlgen" / "config.yaml"


def load_config(path: Path, required: bool) -> dict[str, Any]:
    """The settings a config file sets, as SinkOptions field -> value (validated)."""
    if not path.exists():
        if required:
            raise InputError("config file not found", file=str(path))
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(err, 'problem', err)}", file=str(path),
                         line=mark.line + 1 if mark else None) from err
    return _settings_from(document, str(path))


def _settings_from(document: Any, file: str) -> dict[str, Any]:
    _expect(isinstance(document, dict), "must be a mapping of sections", file, "(top)", document)
    settings: dict[str, Any] = {}
    for section, body in document.items():
        keys = _SCHEMA.get(section)
        _expect(keys is not None, f"unknown section; known: {', '.join(_SCHEMA)}", file,
                section, body)
        _expect(isinstance(body, dict), "must be a mapping", file, section, body)
        for key, value in body.items():
            where = f"{section}.{key}"
            _expect(key in keys, f"unknown key; known: {', '.join(keys)}", file, where, value)
            name, kind = keys[key]
            ok = isinstance(value, kind) and not isinstance(value, bool)
            _expect(ok, f"must be {_type_name(kind)}", file, where, value)
            settings[name] = value
    return settings


def _type_name(kind: type | tuple[type, ...]) -> str:
    return "a number" if isinstance(kind, tuple) else {str: "a string", int: "an integer"}[kind]


def _expect(ok: bool, rule: str, file: str, where: str, value: Any) -> None:
    if not ok:
        raise InputError(rule, file=file, field=where, value=value)


def resolve(cli: Mapping[str, Any], env: Mapping[str, str] | None = None,
            config: Path | None = None,
            cluster: Mapping[str, Any] | None = None) -> SinkOptions:
    """Merge option values (None = not given), environment, the cluster's monitoring
    settings (:func:`cluster_monitoring`) and config file; validate."""
    env = os.environ if env is None else env
    path = config or default_config_path()
    merged: dict[str, Any] = load_config(path, required=config is not None)
    merged.update(cluster or {})
    merged.update({name: env[var] for name, var in ENV.items() if env.get(var)})
    merged.update({k: v for k, v in cli.items() if v is not None})
    if merged.get("spool_dir") is not None:
        merged["spool_dir"] = Path(merged["spool_dir"])
    options = SinkOptions(**merged)
    validate(options)
    return options


def validate(options: SinkOptions) -> None:
    """Reject bad endpoints and values before the run starts, not in the middle of it."""
    if options.graphite:
        parse_hostport(options.graphite, "graphite")
    if options.logstash:
        parse_endpoint(options.logstash)
    if options.graphite_web and not options.graphite_web.startswith(("http://", "https://")):
        raise InputError("expected an http(s):// URL", field="graphite-web",
                         value=options.graphite_web)
    _expect(options.annotate in FILTERS, f"must be one of {', '.join(FILTERS)}", "",
            "annotate", options.annotate)
    _expect(options.metrics_interval > 0, "must be > 0", "", "metrics-interval",
            options.metrics_interval)
    _expect(options.deadline >= 0, "must be >= 0", "", "sink-deadline", options.deadline)
    _expect(options.buffer_max is None or options.buffer_max >= 0, "must be >= 0", "",
            "sink-buffer-max", options.buffer_max)


def build_sinks(options: SinkOptions, run_dir: Path | None = None) -> list[Sink]:
    """The network sinks ``options`` turn on, in a fixed order (graphite, annotations,
    logstash). Records a receiver can't take yet wait in ``options.spool_dir``, else
    ``RUN_DIR/spool``, else a temp dir. events.jsonl is not among them: the run's recorder
    writes it (``JsonlSink`` exists for callers without one)."""
    spool = options.spool_dir or (run_dir / "spool" if run_dir else None)
    common = {"spool_dir": spool, "buffer_max": options.buffer_max}
    sinks: list[Sink] = []
    if options.graphite:
        sinks.append(GraphiteSink(options.graphite, prefix=options.graphite_prefix,
                                  interval_s=options.metrics_interval, **common))
    if options.graphite_web:
        sinks.append(AnnotationSink(options.graphite_web, filter_=options.annotate, **common))
    if options.logstash:
        sinks.append(LogstashSink(options.logstash, **common))
    return sinks


_OPTIONS = [
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
_KEYS = ("graphite", "graphite_web", "logstash", "annotate", "graphite_prefix",
         "metrics_interval", "buffer_max", "deadline")


def cluster_monitoring(name: str) -> dict[str, str]:
    """graphite/graphite_web/logstash of cluster ``name``'s monitoring; {} when it has
    none or it does not answer (so a stale state dir never captures a run's records)."""
    from workload.cluster.monitoring import sink_settings  # standard library only
    return sink_settings(name)


def _run_cluster() -> str | None:
    """The container cluster the running command means (--cluster, kept in ctx.meta, or
    the default; None for this host's Slurm, see select.target_cluster)."""
    from workload.backends.select import target_cluster
    ctx = click.get_current_context(silent=True)
    chosen = ctx.meta.get("slurm_options", {}).get("cluster") if ctx else None
    return target_cluster(None if chosen is None else str(chosen))


def _say_wired(name: str | None, offered: Mapping[str, str], options: SinkOptions) -> None:
    used = [f"{key}={value}" for key, value in offered.items()
            if getattr(options, key) == value]
    if used:
        click.echo(f"wlgen: sinks from cluster {name}'s monitoring: {', '.join(used)}",
                   err=True)


def sink_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Click decorator: adds the sink options; the command receives ``sinks: SinkOptions``.

    \b
    Example:
      @click.command()
      @sink_options
      def replay(trace, sinks): ... build_sinks(sinks, run_dir) ...
    """
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cli = {key: kwargs.pop(key) for key in _KEYS}
        name = _run_cluster()
        offered = cluster_monitoring(name) if name else {}
        kwargs["sinks"] = resolve(cli, config=kwargs.pop("sink_config"), cluster=offered)
        _say_wired(name, offered, kwargs["sinks"])
        return command(*args, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


__all__ = ["SinkOptions", "build_sinks", "cluster_monitoring", "default_config_path",
           "load_config", "resolve", "sink_options"]
