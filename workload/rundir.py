"""The run directory: every file a run writes, with its one writer and its one reader.

Nothing else in wlgen names these files. A run (storm, replay, scenario; simulator or
Slurm) writes, in ``runs/<run id>/`` or ``--out DIR``:

  events.jsonl     every lifecycle event, one JSON object a line: the record of truth
  requests.jsonl   every job spec as it was submitted (what events don't carry)
  cluster.json     the nodes the run ran on
  settings.json    what the run ran with (written at its start), ``scheduler``: the
                   semantics the checks judge by (textbook, or Slurm's settings)
  schedule.swf     the realised schedule as SWF (derived from the events)
  metrics.json     the final metrics, and how the run ended
  accounting.json  submitted vs ended, the jobs that never ended, the sinks' reports
A scenario run adds checks.json, scenario.yaml and (on Slurm) faults.jsonl; a run with
network sinks adds sinks.json and spool/.
"""

from __future__ import annotations

import json
import math
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from workload.backends.base import ClusterInfo, NodeInfo
from workload.errors import InputError
from workload.event import Event
from workload.slurmconf import SlurmConfig
from workload.slurmconf.defaults import TIME_CHECK_S
from workload.spec import JobSpec
# requests.jsonl's line format; the recorder writes it through here.
from workload.specjson import spec_from_dict as spec_from_dict
from workload.specjson import spec_line as spec_line

EVENTS, SCHEDULE, METRICS, SETTINGS, ACCOUNTING = (
    "events.jsonl", "schedule.swf", "metrics.json", "settings.json", "accounting.json")
REQUESTS, CLUSTER = "requests.jsonl", "cluster.json"
CHECKS, SCENARIO, FAULTS = "checks.json", "scenario.yaml", "faults.jsonl"
SINKS, SPOOL = "sinks.json", "spool"
#: Files every run writes (a directory with events.jsonl or settings.json is a run's).
RUN_FILES = (EVENTS, REQUESTS, CLUSTER, SETTINGS, SCHEDULE, METRICS, ACCOUNTING)

#: A simulated run's clock starts here unless --epoch says otherwise (2026-01-01T00:00:00Z),
#: so the same command and seed write the same bytes. Real-time runs use the wall clock.
DEFAULT_SIM_EPOCH = 1_767_225_600.0


def new_run_id(kind: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{secrets.token_hex(2)}"


# -- the directory ---------------------------------------------------------------------------
def is_run_dir(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in (EVENTS, SETTINGS))


def require_run_dir(path: str | Path) -> Path:
    """``path`` as a run directory, or an InputError saying why it is not one."""
    path = Path(path)
    if not path.is_dir():
        raise InputError("no such directory", file=str(path))
    if not (path / EVENTS).exists():
        raise InputError(f"no {EVENTS} here: not a wlgen run directory", file=str(path))
    return path


def check_out(out: str | Path | None, *, force: bool = False) -> bool:
    """Whether ``out`` holds an earlier run that ``force`` may replace; an InputError if
    it may not be used (not empty, and no ``force`` or not a run's). Callers that set
    up something costly (a cluster) ask before they do."""
    path = Path(out) if out else None
    if path is None or not path.is_dir() or not any(path.iterdir()):
        return False
    if not force:
        raise InputError("--out is not empty (a run directory holds one run; "
                         "--force replaces an earlier run's)", file=str(path))
    if not is_run_dir(path):
        raise InputError(f"--force replaces only a run directory, and this one has "
                         f"no {EVENTS} or {SETTINGS}", file=str(path))
    return True


def make_run_dir(out: str | Path | None, run_id: str, *, force: bool = False) -> Path:
    """``out`` if given, else runs/<run_id>: created, and empty.

    A directory holds one run: one that is not empty is refused (two runs appended into
    one events.jsonl make one record that is true of neither). ``force`` replaces an
    earlier run's directory, and only a run's: never a directory wlgen did not write.
    """
    path = Path(out) if out else Path("runs") / run_id
    if check_out(path, force=force):
        shutil.rmtree(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot make the run directory: {err.strerror}",
                         file=str(path)) from None
    return path


# -- JSON files ------------------------------------------------------------------------------
def write_json(path: Path, data: Any) -> None:
    """Write atomically, so a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(path)


def read_json(path: Path) -> Any:
    """One JSON file; a file that is not JSON is an InputError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"not a JSON file: {_why(err)}", file=str(path)) from None


