"""Which sinks a run gets: options, environment, the cluster's monitoring, a config file.

(The command-line options themselves are workload.cli.sinkopts: this module has no click.)

Precedence, per setting: option > environment variable > cluster monitoring > config
file > default. Cluster monitoring: when the cluster the run names (``--cluster NAME``,
default ``wlgen``) was started with ``wlgen cluster up --monitoring`` and its carbon
answers, its graphite, graphite-web and log receiver (tcp) addresses are used, and its
spool directory (shared by the runs to it, so one run's undelivered records go with the
next: workload/sinks/delivery.py). The
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
      spool_dir: /var/tmp/wlgen      # where parked records wait, and where the next run
                                     # finds those not delivered (default: the cluster's
                                     # monitoring/sink-spool, else RUN_DIR/spool)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from workload.errors import InputError
from workload.rundir import SPOOL
from workload.safeyaml import read_yaml
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
    # The one loader of user YAML: duplicate keys refused, nesting and quotes bounded.
    document = read_yaml(str(path)) or {}
    return _settings_from(document, str(path))


def _settings_from(document: Any, file: str) -> dict[str, Any]:
    _expect(isinstance(document, dict), "must be a mapping of sections", file, "(top)", document)
    settings: dict[str, Any] = {}
    for section, body in document.items():
        _expect(section in _SCHEMA, f"unknown section; known: {', '.join(_SCHEMA)}", file,
                section, body)
        keys = _SCHEMA[section]
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


class _Spooling(TypedDict):
    """What every network sink takes alike: where to spool, and how much."""

    spool_dir: Path | None
    buffer_max: int | None


def build_sinks(options: SinkOptions, run_dir: Path | None = None) -> list[Sink]:
    """The network sinks ``options`` turn on, in a fixed order (graphite, annotations,
    logstash). Records a receiver can't take yet wait in ``options.spool_dir`` (the
    cluster's, for its monitoring), else ``RUN_DIR/spool``, else a temp dir. events.jsonl
    is not among them: the run's recorder writes it (``JsonlSink`` exists for callers
    without one)."""
    spool = options.spool_dir or (run_dir / SPOOL if run_dir else None)
    common: _Spooling = {"spool_dir": spool, "buffer_max": options.buffer_max}
    sinks: list[Sink] = []
    if options.graphite:
        sinks.append(GraphiteSink(options.graphite, prefix=options.graphite_prefix,
                                  interval_s=options.metrics_interval, **common))
    if options.graphite_web:
        sinks.append(AnnotationSink(options.graphite_web, filter_=options.annotate, **common))
    if options.logstash:
        sinks.append(LogstashSink(options.logstash, **common))
    return sinks


def cluster_monitoring(name: str) -> dict[str, str]:
    """graphite/graphite_web/logstash of cluster ``name``'s monitoring; {} when it has
    none or it does not answer (so a stale state dir never captures a run's records)."""
    from workload.cluster.monitoring import sink_settings  # standard library only
    return sink_settings(name)


__all__ = ["SinkOptions", "build_sinks", "cluster_monitoring", "default_config_path",
           "load_config", "resolve"]