def _optional(run_dir: Path, name: str) -> dict[str, Any]:
    path = run_dir / name
    data = read_json(path) if path.exists() else {}
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", file=str(path))
    return data


def read_settings(run_dir: Path) -> dict[str, Any]:
    return _optional(run_dir, SETTINGS)


def scheduler_settings(conf: SlurmConfig | None, policy: str = "easy") -> dict[str, Any]:
    """settings.json ``scheduler``: the semantics the schedule was made by, for the checks.

    ``conf`` None is a textbook run (the simulator's fcfs/easy: submit order, exact
    limits); otherwise Slurm's effective settings as numbers (simulator Slurm mode or
    real Slurm alike)."""
    if conf is None:
        return {"semantics": "textbook", "policy": policy}
    overtime = conf.get("OverTimeLimit").strip().upper()
    return {"semantics": "slurm", "release": conf.release,
            "PriorityType": conf.get("PriorityType"),
            "SchedulerType": conf.get("SchedulerType"),
            "priority_weights": {name.lower(): conf.number(f"PriorityWeight{name}") for name in
                                 ("Age", "Fairshare", "JobSize", "Partition", "QOS", "Assoc")}
            | {"tres": sum(conf.tres_weights().values())},
            "PriorityMaxAge_s": conf.time_s("PriorityMaxAge"),
            "bf_interval_s": conf.sched("bf_interval"),
            "bf_resolution_s": conf.sched("bf_resolution"),
            "over_time_limit_s": (None if overtime in ("UNLIMITED", "INFINITE")
                                  else float(overtime or 0) * 60),
            "time_check_s": TIME_CHECK_S}


def read_metrics(run_dir: Path) -> dict[str, Any]:
    return _optional(run_dir, METRICS)


def read_ending(run_dir: Path) -> dict[str, Any]:
    """How the run ended, from metrics.json: ``stopped_by`` (None, "interrupt", "stall",
    "input error"), ``stopped_by_error``, ``not_submitted``. Events cannot say this; a
    directory without metrics.json never finished writing, and says that instead."""
    if not (run_dir / METRICS).exists():
        return {"stopped_by": "the run never wrote metrics.json"}
    metrics = read_metrics(run_dir)
    return {k: metrics[k] for k in ENDING_KEYS if k in metrics}


ENDING_KEYS = ("stopped_by", "stopped_by_error", "not_submitted")
#: metrics.json: the source's skipped input by reason, each as its rule is written.
SKIP_REASONS = "skip_reasons"


def read_accounting(run_dir: Path) -> dict[str, Any]:
    return _optional(run_dir, ACCOUNTING)


def write_settings(run_dir: Path, settings: Mapping[str, Any]) -> None:
    write_json(run_dir / SETTINGS, dict(settings))


def write_metrics(run_dir: Path, metrics: Mapping[str, Any]) -> None:
    write_json(run_dir / METRICS, dict(metrics))


def write_accounting(run_dir: Path, accounting: Mapping[str, Any]) -> None:
    write_json(run_dir / ACCOUNTING, dict(accounting))


def write_checks(run_dir: Path, checks: Iterable[Mapping[str, Any]]) -> None:
    write_json(run_dir / CHECKS, [dict(c) for c in checks])


def read_checks(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / CHECKS
    return read_json(path) if path.exists() else []


def write_sink_reports(run_dir: Path, reports: Mapping[str, Any]) -> None:
    (run_dir / SINKS).write_text(json.dumps(reports))


def read_sink_reports(run_dir: Path) -> dict[str, Any] | None:
    """What the sink relay reported, or None if it never wrote (it died)."""
    path = run_dir / SINKS
    return read_json(path) if path.exists() else None


def copy_scenario(run_dir: Path, scenario_file: str | Path) -> None:
    shutil.copyfile(scenario_file, run_dir / SCENARIO)


def read_scenario_copy(run_dir: Path) -> str | None:
    """The text of the scenario file a scenario run copied; None: not a scenario's run."""
    path = run_dir / SCENARIO
    if not path.exists():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not a UTF-8 text file: {_why(err)}", file=str(path)) from None


# -- line files ------------------------------------------------------------------------------
def open_lines(path: Path) -> IO[str]:
    """A line file a run writes as it goes (a large buffer: millions of lines)."""
    return open(path, "w", encoding="utf-8", buffering=1 << 20)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered non-blank lines; bytes that are not UTF-8 are an InputError naming the
    line (found by a second, binary pass: text mode decodes in blocks, not lines)."""
    try:
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield number, line
    except UnicodeDecodeError as err:
        found = _first_undecodable(path)
        raise InputError(f"not a UTF-8 text file: {_why(found[1] if found else err)}",
                         file=str(path), line=found[0] if found else None) from None


def _first_undecodable(path: Path) -> tuple[int, UnicodeDecodeError] | None:
    """The first line that is not UTF-8, with its own error (a position in the line)."""
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                return number, err
    return None


def read_events(path: Path) -> Iterator[Event]:
    """Events of an events.jsonl file; a bad line is an InputError naming it."""
    for number, line in _lines(path):
        yield event_from_line(line, path, number)


def event_from_line(line: str, path: Path, number: int) -> Event:
    """One events.jsonl line (``number`` of ``path``, for the error) as an Event."""
    try:
        return Event.from_dict(json.loads(line))
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise InputError(f"not a lifecycle event: {_why(err)}", file=str(path),
                         line=number) from None


def read_requests(run_dir: Path) -> dict[int, JobSpec] | None:
    """seq -> the spec submitted, or None when the run wrote no requests.jsonl."""
    path = run_dir / REQUESTS
    if not path.exists():
        return None
    requests = {}
    for number, line in _lines(path):
        try:
            spec = spec_from_dict(json.loads(line))
        except (ValueError, TypeError, AttributeError) as err:
            raise InputError(f"not a job spec: {_why(err)}", file=str(path),
                             line=number) from None
        requests[spec.seq] = spec
    return requests


def write_faults(run_dir: Path, applied: Iterable[Mapping[str, Any]]) -> None:
    """What a fault driver did, one fault a line."""
    with open(run_dir / FAULTS, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(f, sort_keys=True, default=str) + "\n" for f in applied)


def read_faults(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / FAULTS
    return [json.loads(line) for _, line in _lines(path)] if path.exists() else []


# -- the cluster -----------------------------------------------------------------------------
def cluster_to_dict(info: ClusterInfo) -> dict[str, Any]:
    return {"name": info.name, "default_partition": info.default_partition,
            "slurm_version": info.slurm_version,
            "nodes": [{"name": n.name, "cpus": n.cpus, "mem_mb": n.mem_mb,
                       "partitions": list(n.partitions),
                       **({"gpus": n.gpus, "gpu_type": n.gpu_type} if n.gpus else {})}
                      for n in info.nodes]}


def cluster_from_dict(data: Mapping[str, Any]) -> ClusterInfo:
    nodes = tuple(NodeInfo(n["name"], int(n["cpus"]), int(n["mem_mb"]),
                           tuple(n.get("partitions") or ("batch",)), int(n.get("gpus") or 0),
                           n.get("gpu_type"))
                  for n in data["nodes"])
    return ClusterInfo(str(data.get("name", "cluster")), nodes,
                       str(data.get("default_partition", "batch")), data.get("slurm_version"))


def write_cluster(run_dir: Path, info: ClusterInfo) -> None:
    write_json(run_dir / CLUSTER, cluster_to_dict(info))


def read_cluster(run_dir: Path) -> ClusterInfo | None:
    """The nodes the run ran on, or None when it wrote no cluster.json (older runs)."""
    path = run_dir / CLUSTER
    if not path.exists():
        return None
    try:
        return cluster_from_dict(read_json(path))
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(f"not a cluster description: {_why(err)}", file=str(path)) from None


# -- time ------------------------------------------------------------------------------------
def run_epoch(realtime: bool, epoch: float | None = None) -> float:
    """The Unix time a run's clock starts from: ``epoch`` if given, else the wall clock
    for a real-time run and DEFAULT_SIM_EPOCH for a simulation."""
    if epoch is not None:
        if not math.isfinite(epoch) or epoch < 0:
            raise InputError("must be a finite Unix time >= 0", field="--epoch", value=epoch)
        return float(epoch)
    return time.time() if realtime else DEFAULT_SIM_EPOCH


def _why(err: Exception) -> str:
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__
